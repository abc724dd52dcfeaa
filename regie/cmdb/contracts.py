"""Rules for suppliers and contracts (§4.1.3, R-4.1.3): framework contracts from tenders,
maintenance and warranty contracts, and the signals before a contract ends.

- A purchase must name a valid framework contract: a framework contract of the buyer (or
  of the provider, for joint tenders), valid on the day of purchase, with a product line
  for the model (or for its item type), and the model must be in the standards catalogue.
  `check_purchase()` says why not; `valid_framework_contract_for()` finds one.
- Expiring contracts are signalled to the provider's team leads and ICT manager, once per
  threshold (the contract's notice period and EXPIRY_WARNING_DAYS before its end), by the
  beat task `regie.cmdb.contract_expiry_warnings` (see tasks.py).
- At a 3rd-line hand-over the service desk sees the response and resolution times of the
  maintenance or warranty contracts of the call's affected items (`terms_for_ticket()`).
"""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regie.core.choices import OrganisationKind

from .choices import ContractKind
from .models import ConfigurationItemModel, Contract, ContractLine, Supplier, SupplierContact

# Besides the notice period, every contract is signalled this many days before its end.
EXPIRY_WARNING_DAYS = 30
# Roles of the provider told about expiring contracts (and licence entitlements).
EXPIRY_ROLES = ("team_lead", "ict_manager")
SUPPORT_KINDS = (ContractKind.MAINTENANCE, ContractKind.WARRANTY)

MANAGE_PERMISSION = "cmdb.change_contract"
SUPPLIER_PERMISSION = "cmdb.change_supplier"


def _period(contract):
    start = formats.date_format(contract.starts_on, "SHORT_DATE_FORMAT")
    end = formats.date_format(contract.ends_on, "SHORT_DATE_FORMAT") if contract.ends_on else "…"
    return f"{start} – {end}"


def _covers(contract, model):
    # A line names one standard model, or a whole item type ("any laptop").
    return contract.lines.filter(Q(model=model) | Q(model__isnull=True, ci_type_id=model.ci_type_id)).exists()


def _usable_by(contract, organisation):
    """A buyer uses its own contracts and the provider's (joint tenders)."""
    if organisation is None:
        return True
    return contract.organisation_id == organisation.pk or contract.organisation.is_provider


def purchase_refusals(model, contract, day, organisation=None):
    """Why buying `model` under `contract` on `day` is not allowed: {field: [reasons]}."""
    errors = {}

    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    if model is None:
        refuse("model", _("Name the brand and type (model) that is bought."))
    elif not model.is_standard:
        refuse("model", _("%(model)s is not in the standards catalogue; the provider must approve it first.")
               % {"model": model})
    if contract is None:
        refuse("framework_contract", _("A purchase must name a valid framework contract."))
        return errors
    if contract.kind != ContractKind.FRAMEWORK:
        refuse("framework_contract", _("%(contract)s is a %(kind)s, not a framework contract.")
               % {"contract": contract, "kind": contract.get_kind_display()})
        return errors
    if not _usable_by(contract, organisation):
        refuse("framework_contract", _("Framework contract %(contract)s belongs to another participant.")
               % {"contract": contract.reference})
    if not contract.is_valid_on(day):
        refuse("framework_contract", _("Framework contract %(contract)s is not valid on %(day)s (it runs %(period)s).")
               % {"contract": contract.reference, "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
                  "period": _period(contract)})
    if model is not None and not _covers(contract, model):
        refuse("framework_contract", _("Framework contract %(contract)s has no product line for %(model)s.")
               % {"contract": contract.reference, "model": model})
    return errors


def check_purchase(model, contract, day=None, organisation=None):
    """Raise ValidationError (keyed "model" / "framework_contract") unless the purchase is
    allowed. `organisation` is the buyer (the item's owner); None skips that check."""
    errors = purchase_refusals(model, contract, day or timezone.localdate(), organisation)
    if errors:
        raise ValidationError(errors)


def framework_contracts_for(model, day=None, organisation=None):
    """Framework contracts under which `model` may be bought on `day` (nearest end first)."""
    day = day or timezone.localdate()
    if model is None or not model.is_standard:
        return Contract.objects.none()
    queryset = Contract.objects.unrestricted().filter(kind=ContractKind.FRAMEWORK, starts_on__lte=day).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=day)
    )
    covered = Q(lines__model=model) | Q(lines__model__isnull=True, lines__ci_type=model.ci_type_id)
    queryset = queryset.filter(covered)
    if organisation is not None:
        queryset = queryset.filter(Q(organisation=organisation) | Q(organisation__kind=OrganisationKind.PROVIDER))
    return queryset.distinct().order_by("ends_on", "reference", "id")


