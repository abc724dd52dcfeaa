"""The calamity procedure (agreement §5.2, appendix 1; virus outbreaks §4.7.1).

A calamity is provider business, not one municipality's: it is not tenant-owned. Provider
staff see every calamity; a participant's account manager or representative sees, read
only, the calamities that affect their own organisation (and of those only what concerns
them: never the decision log, nor linked calls of other municipalities). Everyone else
gets nothing (404 on the pages).
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import is_provider_staff

# Participant roles that are told about, and may read, calamities affecting their organisation.
PARTICIPANT_CONTACT_ROLES = ("account_manager", "representative")


class TriageOutcome(models.TextChoices):
    INCIDENT = "incident", _("incident")
    CALAMITY = "calamity", _("calamity")


class DecisionTreeNode(ChangeLoggedModel):
    """One yes/no question of the triage decision tree. Each answer leads to another
    question or to an outcome (never both). Data, editable; seeded from appendix 1."""

    key = models.SlugField(_("key"), max_length=50, unique=True)
    question = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("explanation"), max_length=500, blank=True)
    is_root = models.BooleanField(_("first question"), default=False)
    yes_next = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("if yes, ask")
    )
    yes_outcome = models.CharField(_("if yes, outcome"), max_length=10, choices=TriageOutcome.choices, blank=True)
    no_next = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("if no, ask")
    )
    no_outcome = models.CharField(_("if no, outcome"), max_length=10, choices=TriageOutcome.choices, blank=True)

    class Meta:
        ordering = ["-is_root", "key"]
        verbose_name = _("decision tree question")
        verbose_name_plural = _("decision tree questions")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(yes_next__isnull=True) & ~models.Q(yes_outcome=""))
                | (models.Q(yes_next__isnull=False) & models.Q(yes_outcome="")),
                name="decision_node_yes_one_way",
            ),
            models.CheckConstraint(
                condition=(models.Q(no_next__isnull=True) & ~models.Q(no_outcome=""))
                | (models.Q(no_next__isnull=False) & models.Q(no_outcome="")),
                name="decision_node_no_one_way",
            ),
            models.UniqueConstraint(
                fields=["is_root"], condition=models.Q(is_root=True), name="decision_tree_one_root"
            ),
        ]

    def __str__(self):
        return self.question


class TriageResult(ChangeLoggedModel):
    """The 1st line's run of the decision tree for a call: the answers and the outcome."""

    ticket = models.ForeignKey("servicedesk.Ticket", models.CASCADE, related_name="triages")
    outcome = models.CharField(_("outcome"), max_length=10, choices=TriageOutcome.choices)
    # [{"key": ..., "question": ..., "answer": true/false}, ...] as asked at the time.
    answers = models.JSONField(_("answers"), default=list)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("triage")
        verbose_name_plural = _("triages")

    def __str__(self):
        return f"{self.ticket_id}: {self.outcome}"

    def audit_organisation_id(self):
        return self.ticket.organisation_id


class CalamityKind(models.TextChoices):
    GENERAL = "general", _("general")
    VIRUS_OUTBREAK = "virus_outbreak", _("virus outbreak")


class CalamityStatus(models.TextChoices):
    DECLARED = "declared", _("declared")
    IN_PROGRESS = "in_progress", _("in progress")
    RECOVERING = "recovering", _("recovering")
    CLOSED = "closed", _("closed")


STATUS_ORDER = [CalamityStatus.DECLARED, CalamityStatus.IN_PROGRESS, CalamityStatus.RECOVERING,
                CalamityStatus.CLOSED]


class CalamityQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_provider_staff(user):
            return self
        if user.organisation_id is None or not user.has_role(*PARTICIPANT_CONTACT_ROLES):
            return self.none()
        return self.filter(affected_participants=user.organisation_id)


class CalamityManager(models.Manager.from_queryset(CalamityQuerySet)):
    """Fail-closed like the tenant manager: nothing without `for_user` or `unrestricted`."""

    def get_queryset(self):
        return super().get_queryset().none()

    def unrestricted(self):
        return super().get_queryset()

    def for_user(self, user):
        return super().get_queryset().visible_to(user)


