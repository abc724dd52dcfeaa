"""Organisations (tenants), locations, teams, people and the audit trail."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import ChangeLoggedModel
from .choices import AuditAction, AuditResult, LocationKind, OrganisationKind, TeamLine
from .tenancy import TenantManager, TenantQuerySet, is_provider_staff


class OrganisationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Provider staff see every organisation; others their own and the provider."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_provider_staff(user):
            return self
        return self.filter(models.Q(pk=user.organisation_id) | models.Q(kind=OrganisationKind.PROVIDER))

    def participants(self):
        return self.filter(kind=OrganisationKind.PARTICIPANT)


class OrganisationManager(models.Manager.from_queryset(OrganisationQuerySet)):
    def for_user(self, user):
        return self.get_queryset().visible_to(user)

    def unrestricted(self):
        return self.get_queryset()


class Organisation(ChangeLoggedModel):
    """A party to the agreement: the provider (the shared-service ICT organisation) or a
    participant (a municipality). Participants are tenants: their data is theirs alone."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.CharField(
        _("code"),
        max_length=5,
        unique=True,
        help_text=_("Short upper-case code used in call references, e.g. VNL."),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    email = models.EmailField(_("helpdesk e-mail address"), blank=True)
    phone = models.CharField(_("helpdesk phone number"), max_length=40, blank=True)
    opening_hours = models.CharField(_("helpdesk opening hours"), max_length=200, blank=True)
    workplace_count = models.PositiveIntegerField(_("virtual workplaces"), default=0)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("account manager"),
    )
    representative = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("representative"),
    )
    information_advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("information advisor"),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = OrganisationManager()

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self):
        return self.name

    @property
    def is_provider(self):
        return self.kind == OrganisationKind.PROVIDER

    def audit_organisation_id(self):
        return self.pk

    def get_absolute_url(self):
        return reverse("core:organisation-detail", args=[self.pk])


class Location(ChangeLoggedModel):
    """A town hall, an outlying site or one of the two datacenters."""

    organisation = models.ForeignKey(
        Organisation, models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=LocationKind.choices)
    address = models.CharField(_("address"), max_length=300, blank=True)

    objects = TenantManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["organisation__name", "name"]
        base_manager_name = "all_objects"
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="location_unique_name")]

    def __str__(self):
        return self.name


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_provider_staff(user):
            return self
        return self.filter(organisation_id=user.organisation_id)


class RegieUserManager(UserManager.from_queryset(UserQuerySet)):
    def for_user(self, user):
        return self.get_queryset().visible_to(user)

    def unrestricted(self):
        return self.get_queryset()


class User(ChangeLoggedModel, AbstractUser):
    """A person: provider staff, a participant's employee, or a supplier contact."""

    audit_exclude_fields = ("password", "last_login")

    organisation = models.ForeignKey(
        Organisation, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("organisation")
    )
    manager = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="reports", verbose_name=_("manager")
    )
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="nl"
    )
    # Demo users may skip MFA enrolment, and only while REGIE_DEMO_MODE is on.
    is_demo = models.BooleanField(_("demo account"), default=False)
    # Bumped to end every session and token of this user at once (deactivation, reset).
    security_stamp = models.PositiveIntegerField(default=0, editable=False)

    objects = RegieUserManager()

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = _("person")
        verbose_name_plural = _("people")
        permissions = [("view_organisation_people", "Can see the people of own organisation")]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def is_provider_staff(self):
        return is_provider_staff(self)

    @property
    def role_codes(self):
        if not hasattr(self, "_role_codes"):
            self._role_codes = {name for name in self.groups.values_list("name", flat=True)}
        return self._role_codes

    def has_role(self, *codes):
        return bool(self.role_codes & set(codes))

    def get_absolute_url(self):
        return reverse("core:person-detail", args=[self.pk])

    def save(self, *args, **kwargs):
        # Deactivating by any path (admin, service, shell) also bumps the stamp, so the
        # person's sessions and API tokens stay dead even if the account is reactivated.
        if not self.is_active and self.pk is not None:
            was_active = type(self)._base_manager.filter(pk=self.pk, is_active=True).exists()
            if was_active:
                self.security_stamp += 1
                update_fields = kwargs.get("update_fields")
                if update_fields is not None and "security_stamp" not in update_fields:
                    kwargs["update_fields"] = [*update_fields, "security_stamp"]
        super().save(*args, **kwargs)