def valid_framework_contract_for(model, day=None, organisation=None):
    """The framework contract a purchase of `model` on `day` may name, or None."""
    return framework_contracts_for(model, day, organisation).first()


# --- expiry -----------------------------------------------------------------------------------

def thresholds(contract):
    """Days before the end at which a contract is signalled, largest first."""
    return sorted({days for days in (contract.notice_days, EXPIRY_WARNING_DAYS) if days > 0}, reverse=True)


def expiring_q(day, notice_values):
    """Contracts that end within max(notice period, EXPIRY_WARNING_DAYS) of `day` (and
    have not ended). Cross-database: one condition per notice period in use."""
    condition = Q(pk__in=[])
    for notice in notice_values:
        horizon = day + datetime.timedelta(days=max(notice, EXPIRY_WARNING_DAYS))
        condition |= Q(notice_days=notice, ends_on__gte=day, ends_on__lte=horizon)
    return condition


def expiring(queryset, day=None):
    day = day or timezone.localdate()
    notices = set(queryset.order_by().values_list("notice_days", flat=True).distinct())
    return queryset.filter(expiring_q(day, notices))


def is_expiring(contract, day=None):
    day = day or timezone.localdate()
    if contract.ends_on is None or contract.ends_on < day:
        return False
    return (contract.ends_on - day).days <= max(contract.notice_days, EXPIRY_WARNING_DAYS)


def due_threshold(ends_on, day, steps):
    """The smallest threshold of `steps` (days) already reached on `day`, or None."""
    if ends_on is None or ends_on < day:
        return None
    left = (ends_on - day).days
    reached = [step for step in steps if left <= step]
    return min(reached) if reached else None


def provider_recipients():
    """The provider's team leads and ICT managers (told about every expiring contract)."""
    from regie.core.models import User

    return list(
        User.objects.unrestricted().filter(
            groups__name__in=EXPIRY_ROLES, is_active=True, organisation__kind=OrganisationKind.PROVIDER
        ).distinct().order_by("pk")
    )


def expiry_recipients(organisation, provider_people=None):
    """The provider's team leads and ICT managers, plus the participant's account manager
    for a participant's own contract or entitlement."""
    people = list(provider_people if provider_people is not None else provider_recipients())
    if organisation is not None and not organisation.is_provider and organisation.account_manager_id:
        manager = organisation.account_manager
        if manager.is_active and manager not in people:
            people.append(manager)
    return people


def send_expiry_warnings(day=None):
    """Beat reconcile: signal every contract that reached a threshold. Idempotent: each
    (contract, end date, threshold, recipient) is notified once, however often this runs
    (the outbox's dedup keys); a contract extended to a new end date is signalled anew."""
    from regie.integrations.services import notify

    day = day or timezone.localdate()
    contracts = Contract.objects.unrestricted().select_related(
        "supplier", "organisation__account_manager"
    )
    due = expiring(contracts.filter(ends_on__isnull=False), day)
    provider_people = provider_recipients()
    sent = 0
    for contract in due.order_by("ends_on", "id"):
        threshold = due_threshold(contract.ends_on, day, thresholds(contract))
        if threshold is None:
            continue
        people = expiry_recipients(contract.organisation, provider_people)
        if not people:
            continue
        end = formats.date_format(contract.ends_on, "SHORT_DATE_FORMAT")
        with transaction.atomic():
            notify(
                "contract.expiring", contract, people,
                {
                    "url": reverse("cmdb:contract-detail", args=[contract.pk]),
                    "title": format_lazy(gettext_lazy("Contract {reference} with {supplier} ends on {end}"),
                                         reference=contract.reference, supplier=contract.supplier.name, end=end),
                    "body": format_lazy(
                        gettext_lazy("{name} ({kind}) ends on {end}; the notice period is {notice} days. "
                                     "Decide in time whether to extend, re-tender or end it."),
                        name=contract.name, kind=contract.get_kind_display(), end=end, notice=contract.notice_days,
                    ),
                },
                occurrence=f"expiry-{threshold}-{contract.ends_on.isoformat()}",
            )
        sent += 1
    return sent


# --- 3rd-line hand-over -----------------------------------------------------------------------

def terms_for_ticket(ticket, day=None):
    """[(item, contract)] for the call's affected items under a maintenance or warranty
    contract valid today: what the supplier promised (response and resolution times)."""
    from .models import AffectedItem

    day = day or timezone.localdate()
    rows = []
    affected = (
        AffectedItem.objects.unrestricted().filter(ticket=ticket)
        .select_related("item__maintenance_contract__supplier").order_by("added_at", "id")
    )
    for link in affected:
        contract = link.item.maintenance_contract
        if contract is not None and contract.kind in SUPPORT_KINDS and contract.is_valid_on(day):
            rows.append((link.item, contract))
    return rows


