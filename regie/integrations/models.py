"""The e-mail outbox and in-app notifications.

Every outgoing message is first a row in the outbox, written in the same database
transaction as the change that caused it: a rollback leaves no message, and a broker or
SMTP outage leaves a pending row that the worker delivers later (see tasks.py).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboxMessage(models.Model):
    """One e-mail to one recipient, ready to send: rendered once, in the recipient's
    language, with a Message-ID fixed at enqueue time so every (re)send is the same
    message to the receiving side."""

    to_address = models.EmailField(_("to"), max_length=254)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("recipient"),
    )
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=300)
    text_body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML"), blank=True)
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    in_reply_to = models.CharField(_("In-Reply-To"), max_length=255, blank=True)
    references = models.CharField(_("References"), max_length=998, blank=True)
    # What the message is about, and whose data that is (tenancy and audit).
    content_type = models.ForeignKey(
        "contenttypes.ContentType", models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("object type"),
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    organisation = models.ForeignKey(
        "core.Organisation", models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("organisation"),
    )
    event = models.CharField(_("event"), max_length=100, blank=True)
    # The same event for the same recipient is enqueued once, whatever retries happen.
    dedup_key = models.CharField(max_length=128, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    # Set when a worker claims the message; a lease that runs out means the worker died.
    claim_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        indexes = [
            # The delivery query: due pending messages, oldest first (partial: stays small).
            models.Index(
                fields=["next_attempt_at", "id"], name="outbox_due_idx",
                condition=models.Q(status="pending"),
            ),
            # Stale-lease recovery.
            models.Index(
                fields=["lease_expires_at"], name="outbox_lease_idx", condition=models.Q(status="sending"),
            ),
            models.Index(fields=["content_type", "object_id"], name="outbox_object_idx"),
            models.Index(fields=["organisation", "-created_at"], name="outbox_org_idx"),
        ]

    def __str__(self):
        return f"{self.to_address}: {self.subject} ({self.status})"


class NotificationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """A person sees their own notifications, and nobody else's (not even staff)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(user_id=user.pk)

    def unread(self):
        return self.filter(read_at__isnull=True)


class NotificationManager(models.Manager.from_queryset(NotificationQuerySet)):
    """Fail-closed like the tenant managers: nothing without a scope."""

    def get_queryset(self):
        return super().get_queryset().none()

    def for_user(self, user):
        return super().get_queryset().visible_to(user)

    def unrestricted(self):
        return super().get_queryset()


class Notification(models.Model):
    """An in-app notification for one person, rendered in their language when created."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notifications", verbose_name=_("person")
    )
    organisation = models.ForeignKey(
        "core.Organisation", models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("organisation"),
    )
    event = models.CharField(_("event"), max_length=100)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("object type"),
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    dedup_key = models.CharField(max_length=128, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        base_manager_name = "all_objects"
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_idx"),
            models.Index(fields=["user"], name="notification_unread_idx", condition=models.Q(read_at__isnull=True)),
        ]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """Whether a person wants an event by e-mail and/or in the app; no row means both on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="notification_preferences",
        verbose_name=_("person"),
    )
    event = models.CharField(_("event"), max_length=100)
    email = models.BooleanField(_("by e-mail"), default=True)
    in_app = models.BooleanField(_("in Regie"), default=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "event"], name="notification_preference_unique"),
        ]

    def __str__(self):
        return f"{self.user_id} {self.event}"
