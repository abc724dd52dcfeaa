"""Who is told what about a call. Delivery (e-mail through the outbox, in-app, per-user
preferences, the recipient's language) is the integrations app's job."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .models import EscalationStep


def _notify(event, ticket, recipients, occurrence=None, **context):
    from regie.integrations.services import notify

    recipients = [person for person in dict.fromkeys(recipients) if person is not None and person.is_active]
    if recipients:
        notify(event, ticket, recipients, {"ticket": ticket, **context}, occurrence=occurrence)


def _team_lead(ticket):
    return ticket.team.lead if ticket.team_id and ticket.team.lead_id else None


def term_warning(ticket):
    _notify("ticket.term_warning", ticket, [ticket.assignee, _team_lead(ticket)],
            # Lazy all the way, so the title is translated into each recipient's language.
            title=format_lazy(_("The resolution term of {reference} is nearly used up"), reference=ticket.reference))


def term_exceeded(ticket):
    # §5.1: the helpdesk contacts the caller when a term will not be met.
    _notify("ticket.term_exceeded", ticket, [ticket.requester, ticket.assignee, _team_lead(ticket)],
            title=format_lazy(_("The resolution term of {reference} has not been met"), reference=ticket.reference))


def escalated(escalation, recipients):
    ticket = escalation.ticket
    _notify("ticket.escalated", ticket, [*recipients, ticket.assignee], escalation=escalation,
            title=format_lazy(_("{reference} escalated: {step}"), reference=ticket.reference,
                              step=EscalationStep(escalation.step).label))


def created(ticket):
    _notify("ticket.created", ticket, [ticket.requester])


def assigned(ticket, actor):
    if ticket.assignee_id and ticket.assignee_id != actor.pk:
        occurrence = f"assignee-{ticket.assignee_id}-{ticket.version}"
        _notify("ticket.assigned", ticket, [ticket.assignee], occurrence=occurrence)


def resolved(ticket):
    _notify("ticket.resolved", ticket, [ticket.requester], occurrence=f"resolved-{ticket.version}")


def replied(message):
    """A public reply: the caller hears from the desk; the desk hears from the caller."""
    ticket = message.ticket
    if message.author_id in (ticket.requester_id, ticket.created_by_id):
        recipients = [ticket.assignee or _team_lead(ticket)]
    else:
        recipients = [ticket.requester]
    recipients = [person for person in recipients if person is not None and person.pk != message.author_id]
    _notify("ticket.replied", ticket, recipients, occurrence=f"message-{message.pk}")
