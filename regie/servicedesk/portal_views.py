"""Portal actions on the call page (the rules are in portal.py): reopening a resolved call."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.core.forms import AccessibleFormMixin

from . import portal
from .models import Ticket


class ReopenForm(AccessibleFormMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why is the call not solved?"), max_length=portal.REASON_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "reopen")
        super().__init__(*args, **kwargs)


@login_required
@require_POST
def reopen_view(request, reference):
    ticket = get_object_or_404(
        Ticket.objects.for_user(request.user).select_related("requester"), reference=reference
    )
    form = ReopenForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _failed(request, reference)
    try:
        portal.reopen_ticket(request.user, ticket, form.cleaned_data["reason"])
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return _failed(request, reference)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
        return _failed(request, reference, status=403)
    messages.success(request, _("The call has been reopened."))
    return redirect(f"{ticket.get_absolute_url()}#timeline")


def _failed(request, reference, status=400):
    from .page_actions import rerender_call_page

    return rerender_call_page(request, reference, status=status)


def reopen_context(request, ticket):
    """The reopen form, offered only to the requester (or their manager) within the window."""
    allowed = portal.may_reopen(request.user, ticket)
    return {
        "reopen_form": ReopenForm() if allowed else None,
        "reopen_until": portal.reopen_deadline(ticket) if allowed else None,
    }
