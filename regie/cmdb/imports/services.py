"""Importing configuration items of one type from a CSV or Excel file.

1. `create_job()` takes the upload: refuses a file that is not a table (nothing is
   written), stores it on an ImportJob of the uploader's organisation.
2. `validate()` reads every row, resolves owner, model, status, location, supplier,
   contracts, dates, prices and the type's own attributes, and decides per row: create,
   update or unchanged (upsert on the asset tag, or else the serial number). Every problem
   becomes a row error (row, column, reason); a dry run stops here with a preview.
3. `apply()` validates again inside one transaction and writes everything (bulk inserts and
   updates, one audit record per created or changed item) or nothing when any row is wrong.

Small files are handled inline; large ones by the worker (tasks.run_import), with progress
(rows checked / written) kept on the job. A job that is applied once is never applied again.
"""

import datetime
import functools
import gc
import logging
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from regie.cmdb.choices import AttributeKind, CIStatus, ContractKind
from regie.cmdb.models import ConfigurationItem, ConfigurationItemModel, Contract, Supplier
from regie.core.audit import bulk_write_records, diff, snapshot
from regie.core.models import Location, Organisation

from . import readers
from .models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)

IMPORT_PERMISSIONS = ("cmdb.add_configurationitem", "cmdb.change_configurationitem")
PREVIEW_ROWS = 20
MAX_STORED_ERRORS = 500
# Files up to this size are checked and imported during the request; larger ones by the worker.
INLINE_MAX_BYTES = getattr(settings, "REGIE_CMDB_IMPORT_INLINE_BYTES", 256 * 1024)
MAX_ROWS = getattr(settings, "REGIE_CMDB_IMPORT_MAX_ROWS", 200_000)
# Largest file accepted (uploads through the web are also bound by REGIE_MAX_REQUEST_BYTES).
MAX_BYTES = getattr(settings, "REGIE_CMDB_IMPORT_MAX_BYTES", 64 * 1024 * 1024)
PROGRESS_EVERY_ROWS = 2000
WRITE_BATCH = 2000
_LOCK_NAMESPACE = 7_262_104  # pg_advisory_xact_lock(namespace, job id): one apply per job at a time


# --- columns ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    key: str
    label: object  # lazy, shown in the template header and in messages
    aliases: tuple = ()


COLUMNS = [
    Column("name", gettext_lazy("name"), ("name", "naam")),
    Column("asset_tag", gettext_lazy("asset tag"), ("asset tag", "assettag", "inventarisnummer", "inventaris nummer")),
    Column("serial_number", gettext_lazy("serial number"), ("serial number", "serial", "serienummer")),
    Column("owner", gettext_lazy("owner"), ("owner", "eigenaar", "organisation", "organisatie", "owner code")),
    Column("model", gettext_lazy("brand and type"),
           ("brand and type", "merk en type", "model", "brand model", "merk type", "type")),
    Column("brand", gettext_lazy("brand"), ("brand", "merk", "manufacturer", "fabrikant")),
    Column("status", gettext_lazy("status"), ("status",)),
    Column("location", gettext_lazy("location"), ("location", "locatie")),
    Column("supplier", gettext_lazy("supplier"), ("supplier", "leverancier")),
    Column("purchase_date", gettext_lazy("purchase date"), ("purchase date", "aankoopdatum", "aanschafdatum")),
    Column("price", gettext_lazy("price"), ("price", "prijs", "aanschafprijs")),
    Column("warranty_end", gettext_lazy("warranty end"),
           ("warranty end", "einde garantie", "garantie tot", "garantie einde", "einddatum garantie")),
    Column("maintenance_contract", gettext_lazy("maintenance contract"),
           ("maintenance contract", "onderhoudscontract")),
    Column("framework_contract", gettext_lazy("framework contract"), ("framework contract", "raamcontract")),
    Column("notes", gettext_lazy("notes"), ("notes", "opmerkingen", "notities", "toelichting")),
]
TEMPLATE_COLUMNS = [column for column in COLUMNS if column.key != "brand"]
# Model fields compared to decide between update and unchanged.
COMPARED_FIELDS = (
    "name", "asset_tag", "serial_number", "organisation_id", "model_id", "status", "location_id", "supplier_id",
    "purchase_date", "price", "warranty_end", "maintenance_contract_id", "framework_contract_id", "notes",
    "attributes",
)


# Dutch words for the lifecycle, also those in use before Regie (the UI's own labels are added too).
DUTCH_STATUSES = {
    "besteld": CIStatus.ORDERED, "op voorraad": CIStatus.IN_STOCK, "voorraad": CIStatus.IN_STOCK,
    "in gebruik": CIStatus.IN_USE, "actief": CIStatus.IN_USE, "in reparatie": CIStatus.IN_REPAIR,
    "defect": CIStatus.IN_REPAIR, "buiten gebruik": CIStatus.RETIRED, "uit gebruik": CIStatus.RETIRED,
    "afgevoerd": CIStatus.DISPOSED, "afgeschreven": CIStatus.DISPOSED,
}


def normalise(header):
    text = str(header or "").strip().lower().rstrip("*").strip()
    text = re.sub(r"[\s_\-.:]+", " ", text)
    return text.strip()


