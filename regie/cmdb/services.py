"""Rules of the item register: configuration items, their type-specific attributes, their
lifecycle, item types and the standards catalogue (§4.1.2, appendix 3).

The pages and the API call these functions and show what they refuse; nothing here reads a
request. Refusals are `ValidationError`s keyed by model field (`attributes` errors keyed by
attribute code, nested under "attributes" by `save_item`), or `PermissionDenied`.

- `validate_attributes(ci_type, data)`: the type's declared attributes, typed and checked
  (kinds text, integer, decimal, date, boolean, choice; required, min/max, choices);
  unknown attributes are refused. Returns the JSON-ready dict that is stored.
- `validate_schema(schema)`: an item type's attribute declarations themselves.
- Ownership: provider staff may register an item for any participant or the provider;
  a participant's user (only with the change permission, which the default roles do not
  give) only for their own organisation.
- Lifecycle: ordered → in stock → in use ⇄ in repair → retired → disposed; "disposed" is
  final (TRANSITIONS lists every allowed step).
- A purchase (an item registered as "ordered", or any item naming a framework contract)
  must name a valid framework contract for a standard model (contracts.check_purchase).
- Standards: anyone who keeps the CMDB, and a participant's CMDB reader, may propose a
  model; only the provider with `cmdb.approve_configurationitemmodel` approves or rejects
  it. A model is standard while approved and not past its "standard until" date.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from regie.core.choices import OrganisationKind
from regie.core.models import Location, Organisation
from regie.core.tenancy import is_provider_staff

from .choices import AttributeKind, CIStatus, ContractKind, ModelApproval
from .models import ConfigurationItem, ConfigurationItemModel, Contract

S = CIStatus
# Allowed lifecycle steps (staying in the same status is always allowed).
TRANSITIONS = {
    S.ORDERED: {S.IN_STOCK, S.IN_USE, S.RETIRED},
    S.IN_STOCK: {S.IN_USE, S.IN_REPAIR, S.RETIRED},
    S.IN_USE: {S.IN_STOCK, S.IN_REPAIR, S.RETIRED},
    S.IN_REPAIR: {S.IN_USE, S.IN_STOCK, S.RETIRED},
    S.RETIRED: {S.IN_STOCK, S.DISPOSED},
    S.DISPOSED: set(),
}
# Statuses a new item may start in.
INITIAL_STATUSES = (S.ORDERED, S.IN_STOCK, S.IN_USE, S.IN_REPAIR)

# Fields save_item() accepts (besides `attributes`).
ITEM_FIELDS = (
    "organisation", "ci_type", "name", "model", "status", "serial_number", "asset_tag", "supplier", "purchase_date",
    "price", "location", "assigned_to", "warranty_end", "maintenance_contract", "framework_contract",
    "recovery_time_objective", "notes",
)
SUPPORT_CONTRACT_KINDS = (ContractKind.MAINTENANCE, ContractKind.WARRANTY, ContractKind.SERVICE)

VIEW_PERMISSION = "cmdb.view_configurationitem"
# How far ahead an ending warranty is signalled (replacing an item takes a purchase round).
WARRANTY_HORIZON_DAYS = 90
ADD_PERMISSION = "cmdb.add_configurationitem"
CHANGE_PERMISSION = "cmdb.change_configurationitem"
DELETE_PERMISSION = "cmdb.delete_configurationitem"
PROPOSE_PERMISSION = "cmdb.add_configurationitemmodel"
APPROVE_PERMISSION = "cmdb.approve_configurationitemmodel"
TYPE_PERMISSION = "cmdb.change_configurationitemtype"

ATTRIBUTE_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
SPEC_KEYS = {"code", "label", "kind", "required", "choices", "min", "max", "help"}
TEXT_MAX = 500


# --- type-specific attributes -----------------------------------------------------------------

def _number(value, kind):
    """An int (integer) or an int/float (decimal) from a JSON value or text; ValueError if not."""
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        number = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        if len(text) > 40:
            raise ValueError
        if "," in text and "." in text:  # 1.234,5 (Dutch) → 1234.5
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", ".")
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise ValueError from exc
    else:
        raise ValueError
    if not number.is_finite():
        raise ValueError
    if number == number.to_integral_value():
        return int(number)
    if kind == AttributeKind.INTEGER:
        raise ValueError
    return float(number)


def _boolean(value):
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "ja", "on", "y", "j"}:
        return True
    if text in {"false", "0", "no", "nee", "off", "n"}:
        return False
    raise ValueError


def clean_attribute(spec, value):
    """One attribute value, typed and checked against its declaration. None for empty."""
    kind = spec.get("kind", AttributeKind.TEXT)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if kind in (AttributeKind.INTEGER, AttributeKind.DECIMAL):
        try:
            result = _number(value, kind)
        except ValueError as exc:
            message = _("Enter a whole number.") if kind == AttributeKind.INTEGER else _("Enter a number.")
            raise ValidationError(message, code="invalid") from exc
        if spec.get("min") is not None and result < spec["min"]:
            raise ValidationError(_("At least %(min)s.") % {"min": spec["min"]}, code="min_value")
        if spec.get("max") is not None and result > spec["max"]:
            raise ValidationError(_("At most %(max)s.") % {"max": spec["max"]}, code="max_value")
        return result
    if kind == AttributeKind.DATE:
        if isinstance(value, datetime.datetime):
            value = value.date()
        if isinstance(value, datetime.date):
            return value.isoformat()
        day = None
        if isinstance(value, str):
            text = value.strip()
            try:
                day = parse_date(text)
                if day is None and re.fullmatch(r"\d{1,2}-\d{1,2}-\d{4}", text):
                    d, m, y = (int(part) for part in text.split("-"))
                    day = datetime.date(y, m, d)
            except ValueError:
                day = None
        if day is None:
            raise ValidationError(_("Enter a valid date (YYYY-MM-DD)."), code="invalid")
        return day.isoformat()
    if kind == AttributeKind.BOOLEAN:
        try:
            return _boolean(value)
        except ValueError as exc:
            raise ValidationError(_("Enter yes or no."), code="invalid") from exc
    if kind == AttributeKind.CHOICE:
        text = str(value).strip()
        for choice in spec.get("choices") or []:
            if str(choice).lower() == text.lower():
                return choice
        raise ValidationError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": text[:40], "choices": ", ".join(str(c) for c in spec.get("choices") or [])},
            code="invalid_choice",
        )
    if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
        raise ValidationError(_("Enter text."), code="invalid")
    text = str(value).strip()
    limit = min(int(spec["max"]), TEXT_MAX) if spec.get("max") is not None else TEXT_MAX
    if len(text) > limit:
        raise ValidationError(_("At most %(max)s characters.") % {"max": limit}, code="max_length")
    if spec.get("min") is not None and len(text) < int(spec["min"]):
        raise ValidationError(_("At least %(min)s characters.") % {"min": spec["min"]}, code="min_length")
    return text


def validate_attributes(ci_type, data):
    """The type-specific attributes of an item of `ci_type`, cleaned: {code: JSON value}.
    Empty values are left out. Raises ValidationError keyed by attribute code (required,
    wrong kind, out of range, not a choice, or not declared for this type)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError({"attributes": _("Give the attributes as an object of code: value.")})
    specs = {spec["code"]: spec for spec in ci_type.attribute_schema or []}
    errors = {}
    cleaned = {}
    for code in data:
        if code not in specs:
            errors[str(code)[:60]] = [_("“%(type)s” has no attribute “%(code)s”.")
                                      % {"type": ci_type.name, "code": str(code)[:60]}]
    for code, spec in specs.items():
        try:
            value = clean_attribute(spec, data.get(code))
        except ValidationError as exc:
            errors[code] = exc.messages
            continue
        if value is None:
            if spec.get("required"):
                errors[code] = [_("%(label)s is required.") % {"label": spec.get("label") or code}]
            continue
        cleaned[code] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def attribute_rows(item):
    """[(label, display value)] of an item's attributes in the order its type declares them,
    then any attribute the type no longer declares (shown by code)."""
    rows = []
    values = dict(item.attributes or {})
    for spec in item.ci_type.attribute_schema or []:
        if spec["code"] not in values:
            continue
        value = values.pop(spec["code"])
        kind = spec.get("kind")
        if kind == AttributeKind.BOOLEAN:
            value = _("yes") if value else _("no")
        elif kind == AttributeKind.DATE and isinstance(value, str):
            value = parse_date(value) or value
        rows.append((spec.get("label") or spec["code"], value))
    for code, value in values.items():
        rows.append((code, value))
    return rows


