"""Licence rules (§4.3.2): entitlements, assignments and compliance per product and participant.

Units in use per assignment, by the product's metric:
- per device, CAL, subscription: 1 per item or person assigned;
- per user: 1 per person (never an item);
- per core: the item's cores (attributes["cores"]), at least the product's minimum per item
  (Windows Server counts 16 cores for a smaller server); never a person.
Only live holders count: items that are retired or disposed and deactivated people do not.

Entitled units are the quantities of the entitlements valid on the day. Over-use: more in
use than entitled. Under-use: less than UNDERUSE_SHARE of the entitlement in use (money
spent on licences nobody uses).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regie.cmdb.choices import CIStatus
from regie.core.models import Organisation

from .choices import ComplianceState, LicenceMetric
from .models import Assignment, Entitlement, LicenceProduct

# Permissions (the CMDB's, until licences have their own in the roles table): reading follows
# the CMDB, assigning is keeping the CMDB, entitlements are contract business.
VIEW_PERMISSION = "cmdb.view_configurationitem"
ASSIGN_PERMISSION = "cmdb.change_configurationitem"
ENTITLE_PERMISSION = "cmdb.change_contract"

UNDERUSE_SHARE = Decimal("0.8")
# Entitlements ending within these many days are signalled (once per threshold).
EXPIRY_THRESHOLDS = (90, 30, 7)
NOT_LIVE = (CIStatus.RETIRED, CIStatus.DISPOSED)


def may_assign(user):
    return user.is_provider_staff and user.has_perm(ASSIGN_PERMISSION)


def may_entitle(user):
    return user.is_provider_staff and user.has_perm(ENTITLE_PERMISSION)


def may_keep_products(user):
    return user.is_provider_staff and user.has_perm(ENTITLE_PERMISSION)


# --- units ------------------------------------------------------------------------------------

def cores_of(attributes):
    """The item's cores from its type-specific attributes; 0 when unknown or not a number."""
    value = (attributes or {}).get("cores")
    if isinstance(value, bool):
        return 0
    try:
        cores = int(value)
    except (TypeError, ValueError):
        return 0
    return max(cores, 0)


def units_for(product, attributes=None, *, is_item=True):
    """Units one assignment of `product` uses (see the module docstring)."""
    if product.metric == LicenceMetric.PER_CORE:
        return max(cores_of(attributes), product.minimum_cores) if is_item else 0
    return 1


# --- entitlements -----------------------------------------------------------------------------

ENTITLEMENT_FIELDS = ("product", "contract", "reference", "quantity", "starts_on", "ends_on", "cost", "notes",
                      "organisation")


@transaction.atomic
def save_entitlement(actor, entitlement, values):
    """Create or change an entitlement; the provider's CMDB managers only."""
    if not may_entitle(actor):
        raise PermissionDenied(_("Only the provider's CMDB managers record entitlements."))
    entitlement = entitlement or Entitlement()
    for name in ENTITLEMENT_FIELDS:
        if name in values:
            setattr(entitlement, name, values[name])
    errors = {}
    if entitlement.organisation_id is None:
        errors["organisation"] = [_("Choose the organisation that owns the entitlement.")]
    if entitlement.quantity is not None and entitlement.quantity <= 0:
        errors["quantity"] = [_("The quantity must be at least 1.")]
    if entitlement.ends_on and entitlement.starts_on and entitlement.ends_on < entitlement.starts_on:
        errors["ends_on"] = [_("The end lies before the start.")]
    if entitlement.cost is not None and entitlement.cost < 0:
        errors["cost"] = [_("A cost cannot be negative.")]
    contract = entitlement.contract if entitlement.contract_id else None
    if contract is not None and not (
        contract.organisation_id == entitlement.organisation_id or contract.organisation.is_provider
    ):
        errors["contract"] = [_("The contract belongs to another participant.")]
    if entitlement.product_id and not entitlement.product.is_active and entitlement._state.adding:
        errors["product"] = [_("This product is no longer in use.")]
    if errors:
        raise ValidationError(errors)
    entitlement.full_clean()
    entitlement.save()
    return entitlement


# --- assignments ------------------------------------------------------------------------------

