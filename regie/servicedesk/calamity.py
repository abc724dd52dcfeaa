"""The calamity procedure's rules (agreement §5.2, appendix 1, §4.7.1).

The 1st line runs the decision tree for a call (incident or calamity?); provider staff
declare a calamity, link calls, log decisions and communication, work through the virus
checklist in order and close with an evaluation. Participants' account managers and
representatives get a progress update at the calamity's interval (`send_due_updates`,
run by beat; idempotent per calamity, participant and slot).
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regie.core.models import Organisation, User

from .calamity_models import (
    PARTICIPANT_CONTACT_ROLES,
    STATUS_ORDER,
    Calamity,
    CalamityCommunication,
    CalamityDecision,
    CalamityKind,
    CalamityPhase,
    CalamityStatus,
    CommunicationChannel,
    DecisionTreeNode,
    DecisionType,
    TriageOutcome,
    TriageResult,
    VirusPhase,
)
from .services import is_agent

UPDATE_EVENT = "calamity.update"
# A tree deeper than this is misconfigured (or has a cycle); refuse rather than loop.
MAX_TREE_DEPTH = 50


def _require_staff(actor):
    if not is_agent(actor):
        raise PermissionDenied(_("Only the provider's service desk staff handle calamities."))


def _require_open(calamity):
    if not calamity.is_open:
        raise ValidationError(_("This calamity is closed."))


# --- the decision tree ----------------------------------------------------------------------

def root_node():
    return DecisionTreeNode.objects.filter(is_root=True).first()


def _parse_answer(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"yes", "y", "true", "1", "ja"}:
        return True
    if text in {"no", "n", "false", "0", "nee"}:
        return False
    raise ValidationError(_("Answer each question with yes or no."))


def walk_decision_tree(answers):
    """Follow the tree from its first question as far as `answers` ({node key: yes/no}) go.

    Returns (path, next_node, outcome): the questions answered on the way
    ([{"key", "question", "answer"}]), then either the next question to ask or the
    outcome. Answers to questions off the path are ignored here; a value that is not
    yes/no, or a broken tree, is a ValidationError."""
    if not isinstance(answers, dict):
        raise ValidationError(_("Answers must map each question to yes or no."))
    nodes = {node.pk: node for node in DecisionTreeNode.objects.all()}
    node = next((n for n in nodes.values() if n.is_root), None)
    if node is None:
        raise ValidationError(_("The decision tree has no first question; ask an administrator to set it up."))
    path = []
    while True:
        if len(path) >= MAX_TREE_DEPTH or any(step["key"] == node.key for step in path):
            raise ValidationError(_("The decision tree is misconfigured (it loops)."))
        if answers.get(node.key) in (None, ""):
            return path, node, None
        try:
            answer = _parse_answer(answers[node.key])
        except ValidationError as exc:
            raise ValidationError({node.key: exc.messages}) from None
        path.append({"key": node.key, "question": node.question, "answer": answer})
        next_id, outcome = (node.yes_next_id, node.yes_outcome) if answer else (node.no_next_id, node.no_outcome)
        if outcome:
            return path, None, TriageOutcome(outcome)
        if next_id not in nodes:
            raise ValidationError(_("The decision tree is misconfigured (a question leads nowhere)."))
        node = nodes[next_id]


def run_decision_tree(answers):
    """The outcome of a complete set of answers: (outcome, path). Refused: a missing answer
    on the path, an answer to a question that is not on the path, a value that is not
    yes/no, a broken tree."""
    path, next_node, outcome = walk_decision_tree(answers)
    if outcome is None:
        raise ValidationError(
            {next_node.key: _("Answer this question: %(question)s") % {"question": next_node.question}}
        )
    on_path = {step["key"] for step in path}
    extra = sorted(str(key) for key, value in answers.items() if key not in on_path and value not in (None, ""))
    if extra:
        raise ValidationError(
            _("These answers do not belong to the path taken: %(keys)s") % {"keys": ", ".join(extra)}
        )
    return outcome, path


def triage(actor, ticket, answers, *, now=None):
    """Run the tree for a call and keep the result on it."""
    _require_staff(actor)
    outcome, path = run_decision_tree(answers)
    return TriageResult.objects.create(
        ticket=ticket, outcome=outcome, answers=path, decided_by=actor, decided_at=now or timezone.now()
    )


# --- declaring and handling -----------------------------------------------------------------

def declare(actor, *, title, kind=CalamityKind.GENERAL, description="", ticket=None, triage_result=None,
            affected_participants=(), crisis_team=(), update_interval_minutes=60, now=None):
    """Declare a calamity, from a call (linked, its organisation affected) or standalone."""
    _require_staff(actor)
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Give the calamity a title.")
    if kind not in CalamityKind.values:
        errors["kind"] = _("Choose a kind of calamity.")
    try:
        interval = int(update_interval_minutes)
    except (TypeError, ValueError):
        interval = 0
    if interval < 5:
        errors["update_interval_minutes"] = _("Send updates at least 5 minutes apart.")
    participants = list(affected_participants)
    if any(org.is_provider for org in participants):
        errors["affected_participants"] = _("Only participants can be affected participants.")
    members = list(crisis_team)
    if any(not member.is_provider_staff for member in members):
        errors["crisis_team"] = _("The crisis team consists of the provider's staff.")
    if triage_result is not None and ticket is not None and triage_result.ticket_id != ticket.pk:
        errors["triage"] = _("This triage belongs to another call.")
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with transaction.atomic():
        calamity = Calamity.all_objects.create(
            title=title.strip(), description=(description or "").strip(), kind=kind, declared_by=actor,
            declared_at=now, triage=triage_result, update_interval_minutes=interval,
        )
        if ticket is not None:
            calamity.incidents.add(ticket)
            if not ticket.organisation.is_provider:
                participants.append(ticket.organisation)
        calamity.affected_participants.set({org.pk for org in participants})
        calamity.crisis_team.set({actor.pk, *(member.pk for member in members)})
        if kind == CalamityKind.VIRUS_OUTBREAK:
            for position, phase in enumerate(VirusPhase.values, start=1):
                CalamityPhase.objects.create(calamity=calamity, phase=phase, position=position)
    return calamity


def set_status(actor, calamity, status):
    """Move forward through declared → in progress → recovering; closing goes through `close`."""
    _require_staff(actor)
    _require_open(calamity)
    if status not in CalamityStatus.values or status == CalamityStatus.CLOSED:
        raise ValidationError({"status": _("Choose declared, in progress or recovering; close with an evaluation.")})
    if STATUS_ORDER.index(status) < STATUS_ORDER.index(calamity.status):
        raise ValidationError({"status": _("A calamity's status only moves forward.")})
    calamity.status = status
    calamity.save()
    return calamity


def link_incident(actor, calamity, ticket):
    """Link a call of any participant (provider staff see them all); its organisation becomes affected."""
    _require_staff(actor)
    _require_open(calamity)
    # Through the link table: Ticket's default manager is fail-closed, so is `calamity.incidents`.
    if Calamity.incidents.through.objects.filter(calamity=calamity, ticket=ticket).exists():
        raise ValidationError({"reference": _("This call is already linked.")})
    with transaction.atomic():
        calamity.incidents.add(ticket)
        if not ticket.organisation.is_provider:
            calamity.affected_participants.add(ticket.organisation)
    return ticket


def add_participant(actor, calamity, organisation):
    _require_staff(actor)
    _require_open(calamity)
    if organisation.is_provider:
        raise ValidationError({"organisation": _("Only participants can be affected participants.")})
    calamity.affected_participants.add(organisation)


def add_crisis_team_member(actor, calamity, member):
    _require_staff(actor)
    _require_open(calamity)
    if not member.is_provider_staff:
        raise ValidationError({"member": _("The crisis team consists of the provider's staff.")})
    calamity.crisis_team.add(member)


def add_decision(actor, calamity, *, decision, decision_type=DecisionType.GENERAL, now=None):
    _require_staff(actor)
    _require_open(calamity)
    if decision_type not in DecisionType.values:
        raise ValidationError({"decision_type": _("Choose a type of decision.")})
    if not (decision or "").strip():
        raise ValidationError({"decision": _("Describe the decision.")})
    return CalamityDecision.objects.create(
        calamity=calamity, decision_type=decision_type, decision=decision.strip(), decided_by=actor,
        decided_at=now or timezone.now(),
    )


def add_communication(actor, calamity, *, organisation, channel, message, contacts="", now=None):
    """Log communication with an affected participant (a call, a meeting, a sent e-mail)."""
    _require_staff(actor)
    errors = {}
    if organisation is None or not calamity.affected_participants.filter(pk=organisation.pk).exists():
        errors["organisation"] = _("Choose one of the affected participants.")
    if channel not in CommunicationChannel.values:
        errors["channel"] = _("Choose a channel.")
    if not (message or "").strip():
        errors["message"] = _("Write what was communicated.")
    if errors:
        raise ValidationError(errors)
    return CalamityCommunication.objects.create(
        calamity=calamity, organisation=organisation, channel=channel, message=message.strip(),
        contacts=(contacts or "").strip()[:500], sent_by=actor, sent_at=now or timezone.now(),
    )


def complete_phase(actor, phase, *, notes="", now=None):
    """Complete a virus-outbreak phase; the phases are done in order (identify first)."""
    _require_staff(actor)
    _require_open(phase.calamity)
    if phase.completed_at is not None:
        raise ValidationError(_("This phase is already completed."))
    earlier_open = phase.calamity.phases.filter(position__lt=phase.position, completed_at__isnull=True)
    if earlier_open.exists():
        raise ValidationError(
            _("Complete the earlier phases first: %(phases)s")
            % {"phases": ", ".join(str(p.get_phase_display()) for p in earlier_open)}
        )
    phase.completed_by = actor
    phase.completed_at = now or timezone.now()
    phase.notes = (notes or "").strip()
    phase.save()
    return phase


EVALUATION_FIELDS = {
    "evaluation_what_happened": gettext_lazy("Describe what happened."),
    "evaluation_cause": gettext_lazy("Describe the cause."),
    "evaluation_went_well": gettext_lazy("Describe what went well."),
    "evaluation_improvements": gettext_lazy("Describe the improvements."),
}


def close(actor, calamity, *, now=None, **evaluation):
    """Close with the evaluation (what happened, cause, what went well, improvements); all
    four are required, and a virus outbreak's phases must all be done."""
    _require_staff(actor)
    _require_open(calamity)
    errors = {name: str(message) for name, message in EVALUATION_FIELDS.items()
              if not (evaluation.get(name) or "").strip()}
    if calamity.phases.filter(completed_at__isnull=True).exists():
        errors["__all__"] = _("Complete every phase of the virus checklist before closing.")
    if errors:
        raise ValidationError(errors)
    for name in EVALUATION_FIELDS:
        setattr(calamity, name, evaluation[name].strip())
    calamity.status = CalamityStatus.CLOSED
    calamity.closed_at = now or timezone.now()
    calamity.closed_by = actor
    calamity.save()
    return calamity