def validate_schema(schema):
    """An item type's attribute declarations, checked and normalised. Raises
    ValidationError({"attribute_schema": [...]}) listing every problem (by position)."""
    problems = []
    if not isinstance(schema, list):
        raise ValidationError({"attribute_schema": [_("Declare the attributes as a list of objects.")]})
    cleaned, seen = [], set()
    for index, spec in enumerate(schema, start=1):
        where = _("Attribute %(n)s") % {"n": index}
        if not isinstance(spec, dict):
            problems.append(_("%(where)s: not an object.") % {"where": where})
            continue
        unknown = sorted(set(spec) - SPEC_KEYS)
        if unknown:
            problems.append(_("%(where)s: unknown keys %(keys)s.") % {"where": where, "keys": ", ".join(unknown)})
        code = spec.get("code")
        if not isinstance(code, str) or not ATTRIBUTE_CODE.match(code):
            problems.append(_("%(where)s: the code must be lower-case letters, digits or _, starting with a letter "
                              "(at most 40).") % {"where": where})
        elif code in seen:
            problems.append(_("%(where)s: the code “%(code)s” is used twice.") % {"where": where, "code": code})
        else:
            seen.add(code)
            where = f"“{code}”"
        label = spec.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 100:
            problems.append(_("%(where)s: give a label of at most 100 characters.") % {"where": where})
        kind = spec.get("kind", AttributeKind.TEXT)
        if kind not in AttributeKind.values:
            problems.append(_("%(where)s: the kind must be one of %(kinds)s.")
                            % {"where": where, "kinds": ", ".join(AttributeKind.values)})
        required = spec.get("required", False)
        if not isinstance(required, bool):
            problems.append(_("%(where)s: “required” is true or false.") % {"where": where})
        choices = spec.get("choices")
        if kind == AttributeKind.CHOICE:
            if (not isinstance(choices, list) or not choices
                    or not all(isinstance(c, str) and c.strip() for c in choices)):
                problems.append(_("%(where)s: a choice needs a list of choices (text).") % {"where": where})
            elif len({c.lower() for c in choices}) != len(choices):
                problems.append(_("%(where)s: a choice is listed twice.") % {"where": where})
        elif choices is not None:
            problems.append(_("%(where)s: only a choice has choices.") % {"where": where})
        bounds = {key: spec.get(key) for key in ("min", "max") if spec.get(key) is not None}
        if bounds:
            if kind not in (AttributeKind.INTEGER, AttributeKind.DECIMAL, AttributeKind.TEXT):
                problems.append(_("%(where)s: min and max apply to numbers and text only.") % {"where": where})
            elif not all(isinstance(v, int | float) and not isinstance(v, bool) for v in bounds.values()):
                problems.append(_("%(where)s: min and max are numbers.") % {"where": where})
            elif kind == AttributeKind.TEXT and not all(isinstance(v, int) and v >= 0 for v in bounds.values()):
                problems.append(_("%(where)s: for text, min and max are lengths (whole numbers).") % {"where": where})
            elif "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
                problems.append(_("%(where)s: min is larger than max.") % {"where": where})
        help_text = spec.get("help", "")
        if not isinstance(help_text, str) or len(help_text) > 300:
            problems.append(_("%(where)s: the help is text of at most 300 characters.") % {"where": where})
        clean = {"code": code, "label": (label or "").strip(), "kind": kind, "required": bool(required)}
        if kind == AttributeKind.CHOICE and isinstance(choices, list):
            clean["choices"] = [str(c).strip() for c in choices]
        clean.update(bounds)
        if help_text:
            clean["help"] = help_text
        cleaned.append(clean)
    if problems:
        raise ValidationError({"attribute_schema": problems})
    return cleaned