def _column_lookup(ci_type):
    """Normalised header → ("field", key) or ("attr", spec)."""
    lookup = {}
    for spec in ci_type.attribute_schema or []:
        for name in (spec.get("code"), spec.get("label")):
            if name:
                lookup[normalise(name)] = ("attr", spec)
    for column in COLUMNS:
        names = set(column.aliases)
        for language in ("en", "nl"):
            with translation.override(language):
                names.add(str(column.label))
        for name in names:
            lookup[normalise(name)] = ("field", column.key)
    return lookup


def template_header(ci_type):
    """The header of the downloadable template: the standard columns in the current language,
    then one column per type-specific attribute (by its label)."""
    header = [str(column.label) for column in TEMPLATE_COLUMNS]
    header.extend(spec.get("label") or spec["code"] for spec in ci_type.attribute_schema or [])
    return header


CONTRACT_COLUMNS = (
    ("maintenance_contract", frozenset({ContractKind.MAINTENANCE.value, ContractKind.WARRANTY.value,
                                        ContractKind.SERVICE.value})),
    ("framework_contract", frozenset({ContractKind.FRAMEWORK.value})),
)


# --- value parsing ----------------------------------------------------------------------------

class CellError(Exception):
    pass


_DATE_DUTCH = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_date(value):
    if value in ("", None):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    return _parse_date_text(str(value).strip())


@functools.lru_cache(maxsize=4096)
def _parse_date_text(text):
    """Dates repeat a lot in a large file: each distinct text is parsed once."""
    match = _DATE_DUTCH.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
    else:
        match = _DATE_ISO.match(text.split("T")[0] if re.match(r"^\d{4}-\d{2}-\d{2}T", text) else text)
        if not match:
            raise CellError(_("“%(value)s” is not a date; write dd-mm-jjjj (e.g. 31-12-2026) or 2026-12-31.")
                            % {"value": text[:40]})
        year, month, day = (int(part) for part in match.groups())
    try:
        return datetime.date(year, month, day)
    except ValueError as exc:
        raise CellError(_("“%(value)s” is not an existing date.") % {"value": text[:40]}) from exc


_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def parse_decimal(value):
    """Dutch (1.234,56) and plain (1234.56) notation; a euro sign and spaces are ignored."""
    if value in ("", None):
        return None
    if isinstance(value, bool):
        raise CellError(_("“%(value)s” is not a number.") % {"value": value})
    if isinstance(value, int | float | Decimal):
        return Decimal(str(value))
    text = str(value).strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    if "," in text and "." in text:
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")  # 1.234,56
        else:
            text = text.replace(",", "")  # 1,234.56
    elif "," in text:
        if text.count(",") > 1:
            raise CellError(_("“%(value)s” is not a number.") % {"value": str(value)[:40]})
        text = text.replace(",", ".")  # 1234,56
    elif text.count(".") > 1:
        text = text.replace(".", "")  # 1.234.567
    if not _NUMBER.match(text):
        raise CellError(_("“%(value)s” is not a number.") % {"value": str(value)[:40]})
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise CellError(_("“%(value)s” is not a number.") % {"value": str(value)[:40]}) from exc


def parse_price(value):
    amount = parse_decimal(value)
    if amount is None:
        return None
    if amount < 0:
        raise CellError(_("A price cannot be negative."))
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(_("“%(value)s” has more than two decimals.") % {"value": str(value)[:40]})
    if amount >= Decimal("10000000000"):
        raise CellError(_("“%(value)s” is too large.") % {"value": str(value)[:40]})
    return amount.quantize(Decimal("0.01"))


_TRUE = {"ja", "j", "yes", "y", "true", "waar", "1", "x"}
_FALSE = {"nee", "n", "no", "false", "onwaar", "0"}


def parse_attribute(spec, value):
    """A type-specific attribute from a cell, JSON-ready (dates as ISO text)."""
    kind = spec.get("kind", AttributeKind.TEXT)
    if value in ("", None):
        return None
    if kind == AttributeKind.INTEGER:
        number = parse_decimal(value)
        if number != number.to_integral_value():
            raise CellError(_("“%(value)s” is not a whole number.") % {"value": str(value)[:40]})
        result = int(number)
    elif kind == AttributeKind.DECIMAL:
        number = parse_decimal(value)
        result = int(number) if number == number.to_integral_value() else float(number)
    elif kind == AttributeKind.DATE:
        return parse_date(value).isoformat()
    elif kind == AttributeKind.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise CellError(_("“%(value)s” is not yes or no (ja/nee).") % {"value": str(value)[:40]})
    elif kind == AttributeKind.CHOICE:
        text = str(value).strip()
        for choice in spec.get("choices") or []:
            if str(choice).lower() == text.lower():
                return choice
        raise CellError(_("“%(value)s” is not one of: %(choices)s.")
                        % {"value": text[:40], "choices": ", ".join(str(c) for c in spec.get("choices") or [])})
    else:
        result = str(value).strip()
        if spec.get("max") is not None and len(result) > int(spec["max"]):
            raise CellError(_("At most %(max)s characters.") % {"max": spec["max"]})
        return result
    if spec.get("min") is not None and result < spec["min"]:
        raise CellError(_("At least %(min)s.") % {"min": spec["min"]})
    if spec.get("max") is not None and result > spec["max"]:
        raise CellError(_("At most %(max)s.") % {"max": spec["max"]})
    return result