# --- scheduled updates to the participants ---------------------------------------------------

def current_slot(calamity, now):
    """The latest update moment at or before `now` (declared_at + n × interval, n ≥ 1), or None."""
    interval = timedelta(minutes=calamity.update_interval_minutes)
    elapsed = now - calamity.declared_at
    if elapsed < interval:
        return None
    return calamity.declared_at + interval * (elapsed // interval)


def next_update_at(calamity, now=None):
    if not calamity.is_open:
        return None
    now = now or timezone.now()
    slot = current_slot(calamity, now)
    interval = timedelta(minutes=calamity.update_interval_minutes)
    return (slot or calamity.declared_at) + interval


def participant_contacts(organisation):
    """The participant's account manager and representative as set on the organisation;
    when neither is set, everyone of the participant holding one of those roles."""
    named = [user for user in (organisation.account_manager, organisation.representative)
             if user is not None and user.is_active]
    if named:
        return list(dict.fromkeys(named))
    return list(
        User.objects.unrestricted().filter(
            organisation=organisation, is_active=True, groups__name__in=PARTICIPANT_CONTACT_ROLES
        ).distinct().order_by("pk")
    )


def update_text(calamity):
    latest = calamity.decisions.order_by("-decided_at", "-id").first()
    parts = [
        format_lazy(gettext_lazy("Status: {status}."), status=calamity.get_status_display()),
    ]
    done = [str(p.get_phase_display()) for p in calamity.phases.all() if p.completed_at]
    if calamity.kind == CalamityKind.VIRUS_OUTBREAK:
        parts.append(format_lazy(gettext_lazy("Phases completed: {phases}."), phases=", ".join(done) or "—"))
    if latest is not None:
        parts.append(format_lazy(gettext_lazy("Latest decision: {decision}"), decision=latest.decision))
    return parts


def send_due_updates(now=None):
    """For each open calamity whose update is due, tell each affected participant's account
    manager(s) and representative(s) and log it. Once per calamity, participant and slot,
    however often it runs (a unique key in the log, a dedup key in the outbox)."""
    from regie.integrations.services import notify

    now = now or timezone.now()
    sent = 0
    calamities = Calamity.objects.unrestricted().exclude(status=CalamityStatus.CLOSED).prefetch_related(
        "affected_participants__account_manager", "affected_participants__representative"
    )
    for calamity in calamities:
        slot = current_slot(calamity, now)
        if slot is None:
            continue
        done = set(calamity.communications.filter(scheduled_slot=slot).values_list("organisation_id", flat=True))
        for organisation in calamity.affected_participants.all():
            if organisation.pk in done:
                continue
            recipients = participant_contacts(organisation)
            lines = update_text(calamity)
            message = " ".join(str(line) for line in lines)
            try:
                with transaction.atomic():
                    CalamityCommunication.objects.create(
                        calamity=calamity, organisation=organisation, channel=CommunicationChannel.NOTIFICATION,
                        message=message, contacts=", ".join(str(user) for user in recipients)[:500],
                        sent_at=now, scheduled_slot=slot,
                    )
                    notify(
                        UPDATE_EVENT, calamity, recipients,
                        {
                            "title": format_lazy(gettext_lazy("Calamity update: {title}"), title=calamity.title),
                            "body": _JoinedLazy(lines),
                            "url": calamity.get_absolute_url(),
                        },
                        occurrence=f"slot={slot.isoformat()};org={organisation.pk}",
                    )
            except IntegrityError:
                # Another run logged this slot at the same moment: it sends, we do not.
                continue
            sent += 1
    return sent


class _JoinedLazy:
    """Joins lazy texts when rendered, so each recipient reads them in their own language."""

    def __init__(self, parts):
        self.parts = parts

    def __str__(self):
        return " ".join(str(part) for part in self.parts)


def organisations_for_choice():
    return Organisation.objects.unrestricted().participants().filter(is_active=True).order_by("name")


def linked_incidents(calamity, user):
    """The calls linked to the calamity that `user` may see (provider staff: all)."""
    from .models import Ticket

    return Ticket.objects.for_user(user).filter(calamities=calamity).select_related("organisation")
