"""Calls (meldingen). The service-desk issue grows this into the full lifecycle."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.catalogue.choices import Level, Priority
from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import TenantManager, TenantOwnedModel, TenantQuerySet, is_provider_staff

from .choices import PAUSED_STATUSES, STATUS_COLOURS, ResolutionCode, TicketChannel, TicketKind, TicketStatus


class TicketQuerySet(TenantQuerySet):
    def visible_to(self, user):
        """Provider staff: all. Within a municipality: an employee their own calls, a
        manager also their reports' calls, an account manager (or representative) every
        call of the municipality."""
        scoped = super().visible_to(user)
        if not user or not user.is_authenticated or not user.has_perm("servicedesk.view_ticket"):
            return self.none()
        if is_provider_staff(user):
            return scoped
        if user.has_perm("servicedesk.view_organisation_tickets"):
            return scoped
        mine = models.Q(requester_id=user.pk) | models.Q(created_by_id=user.pk)
        if user.has_perm("servicedesk.view_team_tickets"):
            mine |= models.Q(requester__manager_id=user.pk)
        return scoped.filter(mine)


class ReferenceSequence(models.Model):
    """Per organisation and year, the last number handed out for call references."""

    organisation = models.ForeignKey("core.Organisation", models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "year"], name="reference_sequence_unique")
        ]

    def __str__(self):
        return f"{self.organisation_id}/{self.year}: {self.last_number}"


class Ticket(ChangeLoggedModel, TenantOwnedModel):
    """A call (melding): anything registered at the service desk."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    # No single-column indexes on organisation, requester, team and assignee: the composite
    # indexes in Meta start with them, and every index costs each write (docs/performance.md).
    organisation = models.ForeignKey(
        "core.Organisation", models.PROTECT, related_name="+", verbose_name=_("organisation"), db_index=False
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="requested_tickets", verbose_name=_("requester"),
        db_index=False,
    )
    # Not indexed: no list filters on it, and users are deactivated, never deleted.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("registered by"), db_index=False
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=24, choices=TicketStatus.choices, default=TicketStatus.NEW)
    channel = models.CharField(
        _("channel"), max_length=16, choices=TicketChannel.choices, default=TicketChannel.PORTAL
    )
    kind = models.CharField(_("type"), max_length=20, choices=TicketKind.choices, default=TicketKind.INCIDENT)
    service = models.ForeignKey(
        "catalogue.Service", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("service")
    )
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices, default=Level.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.LOW)
    priority_reason = models.CharField(
        _("reason for the priority"), max_length=300, blank=True,
        help_text=_("Required when the priority differs from the impact × urgency matrix."),
    )
    team = models.ForeignKey(
        "core.Team", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("team"), db_index=False
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assignee"), db_index=False,
    )
    extra_cost = models.BooleanField(_("extra-cost work"), default=False)
    resolution_code = models.CharField(
        _("resolution code"), max_length=20, choices=ResolutionCode.choices, blank=True
    )
    resolution_text = models.TextField(_("resolution"), blank=True)
    # SLA clock. Deadlines are stored so lists can sort and filter on them with an index;
    # they are empty while the clock is paused (waiting for caller or supplier).
    response_due_at = models.DateTimeField(_("respond by"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolve by"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    sla_paused_since = models.DateTimeField(_("clock paused since"), null=True, blank=True)
    # A default rather than auto_now_add: the SLA deadlines are computed from it before the insert.
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    # Optimistic locking: a save based on an older version is refused (no lost update).
    version = models.PositiveIntegerField(default=1, editable=False)
    # Parent/child calls (e.g. incidents under one problem); see conversation.link_child.
    parent = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="children", verbose_name=_("parent call"),
        db_index=False,  # the partial ticket_parent_idx: few calls have a parent
    )

    objects = TenantManager.from_queryset(TicketQuerySet)()
    all_objects = models.Manager()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        permissions = [
            ("handle_ticket", "Can handle calls as an agent"),
            ("view_organisation_tickets", "Can see every call of own organisation"),
            ("view_team_tickets", "Can see the calls of own reports"),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="ticket_created_idx"),
            models.Index(fields=["organisation", "-created_at", "-id"], name="ticket_org_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="ticket_status_created_idx"),
            models.Index(fields=["requester", "-created_at", "-id"], name="ticket_requester_created_idx"),
            models.Index(fields=["organisation", "status", "-created_at", "-id"], name="ticket_org_status_idx"),
            # The next three serve SQLite; on PostgreSQL migration 0011 replaces them with the
            # partial open-call indexes of 0009 (fewer index writes per deadline recomputation).
            models.Index(fields=["resolution_due_at", "id"], name="ticket_resolution_due_idx"),
            models.Index(fields=["team", "status", "resolution_due_at"], name="ticket_team_queue_idx"),
            models.Index(fields=["assignee", "status", "resolution_due_at"], name="ticket_assignee_queue_idx"),
            models.Index(fields=["parent"], condition=models.Q(parent__isnull=False), name="ticket_parent_idx"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def status_colour(self):
        return STATUS_COLOURS.get(self.status, "secondary")

    @property
    def is_open(self):
        return self.status in TicketStatus.open_values()

    @property
    def is_paused(self):
        return self.status in PAUSED_STATUSES

    def get_absolute_url(self):
        return reverse("servicedesk:ticket-detail", args=[self.reference])


class TicketPause(models.Model):
    """A period in which the call's SLA clock stood still (kept, so deadlines can be
    recomputed under another priority or calendar without losing paused time)."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="pauses")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=24, choices=TicketStatus.choices)

    class Meta:
        ordering = ["started_at"]

    def __str__(self):
        return f"{self.ticket_id}: {self.started_at} – {self.ended_at or '…'}"


class TicketTransfer(models.Model):
    """A hand-over between lines: to a 2nd-line team (with a note) or to a supplier as
    3rd line (with the supplier's reference and the warranty or maintenance terms)."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="transfers")
    from_team = models.ForeignKey("core.Team", models.PROTECT, null=True, blank=True, related_name="+")
    to_team = models.ForeignKey("core.Team", models.PROTECT, related_name="+", verbose_name=_("to team"))
    note = models.TextField(_("hand-over note"))
    supplier_reference = models.CharField(_("supplier's reference"), max_length=100, blank=True)
    contract_terms = models.CharField(_("warranty or maintenance terms"), max_length=300, blank=True)
    transferred_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    transferred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["transferred_at", "id"]

    def __str__(self):
        return f"{self.ticket_id} → {self.to_team_id}"


class EscalationStep(models.IntegerChoices):
    """The agreement's hierarchical escalation (§5.1)."""

    INCIDENT_MANAGER = 1, _("1 – incident manager")
    TEAM_LEAD = 2, _("2 – team lead helpdesk & service management")
    ICT_MANAGER = 3, _("3 – ICT manager and the participant's representative")


class Escalation(models.Model):
    """One hierarchical escalation step on a call: who raised it, when, why, and the outcome."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="escalations")
    step = models.PositiveSmallIntegerField(_("step"), choices=EscalationStep.choices)
    reason = models.TextField(_("reason"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(default=timezone.now)
    outcome = models.TextField(_("outcome"), blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["raised_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "step"], name="escalation_step_once")]

    def __str__(self):
        return f"{self.ticket_id} step {self.step}"


class TermNotice(models.Model):
    """That a term event (warning at the configured share, breach, caller informed) was
    handled for a given deadline: the unique key makes the reconcile idempotent, so a
    restart or a second beat never notifies twice."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("term warning")
        BREACH = "breach", _("term exceeded")
        CALLER_INFORMED = "caller_informed", _("caller informed")

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="term_notices")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "kind", "due_at"], name="term_notice_once")]

    def __str__(self):
        return f"{self.ticket_id} {self.kind} {self.due_at}"