def _holder_errors(product, item, person):
    if (item is None) == (person is None):
        return {"item": [_("Assign the licence to either a configuration item or a person.")]}
    if product.metric == LicenceMetric.PER_CORE and item is None:
        return {"person": [_("A per-core licence is assigned to a server, not to a person.")]}
    if product.metric == LicenceMetric.PER_USER and person is None:
        return {"item": [_("A per-user licence is assigned to a person, not to an item.")]}
    if product.metric == LicenceMetric.PER_DEVICE and item is None:
        return {"person": [_("A per-device licence is assigned to an item, not to a person.")]}
    if item is not None and item.status in NOT_LIVE:
        return {"item": [_("%(item)s is retired; it cannot take a licence.") % {"item": item}]}
    if person is not None and not person.is_active:
        return {"person": [_("%(person)s is no longer active.") % {"person": person}]}
    if person is not None and person.organisation_id is None:
        return {"person": [_("%(person)s belongs to no organisation.") % {"person": person}]}
    return {}


@transaction.atomic
def assign(actor, *, product, item=None, person=None, entitlement=None, note=""):
    """Record that `product` is in use on `item` or by `person`. The using organisation is
    the item's owner or the person's organisation. Refuses what the metric does not allow,
    an entitlement of another product or organisation, and a second identical assignment."""
    if not may_assign(actor):
        raise PermissionDenied(_("Only the provider's CMDB keepers assign licences."))
    if product is None:
        raise ValidationError({"product": [_("Choose a licence product.")]})
    errors = _holder_errors(product, item, person)
    if errors:
        raise ValidationError(errors)
    organisation_id = item.organisation_id if item is not None else person.organisation_id
    if entitlement is not None:
        if entitlement.product_id != product.pk:
            raise ValidationError({"entitlement": [_("This entitlement is for another product.")]})
        if entitlement.organisation_id != organisation_id and not entitlement.organisation.is_provider:
            raise ValidationError({"entitlement": [_("This entitlement belongs to another participant.")]})
    duplicate = Assignment.objects.unrestricted().filter(product=product)
    duplicate = duplicate.filter(item=item) if item is not None else duplicate.filter(person=person)
    if duplicate.exists():
        raise ValidationError({"product": [_("%(product)s is already assigned to %(holder)s.")
                                           % {"product": product, "holder": item or person}]})
    try:
        with transaction.atomic():
            return Assignment.objects.unrestricted().create(
                product=product, item=item, person=person, entitlement=entitlement,
                organisation_id=organisation_id, note=(note or "").strip()[:200],
            )
    except IntegrityError as exc:  # a concurrent identical assignment
        raise ValidationError({"product": [_("This licence is already assigned there.")]}) from exc


@transaction.atomic
def unassign(actor, assignment):
    if not may_assign(actor):
        raise PermissionDenied(_("Only the provider's CMDB keepers assign licences."))
    assignment.delete()


# --- compliance -------------------------------------------------------------------------------

@dataclass
class ComplianceRow:
    product: LicenceProduct
    organisation: Organisation
    entitled: int = 0
    in_use: int = 0
    cost: Decimal = Decimal("0")
    holders: int = 0

    @property
    def balance(self):
        return self.entitled - self.in_use

    @property
    def state(self):
        if self.in_use > self.entitled:
            return ComplianceState.OVER
        if self.entitled == 0:
            return ComplianceState.NONE
        if Decimal(self.in_use) < Decimal(self.entitled) * UNDERUSE_SHARE:
            return ComplianceState.UNDER
        return ComplianceState.OK

    @property
    def usage_pct(self):
        if not self.entitled:
            return None
        return round(100 * self.in_use / self.entitled)


@dataclass
class Compliance:
    day: object
    rows: list = field(default_factory=list)

    @property
    def over(self):
        return [row for row in self.rows if row.state == ComplianceState.OVER]

    @property
    def under(self):
        return [row for row in self.rows if row.state == ComplianceState.UNDER]

    def chart(self):
        """Entitled vs in use per product (summed over the rows shown), for charts.js."""
        per_product = {}
        for row in self.rows:
            entitled, in_use = per_product.get(row.product.name, (0, 0))
            per_product[row.product.name] = (entitled + row.entitled, in_use + row.in_use)
        labels = list(per_product)
        return {
            "labels": labels,
            "series": [
                {"label": str(_("Entitled")), "data": [per_product[name][0] for name in labels]},
                {"label": str(_("In use")), "data": [per_product[name][1] for name in labels]},
            ],
        }