def _external_attribute_validator():
    """The item register's validator (regie.cmdb.services.validate_attributes), if present."""
    try:
        from regie.cmdb import services as item_services
    except ImportError:
        return None
    return getattr(item_services, "validate_attributes", None)


# --- permissions ------------------------------------------------------------------------------

def may_import(user):
    return bool(user and user.is_authenticated and user.is_active and all(user.has_perm(p) for p in IMPORT_PERMISSIONS))


def importable_types():
    from regie.cmdb.models import ConfigurationItemType

    return ConfigurationItemType.objects.unrestricted().filter(is_active=True).order_by("name")


# --- references, loaded once per validation ---------------------------------------------------

class References:
    """Everything a row may name, loaded in a few queries (not one per row)."""

    def __init__(self, ci_type, uploader):
        self.ci_type = ci_type
        self.uploader = uploader
        self.is_provider = bool(uploader.organisation_id and uploader.organisation.is_provider)
        organisations = list(Organisation.objects.unrestricted().filter(is_active=True))
        self.provider_ids = {o.pk for o in organisations if o.is_provider}
        self.organisations = {}
        for organisation in organisations:
            self.organisations[organisation.code.upper()] = organisation
            self.organisations.setdefault(organisation.name.upper(), organisation)
        self.organisation_by_id = {o.pk: o for o in organisations}
        self.models = {}
        self.models_split = {}
        for model in ConfigurationItemModel.objects.unrestricted().filter(ci_type=ci_type):
            self.models[f"{model.manufacturer} {model.name}".lower()] = model
            self.models_split[(model.manufacturer.lower(), model.name.lower())] = model
        self.model_by_id = {m.pk: m for m in self.models.values()}
        self.locations = {}
        self.location_names = {}
        for pk, organisation_id, name in Location.objects.unrestricted().values_list("pk", "organisation_id", "name"):
            self.locations[(organisation_id, name.lower())] = pk
            self.location_names[pk] = name
        self.suppliers = {name.lower(): pk for pk, name in Supplier.objects.unrestricted().values_list("pk", "name")}
        self.contracts = {}
        for contract in Contract.objects.unrestricted().only(
            "pk", "reference", "organisation_id", "kind", "supplier_id", "starts_on", "ends_on"
        ):
            self.contracts.setdefault(contract.reference.lower(), []).append(contract)
        self.statuses = {}
        for value, _label in CIStatus.choices:
            self.statuses[value] = value
            self.statuses[value.replace("_", " ")] = value
        self.statuses.update(DUTCH_STATUSES)
        for language in ("en", "nl"):
            with translation.override(language):
                for value, label in CIStatus.choices:
                    self.statuses[str(label).lower()] = value

    def owner(self, value):
        text = str(value or "").strip()
        own = self.uploader.organisation
        if not self.is_provider:
            if text and text.upper() not in {own.code.upper(), own.name.upper()}:
                raise CellError(_("You may only import items of your own organisation (%(code)s).")
                                % {"code": own.code})
            return own
        if not text:
            raise CellError(_("Give the owner's organisation code (e.g. VNL)."))
        organisation = self.organisations.get(text.upper())
        if organisation is None:
            raise CellError(_("Unknown organisation “%(value)s”; use its code, e.g. VNL.") % {"value": text[:40]})
        return organisation

    def model(self, combined, brand=None):
        combined = str(combined or "").strip()
        if brand is not None and str(brand).strip():
            brand = str(brand).strip()
            if not combined:
                raise CellError(_("Give the model as well as the brand."))
            found = self.models_split.get((brand.lower(), combined.lower())) or self.models.get(
                combined.lower())
            shown = f"{brand} {combined}"
        else:
            if not combined:
                return None
            found = self.models.get(combined.lower())
            shown = combined
        if found is None:
            raise CellError(
                _("Unknown model “%(value)s” for %(type)s: only models in the catalogue can be imported "
                  "(ask for a new model first).") % {"value": shown[:80], "type": self.ci_type.name}
            )
        return found

    def status(self, value):
        text = str(value or "").strip().lower()
        if text not in self.statuses:
            raise CellError(_("Unknown status “%(value)s”; use one of: %(choices)s.")
                            % {"value": str(value)[:40], "choices": ", ".join(str(label) for _v, label in
                                                                           CIStatus.choices)})
        return self.statuses[text]

    def location(self, value, owner):
        text = str(value or "").strip()
        if not text:
            return None
        pk = self.locations.get((owner.pk, text.lower()))
        if pk is None:
            raise CellError(_("Unknown location “%(value)s” of %(owner)s.") % {"value": text[:80], "owner": owner})
        return pk

    def supplier(self, value):
        text = str(value or "").strip()
        if not text:
            return None
        pk = self.suppliers.get(text.lower())
        if pk is None:
            raise CellError(_("Unknown supplier “%(value)s”.") % {"value": text[:80]})
        return pk

    def contract(self, value, owner, kinds, supplier_id=None):
        text = str(value or "").strip()
        if not text:
            return None
        usable = [
            c for c in self.contracts.get(text.lower(), [])
            if c.organisation_id == owner.pk or c.organisation_id in self.provider_ids
        ]
        if len(usable) > 1 and supplier_id:
            usable = [c for c in usable if c.supplier_id == supplier_id] or usable
        if not usable:
            raise CellError(_("Unknown contract “%(value)s” (of the owner or the provider).") % {"value": text[:60]})
        if len(usable) > 1:
            raise CellError(_("Several contracts have the reference “%(value)s”; give the supplier too.")
                            % {"value": text[:60]})
        contract = usable[0]
        if contract.kind not in kinds:
            raise CellError(_("Contract %(value)s is a %(kind)s.") % {"value": text[:60],
                                                                     "kind": contract.get_kind_display()})
        return contract


