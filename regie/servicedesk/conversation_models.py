"""The conversation on a call: replies and internal notes, attachments, canned responses,
merges of duplicates and satisfaction ratings.

Tenancy comes through the call: a message or attachment is visible exactly when its call
is (`Ticket.objects.for_user`), and internal notes (with their attachments) only to the
provider's staff, never to a participant's users.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import is_provider_staff


class MessageKind(models.TextChoices):
    PUBLIC = "public", _("reply")
    INTERNAL = "internal", _("internal note")


class ScanStatus(models.TextChoices):
    NOT_SCANNED = "not_scanned", _("not scanned")
    CLEAN = "clean", _("clean")


class ThroughTicketQuerySet(models.QuerySet):
    """Rows that belong to a call: visible when the call is, internal ones to provider staff only."""

    ticket_field = "ticket"
    # Lookup that marks a row as internal (provider-only); None when rows cannot be internal.
    internal_lookup = None

    def visible_to(self, user):
        from .models import Ticket

        if user is None or not user.is_authenticated:
            return self.none()
        queryset = self.filter(**{f"{self.ticket_field}__in": Ticket.objects.for_user(user).values("pk")})
        if not is_provider_staff(user) and self.internal_lookup:
            queryset = queryset.exclude(**{self.internal_lookup: MessageKind.INTERNAL})
        return queryset


class ThroughTicketManager(models.Manager):
    """Fail-closed like the tenant manager: nothing without `for_user` or `unrestricted`."""

    def get_queryset(self):
        return super().get_queryset().none()

    def unrestricted(self):
        return super().get_queryset()

    def for_user(self, user):
        return super().get_queryset().visible_to(user)


class TicketMessageQuerySet(ThroughTicketQuerySet):
    internal_lookup = "kind"


class AttachmentQuerySet(ThroughTicketQuerySet):
    internal_lookup = "message__kind"


class TicketMessage(ChangeLoggedModel):
    """A public reply (seen by the caller) or an internal note (provider staff only)."""

    ticket = models.ForeignKey("servicedesk.Ticket", models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("author"))
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices, default=MessageKind.PUBLIC)
    # Always sanitised (nh3) before it is stored; rendered with |safe only because of that.
    body_html = models.TextField(_("message"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now, editable=False)

    objects = ThroughTicketManager.from_queryset(TicketMessageQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["created_at", "id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["ticket", "created_at", "id"], name="ticket_message_idx")]

    def __str__(self):
        return f"{self.ticket_id}: {self.get_kind_display()} #{self.pk}"

    @property
    def is_internal(self):
        return self.kind == MessageKind.INTERNAL

    def audit_organisation_id(self):
        # Participants may read their own organisation's audit trail: internal notes stay out.
        return None if self.is_internal else self.ticket.organisation_id


def attachment_path(now=None):
    """Server-made storage name: attachments/<yyyy>/<mm>/<uuid> (never the uploaded name)."""
    now = now or timezone.now()
    return f"attachments/{now:%Y}/{now:%m}/{uuid.uuid4().hex}"


class Attachment(ChangeLoggedModel):
    ticket = models.ForeignKey("servicedesk.Ticket", models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, models.CASCADE, null=True, blank=True, related_name="attachments"
    )
    original_name = models.CharField(_("file name"), max_length=200)
    storage_name = models.CharField(max_length=100, unique=True, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now, editable=False)
    scan_status = models.CharField(
        _("malware scan"), max_length=12, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    scan_detail = models.CharField(max_length=200, blank=True)

    objects = ThroughTicketManager.from_queryset(AttachmentQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name

    @property
    def is_internal(self):
        return self.message_id is not None and self.message.is_internal

    def audit_organisation_id(self):
        return None if self.is_internal else self.ticket.organisation_id

    def get_absolute_url(self):
        from django.urls import reverse

        return reverse("servicedesk:attachment-download", args=[self.ticket.reference, self.pk])


class CannedResponse(ChangeLoggedModel):
    """A standard text agents can start a reply from; optionally for one team. Provider
    business, not tenant-owned: only the service desk reads them (conversation.py)."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    team = models.ForeignKey("core.Team", models.CASCADE, null=True, blank=True, related_name="+",
                             verbose_name=_("team"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")

    def __str__(self):
        return self.title

    @property
    def body_html(self):
        """The text as a reply would show it (sanitised the same way)."""
        from .conversation import sanitise_html

        return sanitise_html(self.body)


class TicketMerge(models.Model):
    """That a duplicate call was merged into another (the duplicate is closed)."""

    duplicate = models.OneToOneField("servicedesk.Ticket", models.CASCADE, related_name="merge")
    into = models.ForeignKey("servicedesk.Ticket", models.PROTECT, related_name="merged_duplicates")
    merged_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    merged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")

    def __str__(self):
        return f"{self.duplicate_id} → {self.into_id}"


class SatisfactionRating(models.Model):
    """The requester's rating of a resolved or closed call; once per call."""

    ticket = models.OneToOneField("servicedesk.Ticket", models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("satisfaction rating")
        verbose_name_plural = _("satisfaction ratings")
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="rating_score_1_to_5")
        ]

    def __str__(self):
        return f"{self.ticket_id}: {self.score}"


__all__ = [
    "Attachment", "AttachmentQuerySet", "CannedResponse", "MessageKind", "SatisfactionRating", "ScanStatus",
    "TicketMerge", "TicketMessage", "TicketMessageQuerySet", "attachment_path",
]