def save_type_schema(actor, ci_type, schema):
    """Change an item type's attribute declarations (the provider's CMDB managers)."""
    if not (is_provider_staff(actor) and actor.has_perm(TYPE_PERMISSION)):
        raise PermissionDenied(_("You may not change item types."))
    ci_type.attribute_schema = validate_schema(schema)
    with transaction.atomic():
        ci_type.save()
    return ci_type


# --- who may do what -----------------------------------------------------------------------------

def visible_items(user):
    if not user.has_perm(VIEW_PERMISSION):
        return ConfigurationItem.objects.none()
    return ConfigurationItem.objects.for_user(user)


def may_add(user):
    return user.has_perm(ADD_PERMISSION) and user.organisation_id is not None


def may_change(user, item=None):
    """Provider staff with the change permission: any item; a participant's user with the
    change permission: only their own organisation's items."""
    if not user.has_perm(CHANGE_PERMISSION):
        return False
    if item is None or is_provider_staff(user):
        return True
    return item.organisation_id == user.organisation_id


def may_delete(user, item=None):
    return user.has_perm(DELETE_PERMISSION) and (item is None or is_provider_staff(user)
                                                 or item.organisation_id == user.organisation_id)


def owner_choices(user):
    """The organisations `user` may register an item for."""
    if is_provider_staff(user):
        return Organisation.objects.unrestricted().filter(
            kind__in=[OrganisationKind.PROVIDER, OrganisationKind.PARTICIPANT], is_active=True
        )
    if user.organisation_id is None:
        return Organisation.objects.none()
    return Organisation.objects.unrestricted().filter(pk=user.organisation_id)


