"""Portal actions of municipal employees on their own calls. For now: reopening a
resolved call within `REGIE_REOPEN_DAYS` (the caller disagrees that it is solved).

The caller may not change the status themselves (services.editable_fields), so the
reopen goes through the same transition rules and SLA recomputation as
services.update_ticket, the way conversation.resume_for_caller does for a reply.
"""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import conversation, services
from .choices import TicketStatus
from .models import Ticket
from .sla import apply_sla

REASON_MAX_CHARS = 2000


def reopen_days():
    return int(getattr(settings, "REGIE_REOPEN_DAYS", 5))


def reopen_deadline(ticket):
    """Until when a resolved call may be reopened (None when it is not resolved)."""
    if ticket.status != TicketStatus.RESOLVED or ticket.resolved_at is None:
        return None
    return ticket.resolved_at + timedelta(days=reopen_days())


def _is_callers_side(actor, ticket):
    """The requester, or the requester's manager."""
    if actor.pk == ticket.requester_id:
        return True
    return ticket.requester.manager_id == actor.pk


def may_reopen(actor, ticket, now=None):
    """For the call page: offer the button only when a reopen would be accepted."""
    if not actor or not actor.is_authenticated or ticket.status != TicketStatus.RESOLVED:
        return False
    if not _is_callers_side(actor, ticket):
        return False
    deadline = reopen_deadline(ticket)
    return deadline is not None and (now or timezone.now()) <= deadline


def reopen_ticket(actor, ticket, reason, now=None):
    """Resolved → in progress on the caller's word, with a reason that is added to the call
    as a public message (so the desk sees it and is notified). Refused after the window,
    on closed calls and for anyone but the requester or their manager."""
    now = now or timezone.now()
    if not Ticket.objects.for_user(actor).filter(pk=ticket.pk).exists():
        raise Ticket.DoesNotExist
    if not _is_callers_side(actor, ticket):
        raise PermissionDenied(_("Only the caller or the caller's manager can reopen a call."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the call is not solved.")})
    if len(reason) > REASON_MAX_CHARS:
        raise ValidationError({"reason": _("Keep the reason to %(max)s characters.") % {"max": REASON_MAX_CHARS}})
    with transaction.atomic():
        current = Ticket.all_objects.select_for_update().get(pk=ticket.pk)
        _check_reopenable(current, now)
        old = current.status
        current.status = TicketStatus.IN_PROGRESS
        services._transition(current, old, current.status, now)
        apply_sla(current)
        current.version += 1
        current.full_clean()
        current.save()
        # Same transaction: if the message is refused (e.g. a merged duplicate), nothing changes.
        conversation.add_message(
            actor, current, _("Call reopened. Reason: %(reason)s") % {"reason": reason}, now=now
        )
    return current


def _check_reopenable(ticket, now):
    if ticket.status == TicketStatus.CLOSED:
        raise ValidationError({"status": _("A closed call cannot be reopened; register a new call instead.")})
    if ticket.status != TicketStatus.RESOLVED:
        raise ValidationError({"status": _("Only a resolved call can be reopened.")})
    deadline = reopen_deadline(ticket)
    if deadline is None or now > deadline:
        raise ValidationError({"status": _(
            "A call can only be reopened within %(days)s days of being resolved; register a new call instead."
        ) % {"days": reopen_days()}})
