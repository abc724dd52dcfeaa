from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("new")
    IN_PROGRESS = "in_progress", _("in progress")
    WAITING_FOR_CALLER = "waiting_for_caller", _("waiting for caller")
    WAITING_FOR_SUPPLIER = "waiting_for_supplier", _("waiting for supplier")
    # A service request whose approvals are pending (regie/fulfilment): the clock waits.
    WAITING_FOR_APPROVAL = "waiting_for_approval", _("waiting for approval")
    RESOLVED = "resolved", _("resolved")
    CLOSED = "closed", _("closed")

    @classmethod
    def open_values(cls):
        return [cls.NEW, cls.IN_PROGRESS, cls.WAITING_FOR_CALLER, cls.WAITING_FOR_SUPPLIER, cls.WAITING_FOR_APPROVAL]


# Bootstrap colour per status, so a badge looks the same on every page.
STATUS_COLOURS = {
    TicketStatus.NEW: "primary",
    TicketStatus.IN_PROGRESS: "info",
    TicketStatus.WAITING_FOR_CALLER: "warning",
    TicketStatus.WAITING_FOR_SUPPLIER: "warning",
    TicketStatus.WAITING_FOR_APPROVAL: "warning",
    TicketStatus.RESOLVED: "success",
    TicketStatus.CLOSED: "secondary",
}


class TicketKind(models.TextChoices):
    INCIDENT = "incident", _("incident")
    QUESTION = "question", _("question")
    SERVICE_REQUEST = "service_request", _("service request")
    PROBLEM = "problem", _("problem")


# Statuses in which the SLA clock stands still (§ pauses: waiting for someone else).
PAUSED_STATUSES = {TicketStatus.WAITING_FOR_CALLER, TicketStatus.WAITING_FOR_SUPPLIER,
                   TicketStatus.WAITING_FOR_APPROVAL}

# Which status may follow which. Closing needs a resolution first.
TRANSITIONS = {
    TicketStatus.NEW: {TicketStatus.IN_PROGRESS, TicketStatus.WAITING_FOR_CALLER, TicketStatus.WAITING_FOR_SUPPLIER,
                       TicketStatus.WAITING_FOR_APPROVAL, TicketStatus.RESOLVED},
    TicketStatus.IN_PROGRESS: {TicketStatus.WAITING_FOR_CALLER, TicketStatus.WAITING_FOR_SUPPLIER,
                               TicketStatus.RESOLVED},
    TicketStatus.WAITING_FOR_CALLER: {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED},
    TicketStatus.WAITING_FOR_SUPPLIER: {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED},
    # Approved: fulfilment starts; rejected (or timed out): the request is closed with the reason.
    TicketStatus.WAITING_FOR_APPROVAL: {TicketStatus.IN_PROGRESS, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.CLOSED, TicketStatus.IN_PROGRESS},
    TicketStatus.CLOSED: set(),
}


class ResolutionCode(models.TextChoices):
    SOLVED = "solved", _("solved")
    WORKAROUND = "workaround", _("solved with a workaround")
    NOT_REPRODUCIBLE = "not_reproducible", _("could not be reproduced")
    OUT_OF_SCOPE = "out_of_scope", _("outside the agreement")
    DUPLICATE = "duplicate", _("duplicate")
    WITHDRAWN = "withdrawn", _("withdrawn by the caller")


class TicketChannel(models.TextChoices):
    PORTAL = "portal", _("portal")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    MONITORING = "monitoring", _("monitoring")
    WALK_IN = "walk_in", _("walk-in")
