"""Audit trail pages (the global view is fleshed out by the audit work)."""

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import Http404
from django.shortcuts import render

from .models import AuditRecord


@login_required
def audit_list(request):
    if not request.user.has_perm("core.view_auditrecord"):
        raise Http404
    records = AuditRecord.objects.for_user(request.user).select_related("actor")[:100]
    return render(request, "core/audit_list.html", {"records": records})


@login_required
def object_history(request, app_label, model, pk):
    """History tab of any object, after the same scope check as its own page."""
    try:
        content_type = ContentType.objects.get(app_label=app_label, model=model)
    except ContentType.DoesNotExist as exc:
        raise Http404 from exc
    model_class = content_type.model_class()
    manager = model_class._default_manager
    if not hasattr(manager, "for_user"):
        raise Http404
    obj = manager.for_user(request.user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    history = AuditRecord.objects.for_user(request.user).filter(
        content_type=content_type, object_id=str(obj.pk)
    ).select_related("actor")[:200]
    return render(request, "core/object_history.html", {"object": obj, "history": history})
