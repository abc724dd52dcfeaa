"""Licence management (§4.3.2, R-4.3.2): the licence products the agreement lists, the
entitlements each organisation holds (quantity, period, cost, under which contract) and
their assignments to configuration items or people. services.compliance() sets one
against the other per product and participant.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.cmdb.models import SharedManager
from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import TenantManager, TenantOwnedModel, TenantQuerySet

from .choices import LicenceCategory, LicenceMetric


class LicenceProduct(ChangeLoggedModel):
    """A licensable product (Windows Server, SQL Server CAL, Microsoft Office …); reference
    data every signed-in user may read, kept by the provider."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=150, unique=True)
    vendor = models.CharField(_("vendor"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=LicenceCategory.choices)
    metric = models.CharField(_("metric"), max_length=16, choices=LicenceMetric.choices)
    # Per-core products count at least this many cores per item (e.g. 16 for Windows Server).
    minimum_cores = models.PositiveIntegerField(
        _("minimum cores per item"), default=0,
        help_text=_("Per-core licences: an item counts at least this many cores."),
    )
    cal_for = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="cals",
        verbose_name=_("client access licence for"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = SharedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("licence product")
        verbose_name_plural = _("licence products")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("cmdb:licence-product-detail", args=[self.pk])


class EntitlementQuerySet(TenantQuerySet):
    def active_on(self, day):
        return self.filter(starts_on__lte=day).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))


class Entitlement(ChangeLoggedModel, TenantOwnedModel):
    """A right to use `quantity` units of a product in a period (licentierecht), owned by
    the organisation that bought it; optionally under a contract of the CMDB."""

    product = models.ForeignKey(
        LicenceProduct, models.PROTECT, related_name="entitlements", verbose_name=_("product"), db_index=False
    )
    contract = models.ForeignKey(
        "cmdb.Contract", models.PROTECT, null=True, blank=True, related_name="licence_entitlements",
        verbose_name=_("contract"),
    )
    reference = models.CharField(_("reference"), max_length=60, blank=True,
                                 help_text=_("Order, agreement or licence number."))
    quantity = models.PositiveIntegerField(_("quantity"))
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"), null=True, blank=True, help_text=_("Empty for a perpetual licence."))
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)

    objects = TenantManager.from_queryset(EntitlementQuerySet)()
    all_objects = models.Manager()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["product__name", "starts_on", "id"]
        verbose_name = _("entitlement")
        verbose_name_plural = _("entitlements")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="licences_entitlement_quantity_positive"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="licences_entitlement_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "organisation"], name="licences_ent_product_org_idx"),
            models.Index(fields=["organisation", "id"], name="licences_ent_org_idx"),
            models.Index(fields=["ends_on"], name="licences_ent_end_idx"),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product}" + (f" ({self.reference})" if self.reference else "")

    def get_absolute_url(self):
        return reverse("cmdb:licence-entitlement-detail", args=[self.pk])

    def is_active_on(self, day):
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class AssignmentQuerySet(TenantQuerySet):
    def with_list_data(self):
        return self.select_related("product", "organisation", "item", "person", "entitlement")


class Assignment(ChangeLoggedModel, TenantOwnedModel):
    """One product in use on a configuration item or by a person. `organisation` is the
    participant that uses it: the item's owner or the person's organisation (set by the
    service). A per-core assignment counts the item's cores (attributes["cores"])."""

    product = models.ForeignKey(
        LicenceProduct, models.PROTECT, related_name="assignments", verbose_name=_("product"), db_index=False
    )
    entitlement = models.ForeignKey(
        Entitlement, models.SET_NULL, null=True, blank=True, related_name="assignments",
        verbose_name=_("entitlement"),
    )
    item = models.ForeignKey(
        "cmdb.ConfigurationItem", models.PROTECT, null=True, blank=True, related_name="licence_assignments",
        verbose_name=_("configuration item"),
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="licence_assignments",
        verbose_name=_("person"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    assigned_at = models.DateTimeField(_("assigned at"), default=timezone.now, editable=False)

    objects = TenantManager.from_queryset(AssignmentQuerySet)()
    all_objects = models.Manager()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["product__name", "id"]
        verbose_name = _("licence assignment")
        verbose_name_plural = _("licence assignments")
        constraints = [
            models.CheckConstraint(
                condition=(Q(item__isnull=False) & Q(person__isnull=True))
                | (Q(item__isnull=True) & Q(person__isnull=False)),
                name="licences_assignment_item_or_person",
            ),
            models.UniqueConstraint(
                fields=["product", "item"], condition=Q(item__isnull=False), name="licences_assignment_unique_item"
            ),
            models.UniqueConstraint(
                fields=["product", "person"], condition=Q(person__isnull=False),
                name="licences_assignment_unique_person",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "product"], name="licences_asg_org_product_idx"),
            models.Index(fields=["product", "id"], name="licences_asg_product_idx"),
        ]

    def __str__(self):
        return f"{self.product} → {self.item or self.person}"

    @property
    def holder(self):
        return self.item if self.item_id else self.person