class Team(ChangeLoggedModel):
    """A support team: the 1st line, a 2nd-line team, or a supplier acting as 3rd line."""

    organisation = models.ForeignKey(
        Organisation, models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    name = models.CharField(_("name"), max_length=120)
    line = models.CharField(_("support line"), max_length=10, choices=TeamLine.choices)
    email = models.EmailField(_("e-mail address"), blank=True)
    lead = models.ForeignKey(
        User, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team lead")
    )
    members = models.ManyToManyField(User, blank=True, related_name="teams", verbose_name=_("members"))

    objects = TenantManager()
    all_objects = models.Manager()

    class Meta:
        ordering = ["line", "name"]
        base_manager_name = "all_objects"
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [models.UniqueConstraint(fields=["organisation", "name"], name="team_unique_name")]

    def __str__(self):
        return self.name


class AuditRecordQuerySet(TenantQuerySet):
    def visible_to(self, user):
        """Provider staff and auditors see all; a participant's user only records about
        their own organisation's objects (and never those of another)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        if is_provider_staff(user) or user.has_role("auditor"):
            return self
        if user.organisation_id is None:
            return self.none()
        return self.filter(organisation_id=user.organisation_id)

    def update(self, **kwargs):
        raise TypeError("Audit records are append-only")

    def delete(self):
        raise TypeError("Audit records are append-only")


class AuditRecord(models.Model):
    """One append-only entry of the audit trail: a data change, a sign-in (or a failed
    one), or a refused access. Never edited; sealed into a hash chain by the worker."""

    timestamp = models.DateTimeField(_("when (UTC)"), db_index=True)
    actor = models.ForeignKey(
        User, models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+",
        verbose_name=_("who"),
    )
    actor_label = models.CharField(_("who (as recorded)"), max_length=200, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices, db_index=True)
    result = models.CharField(_("result"), max_length=10, choices=AuditResult.choices, default=AuditResult.SUCCESS)
    content_type = models.ForeignKey(
        "contenttypes.ContentType", models.DO_NOTHING, db_constraint=False, null=True, blank=True,
        related_name="+", verbose_name=_("object type"),
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    # The organisation the object belongs to, so participants can be shown their own trail.
    organisation = models.ForeignKey(
        Organisation, models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+",
        verbose_name=_("organisation"),
    )
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    remote_addr = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    message = models.CharField(_("message"), max_length=300, blank=True)
    record_hash = models.CharField(max_length=64, editable=False)

    objects = TenantManager.from_queryset(AuditRecordQuerySet)()
    all_objects = models.Manager()

    class Meta:
        ordering = ["-timestamp", "-id"]
        base_manager_name = "all_objects"
        verbose_name = _("audit record")
        verbose_name_plural = _("audit records")
        indexes = [
            models.Index(fields=["content_type", "object_id", "-id"], name="audit_object_idx"),
            models.Index(fields=["organisation", "-id"], name="audit_org_idx"),
            models.Index(fields=["actor", "-id"], name="audit_actor_idx"),
        ]

    def __str__(self):
        return f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Audit records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Audit records are append-only")


class AuditSeal(models.Model):
    """A link of the hash chain: seals a contiguous run of audit records by id."""

    first_record_id = models.BigIntegerField()
    last_record_id = models.BigIntegerField(unique=True)
    record_count = models.PositiveIntegerField()
    previous_digest = models.CharField(max_length=64)
    digest = models.CharField(max_length=64)
    sealed_at = models.DateTimeField()

    class Meta:
        ordering = ["last_record_id"]

    def __str__(self):
        return f"seal {self.first_record_id}-{self.last_record_id}"


class WorkerHeartbeat(models.Model):
    """Last time a worker ran the heartbeat task; read by /health/."""

    name = models.CharField(max_length=100, unique=True)
    beat_at = models.DateTimeField()
    hostname = models.CharField(max_length=200, blank=True)

    def __str__(self):
        return f"{self.name} @ {self.beat_at}"


class LoginAttempt(models.Model):
    """A failed sign-in (web form or API token request), kept for the throttle.

    Rows older than REGIE_LOGIN_FAILURE_WINDOW no longer count and are purged, so a
    throttle always ends by itself: there is no permanent lock-out."""

    username = models.CharField(_("username"), max_length=150)
    remote_addr = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    attempted_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        ordering = ["-attempted_at"]
        verbose_name = _("failed sign-in")
        verbose_name_plural = _("failed sign-ins")
        indexes = [
            models.Index(fields=["username", "attempted_at"], name="loginattempt_user_idx"),
            models.Index(fields=["remote_addr", "attempted_at"], name="loginattempt_addr_idx"),
            models.Index(fields=["attempted_at"], name="loginattempt_time_idx"),
        ]

    def __str__(self):
        return f"{self.username} @ {self.attempted_at:%Y-%m-%d %H:%M:%S}"
