"""The certificate register (§4.7.4): the certificates the provider manages for the
participants, where they are installed, what their endpoints serve, and the warnings sent
before they expire.

Private keys are never stored (see parsing.py): a certificate row holds only public data.
`organisation` is the requesting participant (tenancy scopes on it).
"""

import datetime

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import TenantManager, TenantOwnedModel, TenantQuerySet

DEFAULT_THRESHOLDS = [60, 30, 14, 7]


def default_thresholds():
    return list(DEFAULT_THRESHOLDS)


class CertificateStatus(models.TextChoices):
    VALID = "valid", _("valid")
    EXPIRING = "expiring", _("expiring")
    EXPIRED = "expired", _("expired")


STATUS_COLOURS = {
    CertificateStatus.VALID: "success",
    CertificateStatus.EXPIRING: "warning",
    CertificateStatus.EXPIRED: "danger",
}


class CheckResult(models.TextChoices):
    OK = "ok", _("in order")
    PROBLEMS = "problems", _("problems found")
    FAILED = "failed", _("no answer")


CHECK_COLOURS = {CheckResult.OK: "success", CheckResult.PROBLEMS: "warning", CheckResult.FAILED: "danger"}


class CertificateQuerySet(TenantQuerySet):
    def with_status(self, status, now=None):
        """Filter on the derived status; `warn_from` (expiry minus the largest threshold) is stored."""
        now = now or timezone.now()
        if status == CertificateStatus.EXPIRED:
            return self.filter(not_after__lt=now)
        if status == CertificateStatus.EXPIRING:
            return self.filter(not_after__gte=now, warn_from__lte=now)
        if status == CertificateStatus.VALID:
            return self.filter(not_after__gte=now, warn_from__gt=now)
        return self


class Certificate(ChangeLoggedModel, TenantOwnedModel):
    """One X.509 certificate (a leaf, with the intermediates it was delivered with)."""

    organisation = models.ForeignKey(
        "core.Organisation", models.PROTECT, related_name="+", verbose_name=_("requesting participant"),
    )
    subject = models.CharField(_("subject"), max_length=1000)
    common_name = models.CharField(_("common name"), max_length=300, blank=True)
    sans = models.JSONField(_("subject alternative names"), default=list, blank=True)
    # The SANs as one line, for searching on every database.
    sans_text = models.TextField(_("subject alternative names (text)"), blank=True, editable=False)
    issuer = models.CharField(_("issuer"), max_length=1000)
    serial_number = models.CharField(_("serial number"), max_length=100)
    not_before = models.DateTimeField(_("valid from"))
    not_after = models.DateTimeField(_("valid until"), db_index=True)
    key_type = models.CharField(_("key type"), max_length=20)
    key_size = models.PositiveIntegerField(_("key size"), null=True, blank=True)
    signature_algorithm = models.CharField(_("signature algorithm"), max_length=100)
    fingerprint_sha256 = models.CharField(_("SHA-256 fingerprint"), max_length=64)
    is_ca = models.BooleanField(_("CA certificate"), default=False)
    # The intermediates (and root) delivered with it: [{subject, issuer, fingerprint, not_after}]
    chain = models.JSONField(_("chain"), default=list, blank=True)
    pem = models.TextField(_("certificate (PEM)"), editable=False)
    warning_thresholds = models.JSONField(
        _("warning thresholds (days)"), default=default_thresholds,
        help_text=_("Days before expiry at which a warning is sent, e.g. 60, 30, 14, 7."),
    )
    # not_after minus the largest threshold: from then on the certificate is "expiring".
    warn_from = models.DateTimeField(_("expiring from"), editable=False, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    items = models.ManyToManyField(
        "cmdb.ConfigurationItem", through="Installation", related_name="certificates", blank=True,
        verbose_name=_("installed on"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("registered by"),
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = TenantManager.from_queryset(CertificateQuerySet)()
    all_objects = models.Manager()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["not_after", "id"]
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "fingerprint_sha256"],
                                    name="certificates_unique_fingerprint_per_org"),
        ]
        indexes = [
            models.Index(fields=["organisation", "not_after", "id"], name="cert_org_expiry_idx"),
            models.Index(fields=["not_after", "id"], name="cert_expiry_id_idx"),
            models.Index(fields=["issuer"], name="cert_issuer_idx"),
            models.Index(fields=["common_name", "id"], name="cert_cn_idx"),
        ]

    def __str__(self):
        return self.common_name or self.subject or self.fingerprint_sha256[:16]

    def get_absolute_url(self):
        return reverse("cmdb:certificate-detail", args=[self.pk])

    def save(self, *args, **kwargs):
        self.sans_text = " ".join(self.sans or [])
        thresholds = self.warning_thresholds or [0]
        self.warn_from = self.not_after - datetime.timedelta(days=max(thresholds))
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "sans_text", "warn_from"}
        super().save(*args, **kwargs)

    def status_on(self, now=None):
        now = now or timezone.now()
        if self.not_after < now:
            return CertificateStatus.EXPIRED
        if self.warn_from <= now:
            return CertificateStatus.EXPIRING
        return CertificateStatus.VALID

    @property
    def status(self):
        return self.status_on()

    @property
    def status_label(self):
        return CertificateStatus(self.status).label

    @property
    def status_colour(self):
        return STATUS_COLOURS[self.status]

    @property
    def days_left(self):
        return (self.not_after - timezone.now()).days

    @property
    def fingerprint_display(self):
        value = self.fingerprint_sha256.upper()
        return ":".join(value[i:i + 2] for i in range(0, len(value), 2))