class Calamity(ChangeLoggedModel):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CalamityKind.choices, default=CalamityKind.GENERAL)
    status = models.CharField(
        _("status"), max_length=20, choices=CalamityStatus.choices, default=CalamityStatus.DECLARED
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("declared by")
    )
    declared_at = models.DateTimeField(_("declared at"), default=timezone.now)
    triage = models.ForeignKey(
        TriageResult, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("triage")
    )
    incidents = models.ManyToManyField(
        "servicedesk.Ticket", blank=True, related_name="calamities", verbose_name=_("linked calls")
    )
    affected_participants = models.ManyToManyField(
        "core.Organisation", blank=True, related_name="calamities", verbose_name=_("affected participants")
    )
    crisis_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="calamity_teams", verbose_name=_("crisis team")
    )
    update_interval_minutes = models.PositiveIntegerField(
        _("update participants every (minutes)"), default=60,
        help_text=_("The affected participants are sent a progress update at this interval until closure."),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("closed by")
    )
    # The evaluation, required for closure.
    evaluation_what_happened = models.TextField(_("what happened"), blank=True)
    evaluation_cause = models.TextField(_("cause"), blank=True)
    evaluation_went_well = models.TextField(_("what went well"), blank=True)
    evaluation_improvements = models.TextField(_("improvements"), blank=True)

    objects = CalamityManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["-declared_at", "-id"]
        base_manager_name = "all_objects"
        verbose_name = _("calamity")
        verbose_name_plural = _("calamities")
        indexes = [models.Index(fields=["status", "-declared_at", "-id"], name="calamity_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(update_interval_minutes__gte=5), name="calamity_update_interval_min"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("calamity:detail", args=[self.pk])

    @property
    def is_open(self):
        return self.status != CalamityStatus.CLOSED

    @property
    def status_colour(self):
        return {
            CalamityStatus.DECLARED: "danger", CalamityStatus.IN_PROGRESS: "warning",
            CalamityStatus.RECOVERING: "info", CalamityStatus.CLOSED: "secondary",
        }.get(self.status, "secondary")


class DecisionType(models.TextChoices):
    GENERAL = "general", _("decision")
    SHUT_DOWN = "shut_down", _("shut down part of the infrastructure")
    SCALE_UP = "scale_up", _("scale up (escalate to management)")
    RECOVERY = "recovery", _("recovery or restore")


class CalamityDecision(ChangeLoggedModel):
    """The decision log: who decided what, when. Shutting down infrastructure is flagged."""

    calamity = models.ForeignKey(Calamity, models.CASCADE, related_name="decisions")
    decision_type = models.CharField(
        _("type"), max_length=20, choices=DecisionType.choices, default=DecisionType.GENERAL
    )
    decision = models.TextField(_("decision"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("calamity decision")
        verbose_name_plural = _("calamity decisions")

    def __str__(self):
        return f"{self.calamity_id}: {self.get_decision_type_display()}"

    @property
    def is_flagged(self):
        return self.decision_type == DecisionType.SHUT_DOWN


class CommunicationChannel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    PHONE = "phone", _("telephone")
    IN_PERSON = "in_person", _("in person")
    NOTIFICATION = "notification", _("notification (Regie)")


class CalamityCommunication(ChangeLoggedModel):
    """The communication log: what was told to which participant, how and when. Scheduled
    updates carry their slot; the unique key makes the reconcile send once per slot."""

    calamity = models.ForeignKey(Calamity, models.CASCADE, related_name="communications")
    organisation = models.ForeignKey(
        "core.Organisation", models.PROTECT, related_name="+", verbose_name=_("participant")
    )
    contacts = models.CharField(_("contacts"), max_length=500, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=CommunicationChannel.choices)
    message = models.TextField(_("message"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("sent by")
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    scheduled_slot = models.DateTimeField(_("scheduled update"), null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        verbose_name = _("calamity communication")
        verbose_name_plural = _("calamity communications")
        constraints = [
            models.UniqueConstraint(
                fields=["calamity", "organisation", "scheduled_slot"],
                condition=models.Q(scheduled_slot__isnull=False), name="calamity_update_once_per_slot",
            ),
        ]

    def __str__(self):
        return f"{self.calamity_id} → {self.organisation_id}"

    def audit_organisation_id(self):
        return self.organisation_id


class VirusPhase(models.TextChoices):
    """§4.7.1: a zero-day outbreak is fought in these four steps, in this order."""

    IDENTIFY = "identify", _("identify")
    ISOLATE = "isolate", _("isolate")
    REMOVE = "remove", _("remove")
    REPAIR = "repair", _("repair")


class CalamityPhase(ChangeLoggedModel):
    calamity = models.ForeignKey(Calamity, models.CASCADE, related_name="phases")
    phase = models.CharField(_("phase"), max_length=20, choices=VirusPhase.choices)
    position = models.PositiveSmallIntegerField()
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("completed by"),
    )
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["position"]
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [models.UniqueConstraint(fields=["calamity", "phase"], name="calamity_phase_once")]

    def __str__(self):
        return f"{self.calamity_id}: {self.phase}"
