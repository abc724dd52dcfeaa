"""The service agreement (DVO, §1) as a versioned record, and the change proposals that
amend it (§7.1): a proposal takes effect only when every participant's representative has
consented. The agreement is common to all parties: anyone holding the permission
agreement.view_agreement reads all of it. The rules live in services.py."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.core.audit import ChangeLoggedModel

from .choices import PROPOSAL_STATUS_COLOURS, ConsentDecision, ProposalStatus

VIEW_PERMISSION = "agreement.view_agreement"


class AgreementQuerySet(models.QuerySet):
    """Shared by all parties, but only for people holding the view permission (fail-closed)."""

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active or not user.has_perm(VIEW_PERMISSION):
            return self.none()
        return self


class AgreementManager(models.Manager.from_queryset(AgreementQuerySet)):
    def for_user(self, user):
        return self.get_queryset().visible_to(user)

    def unrestricted(self):
        return self.get_queryset()


class Agreement(ChangeLoggedModel):
    """The service agreement between the provider and the participants."""

    title = models.CharField(_("title"), max_length=200)
    provider = models.ForeignKey(
        "core.Organisation", models.PROTECT, related_name="+", verbose_name=_("provider"),
    )
    parties = models.ManyToManyField("core.Organisation", related_name="+", verbose_name=_("parties"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"), null=True, blank=True,
                                help_text=_("Empty: for an indefinite term."))
    renewal_terms = models.TextField(_("renewal terms"), blank=True)
    notice_period = models.CharField(_("notice period"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)

    objects = AgreementManager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("agreement:overview")


class AgreementVersion(ChangeLoggedModel):
    """One version of the agreement: its number, effective date, what changed and its text."""

    agreement = models.ForeignKey(Agreement, models.PROTECT, related_name="versions", verbose_name=_("agreement"))
    number = models.PositiveIntegerField(_("version"))
    effective_date = models.DateField(_("effective date"))
    summary = models.TextField(_("summary of changes"))
    text = models.TextField(_("full text"), blank=True)
    document_storage_name = models.CharField(max_length=300, blank=True, editable=False)
    document_name = models.CharField(_("document"), max_length=200, blank=True, editable=False)
    document_size = models.PositiveIntegerField(_("size"), default=0, editable=False)
    source_proposal = models.OneToOneField(
        "agreement.ChangeProposal", models.PROTECT, null=True, blank=True, related_name="resulting_version",
        verbose_name=_("change proposal"),
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)

    objects = AgreementManager()

    class Meta:
        ordering = ["agreement", "-number"]
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="agreement_version_unique_number"),
        ]

    def __str__(self):
        return f"{self.agreement} v{self.number}"

    def get_absolute_url(self):
        return reverse("agreement:version-detail", args=[self.pk])


class Signatory(ChangeLoggedModel):
    """A party's signature of a version: who signs for the organisation, on which date."""

    version = models.ForeignKey(
        AgreementVersion, models.CASCADE, related_name="signatories", verbose_name=_("agreement version"),
    )
    organisation = models.ForeignKey("core.Organisation", models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("person"),
    )
    name = models.CharField(_("signed by"), max_length=200, blank=True)
    signed = models.BooleanField(_("signed"), default=False)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)

    objects = AgreementManager()

    class Meta:
        ordering = ["version", "organisation__kind", "organisation__name"]
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")
        constraints = [
            models.UniqueConstraint(fields=["version", "organisation"], name="agreement_signatory_once"),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.name or self.person or '-'}"


class ChangeProposal(ChangeLoggedModel):
    """A proposed change of the agreement: what changes and why, and its consents."""

    agreement = models.ForeignKey(Agreement, models.PROTECT, related_name="proposals", verbose_name=_("agreement"))
    title = models.CharField(_("title"), max_length=200)
    changes = models.TextField(_("what changes"), help_text=_("The changed clauses, described or quoted."))
    reason = models.TextField(_("why"))
    proposed_text = models.TextField(
        _("proposed full text"), blank=True,
        help_text=_("The full text of the new version; empty: the text of the current version stays."),
    )
    status = models.CharField(_("status"), max_length=10, choices=ProposalStatus.choices,
                              default=ProposalStatus.DRAFT)
    proposer = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                                 verbose_name=_("proposer"))
    base_version = models.ForeignKey(
        AgreementVersion, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("amends version"),
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)
    opened_at = models.DateTimeField(_("opened for consent at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)

    objects = AgreementManager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("change proposal")
        verbose_name_plural = _("change proposals")
        indexes = [models.Index(fields=["status", "id"], name="agreement_proposal_status_idx")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    @property
    def reference(self):
        return f"DVO-W{self.pk:03d}" if self.pk else "DVO-W"

    @property
    def status_colour(self):
        return PROPOSAL_STATUS_COLOURS.get(self.status, "secondary")

    def get_absolute_url(self):
        return reverse("agreement:proposal-detail", args=[self.pk])


class Consent(ChangeLoggedModel):
    """A participant's decision on a proposal, given by its representative."""

    proposal = models.ForeignKey(ChangeProposal, models.CASCADE, related_name="consents",
                                 verbose_name=_("change proposal"))
    organisation = models.ForeignKey("core.Organisation", models.PROTECT, related_name="+",
                                     verbose_name=_("organisation"))
    person = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+",
                               verbose_name=_("representative"))
    decision = models.CharField(_("decision"), max_length=10, choices=ConsentDecision.choices)
    reason = models.TextField(_("reason"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now)

    objects = AgreementManager()

    class Meta:
        ordering = ["proposal", "decided_at", "id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "organisation"], name="agreement_consent_once"),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.get_decision_display()}"
