"""Calls (meldingen). The service-desk issue grows this into the full lifecycle."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import TenantManager, TenantOwnedModel, TenantQuerySet, is_provider_staff

from .choices import STATUS_COLOURS, TicketChannel, TicketStatus


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
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="requested_tickets", verbose_name=_("requester")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("registered by")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=24, choices=TicketStatus.choices, default=TicketStatus.NEW)
    channel = models.CharField(
        _("channel"), max_length=16, choices=TicketChannel.choices, default=TicketChannel.PORTAL
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    # Optimistic locking: a save based on an older version is refused (no lost update).
    version = models.PositiveIntegerField(default=1, editable=False)

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
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def status_colour(self):
        return STATUS_COLOURS.get(self.status, "secondary")

    @property
    def is_open(self):
        return self.status in TicketStatus.open_values()

    def get_absolute_url(self):
        return reverse("servicedesk:ticket-detail", args=[self.reference])
