"""Choice sets of the core app. Each choice carries a value, a translatable label and,
where it is shown as a badge, a colour, so badges look the same everywhere."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    PROVIDER = "provider", _("provider")
    PARTICIPANT = "participant", _("participant")
    SUPPLIER = "supplier", _("supplier")


class LocationKind(models.TextChoices):
    TOWN_HALL = "town_hall", _("town hall")
    SITE = "site", _("site")
    DATACENTER = "datacenter", _("datacenter")
    OFFICE = "office", _("office")


class TeamLine(models.TextChoices):
    FIRST = "first", _("1st line")
    SECOND = "second", _("2nd line")
    THIRD = "third", _("3rd line (supplier)")
    MANAGEMENT = "management", _("management")


class AuditAction(models.TextChoices):
    CREATE = "create", _("created")
    UPDATE = "update", _("changed")
    DELETE = "delete", _("deleted")
    LOGIN = "login", _("signed in")
    LOGIN_FAILED = "login_failed", _("sign-in failed")
    LOGOUT = "logout", _("signed out")
    ACCESS_DENIED = "access_denied", _("access refused")
    MFA = "mfa", _("second factor")
    TOKEN = "token", _("API token")
    PASSWORD = "password", _("password")
    EXPORT = "export", _("exported")
    RETENTION = "retention", _("retention")


class AuditResult(models.TextChoices):
    SUCCESS = "success", _("success")
    FAILURE = "failure", _("failure")