# --- validation -------------------------------------------------------------------------------

@dataclass
class RowPlan:
    row: int
    action: str  # create | update | unchanged
    values: dict
    item: ConfigurationItem | None = None
    changed: list = field(default_factory=list)


@dataclass
class Outcome:
    rows_total: int = 0
    errors: list = field(default_factory=list)
    error_count: int = 0
    plans: list = field(default_factory=list)
    creates: int = 0
    updates: int = 0
    unchanged: int = 0

    def error(self, row, column, reason):
        self.error_count += 1
        if len(self.errors) < MAX_STORED_ERRORS:
            self.errors.append({"row": row, "column": str(column), "reason": str(reason)})

    @property
    def ok(self):
        return self.error_count == 0


def _map_header(header, ci_type, uploader, outcome):
    """Column index → target, or header errors (unknown / duplicate / missing columns)."""
    lookup = _column_lookup(ci_type)
    mapping = {}
    seen = {}
    for index, title in enumerate(header):
        if not normalise(title):
            continue
        target = lookup.get(normalise(title))
        if target is None:
            outcome.error(1, title, _("Unknown column for %(type)s. Known columns: see the template.")
                          % {"type": ci_type.name})
            continue
        key = target[1] if target[0] == "field" else f"attr:{target[1]['code']}"
        if key in seen:
            outcome.error(1, title, _("This column appears twice (also as “%(other)s”).") % {"other": seen[key]})
            continue
        seen[key] = title
        mapping[index] = target
    keys = set(seen)
    if "name" not in keys:
        outcome.error(1, _("name"), _("Required column missing: %(column)s.") % {"column": _("name")})
    if "asset_tag" not in keys and "serial_number" not in keys:
        outcome.error(1, _("asset tag"), _("Give an asset tag or a serial number column: it identifies the item."))
    is_provider = bool(uploader.organisation_id and uploader.organisation.is_provider)
    if is_provider and "owner" not in keys:
        outcome.error(1, _("owner"), _("Required column missing: %(column)s.") % {"column": _("owner")})
    if "brand" in keys and "model" not in keys:
        outcome.error(1, seen["brand"], _("A brand column needs a model column next to it."))
    for spec in ci_type.attribute_schema or []:
        if spec.get("required") and f"attr:{spec['code']}" not in keys:
            label = spec.get("label") or spec["code"]
            outcome.error(1, label, _("Required column missing: %(column)s.") % {"column": label})
    return mapping, seen


class _Progress:
    """Writes rows checked / written to the job while it runs, at most every N rows.

    Outside a transaction an ordinary UPDATE does. Inside the import's transaction the
    update would stay invisible until the end, so on PostgreSQL it goes through a second
    connection of its own (autocommit); on SQLite the one writer holds the lock and the
    figures appear when the transaction ends."""

    def __init__(self, job_id, every=PROGRESS_EVERY_ROWS):
        self.job_id = job_id
        self.every = every
        self._last = {}
        self._side = None

    def __call__(self, force=False, **values):
        if self.job_id is None:
            return
        if not force and all(abs(values[k] - self._last.get(k, 0)) < self.every for k in values):
            return
        self._last.update(values)
        try:
            if not connection.in_atomic_block:
                ImportJob.all_objects.filter(pk=self.job_id).update(**values)
            elif connection.vendor == "postgresql":
                if self._side is None:
                    self._side = connections.create_connection(DEFAULT_DB_ALIAS)
                table = ImportJob._meta.db_table
                assignments = ", ".join(f"{name} = %s" for name in values)
                with self._side.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 - our names only
                        [*values.values(), self.job_id],
                    )
        except DatabaseError:
            logger.warning("import %s: progress not recorded", self.job_id, exc_info=True)

    def close(self):
        if self._side is not None:
            self._side.close()
            self._side = None


