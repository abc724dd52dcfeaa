"""Choice sets of change management."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeKind(models.TextChoices):
    STANDARD = "standard", _("standard")
    NORMAL = "normal", _("normal")
    EMERGENCY = "emergency", _("emergency")


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    SUBMITTED = "submitted", _("submitted for approval")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    SCHEDULED = "scheduled", _("scheduled")
    IN_PROGRESS = "in_progress", _("in progress")
    IMPLEMENTED = "implemented", _("implemented")
    FAILED = "failed", _("failed (rolled back)")
    CLOSED = "closed", _("reviewed and closed")
    CANCELLED = "cancelled", _("cancelled")


class Risk(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class Decision(models.TextChoices):
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


# A change in one of these states may still be cancelled.
CANCELLABLE = (ChangeStatus.DRAFT, ChangeStatus.SUBMITTED, ChangeStatus.APPROVED, ChangeStatus.SCHEDULED)
# Changes in these states no longer claim their window (no conflict with them).
INACTIVE = (ChangeStatus.CANCELLED, ChangeStatus.REJECTED)