def location_choices(user):
    """Locations an item may stand: the owner's own, and the provider's (datacenters)."""
    locations = Location.objects.unrestricted().select_related("organisation")
    if is_provider_staff(user):
        return locations
    return locations.filter(Q(organisation_id=user.organisation_id) | Q(organisation__kind=OrganisationKind.PROVIDER))


def contract_choices(user):
    return Contract.objects.for_user(user).select_related("supplier")


def may_propose_model(user):
    """CMDB keepers, and a participant's CMDB readers (they ask for a model they need)."""
    if user.has_perm(PROPOSE_PERMISSION):
        return True
    return not is_provider_staff(user) and user.organisation_id is not None and user.has_perm(VIEW_PERMISSION)


def may_approve_model(user):
    return is_provider_staff(user) and user.has_perm(APPROVE_PERMISSION)


def may_edit_types(user):
    return is_provider_staff(user) and user.has_perm(TYPE_PERMISSION)


# --- lifecycle ---------------------------------------------------------------------------------

def allowed_statuses(current):
    """Statuses an item in `current` may be given (itself included); all starting ones for a new item."""
    if current is None:
        return list(INITIAL_STATUSES)
    return [status for status in CIStatus.values if status == current or status in TRANSITIONS.get(current, set())]


def check_transition(current, new):
    if new not in CIStatus.values:
        raise ValidationError({"status": _("Choose a valid status.")})
    if current is None:
        if new not in INITIAL_STATUSES:
            raise ValidationError({"status": _("A new item starts as ordered, in stock, in use or in repair.")})
        return
    if new != current and new not in TRANSITIONS.get(current, set()):
        if current == CIStatus.DISPOSED:
            raise ValidationError({"status": _("A disposed item stays disposed.")})
        raise ValidationError({"status": _("An item cannot go from “%(old)s” to “%(new)s”.")
                               % {"old": CIStatus(current).label, "new": CIStatus(new).label}})


# --- items ---------------------------------------------------------------------------------------

