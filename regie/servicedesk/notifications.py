"""Who is told what about a call. Delivery (e-mail through the outbox, in-app, per-user
preferences, the recipient's language) is the integrations app's job."""

from django.utils.translation import gettext_lazy as _


def _notify(event, ticket, recipients, **context):
    from regie.integrations.services import notify

    recipients = [person for person in dict.fromkeys(recipients) if person is not None and person.is_active]
    if recipients:
        notify(event, ticket, recipients, {"ticket": ticket, **context})


def _team_lead(ticket):
    return ticket.team.lead if ticket.team_id and ticket.team.lead_id else None


def term_warning(ticket):
    _notify("ticket.term_warning", ticket, [ticket.assignee, _team_lead(ticket)],
            title=_("The resolution term of %(reference)s is nearly used up") % {"reference": ticket.reference})


def term_exceeded(ticket):
    # §5.1: the helpdesk contacts the caller when a term will not be met.
    _notify("ticket.term_exceeded", ticket, [ticket.requester, ticket.assignee, _team_lead(ticket)],
            title=_("The resolution term of %(reference)s has not been met") % {"reference": ticket.reference})


def escalated(escalation, recipients):
    ticket = escalation.ticket
    _notify("ticket.escalated", ticket, [*recipients, ticket.assignee], escalation=escalation,
            title=_("%(reference)s escalated: %(step)s") % {
                "reference": ticket.reference, "step": escalation.get_step_display()})