from .conversation_models import *  # noqa: E402, F403


class TimeEntry(ChangeLoggedModel):
    """Time spent on a call by one person, charged to a participant (usually the call's),
    possibly as extra-cost work; the finance issue turns these into hours reports."""

    ticket = models.ForeignKey(Ticket, models.CASCADE, related_name="time_entries")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("person"))
    organisation = models.ForeignKey(
        "core.Organisation", models.PROTECT, related_name="+", verbose_name=_("charged to")
    )
    date = models.DateField(_("date"), default=timezone.localdate)
    minutes = models.PositiveIntegerField(_("minutes"))
    extra_cost = models.BooleanField(_("extra-cost work"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = TenantManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["date", "id"]
        base_manager_name = "all_objects"
        verbose_name = _("time entry")
        verbose_name_plural = _("time entries")
        indexes = [models.Index(fields=["organisation", "date"], name="time_entry_org_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minutes__gt=0, minutes__lte=24 * 60), name="time_entry_minutes_range"
            )
        ]

    def __str__(self):
        return f"{self.ticket_id}: {self.minutes} min"


from .calamity_models import (  # noqa: E402, F401
    Calamity,
    CalamityCommunication,
    CalamityDecision,
    CalamityPhase,
    DecisionTreeNode,
    TriageResult,
)
