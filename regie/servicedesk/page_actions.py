"""Shared plumbing for the small POST actions on a call's page (reply, merge, rating,
time entries, reopen): run the service, turn refusals into messages, and on failure show
the call page again with a 4xx so nothing looks saved that was not."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _


def rerender_call_page(request, reference, status=400):
    from .views import TicketDetailView

    view = TicketDetailView()
    view.setup(request, reference=reference)
    response = view.get(request, reference=reference)
    response.status_code = status
    return response


def apply_form_action(request, form, action, success):
    """Validate `form` (or None), call `action(cleaned_data)`; True when it worked.
    `success` is the message to show then (None when the action says it itself)."""
    if form is not None and not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            messages.error(request, f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return False
    try:
        action(form.cleaned_data if form is not None else None)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
        return False
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
        return False
    if success:
        messages.success(request, success)
    return True