def validate(ci_type, uploader, content, progress=None):
    """Read and check every row; returns an Outcome with a plan per row (nothing written)."""
    progress = progress or _Progress(None)
    outcome = Outcome()
    try:
        table = readers.open_table(content, max_rows=MAX_ROWS)
    except ValidationError as exc:
        outcome.error(1, _("file"), exc.messages[0])
        return outcome
    mapping, seen = _map_header(table.header, ci_type, uploader, outcome)
    if not outcome.ok:
        return outcome
    refs = References(ci_type, uploader)
    validator = _external_attribute_validator()
    attribute_specs = {spec["code"]: spec for spec in ci_type.attribute_schema or []}
    column_title = {("field", key): title for key, title in seen.items() if not key.startswith("attr:")}
    fields_present = {target[1] for target in mapping.values() if target[0] == "field"}
    parsed = []
    # Asset tags are compared across every row, also rows with other errors, so that one
    # upload names all that is wrong with the file.
    tag_column = next((index for index, target in mapping.items() if target == ("field", "asset_tag")), None)
    first_row_of_tag = {}
    try:
        for number, cells in table.rows:
            outcome.rows_total += 1
            row = _parse_row(number, cells, mapping, refs, attribute_specs, validator, fields_present,
                             column_title, outcome)
            tag = _text(cells[tag_column]) if tag_column is not None and tag_column < len(cells) else ""
            if tag and tag.upper() in first_row_of_tag:
                outcome.error(number, seen.get("asset_tag", "asset tag"),
                              _("Asset tag “%(tag)s” appears twice in the file (also in row %(row)s).")
                              % {"tag": tag, "row": first_row_of_tag[tag.upper()]})
                row = None
            elif tag:
                first_row_of_tag[tag.upper()] = number
            if row is not None:
                parsed.append(row)
            progress(rows_validated=outcome.rows_total)
    except ValidationError as exc:
        outcome.error(0, _("file"), exc.messages[0])
        return outcome
    _plan(parsed, refs, ci_type, fields_present, seen, outcome)
    progress(force=True, rows_validated=outcome.rows_total)
    if outcome.rows_total == 0:
        outcome.error(2, "", _("The file has a header but no rows."))
    return outcome


def _parse_row(number, cells, mapping, refs, attribute_specs, validator, fields_present, column_title, outcome):
    raw = {}
    attrs_raw = {}
    for index, target in mapping.items():
        value = cells[index] if index < len(cells) else ""
        if isinstance(value, str):
            value = value.strip()
        if target[0] == "field":
            raw[target[1]] = value
        else:
            attrs_raw[target[1]["code"]] = value

    def title(key):
        return column_title.get(("field", key), key)

    errors_before = outcome.error_count
    values = {}
    name = str(raw.get("name") or "").strip()
    if not name:
        outcome.error(number, title("name"), _("A name is required."))
    elif len(name) > 200:
        outcome.error(number, title("name"), _("At most %(max)s characters.") % {"max": 200})
    values["name"] = name
    for key, limit in (("asset_tag", 50), ("serial_number", 100)):
        text = _text(raw.get(key))
        if len(text) > limit:
            outcome.error(number, title(key), _("At most %(max)s characters.") % {"max": limit})
        if key in fields_present:
            values[key] = text
    if not values.get("asset_tag") and not values.get("serial_number"):
        outcome.error(number, title("asset_tag") if "asset_tag" in fields_present else title("serial_number"),
                      _("Give an asset tag or a serial number: it identifies the item."))
    owner = None
    try:
        owner = refs.owner(raw.get("owner"))
        values["organisation_id"] = owner.pk
    except CellError as exc:
        outcome.error(number, title("owner"), exc)

    def resolve(key, function, *args):
        try:
            values[key] = function(*args)
        except CellError as exc:
            outcome.error(number, title(key.removesuffix("_id")) if key.endswith("_id") else title(key), exc)

    if "model" in fields_present:
        try:
            model = refs.model(raw.get("model"), raw.get("brand") if "brand" in fields_present else None)
            values["model_id"] = model.pk if model else None
        except CellError as exc:
            outcome.error(number, title("model"), exc)
    if "status" in fields_present and _text(raw.get("status")):
        resolve("status", refs.status, raw.get("status"))
    if "supplier" in fields_present:
        resolve("supplier_id", refs.supplier, raw.get("supplier"))
    if owner is not None:
        if "location" in fields_present:
            resolve("location_id", refs.location, raw.get("location"), owner)
        supplier_id = values.get("supplier_id")
        for key, kinds in CONTRACT_COLUMNS:
            if key in fields_present:
                try:
                    contract = refs.contract(raw.get(key), owner, kinds, supplier_id)
                    values[f"{key}_id"] = contract.pk if contract else None
                    values[f"_{key}"] = contract
                except CellError as exc:
                    outcome.error(number, title(key), exc)
    for key in ("purchase_date", "warranty_end"):
        if key in fields_present:
            resolve(key, parse_date, raw.get(key))
    if "price" in fields_present:
        resolve("price", parse_price, raw.get("price"))
    if "notes" in fields_present:
        values["notes"] = _text(raw.get("notes"))
    if values.get("purchase_date") and values.get("warranty_end") and values["warranty_end"] < values["purchase_date"]:
        outcome.error(number, title("warranty_end"), _("The warranty ends before the purchase date."))
    framework = values.pop("_framework_contract", None)
    values.pop("_maintenance_contract", None)
    if framework is not None and values.get("purchase_date") and not framework.is_valid_on(values["purchase_date"]):
        outcome.error(number, title("framework_contract"),
                      _("Framework contract %(contract)s is not valid on the purchase date.")
                      % {"contract": framework.reference})
    attributes = {}
    for code, value in attrs_raw.items():
        spec = attribute_specs[code]
        try:
            parsed_value = parse_attribute(spec, value)
        except CellError as exc:
            outcome.error(number, spec.get("label") or code, exc)
            continue
        if parsed_value is not None:
            attributes[code] = parsed_value
    values["_attributes"] = attributes
    values["_attribute_columns"] = set(attrs_raw)
    values["_validator"] = validator
    if outcome.error_count > errors_before:
        return None
    return number, values


def _text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a serial number typed as a number in Excel
    return str(value).strip()


