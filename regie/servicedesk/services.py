"""Domain rules for calls. Views, the API, e-mail intake and tasks all come here."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from regie.catalogue.models import Service
from regie.catalogue.services import priority_for
from regie.core.models import Organisation, Team, User

from . import notifications
from .choices import PAUSED_STATUSES, TRANSITIONS, TicketStatus
from .models import ReferenceSequence, Ticket, TicketPause
from .sla import apply_sla


class ConflictError(Exception):
    """The object changed since the caller read it (optimistic locking)."""


def next_reference(organisation, year=None):
    """`VNL-2026-000123`: per organisation and year, gap-free under concurrency.

    One `UPDATE … SET last_number = last_number + 1 … RETURNING` (PostgreSQL and SQLite
    ≥ 3.35 both have it): the database serialises the increments, so two calls never get
    the same number, in a single statement."""
    year = year or timezone.localdate().year
    table = ReferenceSequence._meta.db_table
    sql = (
        f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608 - the table name is ours
        "WHERE organisation_id = %s AND year = %s RETURNING last_number"
    )
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(sql, [organisation.pk, year])
        row = cursor.fetchone()
        if row is None:
            ReferenceSequence.objects.get_or_create(organisation=organisation, year=year)
            cursor.execute(sql, [organisation.pk, year])
            row = cursor.fetchone()
    return f"{organisation.code}-{year}-{row[0]:06d}"


def is_agent(actor):
    return actor.is_provider_staff and actor.has_perm("servicedesk.handle_ticket")


def requester_choices(actor):
    """Who `actor` may register a call for: agents anyone, others only themselves."""
    if is_agent(actor):
        return User.objects.for_user(actor).filter(is_active=True).select_related("organisation")
    return User.objects.filter(pk=actor.pk).select_related("organisation")


def may_register_for(actor, requester):
    """The rule behind requester_choices, answered without a query where it can be:
    provider agents see every person, so any active person will do."""
    if requester.pk == actor.pk:
        return True
    if is_agent(actor):
        return requester.is_active
    return False


def _check_priority(values, impact, urgency):
    """The priority follows the impact × urgency matrix unless overridden with a reason."""
    matrix_priority = priority_for(impact, urgency)
    priority = values.get("priority") or matrix_priority
    if int(priority) != int(matrix_priority) and not (values.get("priority_reason") or "").strip():
        raise ValidationError(
            {"priority_reason": _("Give a reason when the priority differs from the impact × urgency matrix.")}
        )
    return priority


# What only agents may set when registering or changing a call.
AGENT_ONLY = {"kind", "service", "impact", "urgency", "priority", "priority_reason", "team", "assignee", "channel",
              "extra_cost", "status", "resolution_code", "resolution_text"}


def create_ticket(actor, *, title, description="", requester=None, channel=None, now=None, **classification):
    """Register a call. The organisation is always the requester's, never a free choice."""
    if not actor.has_perm("servicedesk.add_ticket"):
        raise PermissionDenied(_("You may not register calls."))
    requester = requester or actor
    if not may_register_for(actor, requester):
        raise ValidationError({"requester": _("You may not register a call for this person.")})
    if requester.organisation_id is None:
        raise ValidationError({"requester": _("This person belongs to no organisation.")})
    classification = {k: v for k, v in classification.items() if v not in (None, "")}
    if not is_agent(actor):
        # The portal may choose the kind (incident or question) and the service, nothing more.
        refused = set(classification) - {"kind", "service"}
        if refused:
            raise ValidationError({name: _("Only the service desk sets this.") for name in sorted(refused)})
    organisation = (
        requester.organisation  # usually loaded already (select_related, or the signed-in user's)
        if User.organisation.is_cached(requester)
        else Organisation.objects.unrestricted().get(pk=requester.organisation_id)
    )
    _check_references(actor, organisation, classification)
    with transaction.atomic():
        ticket = Ticket(
            organisation=organisation,
            requester=requester,
            created_by=actor,
            title=title,
            description=description,
            reference=next_reference(organisation),
            created_at=now or timezone.now(),
        )
        if channel:
            ticket.channel = channel
        for name, value in classification.items():
            setattr(ticket, name, value)
        ticket.priority = _check_priority(classification, ticket.impact, ticket.urgency)
        apply_sla(ticket)
        # The foreign keys were just loaded and checked above; the database guards them too.
        ticket.full_clean(exclude=["organisation", "requester", "created_by", "service", "team", "assignee"])
        ticket.save()
        notifications.created(ticket)
        notifications.assigned(ticket, actor)
    return ticket