def _check_references(actor, item, errors):
    def refuse(field, message):
        errors.setdefault(field, []).append(message)

    owner = item.organisation if item.organisation_id else None
    if owner is not None and not owner_choices(actor).filter(pk=owner.pk).exists():
        refuse("organisation", _("You may not register items for this organisation."))
    if item.model_id and item.ci_type_id and item.model.ci_type_id != item.ci_type_id:
        refuse("model", _("This model is of another item type (%(type)s).") % {"type": item.model.ci_type})
    if item.location_id and owner is not None:
        location = item.location
        provider_place = location.organisation.kind == OrganisationKind.PROVIDER
        if location.organisation_id != owner.pk and not provider_place:
            refuse("location", _("The location belongs to another organisation."))
        elif not location_choices(actor).filter(pk=location.pk).exists():
            refuse("location", _("Choose a valid location."))
    for field, kinds, wrong in (
        ("maintenance_contract", SUPPORT_CONTRACT_KINDS, _("Choose a maintenance, warranty or service contract.")),
        ("framework_contract", (ContractKind.FRAMEWORK,), _("Choose a framework contract.")),
    ):
        contract = getattr(item, field) if getattr(item, f"{field}_id") else None
        if contract is None:
            continue
        if contract.kind not in kinds:
            refuse(field, wrong)
        elif not contract_choices(actor).filter(pk=contract.pk).exists():
            refuse(field, _("Choose a valid contract."))
        elif owner is not None and contract.organisation_id != owner.pk and not contract.organisation.is_provider:
            refuse(field, _("This contract is another organisation's."))
    if item.assigned_to_id and owner is not None:
        person = item.assigned_to
        if person.organisation_id != owner.pk and not (person.organisation and person.organisation.is_provider):
            refuse("assigned_to", _("Assign the item to a person of its owner (or of the provider)."))
    if item.asset_tag and ConfigurationItem.all_objects.filter(asset_tag=item.asset_tag).exclude(pk=item.pk).exists():
        refuse("asset_tag", _("This asset tag is already in use."))
    if item.price is not None and item.price < 0:
        refuse("price", _("A price cannot be negative."))
    if item.purchase_date and item.purchase_date > timezone.localdate() + datetime.timedelta(days=366):
        refuse("purchase_date", _("The purchase date is more than a year ahead."))
    if item.recovery_time_objective is not None and item.recovery_time_objective <= datetime.timedelta(0):
        refuse("recovery_time_objective", _("The recovery time objective is longer than zero."))


def _check_purchase(item, previous, errors):
    """An ordered item, or one naming a (new) framework contract, is a purchase."""
    from . import contracts

    contract_changed = item.framework_contract_id and (
        previous is None or previous.framework_contract_id != item.framework_contract_id
        or previous.model_id != item.model_id
    )
    ordered_now = item.status == CIStatus.ORDERED and (previous is None or previous.status != CIStatus.ORDERED)
    if not (contract_changed or ordered_now) or "framework_contract" in errors or "model" in errors:
        return
    day = item.purchase_date or timezone.localdate()
    owner = item.organisation if item.organisation_id else None
    try:
        contracts.check_purchase(item.model if item.model_id else None,
                                 item.framework_contract if item.framework_contract_id else None,
                                 day, organisation=owner)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)


