"""Choice sets of licence management."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LicenceMetric(models.TextChoices):
    """How a licence product is counted (what one unit of an entitlement covers)."""

    PER_DEVICE = "device", _("per device")
    PER_USER = "user", _("per user")
    PER_CORE = "core", _("per core")
    CAL = "cal", _("client access licence (CAL)")
    SUBSCRIPTION = "subscription", _("subscription")


class LicenceCategory(models.TextChoices):
    SERVER = "server", _("server software")
    WORKPLACE = "workplace", _("workplace software")
    DATABASE = "database", _("databases")
    VIRTUALISATION = "virtualisation", _("virtualisation")
    ACCESS = "access", _("client access licences")
    SECURITY = "security", _("security")
    MANAGEMENT = "management", _("management and backup")


class ComplianceState(models.TextChoices):
    OVER = "over", _("over-use")
    UNDER = "under", _("under-use")
    OK = "ok", _("in balance")
    NONE = "none", _("no entitlement, not in use")
