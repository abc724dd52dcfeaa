from django.db import models
from django.utils.translation import gettext_lazy as _


class ServiceGroup(models.TextChoices):
    """The four groups of the agreement's catalogue (§3)."""

    SYSTEM_SETUP = "system_setup", _("Services and system set-up")
    HARDWARE = "hardware", _("Hardware and user equipment")
    APPLICATIONS = "applications", _("Applications and software")
    ADVICE = "advice", _("Advice and projects")


class Priority(models.IntegerChoices):
    CRITICAL = 1, _("1 – critical")
    HIGH = 2, _("2 – high")
    NORMAL = 3, _("3 – normal")
    LOW = 4, _("4 – low")
    PLANNED = 5, _("5 – planned")


class Level(models.IntegerChoices):
    """Impact and urgency share one scale."""

    HIGH = 1, _("high")
    MEDIUM = 2, _("medium")
    LOW = 3, _("low")
