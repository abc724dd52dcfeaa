from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("new")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING_FOR_CALLER = "waiting_for_caller", _("waiting for caller")
    WAITING_FOR_SUPPLIER = "waiting_for_supplier", _("waiting for supplier")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")

    @classmethod
    def open_values(cls):
        return [cls.NEW, cls.IN_PROGRESS, cls.WAITING_FOR_CALLER, cls.WAITING_FOR_SUPPLIER]


# Bootstrap colour per status, so a badge looks the same on every page.
STATUS_COLOURS = {
    TicketStatus.NEW: "primary",
    TicketStatus.IN_PROGRESS: "info",
    TicketStatus.WAITING_FOR_CALLER: "warning",
    TicketStatus.WAITING_FOR_SUPPLIER: "warning",
    TicketStatus.RESOLVED: "success",
    TicketStatus.CLOSED: "secondary",
}


class TicketChannel(models.TextChoices):
    PORTAL = "portal", _("portal")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    MONITORING = "monitoring", _("monitoring")
    WALK_IN = "walk_in", _("walk-in")