def _plan(parsed, refs, ci_type, fields_present, seen, outcome):
    """Match rows to existing items and decide create / update / unchanged."""
    by_serial_rows = {}  # duplicate asset tags were refused while reading (validate)
    for number, values in parsed:
        if values.get("asset_tag"):
            continue
        key = (values.get("organisation_id"), values.get("serial_number", "").upper())
        first = by_serial_rows.get(key)
        if first is not None:
            outcome.error(number, seen.get("serial_number", "serial number"),
                          _("Serial number “%(serial)s” appears twice in the file (also in row %(row)s).")
                          % {"serial": values.get("serial_number"), "row": first})
            values["_skip"] = True
            continue
        by_serial_rows[key] = number

    existing_by_tag = {}
    tags = [values["asset_tag"] for _n, values in parsed if values.get("asset_tag")]
    for item in _matching(ConfigurationItem.all_objects.all(), "asset_tag", tags):
        existing_by_tag[item.asset_tag.upper()] = item
    # Items known by serial number (of this type and owner) that have no asset tag yet.
    serials = {values["serial_number"] for _n, values in parsed if values.get("serial_number")}
    owners = {values["organisation_id"] for _n, values in parsed}
    existing_by_serial = {}
    if serials:
        queryset = ConfigurationItem.all_objects.filter(ci_type=ci_type, organisation_id__in=owners)
        for item in _matching(queryset, "serial_number", sorted(serials)):
            existing_by_serial.setdefault((item.organisation_id, item.serial_number.upper()), []).append(item)

    claimed = {}
    for number, values in parsed:
        if values.pop("_skip", False):
            continue
        item = None
        tag = values.get("asset_tag")
        serial = values.get("serial_number", "")
        if tag and tag.upper() in existing_by_tag:
            item = existing_by_tag[tag.upper()]
            if item.organisation_id != values["organisation_id"]:
                # Never say whose: another organisation's item is not the uploader's business.
                outcome.error(number, seen.get("asset_tag"), _("Asset tag “%(tag)s” is already in use.")
                              % {"tag": tag})
                continue
            if item.ci_type_id != ci_type.pk:
                outcome.error(number, seen.get("asset_tag"),
                              _("Asset tag “%(tag)s” is already in use by an item of another type.") % {"tag": tag})
                continue
        elif serial:
            candidates = [
                candidate for candidate in existing_by_serial.get((values["organisation_id"], serial.upper()), [])
                if not tag or not candidate.asset_tag
            ]
            if len(candidates) > 1:
                outcome.error(number, seen.get("serial_number"),
                              _("Several items have serial number “%(serial)s”; give the asset tag.")
                              % {"serial": serial})
                continue
            item = candidates[0] if candidates else None
        if item is not None:
            if item.pk in claimed:
                outcome.error(number, seen.get("asset_tag") or seen.get("serial_number"),
                              _("Row %(row)s already updates this item.") % {"row": claimed[item.pk]})
                continue
            claimed[item.pk] = number
        plan = _row_plan(number, values, item, ci_type, outcome, seen)
        if plan is None:
            continue
        outcome.plans.append(plan)
        if plan.action == "create":
            outcome.creates += 1
        elif plan.action == "update":
            outcome.updates += 1
        else:
            outcome.unchanged += 1


def _row_plan(number, values, item, ci_type, outcome, seen):
    attributes_new = values.pop("_attributes")
    attribute_columns = values.pop("_attribute_columns")
    validator = values.pop("_validator")
    if item is None:
        attributes = attributes_new
        values.setdefault("status", CIStatus.IN_USE)
    else:
        attributes = {k: v for k, v in (item.attributes or {}).items() if k not in attribute_columns}
        attributes.update(attributes_new)
    missing = [
        spec for spec in ci_type.attribute_schema or []
        if spec.get("required") and attributes.get(spec["code"]) in (None, "")
    ]
    for spec in missing:
        outcome.error(number, spec.get("label") or spec["code"], _("A value is required."))
    if missing:
        return None
    if validator is not None:
        try:
            cleaned = validator(ci_type, attributes)
        except ValidationError as exc:
            labels = {spec["code"]: spec.get("label") or spec["code"] for spec in ci_type.attribute_schema or []}
            if hasattr(exc, "error_dict"):
                for code, messages in exc.message_dict.items():
                    for message in messages:
                        outcome.error(number, labels.get(code, code), message)
            else:
                for message in exc.messages:
                    outcome.error(number, "", message)
            return None
        if isinstance(cleaned, dict):
            attributes = cleaned
    values["attributes"] = attributes
    if item is None:
        return RowPlan(number, "create", values)
    changed = [
        name for name in COMPARED_FIELDS
        if name in values and _differs(getattr(item, name), values[name])
    ]
    return RowPlan(number, "update" if changed else "unchanged", values, item, changed)


def _differs(current, new):
    if isinstance(current, Decimal) or isinstance(new, Decimal):
        if current is None or new is None:
            return current is not new
        return Decimal(current) != Decimal(new)
    if current in (None, "") and new in (None, ""):
        return False
    return current != new


