"""Lines and escalation (§4.4, §5.1): hand-over to a 2nd-line team or a supplier, and the
three hierarchical escalation steps, each recorded with who, when, why and outcome."""

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regie.core.choices import TeamLine
from regie.core.models import Team, User

from . import services
from .choices import TicketStatus
from .models import Escalation, EscalationStep, TermNotice, Ticket, TicketTransfer
from .watch import TermState, may_notify_now, term_state, used_share

# Roles that are told of (and may act on) each escalation step.
STEP_ROLES = {
    EscalationStep.INCIDENT_MANAGER: ["incident_manager"],
    EscalationStep.TEAM_LEAD: ["team_lead"],
    EscalationStep.ICT_MANAGER: ["ict_manager"],
}


def transfer(actor, ticket, *, to_team, note, supplier_reference="", contract_terms="", now=None):
    """Hand a call to another team. To a supplier (3rd line) the supplier's reference is
    required, and the call waits for the supplier (its clock pauses)."""
    if not services.is_agent(actor):
        raise PermissionDenied(_("Only the service desk hands calls over."))
    errors = {}
    if not (note or "").strip():
        errors["note"] = _("Write a hand-over note for the next line.")
    if to_team is None or not Team.objects.for_user(actor).filter(pk=to_team.pk).exists():
        errors["to_team"] = _("Choose a team.")
    elif to_team.pk == ticket.team_id:
        errors["to_team"] = _("The call is already with this team.")
    to_supplier = to_team is not None and to_team.line == TeamLine.THIRD
    if to_supplier and not (supplier_reference or "").strip():
        errors["supplier_reference"] = _("Record the supplier's reference for a hand-over to a supplier.")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        TicketTransfer.objects.create(
            ticket=ticket, from_team_id=ticket.team_id, to_team=to_team, note=note.strip(),
            supplier_reference=supplier_reference.strip(), contract_terms=(contract_terms or "").strip(),
            transferred_by=actor, transferred_at=now,
        )
        changes = {"team": to_team}
        if ticket.assignee_id and not to_team.members.filter(pk=ticket.assignee_id).exists():
            changes["assignee"] = None
        if to_supplier and ticket.status != TicketStatus.WAITING_FOR_SUPPLIER:
            changes["status"] = TicketStatus.WAITING_FOR_SUPPLIER
        elif not to_supplier and ticket.status == TicketStatus.WAITING_FOR_SUPPLIER:
            changes["status"] = TicketStatus.IN_PROGRESS
        elif ticket.status == TicketStatus.NEW:
            changes["status"] = TicketStatus.IN_PROGRESS
        return services.update_ticket(actor, ticket, changes, now=now)


def may_escalate(actor, ticket, step):
    """Step 1 may be raised by the caller's manager (from the portal) or by provider
    staff; steps 2 and 3 by provider staff only."""
    if actor.is_provider_staff and actor.has_perm("servicedesk.handle_ticket"):
        return True
    requester = ticket.requester
    return step == EscalationStep.INCIDENT_MANAGER and requester.manager_id == actor.pk


def escalate(actor, ticket, *, step, reason, now=None):
    step = EscalationStep(int(step))
    if not ticket.is_open:
        raise ValidationError({"step": _("A resolved or closed call is not escalated.")})
    if not may_escalate(actor, ticket, step):
        raise PermissionDenied(_("You may not raise this escalation step."))
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Say why the call is escalated.")})
    done = set(ticket.escalations.values_list("step", flat=True))
    if step in done:
        raise ValidationError({"step": _("This step has already been taken.")})
    if step > 1 and step - 1 not in done:
        raise ValidationError({"step": _("Escalate one step at a time: step %(step)s comes first.") % {
            "step": step - 1}})
    try:
        with transaction.atomic():
            escalation = Escalation.objects.create(
                ticket=ticket, step=step, reason=reason.strip(), raised_by=actor, raised_at=now or timezone.now()
            )
    except IntegrityError as exc:  # two people escalating at once
        raise ValidationError({"step": _("This step has already been taken.")}) from exc
    from regie.core.audit import write_record

    write_record("update", instance=ticket, changes={"escalation": [None, f"step {step}: {reason.strip()}"]})
    _notify_escalation(escalation)
    return escalation


def close_escalation(actor, escalation, *, outcome):
    if not (actor.is_provider_staff and actor.has_perm("servicedesk.handle_ticket")):
        raise PermissionDenied(_("Only provider staff record the outcome of an escalation."))
    if escalation.closed_at:
        raise ValidationError({"outcome": _("The outcome has already been recorded.")})
    if not (outcome or "").strip():
        raise ValidationError({"outcome": _("Record the outcome.")})
    escalation.outcome = outcome.strip()
    escalation.closed_at = timezone.now()
    escalation.closed_by = actor
    escalation.save(update_fields=["outcome", "closed_at", "closed_by"])
    return escalation


def escalation_recipients(escalation):
    ticket = escalation.ticket
    people = list(User.objects.unrestricted().filter(
        groups__name__in=STEP_ROLES[EscalationStep(escalation.step)], is_active=True
    ).distinct())
    if escalation.step == EscalationStep.ICT_MANAGER and ticket.organisation.representative_id:
        people.append(ticket.organisation.representative)
    return people


def _notify_escalation(escalation):
    from . import notifications

    notifications.escalated(escalation, escalation_recipients(escalation))


def check_terms(now=None, warn_share=None):
    """Reconcile (beat): warn at the configured share of the resolution term, inform the
    caller and the team lead when a term is exceeded. Idempotent through TermNotice;
    quiet outside working time for working-hours SLAs."""
    from regie.catalogue.services import calendar_for, sla_target_for

    from . import notifications

    now = now or timezone.now()
    warn_share = warn_share if warn_share is not None else settings.REGIE_SLA_WARN_SHARE
    handled = 0
    open_calls = (
        Ticket.objects.unrestricted()
        .filter(status__in=[TicketStatus.NEW, TicketStatus.IN_PROGRESS], resolution_due_at__isnull=False)
        .select_related("organisation", "service", "service__calendar", "requester", "assignee", "team__lead")
        .prefetch_related("pauses")
    )
    for ticket in open_calls.iterator(chunk_size=500):
        target = sla_target_for(ticket.service, ticket.organisation, ticket.priority)
        if target is None:
            continue
        calendar = calendar_for(ticket.service, ticket.organisation)
        pauses = [(p.started_at, p.ended_at) for p in ticket.pauses.all()]
        state = term_state(used_share(calendar, ticket.created_at, target.resolution_minutes, pauses, now), warn_share)
        if state == TermState.ON_TRACK:
            continue
        if not may_notify_now(calendar, now, calendar.is_around_the_clock):
            continue
        kinds = [TermNotice.Kind.WARNING] if state == TermState.WARNING else [
            TermNotice.Kind.WARNING, TermNotice.Kind.BREACH]
        for kind in kinds:
            _, created = TermNotice.objects.get_or_create(ticket=ticket, kind=kind, due_at=ticket.resolution_due_at)
            if created:
                handled += 1
                if kind == TermNotice.Kind.WARNING:
                    notifications.term_warning(ticket)
                else:
                    notifications.term_exceeded(ticket)
    return handled