class CertificatePartQuerySet(TenantQuerySet):
    organisation_field = "certificate__organisation"


class Installation(ChangeLoggedModel):
    """Where a certificate is installed: a configuration item (server, load balancer, application)."""

    certificate = models.ForeignKey(Certificate, models.CASCADE, related_name="installations",
                                    verbose_name=_("certificate"))
    item = models.ForeignKey("cmdb.ConfigurationItem", models.CASCADE, related_name="certificate_installations",
                             verbose_name=_("configuration item"))

    objects = TenantManager.from_queryset(CertificatePartQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        constraints = [
            models.UniqueConstraint(fields=["certificate", "item"], name="certificates_unique_installation"),
        ]

    def __str__(self):
        return f"{self.certificate} @ {self.item}"

    def audit_organisation_id(self):
        return self.certificate.organisation_id


class Endpoint(ChangeLoggedModel):
    """A host:port that serves the certificate (checked daily and on demand)."""

    certificate = models.ForeignKey(Certificate, models.CASCADE, related_name="endpoints",
                                    verbose_name=_("certificate"))
    host = models.CharField(_("host"), max_length=253)
    port = models.PositiveIntegerField(_("port"), default=443)
    last_checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    last_result = models.CharField(_("last result"), max_length=10, choices=CheckResult.choices, blank=True)

    objects = TenantManager.from_queryset(CertificatePartQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["host", "port", "id"]
        verbose_name = _("endpoint")
        verbose_name_plural = _("endpoints")
        constraints = [
            models.UniqueConstraint(fields=["certificate", "host", "port"], name="certificates_unique_endpoint"),
        ]

    def __str__(self):
        return f"{self.host}:{self.port}"

    def audit_organisation_id(self):
        return self.certificate.organisation_id

    @property
    def result_colour(self):
        return CHECK_COLOURS.get(self.last_result, "secondary")


class EndpointCheck(ChangeLoggedModel):
    """One check of an endpoint: did it answer, what did it serve, what is wrong with it."""

    certificate = models.ForeignKey(Certificate, models.CASCADE, related_name="checks", verbose_name=_("certificate"))
    endpoint = models.ForeignKey(Endpoint, models.SET_NULL, null=True, blank=True, related_name="checks",
                                 verbose_name=_("endpoint"))
    host = models.CharField(_("host"), max_length=253)
    port = models.PositiveIntegerField(_("port"))
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now, db_index=True)
    result = models.CharField(_("result"), max_length=10, choices=CheckResult.choices)
    problems = models.JSONField(_("problems"), default=list, blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    fingerprint_seen = models.CharField(_("fingerprint served"), max_length=64, blank=True)
    subject_seen = models.CharField(_("subject served"), max_length=1000, blank=True)
    not_after_seen = models.DateTimeField(_("served certificate valid until"), null=True, blank=True)
    matches_register = models.BooleanField(_("matches the register"), default=False)
    hostname_matches = models.BooleanField(_("host name matches"), null=True)
    verified = models.BooleanField(_("chain verified"), null=True)
    verify_error = models.CharField(_("verification error"), max_length=500, blank=True)
    tls_version = models.CharField(_("TLS version"), max_length=20, blank=True)
    # Every certificate the endpoint served: [{subject, issuer, fingerprint, not_after}]
    chain_seen = models.JSONField(_("chain served"), default=list, blank=True)
    full_chain_read = models.BooleanField(_("full chain read"), default=False)

    objects = TenantManager.from_queryset(CertificatePartQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-checked_at", "-id"]
        verbose_name = _("endpoint check")
        verbose_name_plural = _("endpoint checks")
        indexes = [models.Index(fields=["certificate", "-checked_at", "-id"], name="cert_check_history_idx")]

    def __str__(self):
        return f"{self.host}:{self.port} {self.checked_at:%Y-%m-%d %H:%M}"

    def audit_organisation_id(self):
        return self.certificate.organisation_id

    @property
    def result_colour(self):
        return CHECK_COLOURS.get(self.result, "secondary")


class CertificateWarning(ChangeLoggedModel):
    """An expiry warning sent: once per certificate and threshold, whatever the restarts."""

    certificate = models.ForeignKey(Certificate, models.CASCADE, related_name="warnings",
                                    verbose_name=_("certificate"))
    threshold = models.PositiveIntegerField(_("threshold (days)"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    days_left = models.IntegerField(_("days left"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    objects = TenantManager.from_queryset(CertificatePartQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["-sent_at", "-id"]
        verbose_name = _("certificate warning")
        verbose_name_plural = _("certificate warnings")
        constraints = [
            models.UniqueConstraint(fields=["certificate", "threshold"], name="certificates_unique_warning"),
        ]

    def __str__(self):
        return f"{self.certificate} ({self.threshold})"

    def audit_organisation_id(self):
        return self.certificate.organisation_id