def _matching(queryset, field_name, values):
    """Rows whose `field_name` is one of `values`: one array parameter on PostgreSQL (fast for
    100,000 values), IN lists of 900 elsewhere (SQLite's parameter limit)."""
    if not values:
        return
    if connection.vendor == "postgresql":
        column = connection.ops.quote_name(queryset.model._meta.get_field(field_name).column)
        yield from queryset.extra(where=[f"{column} = ANY(%s)"], params=[list(values)])  # noqa: S610 - our column
        return
    for chunk in _chunks(values, 900):
        yield from queryset.filter(**{f"{field_name}__in": chunk})


def _chunks(values, size):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


# --- preview ----------------------------------------------------------------------------------

PREVIEW_FIELDS = ("name", "asset_tag", "serial_number", "organisation_id", "model_id", "status", "location_id",
                  "purchase_date", "price", "warranty_end")


def preview(outcome, refs=None, limit=PREVIEW_ROWS):
    """The first rows as they would be written (JSON-ready)."""
    rows = []
    for plan in outcome.plans[:limit]:
        values = {name: plan.values.get(name, getattr(plan.item, name, None) if plan.item else None)
                  for name in PREVIEW_FIELDS}
        if refs is not None:
            organisation = refs.organisation_by_id.get(values["organisation_id"])
            values["owner"] = organisation.code if organisation else ""
            model = refs.model_by_id.get(values["model_id"])
            values["model"] = str(model) if model else ""
            values["location"] = refs.location_names.get(values["location_id"], "")
        rows.append({
            "row": plan.row,
            "action": plan.action,
            "changed": [name.removesuffix("_id") for name in plan.changed],
            "values": _jsonable_values(values),
            "attributes": plan.values.get("attributes", {}),
        })
    return {"rows": rows}


def _jsonable_values(values):
    result = {}
    for key, value in values.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        result[key] = value
    return result


# --- writing ----------------------------------------------------------------------------------

def write(outcome, ci_type, progress=None):
    """Create and update the planned items with audit records. Call inside a transaction."""
    progress = progress or _Progress(None)
    now = timezone.now()
    written = 0
    creates = [plan for plan in outcome.plans if plan.action == "create"]
    for chunk in _chunks(creates, WRITE_BATCH):
        items = [ConfigurationItem(ci_type=ci_type, **plan.values) for plan in chunk]
        if connection.vendor == "postgresql":
            _copy_items(items, now)
        else:
            ConfigurationItem.all_objects.bulk_create(items)
        if any(item.pk is None for item in items):  # a backend that does not return keys
            raise DatabaseError(f"bulk insert returned no keys ({len(items)} rows)")
        bulk_write_records((("create", item, diff(None, snapshot(item))) for item in items),
                           changes_are_jsonable=True)
        written += len(items)
        progress(rows_written=written)
    updates = [plan for plan in outcome.plans if plan.action == "update"]
    for chunk in _chunks(updates, WRITE_BATCH // 4):
        entries = []
        fields = set()
        for plan in chunk:
            before = snapshot(plan.item)
            for name in plan.changed:
                setattr(plan.item, name, plan.values[name])
            plan.item.updated_at = now
            fields.update(plan.changed)
            entries.append(("update", plan.item, before))
        fields = sorted({name.removesuffix("_id") if name.endswith("_id") else name for name in fields}
                        | {"updated_at"})
        ConfigurationItem.all_objects.bulk_update([plan.item for plan in chunk], fields)
        bulk_write_records(((action, item, diff(before, snapshot(item))) for action, item, before in entries),
                           changes_are_jsonable=True)
        written += len(chunk)
        progress(rows_written=written)
    progress(force=True, rows_written=written)
    return written


def _copy_items(items, now):
    """PostgreSQL: new items with COPY (ids taken from the table's sequence first), several
    times faster than a multi-row INSERT for thousands of rows."""
    import enum
    import json

    meta = ConfigurationItem._meta
    table = connection.ops.quote_name(meta.db_table)
    fields = list(meta.concrete_fields)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [meta.db_table, len(items)]
        )
        ids = [row[0] for row in cursor.fetchall()]
        for item, pk in zip(items, ids, strict=True):
            item.pk = pk
            item.updated_at = now
            item._state.adding = False
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)

        def plain(field, value):
            if field.get_internal_type() == "JSONField":
                return json.dumps(value)
            return value.value if isinstance(value, enum.Enum) else value

        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for item in items:
                copy.write_row([plain(f, f.value_from_object(item)) for f in fields])


# --- jobs -------------------------------------------------------------------------------------