def terms_text(rows):
    """A one-line summary for the hand-over's "warranty or maintenance terms" field."""
    parts = []
    for item, contract in rows:
        times = []
        if contract.response_hours is not None:
            times.append(_("response %(hours)s h") % {"hours": contract.response_hours})
        if contract.resolution_hours is not None:
            times.append(_("resolution %(hours)s h") % {"hours": contract.resolution_hours})
        parts.append(f"{item}: {contract.reference} ({contract.supplier})" + (f", {', '.join(times)}" if times else ""))
    return "; ".join(parts)[:300]


# --- keeping suppliers and contracts ---------------------------------------------------------

def _require(actor, permission):
    if not actor.is_provider_staff or not actor.has_perm(permission):
        raise PermissionDenied(_("Only the provider's CMDB managers keep suppliers and contracts."))


def _apply(instance, values, fields):
    for name in fields:
        if name in values:
            setattr(instance, name, values[name])


SUPPLIER_FIELDS = ("name", "chamber_of_commerce", "website", "email", "phone", "support_hours", "notes", "is_active")
CONTACT_FIELDS = ("name", "role", "email", "phone")
CONTRACT_FIELDS = (
    "reference", "name", "kind", "supplier", "tender", "starts_on", "ends_on", "notice_days", "response_hours",
    "resolution_hours", "annual_value", "notes", "organisation",
)


def _full_clean(instance, exclude=None):
    instance.full_clean(exclude=exclude)


@transaction.atomic
def save_supplier(actor, supplier, values):
    _require(actor, SUPPLIER_PERMISSION if supplier is not None else "cmdb.add_supplier")
    supplier = supplier or Supplier()
    _apply(supplier, values, SUPPLIER_FIELDS)
    supplier.name = (supplier.name or "").strip()
    _full_clean(supplier)
    supplier.save()
    return supplier


@transaction.atomic
def save_contact(actor, supplier, contact, values):
    _require(actor, SUPPLIER_PERMISSION)
    contact = contact or SupplierContact(supplier=supplier)
    _apply(contact, values, CONTACT_FIELDS)
    _full_clean(contact)
    contact.save()
    return contact


@transaction.atomic
def delete_contact(actor, contact):
    _require(actor, SUPPLIER_PERMISSION)
    contact.delete()


def _check_contract(contract):
    errors = {}
    # The model's unique check would go through the (fail-closed) default manager: ask here.
    if contract.supplier_id and contract.reference and Contract.objects.unrestricted().filter(
        supplier_id=contract.supplier_id, reference=contract.reference
    ).exclude(pk=contract.pk).exists():
        errors["reference"] = [_("This supplier already has a contract with this reference.")]
    if contract.ends_on and contract.starts_on and contract.ends_on < contract.starts_on:
        errors["ends_on"] = [_("The end lies before the start.")]
    if contract.kind in SUPPORT_KINDS and contract.response_hours is None and contract.resolution_hours is None:
        errors["response_hours"] = [_("A maintenance or warranty contract states a response or resolution time.")]
    if contract.kind == ContractKind.FRAMEWORK and not (contract.tender or "").strip():
        errors["tender"] = [_("Name the tender this framework contract came from.")]
    if (contract.response_hours is not None and contract.resolution_hours is not None
            and contract.resolution_hours < contract.response_hours):
        errors["resolution_hours"] = [_("The resolution time cannot be shorter than the response time.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_contract(actor, contract, values):
    """Create or change a contract. `organisation` is the contracting party (provider or a
    participant); only the provider's CMDB managers keep contracts."""
    _require(actor, MANAGE_PERMISSION if contract is not None else "cmdb.add_contract")
    contract = contract or Contract()
    _apply(contract, values, CONTRACT_FIELDS)
    contract.reference = (contract.reference or "").strip()
    if contract.organisation_id is None:
        contract.organisation = actor.organisation
    _check_contract(contract)
    _full_clean(contract)
    contract.save()
    return contract


@transaction.atomic
def save_line(actor, contract, line, values):
    _require(actor, MANAGE_PERMISSION)
    if contract.kind != ContractKind.FRAMEWORK:
        raise ValidationError({"model": [_("Only framework contracts have product lines.")]})
    line = line or ContractLine(contract=contract)
    _apply(line, values, ("model", "description", "unit_price"))
    if not (line.description or "").strip() and line.model_id:
        line.description = str(line.model)
    if line.unit_price is not None and line.unit_price < 0:
        raise ValidationError({"unit_price": [_("A price cannot be negative.")]})
    _full_clean(line)
    line.save()
    return line


@transaction.atomic
def delete_line(actor, line):
    _require(actor, MANAGE_PERMISSION)
    line.delete()


def model_choices():
    return ConfigurationItemModel.objects.unrestricted().select_related("ci_type")
