"""Change management (ITIL, R-4.x, BIO2 8.32): changes to configuration items with their
risk, impact, test and rollback plans, the change advisory board's decisions, the planned
window and the implementation and review. The rules live in services.py."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.cmdb.models import SharedManager
from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import TenantManager, TenantOwnedModel, TenantQuerySet

from .choices import CANCELLABLE, ChangeKind, ChangeStatus, Decision, Risk


class StandardChangeTemplate(ChangeLoggedModel):
    """A pre-approved standard change (catalogue): a standard change made from it needs no CAB."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=150, unique=True)
    description = models.TextField(_("description"), blank=True)
    risk = models.CharField(_("risk"), max_length=8, choices=Risk.choices, default=Risk.LOW)
    implementation_steps = models.TextField(_("implementation steps"), blank=True)
    rollback_plan = models.TextField(_("rollback plan"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = SharedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")

    def __str__(self):
        return self.name


class ChangeCounter(models.Model):
    """The last sequence number of a year's change references (WZG-2026-0001)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class ChangeQuerySet(TenantQuerySet):
    def with_list_data(self):
        return self.select_related("organisation", "owner", "requester", "template")


class Change(ChangeLoggedModel, TenantOwnedModel):
    """A change to one or more configuration items. `organisation` is the participant whose
    items change, or the provider for shared infrastructure."""

    organisation = models.ForeignKey(
        "core.Organisation", models.PROTECT, related_name="+", verbose_name=_("organisation"), db_index=False
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ChangeKind.choices, default=ChangeKind.NORMAL)
    template = models.ForeignKey(
        StandardChangeTemplate, models.PROTECT, null=True, blank=True, related_name="changes",
        verbose_name=_("standard change template"),
    )
    status = models.CharField(_("status"), max_length=12, choices=ChangeStatus.choices, default=ChangeStatus.DRAFT)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("requester")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("owner"),
        help_text=_("The provider's staff member responsible for the change."),
    )
    risk = models.CharField(_("risk"), max_length=8, choices=Risk.choices, default=Risk.LOW)
    risk_assessment = models.TextField(_("risk assessment"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    test_result = models.TextField(_("test result"), blank=True)
    rollback_plan = models.TextField(_("rollback plan"), blank=True)
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    implementation_result = models.TextField(_("implementation result"), blank=True)
    review = models.TextField(_("post-implementation review"), blank=True)
    ticket = models.ForeignKey(
        "servicedesk.Ticket", models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("call"), help_text=_("The call that raised this change."),
    )
    # The impact analysis of the touched items when the change was submitted.
    impact_snapshot = models.JSONField(_("impact at submission"), null=True, blank=True, editable=False)
    approval = models.CharField(_("approval"), max_length=10, choices=Decision.choices, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TenantManager.from_queryset(ChangeQuerySet)()
    all_objects = models.Manager()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-created_at", "-id"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        permissions = [("approve_change", _("Can decide on changes as a member of the change advisory board"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True) | Q(planned_start__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="changes_change_window_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="changes_org_status_idx"),
            models.Index(fields=["status", "id"], name="changes_status_idx"),
            models.Index(fields=["kind", "id"], name="changes_kind_idx"),
            models.Index(fields=["planned_start", "planned_end"], name="changes_window_idx"),
        ]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("changes:detail", args=[self.pk])

    @property
    def is_cancellable(self):
        return self.status in CANCELLABLE


class ChangeItem(ChangeLoggedModel):
    """A configuration item a change touches."""

    change = models.ForeignKey(Change, models.CASCADE, related_name="change_items", verbose_name=_("change"))
    item = models.ForeignKey(
        "cmdb.ConfigurationItem", models.PROTECT, related_name="change_links", verbose_name=_("configuration item"),
    )

    class Meta:
        ordering = ["change", "id"]
        verbose_name = _("changed item")
        verbose_name_plural = _("changed items")
        constraints = [models.UniqueConstraint(fields=["change", "item"], name="changes_item_once")]
        indexes = [models.Index(fields=["item", "change"], name="changes_item_idx")]

    def __str__(self):
        return f"{self.change_id} → {self.item_id}"

    def audit_organisation_id(self):
        return self.change.organisation_id


class ChangeApproval(ChangeLoggedModel):
    """One CAB member's decision on a change, with their comment."""

    change = models.ForeignKey(Change, models.CASCADE, related_name="approvals", verbose_name=_("change"))
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+", verbose_name=_("approver")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    decided_at = models.DateTimeField(_("decided at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["decided_at", "id"]
        verbose_name = _("change decision")
        verbose_name_plural = _("change decisions")
        constraints = [models.UniqueConstraint(fields=["change", "approver"], name="changes_decide_once")]

    def __str__(self):
        return f"{self.approver} {self.decision}"

    def audit_organisation_id(self):
        return self.change.organisation_id