def _check_references(actor, organisation, values):
    """Service, team and assignee must be ones this call may point at."""
    service = values.get("service")
    if service is not None and not Service.objects.unrestricted().filter(pk=service.pk, is_active=True).exists():
        raise ValidationError({"service": _("Unknown or inactive service.")})
    team = values.get("team")
    if team is not None and not Team.objects.for_user(actor).filter(pk=team.pk).exists():
        raise ValidationError({"team": _("Unknown team.")})
    assignee = values.get("assignee")
    if assignee is not None and not (assignee.is_active and assignee.is_provider_staff):
        raise ValidationError({"assignee": _("Calls can only be assigned to active provider staff.")})


# Fields a requester may still change on their own call; agents may change more.
REQUESTER_FIELDS = {"title", "description"}
AGENT_FIELDS = {"title", "description", *AGENT_ONLY}


def editable_fields(actor, ticket):
    if is_agent(actor):
        return AGENT_FIELDS if ticket.status != TicketStatus.CLOSED else set()
    if ticket.is_open and actor.pk in (ticket.requester_id, ticket.created_by_id):
        return REQUESTER_FIELDS
    return set()


def update_ticket(actor, ticket, changes, *, expected_version=None, now=None):
    """Apply `changes` (field → value) if `actor` may; refuse a stale version; keep the
    SLA clock right (pauses, recomputation on priority/service change)."""
    now = now or timezone.now()
    allowed = editable_fields(actor, ticket)
    refused = set(changes) - allowed
    if refused:
        raise ValidationError({name: _("You may not change this field.") for name in sorted(refused)})
    with transaction.atomic():
        current = Ticket.all_objects.select_for_update().get(pk=ticket.pk)
        if expected_version is not None and current.version != expected_version:
            raise ConflictError(_("Someone else changed this call in the meantime. Reload and try again."))
        _check_references(actor, current.organisation, changes)
        old_status = current.status
        old_assignee = current.assignee_id
        for name, value in changes.items():
            setattr(current, name, value)
        if {"impact", "urgency", "priority", "priority_reason"} & set(changes):
            # Without an explicit priority, a new impact or urgency re-reads the matrix.
            values = {"priority": changes.get("priority"), "priority_reason": current.priority_reason}
            current.priority = _check_priority(values, current.impact, current.urgency)
        if current.status != old_status:
            _transition(current, old_status, current.status, now)
        if {"priority", "impact", "urgency", "service", "status"} & set(changes):
            apply_sla(current)
        current.version += 1
        current.full_clean()
        current.save()
        if current.assignee_id != old_assignee:
            notifications.assigned(current, actor)
        if current.status == TicketStatus.RESOLVED and old_status != TicketStatus.RESOLVED:
            notifications.resolved(current)
    return current


def _transition(ticket, old, new, now):
    if new not in TRANSITIONS.get(old, set()):
        raise ValidationError({"status": _("A call cannot go from “%(old)s” to “%(new)s”.") % {
            "old": TicketStatus(old).label, "new": TicketStatus(new).label}})
    if new == TicketStatus.RESOLVED and not (ticket.resolution_code and ticket.resolution_text.strip()):
        raise ValidationError({"resolution_text": _("A call is resolved with a resolution code and text.")})
    if old in PAUSED_STATUSES:
        TicketPause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=now)
        ticket.sla_paused_since = None
    if new in PAUSED_STATUSES:
        TicketPause.objects.create(ticket=ticket, started_at=now, reason=new)
        ticket.sla_paused_since = now
    if new == TicketStatus.RESOLVED:
        ticket.resolved_at = now
    if new == TicketStatus.CLOSED:
        ticket.closed_at = now
    if old == TicketStatus.RESOLVED and new == TicketStatus.IN_PROGRESS:
        ticket.resolved_at = None