def save_item(actor, item, values):
    """Create (item None) or change an item for `actor`. `values` holds ITEM_FIELDS and
    `attributes`; fields left out stay as they are. Returns the saved item; raises
    PermissionDenied, or AttributeAwareValidationError: `.field_errors` {field: [...]} and
    `.attribute_errors` {code: [...]} (its message_dict names them "attributes.<code>")."""
    creating = item is None
    if creating:
        if not may_add(actor):
            raise PermissionDenied(_("You may not register configuration items."))
        item = ConfigurationItem()
        previous = None
    else:
        if not may_change(actor, item):
            raise PermissionDenied(_("You may not change this item."))
        previous = ConfigurationItem.all_objects.filter(pk=item.pk).first()
    values = dict(values)
    unknown = set(values) - set(ITEM_FIELDS) - {"attributes"}
    if unknown:
        raise ValidationError({name: [_("This field is unknown or may not be written.")] for name in sorted(unknown)})
    new_type = values.get("ci_type")
    if not creating and new_type is not None and new_type.pk != item.ci_type_id:
        raise ValidationError({"ci_type": [_("The type of an item cannot be changed; register a new item.")]})
    if creating and values.get("organisation") is None:
        values["organisation"] = actor.organisation if not is_provider_staff(actor) else None
    for name, value in values.items():
        if name != "attributes":
            setattr(item, name, value)
    for name in ("name", "serial_number", "asset_tag", "notes"):
        if isinstance(getattr(item, name), str):
            setattr(item, name, getattr(item, name).strip())
    errors = {}
    attribute_errors = {}
    if not item.ci_type_id:
        errors["ci_type"] = [_("Choose the item type.")]
    elif "attributes" in values or creating:
        try:
            item.attributes = validate_attributes(item.ci_type, values.get("attributes") or {})
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                attribute_errors = exc.message_dict
            else:
                errors["attributes"] = exc.messages
    if not item.organisation_id:
        errors["organisation"] = [_("Choose the owner.")]
    try:
        check_transition(previous.status if previous else None, item.status)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _check_references(actor, item, errors)
    if not errors.get("status"):
        _check_purchase(item, previous, errors)
    try:
        item.full_clean(exclude=["attributes", *errors], validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors or attribute_errors:
        raise AttributeAwareValidationError(errors, attribute_errors)
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError as exc:
        raise ValidationError({"asset_tag": [_("This asset tag is already in use.")]}) from exc
    return item


class AttributeAwareValidationError(ValidationError):
    """A ValidationError whose `attribute_errors` holds {code: [messages]} for the item's
    type-specific attributes; `message_dict` shows them as "attributes.<code>"."""

    def __init__(self, errors, attribute_errors):
        merged = dict(errors)
        for code, messages in attribute_errors.items():
            merged[f"attributes.{code}"] = messages
        super().__init__(merged or {"__all__": [_("Invalid input.")]})
        self.field_errors = errors
        self.attribute_errors = attribute_errors


def change_status(actor, item, status):
    """Move an item along its lifecycle (retire, dispose, repair …)."""
    return save_item(actor, item, {"status": status})


def delete_item(actor, item):
    """Remove an item registered by mistake. An item that calls are about, or that
    licences or certificates point at, is retired instead (its history stays)."""
    if not may_delete(actor, item):
        raise PermissionDenied(_("You may not delete this item."))
    if item.affected_by.exists():
        raise ValidationError(_("Calls are linked to this item: retire it instead of deleting it."))
    try:
        with transaction.atomic():
            item.delete()
    except ProtectedError as exc:
        raise ValidationError(_("Other records still point at this item: retire it instead of deleting it.")) from exc


# --- standards catalogue -----------------------------------------------------------------------

def standard_q(day=None, prefix="model__"):
    """Q for items (prefix "model__") or models (prefix "") of a standard model on `day`."""
    day = day or timezone.localdate()
    return Q(**{f"{prefix}approval": ModelApproval.APPROVED}) & (
        Q(**{f"{prefix}standard_until__isnull": True}) | Q(**{f"{prefix}standard_until__gte": day})
    )


def propose_model(actor, values):
    """Propose a model (brand and type) for the standards catalogue."""
    if not may_propose_model(actor):
        raise PermissionDenied(_("You may not propose models."))
    model = ConfigurationItemModel(
        ci_type=values.get("ci_type"), manufacturer=(values.get("manufacturer") or "").strip(),
        name=(values.get("name") or "").strip(), notes=(values.get("notes") or "").strip(),
        approval=ModelApproval.PROPOSED,
    )
    errors = {}
    if model.ci_type_id and not model.ci_type.is_active:
        errors["ci_type"] = [_("This item type is no longer in use.")]
    try:
        model.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            key = "name" if field == "__all__" else field
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            model.save()
    except IntegrityError as exc:
        raise ValidationError({"name": [_("This model is already in the catalogue.")]}) from exc
    return model


def decide_model(actor, model, approve, standard_until=None, notes=None):
    """Approve (admit to the standards catalogue, optionally until a date) or reject a model."""
    if not may_approve_model(actor):
        raise PermissionDenied(_("Only the provider approves models."))
    if standard_until is not None and approve and standard_until < timezone.localdate():
        raise ValidationError({"standard_until": [_("“Standard until” lies in the past.")]})
    model.approval = ModelApproval.APPROVED if approve else ModelApproval.REJECTED
    model.approved_by = actor
    model.approved_at = timezone.now()
    model.standard_until = standard_until if approve else None
    if notes is not None:
        model.notes = notes.strip()
    with transaction.atomic():
        model.save()
    return model
