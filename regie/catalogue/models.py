"""The service catalogue (PDC): services in the agreement's four groups, their SLAs and
the business calendars the SLA terms are measured in."""

from datetime import time

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from regie.core.audit import ChangeLoggedModel
from regie.core.calendars import END_OF_DAY, CalendarError, WorkingCalendar

from .choices import Level, Priority, ServiceGroup


class BusinessCalendarQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Shared calendars for all; a participant's helpdesk hours only for that participant."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_provider_staff:
            return self
        return self.filter(models.Q(organisation__isnull=True) | models.Q(organisation_id=user.organisation_id))


class BusinessCalendarManager(models.Manager.from_queryset(BusinessCalendarQuerySet)):
    def for_user(self, user):
        return self.get_queryset().visible_to(user)


class BusinessCalendar(ChangeLoggedModel):
    """Opening hours a term runs in: a helpdesk's hours per participant, or 24×7."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    organisation = models.OneToOneField(
        "core.Organisation", models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("helpdesk hours of"),
        help_text=_("Set for the calendar of a participant's helpdesk opening hours."),
    )
    # {"0": [["08:00", "17:00"]], ...}: weekday (0 = Monday) → opening spans, local time.
    weekly_hours = models.JSONField(_("opening hours per weekday"), default=dict)
    public_holidays = models.BooleanField(_("closed on Dutch public holidays"), default=True)
    closed_days = models.JSONField(_("extra closed days"), default=list, blank=True)

    objects = BusinessCalendarManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    def clean(self):
        try:
            self.as_working_calendar()
        except (CalendarError, ValueError, TypeError, AttributeError) as exc:
            raise ValidationError({"weekly_hours": str(exc)}) from exc

    def as_working_calendar(self):
        from datetime import date

        def parse(value):
            return END_OF_DAY if value in ("24:00", "23:59:59") else time.fromisoformat(value)

        weekly = {
            int(day): tuple((parse(start), parse(end)) for start, end in spans)
            for day, spans in (self.weekly_hours or {}).items()
        }
        return WorkingCalendar(
            weekly_hours=weekly,
            public_holidays=self.public_holidays,
            closed_days=frozenset(date.fromisoformat(day) for day in self.closed_days or []),
        )


class ServiceQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The catalogue is the provider's: staff see all, a participant the services it takes."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if user.is_provider_staff:
            return self
        return self.filter(models.Q(participants=user.organisation_id) | models.Q(is_out_of_scope=True)).distinct()


class ServiceManager(models.Manager.from_queryset(ServiceQuerySet)):
    def for_user(self, user):
        return self.get_queryset().visible_to(user)

    def unrestricted(self):
        return self.get_queryset()


class Service(ChangeLoggedModel):
    """A service of the catalogue; out-of-scope items (§4.10) are services too, marked so."""

    name = models.CharField(_("name"), max_length=200)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    group = models.CharField(_("group"), max_length=20, choices=ServiceGroup.choices)
    description = models.TextField(_("description"), blank=True)
    included = models.BooleanField(
        _("included in the contribution"), default=True,
        help_text=_("Unticked: extra-cost work (meerwerk), billed on top."),
    )
    is_out_of_scope = models.BooleanField(_("outside the agreement"), default=False)
    provider_does = models.TextField(
        _("what the provider does do"), blank=True,
        help_text=_("Shown to the caller when a call concerns an out-of-scope item."),
    )
    owner_team = models.ForeignKey(
        "core.Team", models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("owner team")
    )
    participants = models.ManyToManyField(
        "core.Organisation", blank=True, related_name="+", verbose_name=_("participants taking it")
    )
    calendar = models.ForeignKey(
        BusinessCalendar, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("calendar"), help_text=_("Empty: the participant's helpdesk hours."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ServiceManager()

    class Meta:
        ordering = ["group", "name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("catalogue:service-detail", args=[self.pk])


class SlaTarget(ChangeLoggedModel):
    """Response and resolution terms for a priority, per service (or the default for
    every service), optionally for one participant only."""

    service = models.ForeignKey(
        Service, models.CASCADE, null=True, blank=True, related_name="sla_targets", verbose_name=_("service")
    )
    organisation = models.ForeignKey(
        "core.Organisation", models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name=_("participant"),
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(_("response term (working minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution term (working minutes)"))

    class Meta:
        ordering = ["service__name", "priority"]
        verbose_name = _("SLA target")
        verbose_name_plural = _("SLA targets")
        # NULL service/organisation mean "any"; uniqueness across NULLs is checked in clean().
        constraints = [
            models.UniqueConstraint(fields=["service", "organisation", "priority"], name="sla_target_unique"),
        ]

    def __str__(self):
        return f"{self.service or _('all services')} P{self.priority}"

    def clean(self):
        if self.resolution_minutes is not None and self.response_minutes is not None:
            if self.resolution_minutes < self.response_minutes:
                raise ValidationError(
                    {"resolution_minutes": _("The resolution term cannot be shorter than the response term.")}
                )
        duplicate = SlaTarget.objects.filter(
            service=self.service, organisation=self.organisation, priority=self.priority
        ).exclude(pk=self.pk)
        if duplicate.exists():
            raise ValidationError(_("There is already a target for this service, participant and priority."))


class PriorityMatrixEntry(models.Model):
    """The impact × urgency → priority matrix (configurable)."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Level.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        verbose_name = _("priority matrix entry")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_unique")]

    def __str__(self):
        return f"{self.impact}×{self.urgency} → {self.priority}"
