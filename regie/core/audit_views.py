"""Audit trail pages: the global view (provider staff and auditors), its CSV export, and
the history tab of any object.

The global view needs `core.view_auditrecord`; anyone else gets 404 (not 403), so the
page's existence is no more visible than another municipality's object. Which records
show is still decided by `AuditRecord.objects.for_user` (tenancy), never by hand.
"""

import json
from datetime import UTC

from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from .audit import write_record
from .audit_filters import AuditRecordFilterSet
from .exports import stream_csv
from .models import AuditRecord
from .pagination import InvalidCursor, Page, paginate

PAGE_SIZE = 50
HISTORY_PAGE_SIZE = 25
# Newest first; id is unique and indexed, and follows time closely enough for a trail.
ORDERING = ["-id"]
EXPORT_CHUNK = 2000


def _audit_queryset(request):
    if not request.user.has_perm("core.view_auditrecord"):
        raise Http404
    return AuditRecord.objects.for_user(request.user)


def _filtered(request, queryset):
    """The filterset and the filtered queryset; queryset None when the filters are invalid."""
    filterset = AuditRecordFilterSet(request.GET or None, queryset=queryset, request=request)
    if not filterset.is_bound:
        return filterset, queryset
    if not filterset.is_valid():
        return filterset, None
    return filterset, filterset.qs


def _query_without_cursor(request):
    query = request.GET.copy()
    query.pop("cursor", None)
    return query.urlencode()


def _paginate(queryset, cursor, page_size):
    try:
        return paginate(queryset, ORDERING, cursor, page_size), None
    except InvalidCursor:
        return paginate(queryset, ORDERING, None, page_size), _(
            "That page link is no longer valid; showing the first page."
        )


@login_required
def audit_list(request):
    queryset = _audit_queryset(request).select_related("content_type", "organisation")
    filterset, filtered = _filtered(request, queryset)
    cursor_error = None
    if filtered is None:
        page = Page([], None, None, PAGE_SIZE)
    else:
        page, cursor_error = _paginate(filtered, request.GET.get("cursor"), PAGE_SIZE)
    base_query = _query_without_cursor(request)
    context = {
        "filterset": filterset,
        "page": page,
        "records": page.items,
        "base_query": base_query,
        "cursor_error": cursor_error,
        "is_filtered": any(value for key, value in request.GET.items() if key != "cursor"),
    }
    # Filters that make no sense are the client's mistake: say so with a 400, never a 500.
    return render(request, "core/audit_list.html", context, status=400 if filtered is None else 200)


EXPORT_COLUMNS = [
    "id", "timestamp_utc", "who", "who_id", "action", "result", "object_type", "object_id", "object",
    "organisation", "from_address", "user_agent", "request_id", "message", "changes", "record_hash",
]


def _csv_rows(records):
    for record in records:
        content_type = record.content_type
        yield [
            value
            for value in (
                record.id,
                record.timestamp.astimezone(UTC).isoformat(),
                record.actor_label,
                record.actor_id,
                record.action,
                record.result,
                f"{content_type.app_label}.{content_type.model}" if content_type else "",
                record.object_id,
                record.object_repr,
                record.organisation.code if record.organisation_id and record.organisation else "",
                record.remote_addr,
                record.user_agent,
                record.request_id,
                record.message,
                json.dumps(record.changes, ensure_ascii=False, sort_keys=True) if record.changes else "",
                record.record_hash,
            )
        ]


@login_required
def audit_export(request):
    queryset = _audit_queryset(request).select_related("content_type", "organisation")
    filterset, filtered = _filtered(request, queryset)
    if filtered is None:
        lines = [_("Some filters were not understood:")]
        lines += [f"{name}: {' '.join(errors)}" for name, errors in filterset.errors.items()]
        return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")
    query = _query_without_cursor(request)
    # The export is itself on the record: who took which part of the trail away.
    write_record("export", object_repr="audit trail (CSV)", message=f"filters: {query or '(none)'}"[:300])
    records = filtered.order_by(*ORDERING).iterator(chunk_size=EXPORT_CHUNK)
    return stream_csv("audit-trail", EXPORT_COLUMNS, _csv_rows(records))


@login_required
def object_history(request, app_label, model, pk):
    """History tab of any object, after the same scope check as its own page."""
    try:
        content_type = ContentType.objects.get(app_label=app_label, model=model)
    except ContentType.DoesNotExist as exc:
        raise Http404 from exc
    model_class = content_type.model_class()
    if model_class is None:
        raise Http404
    manager = model_class._default_manager
    if not hasattr(manager, "for_user"):
        raise Http404
    obj = manager.for_user(request.user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    history = AuditRecord.objects.for_user(request.user).filter(content_type=content_type, object_id=str(obj.pk))
    page, cursor_error = _paginate(history, request.GET.get("cursor"), HISTORY_PAGE_SIZE)
    return render(
        request,
        "core/object_history.html",
        {
            "object": obj,
            "history": page.items,
            "page": page,
            "base_query": _query_without_cursor(request),
            "cursor_error": cursor_error,
        },
    )
