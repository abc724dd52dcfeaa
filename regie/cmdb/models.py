"""The CMDB (ITIL): configuration items, their types and standard models, typed relations,
suppliers and contracts, network links, and the link from calls to the items they affect.

Ownership per participant (ConfigurationItem.organisation) is what the cost allocation
counts, and what tenancy scopes on: a municipality sees its own items, the provider all.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from regie.core.audit import ChangeLoggedModel
from regie.core.tenancy import TenantManager, TenantOwnedModel, TenantQuerySet

from .choices import (
    CI_STATUS_COLOURS,
    CICategory,
    CIStatus,
    ContractKind,
    ModelApproval,
    NetworkLinkKind,
    RelationKind,
)


class SharedQuerySet(models.QuerySet):
    """Reference data every signed-in user may read (types, models, suppliers)."""

    def visible_to(self, user):
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self


class SharedManager(models.Manager.from_queryset(SharedQuerySet)):
    def for_user(self, user):
        return self.get_queryset().visible_to(user)

    def unrestricted(self):
        return self.get_queryset()


class ConfigurationItemType(ChangeLoggedModel):
    """A kind of item (laptop, firewall, RSA SecurID token, business service …).

    `attribute_schema` declares the type-specific attributes, validated by
    services.validate_attributes, never free text:
    [{"code": "os", "label": "Operating system", "kind": "text", "required": true,
      "choices": [...], "min": 0, "max": 512, "help": "..."}, ...]
    """

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    category = models.CharField(_("category"), max_length=20, choices=CICategory.choices)
    attribute_schema = models.JSONField(_("type-specific attributes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = SharedManager()

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("configuration item type")
        verbose_name_plural = _("configuration item types")

    def __str__(self):
        return self.name


class ConfigurationItemModel(ChangeLoggedModel):
    """A brand and type (model) of equipment or software; approved models form the
    standards catalogue of §4.1.2 / appendix 3."""

    ci_type = models.ForeignKey(
        ConfigurationItemType, models.PROTECT, related_name="models", verbose_name=_("item type")
    )
    manufacturer = models.CharField(_("brand"), max_length=100)
    name = models.CharField(_("model"), max_length=150)
    approval = models.CharField(
        _("standard"), max_length=12, choices=ModelApproval.choices, default=ModelApproval.PROPOSED
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("approved by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    standard_until = models.DateField(_("standard until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = SharedManager()

    class Meta:
        ordering = ["ci_type__name", "manufacturer", "name"]
        verbose_name = _("model")
        verbose_name_plural = _("models")
        permissions = [("approve_configurationitemmodel", "Can admit models to the standards catalogue")]
        constraints = [
            models.UniqueConstraint(fields=["ci_type", "manufacturer", "name"], name="cmdb_model_unique"),
        ]

    def __str__(self):
        return f"{self.manufacturer} {self.name}"

    @property
    def is_standard(self):
        if self.approval != ModelApproval.APPROVED:
            return False
        return self.standard_until is None or self.standard_until >= timezone.localdate()


class Supplier(ChangeLoggedModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    chamber_of_commerce = models.CharField(_("Chamber of Commerce number"), max_length=20, blank=True)
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    support_hours = models.CharField(_("support hours"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = SharedManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")

    def __str__(self):
        return self.name


class SupplierContact(ChangeLoggedModel):
    supplier = models.ForeignKey(Supplier, models.CASCADE, related_name="contacts", verbose_name=_("supplier"))
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail address"), blank=True)
    phone = models.CharField(_("phone number"), max_length=40, blank=True)

    objects = SharedManager()

    class Meta:
        ordering = ["supplier__name", "name"]
        verbose_name = _("supplier contact")
        verbose_name_plural = _("supplier contacts")

    def __str__(self):
        return f"{self.name} ({self.supplier})"


class Contract(ChangeLoggedModel, TenantOwnedModel):
    """A framework contract from a tender (raamcontract), a maintenance or warranty contract,
    a licence agreement. `organisation` is the contracting party: the provider for joint
    tenders, or a participant for its own contracts."""

    reference = models.CharField(_("contract reference"), max_length=60)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ContractKind.choices)
    supplier = models.ForeignKey(Supplier, models.PROTECT, related_name="contracts", verbose_name=_("supplier"))
    tender = models.CharField(_("tender"), max_length=200, blank=True)
    starts_on = models.DateField(_("start"))
    ends_on = models.DateField(_("end"), null=True, blank=True)
    notice_days = models.PositiveIntegerField(_("notice period (days)"), default=90)
    # Response and resolution times the supplier promises: used at a 3rd-line hand-over.
    response_hours = models.PositiveIntegerField(_("response time (hours)"), null=True, blank=True)
    resolution_hours = models.PositiveIntegerField(_("resolution time (hours)"), null=True, blank=True)
    annual_value = models.DecimalField(_("annual value"), max_digits=12, decimal_places=2, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    objects = TenantManager()
    all_objects = models.Manager()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["ends_on", "name"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.UniqueConstraint(fields=["supplier", "reference"], name="cmdb_contract_unique_reference"),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="cmdb_contract_ends_after_start",
            ),
        ]
        indexes = [models.Index(fields=["kind", "ends_on"], name="cmdb_contract_kind_end_idx")]

    def __str__(self):
        return f"{self.reference} {self.name}"

    def is_valid_on(self, day):
        return self.starts_on <= day and (self.ends_on is None or day <= self.ends_on)


class ContractLine(ChangeLoggedModel):
    """A product line of a framework contract with its price."""

    contract = models.ForeignKey(Contract, models.CASCADE, related_name="lines", verbose_name=_("contract"))
    model = models.ForeignKey(
        ConfigurationItemModel, models.PROTECT, null=True, blank=True, related_name="contract_lines",
        verbose_name=_("model"),
    )
    # A line for a whole item type ("any laptop") when no single standard model is named.
    ci_type = models.ForeignKey(
        "ConfigurationItemType", models.PROTECT, null=True, blank=True, related_name="contract_lines",
        verbose_name=_("item type"),
    )
    description = models.CharField(_("product line"), max_length=200)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)

    objects = models.Manager()

    class Meta:
        ordering = ["contract", "description"]
        verbose_name = _("contract line")
        verbose_name_plural = _("contract lines")

    def __str__(self):
        return self.description

    def audit_organisation_id(self):
        return self.contract.organisation_id


class ConfigurationItemQuerySet(TenantQuerySet):
    def with_list_data(self):
        return self.select_related("ci_type", "model", "organisation", "location", "assigned_to")


class ConfigurationItem(ChangeLoggedModel, TenantOwnedModel):
    """One configuration item. `organisation` is the owner (what the cost allocation counts)."""

    organisation = models.ForeignKey(
        "core.Organisation", models.PROTECT, related_name="+", verbose_name=_("owner"), db_index=False
    )
    ci_type = models.ForeignKey(
        ConfigurationItemType, models.PROTECT, related_name="items", verbose_name=_("type"), db_index=False
    )
    name = models.CharField(_("name"), max_length=200)
    model = models.ForeignKey(
        ConfigurationItemModel, models.PROTECT, null=True, blank=True, related_name="items",
        verbose_name=_("brand and type"),
    )
    status = models.CharField(_("status"), max_length=12, choices=CIStatus.choices, default=CIStatus.IN_USE)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True, db_index=True)
    asset_tag = models.CharField(_("asset tag"), max_length=50, blank=True)
    supplier = models.ForeignKey(
        Supplier, models.PROTECT, null=True, blank=True, related_name="items", verbose_name=_("supplier")
    )
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    location = models.ForeignKey(
        "core.Location", models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("location")
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="assigned_items",
        verbose_name=_("assigned to"),
    )
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    maintenance_contract = models.ForeignKey(
        Contract, models.PROTECT, null=True, blank=True, related_name="maintained_items",
        verbose_name=_("maintenance contract"),
    )
    framework_contract = models.ForeignKey(
        Contract, models.PROTECT, null=True, blank=True, related_name="purchased_items",
        verbose_name=_("framework contract"),
    )
    # Recovery time objective for critical services (§4.1.3: 4 hours for BRP, BAG, storage,
    # authentication, domain and mail servers); read by the failover-test register.
    recovery_time_objective = models.DurationField(_("recovery time objective"), null=True, blank=True)
    attributes = models.JSONField(_("type-specific attributes"), default=dict, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("registered at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    objects = TenantManager.from_queryset(ConfigurationItemQuerySet)()
    all_objects = models.Manager()

    class Meta(TenantOwnedModel.Meta):
        ordering = ["name", "id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        constraints = [
            models.UniqueConstraint(
                fields=["asset_tag"], condition=~Q(asset_tag=""), name="cmdb_item_unique_asset_tag"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "ci_type", "status"], name="cmdb_item_org_type_idx"),
            models.Index(fields=["ci_type", "status"], name="cmdb_item_type_status_idx"),
            models.Index(fields=["name", "id"], name="cmdb_item_name_idx"),
            models.Index(fields=["warranty_end"], name="cmdb_item_warranty_idx"),
            # The register's filters and orders (regie/cmdb/filtersets.py): by status, recently changed.
            models.Index(fields=["status", "name", "id"], name="cmdb_item_status_name_idx"),
            models.Index(fields=["-updated_at", "-id"], name="cmdb_item_updated_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def rto_hours(self):
        """The recovery time objective in hours (one decimal), as users state it; None when not set."""
        rto = self.recovery_time_objective
        return None if rto is None else round(rto.total_seconds() / 3600, 1)

    @property
    def status_colour(self):
        return CI_STATUS_COLOURS.get(self.status, "secondary")

    @property
    def is_standard(self):
        """False for a model outside the standards catalogue; None when no model is known."""
        if self.model_id is None:
            return None
        return self.model.is_standard

    def get_absolute_url(self):
        return reverse("cmdb:item-detail", args=[self.pk])


class RelationQuerySet(TenantQuerySet):
    organisation_field = "source__organisation"


class Relation(ChangeLoggedModel):
    """<source> <kind> <target>: the source needs the target (see RelationKind)."""

    source = models.ForeignKey(
        ConfigurationItem, models.CASCADE, related_name="relations_out", verbose_name=_("item")
    )
    kind = models.CharField(_("relation"), max_length=16, choices=RelationKind.choices)
    target = models.ForeignKey(
        ConfigurationItem, models.CASCADE, related_name="relations_in", verbose_name=_("related item")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    objects = TenantManager.from_queryset(RelationQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["kind", "id"]
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        constraints = [
            models.UniqueConstraint(fields=["source", "kind", "target"], name="cmdb_relation_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="cmdb_relation_not_to_itself"),
        ]
        # The unique constraint serves lookups by source; impact walks by target.
        indexes = [
            models.Index(fields=["target", "source"], name="cmdb_relation_target_idx"),
            # Impact analysis asks, per affected item, for its failover twin.
            models.Index(fields=["source"], condition=Q(kind="fails_over_to"), name="cmdb_relation_failover_idx"),
        ]

    def __str__(self):
        return f"{self.source} {self.get_kind_display()} {self.target}"

    def audit_organisation_id(self):
        return self.source.organisation_id


class NetworkLinkQuerySet(TenantQuerySet):
    organisation_field = "item__organisation"


class NetworkLink(ChangeLoggedModel):
    """The network details of an item of type "network link" (§4.6): its two ends, kind,
    bandwidth, provider, and the other link of a redundant pair (Gemnet and Internet are
    double, one from each datacenter)."""

    item = models.OneToOneField(
        ConfigurationItem, models.CASCADE, related_name="network_link", verbose_name=_("item")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NetworkLinkKind.choices)
    end_a = models.ForeignKey(
        "core.Location", models.PROTECT, related_name="+", verbose_name=_("end A")
    )
    end_b = models.ForeignKey(
        "core.Location", models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("end B"), help_text=_("Empty for a link to Gemnet or the Internet."),
    )
    bandwidth_mbps = models.PositiveIntegerField(_("bandwidth (Mbit/s)"))
    provider = models.ForeignKey(
        Supplier, models.PROTECT, null=True, blank=True, related_name="network_links", verbose_name=_("provider")
    )
    redundant_with = models.OneToOneField(
        "self", models.SET_NULL, null=True, blank=True, related_name="redundant_partner",
        verbose_name=_("redundant with"),
    )

    objects = TenantManager.from_queryset(NetworkLinkQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["kind", "item__name"]
        verbose_name = _("network link")
        verbose_name_plural = _("network links")

    def __str__(self):
        return str(self.item)

    def audit_organisation_id(self):
        return self.item.organisation_id


class AffectedItemQuerySet(TenantQuerySet):
    organisation_field = "ticket__organisation"


class AffectedItem(ChangeLoggedModel):
    """A configuration item a call is about (one call may affect several items)."""

    ticket = models.ForeignKey(
        "servicedesk.Ticket", models.CASCADE, related_name="affected_items", verbose_name=_("call")
    )
    item = models.ForeignKey(
        ConfigurationItem, models.PROTECT, related_name="affected_by", verbose_name=_("configuration item")
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="+")
    added_at = models.DateTimeField(_("added at"), default=timezone.now, editable=False)

    objects = TenantManager.from_queryset(AffectedItemQuerySet)()
    all_objects = models.Manager()

    class Meta:
        base_manager_name = "all_objects"
        ordering = ["added_at", "id"]
        verbose_name = _("affected item")
        verbose_name_plural = _("affected items")
        constraints = [models.UniqueConstraint(fields=["ticket", "item"], name="cmdb_affected_item_unique")]
        indexes = [models.Index(fields=["item", "-added_at"], name="cmdb_affected_item_idx")]

    def __str__(self):
        return f"{self.ticket.reference} → {self.item}"

    def audit_organisation_id(self):
        return self.ticket.organisation_id