def compliance(user, day=None, *, product=None, organisation=None):
    """Entitled vs in use per (product, organisation) within the user's scope. A fixed
    number of queries, whatever the number of entitlements and assignments."""
    day = day or timezone.localdate()
    entitlements = Entitlement.objects.for_user(user).active_on(day)
    assignments = Assignment.objects.for_user(user).filter(
        Q(item__isnull=True) | ~Q(item__status__in=NOT_LIVE)
    ).filter(Q(person__isnull=True) | Q(person__is_active=True))
    if product is not None:
        entitlements = entitlements.filter(product=product)
        assignments = assignments.filter(product=product)
    if organisation is not None:
        entitlements = entitlements.filter(organisation=organisation)
        assignments = assignments.filter(organisation=organisation)

    counts = defaultdict(lambda: {"entitled": 0, "in_use": 0, "cost": Decimal("0"), "holders": 0})
    for row in entitlements.order_by().values("product_id", "organisation_id").annotate(
        quantity=Sum("quantity"), cost=Sum("cost")
    ):
        key = (row["product_id"], row["organisation_id"])
        counts[key]["entitled"] += row["quantity"] or 0
        counts[key]["cost"] += row["cost"] or Decimal("0")
    core_products = set(LicenceProduct.objects.unrestricted().filter(metric=LicenceMetric.PER_CORE)
                        .values_list("pk", flat=True))
    for row in assignments.exclude(product_id__in=core_products).order_by().values(
        "product_id", "organisation_id"
    ).annotate(n=Count("id")):
        key = (row["product_id"], row["organisation_id"])
        counts[key]["in_use"] += row["n"]
        counts[key]["holders"] += row["n"]
    minimum = dict(LicenceProduct.objects.unrestricted().filter(pk__in=core_products)
                   .values_list("pk", "minimum_cores"))
    for product_id, organisation_id, attributes in assignments.filter(product_id__in=core_products).values_list(
        "product_id", "organisation_id", "item__attributes"
    ):
        key = (product_id, organisation_id)
        counts[key]["in_use"] += max(cores_of(attributes), minimum.get(product_id, 0))
        counts[key]["holders"] += 1

    products = LicenceProduct.objects.unrestricted().in_bulk({key[0] for key in counts})
    organisations = Organisation.objects.unrestricted().in_bulk({key[1] for key in counts}) if counts else {}
    rows = [
        ComplianceRow(product=products[p], organisation=organisations[o], **values)
        for (p, o), values in counts.items()
    ]
    rows.sort(key=lambda row: (row.product.name, row.organisation.name))
    return Compliance(day=day, rows=rows)


# --- expiry -----------------------------------------------------------------------------------

def send_expiry_warnings(day=None):
    """Beat reconcile: warn before entitlements end, at 90, 30 and 7 days. Idempotent: each
    (entitlement, end date, threshold, recipient) once, however often it runs."""
    import datetime

    from regie.cmdb.contracts import due_threshold, expiry_recipients, provider_recipients
    from regie.integrations.services import notify

    day = day or timezone.localdate()
    horizon = day + datetime.timedelta(days=max(EXPIRY_THRESHOLDS))
    due = (
        Entitlement.objects.unrestricted().filter(ends_on__gte=day, ends_on__lte=horizon)
        .select_related("product", "organisation__account_manager").order_by("ends_on", "id")
    )
    provider_people = provider_recipients()
    sent = 0
    for entitlement in due:
        threshold = due_threshold(entitlement.ends_on, day, EXPIRY_THRESHOLDS)
        people = expiry_recipients(entitlement.organisation, provider_people)
        if threshold is None or not people:
            continue
        end = formats.date_format(entitlement.ends_on, "SHORT_DATE_FORMAT")
        with transaction.atomic():
            notify(
                "licence.expiring", entitlement, people,
                {
                    "url": reverse("cmdb:licence-entitlement-detail", args=[entitlement.pk]),
                    "title": format_lazy(gettext_lazy("{quantity} × {product} of {organisation} end on {end}"),
                                         quantity=entitlement.quantity, product=entitlement.product.name,
                                         organisation=entitlement.organisation.name, end=end),
                    "body": format_lazy(
                        gettext_lazy("The entitlement {reference} ends in {days} days. Renew it in time, "
                                     "or remove the assignments that depend on it."),
                        reference=entitlement.reference or entitlement.product.name,
                        days=(entitlement.ends_on - day).days,
                    ),
                },
                occurrence=f"expiry-{threshold}-{entitlement.ends_on.isoformat()}",
            )
        sent += 1
    return sent