def create_job(user, ci_type, upload, *, apply=False):
    """Store an uploaded file as an import job (not yet checked). Refuses a file that is not a
    CSV or Excel table at all, and users who may not import: nothing is written then."""
    if not may_import(user):
        raise PermissionDenied
    if user.organisation_id is None:
        raise PermissionDenied
    limit = MAX_BYTES
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise ValidationError({"file": [_("The file is too large (at most %(mb)s MB).") % {"mb": limit // 2**20}]})
    try:
        table = readers.open_table(content, max_rows=MAX_ROWS)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    name = re.sub(r"[\x00-\x1f/\\]", "", str(getattr(upload, "name", "") or "upload"))[-200:] or "upload"
    job = ImportJob(
        organisation_id=user.organisation_id, ci_type=ci_type, created_by=user, file_name=name,
        file_format=table.format, content=content, apply_requested=apply,
    )
    job.save()
    return job


def start(job, actor):
    """Check (and, when asked, import) now if the file is small, else hand it to the worker."""
    if len(job.content) <= INLINE_MAX_BYTES:
        run(job.pk, actor.pk)
        return False
    from .tasks import run_import

    transaction.on_commit(lambda: run_import.delay(job.pk, actor.pk))
    return True


def request_apply(user, job):
    """The uploader (or a colleague who may import) asks to import a checked job."""
    if not may_import(user):
        raise PermissionDenied
    if job.status == ImportStatus.APPLIED:
        return False
    if job.status != ImportStatus.VALID:
        raise ValidationError(_("Only a checked import without errors can be imported."))
    ImportJob.all_objects.filter(pk=job.pk).update(apply_requested=True, status=ImportStatus.PENDING,
                                                   rows_written=0)
    job.refresh_from_db()
    return start(job, user)


def run(job_id, actor_id=None):
    """The body of the worker task (and of the inline path): check, then import when asked.
    Idempotent: a job already imported is left alone, a redelivered one starts again."""
    from regie.core.audit import audit_context, current_context
    from regie.core.models import User

    job = ImportJob.all_objects.select_related("ci_type", "created_by__organisation").filter(pk=job_id).first()
    if job is None or job.status in {ImportStatus.APPLIED, ImportStatus.INVALID, ImportStatus.FAILED}:
        return job.status if job else None
    actor = User.objects.filter(pk=actor_id).first() if actor_id else job.created_by
    context = current_context()
    if context.actor is not None and context.actor.pk == getattr(actor, "pk", None):
        return _run(job, actor)
    with audit_context(actor=actor):
        return _run(job, actor)


def _run(job, actor):
    if not may_import(actor) or not may_import(job.created_by):
        _finish(job, ImportStatus.FAILED, message=_("The person who started this import may no longer import."))
        return ImportStatus.FAILED
    if not job.apply_requested:
        return _check(job)
    return _apply(job)


def _check(job):
    ImportJob.all_objects.filter(pk=job.pk).update(status=ImportStatus.VALIDATING, rows_validated=0)
    progress = _Progress(job.pk)
    try:
        with _no_cyclic_gc():
            outcome = validate(job.ci_type, job.created_by, bytes(job.content), progress)
    finally:
        progress.close()
    refs = References(job.ci_type, job.created_by) if outcome.plans else None
    status = ImportStatus.VALID if outcome.ok else ImportStatus.INVALID
    _store_outcome(job, outcome, status, refs)
    return status


def _store_outcome(job, outcome, status, refs, **extra):
    ImportJob.all_objects.filter(pk=job.pk).update(
        status=status, rows_total=outcome.rows_total, rows_validated=outcome.rows_total,
        creates=outcome.creates, updates=outcome.updates, unchanged=outcome.unchanged,
        error_count=outcome.error_count, errors=outcome.errors, preview=preview(outcome, refs),
        finished_at=timezone.now(), **extra,
    )


def _finish(job, status, message=""):
    ImportJob.all_objects.filter(pk=job.pk).update(status=status, message=str(message)[:300],
                                                   finished_at=timezone.now())


def _lock(job_id):
    """One apply of a job at a time: a second delivery waits here, then finds it applied.
    SQLite: the IMMEDIATE transaction already holds the database's write lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_NAMESPACE, job_id % 2**31])


@contextmanager
def _no_cyclic_gc():
    """An import holds a few hundred thousand long-lived objects (rows, plans, snapshots);
    the cyclic collector would walk them all again and again (time grows with the square of
    the rows). Nothing here makes reference cycles worth collecting: pause it meanwhile."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _apply(job):
    ImportJob.all_objects.filter(pk=job.pk).exclude(status=ImportStatus.APPLIED).update(
        status=ImportStatus.APPLYING, rows_validated=0, rows_written=0)
    progress = _Progress(job.pk)
    started = time.monotonic()
    try:
        with _no_cyclic_gc(), transaction.atomic():
            _lock(job.pk)
            if ImportJob.all_objects.filter(pk=job.pk, status=ImportStatus.APPLIED).exists():
                return ImportStatus.APPLIED
            outcome = validate(job.ci_type, job.created_by, bytes(job.content), progress)
            if not outcome.ok:
                # The data changed since the check (or the file did not pass): nothing is written.
                _store_outcome(job, outcome, ImportStatus.INVALID, None)
                return ImportStatus.INVALID
            written = write(outcome, job.ci_type, progress)
            refs = References(job.ci_type, job.created_by) if outcome.plans else None
            _store_outcome(job, outcome, ImportStatus.APPLIED, refs, rows_written=written,
                           applied_at=timezone.now(), content=b"")
    except DatabaseError as exc:
        logger.exception("import %s failed", job.pk)
        _finish(job, ImportStatus.FAILED,
                message=_("Nothing was imported: the database refused a row (%(reason)s). Check the file again.")
                % {"reason": str(exc).splitlines()[0][:150] if str(exc) else type(exc).__name__})
        return ImportStatus.FAILED
    finally:
        progress.close()
    logger.info("import %s applied in %.1f s", job.pk, time.monotonic() - started)
    return ImportStatus.APPLIED


def visible_jobs(user):
    if not user.has_perm("cmdb.view_configurationitem"):
        return ImportJob.objects.none()
    return ImportJob.objects.for_user(user)

