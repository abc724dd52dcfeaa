"""Import of configuration items (services): parsing, validation, upsert, atomicity, audit."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from regie.cmdb.choices import CIStatus, ContractKind
from regie.cmdb.factories import (
    ConfigurationItemFactory,
    ContractFactory,
    ItemModelFactory,
    SupplierFactory,
)
from regie.cmdb.imports import services
from regie.cmdb.imports.factories import csv_bytes, seeded_type
from regie.cmdb.imports.models import ImportJob, ImportStatus
from regie.cmdb.models import ConfigurationItem
from regie.core.factories import LocationFactory
from regie.core.models import AuditRecord

HEADER = ["naam", "inventarisnummer", "serienummer", "eigenaar", "merk en type", "status", "locatie",
          "leverancier", "aankoopdatum", "prijs", "einde garantie", "raamcontract", "opmerkingen",
          "Besturingssysteem", "Schijf versleuteld"]


@pytest.fixture
def estate(db, provider, venlo, roermond):
    laptop = seeded_type("laptop")
    model = ItemModelFactory(ci_type=laptop, manufacturer="HP", name="EliteBook 840 G10")
    location = LocationFactory(organisation=venlo, name="Stadskantoor")
    LocationFactory(organisation=roermond, name="Stadhuis")
    supplier = SupplierFactory(name="Bechtle")
    contract = ContractFactory(organisation=provider, supplier=supplier, reference="RC-2025-001",
                               kind=ContractKind.FRAMEWORK)
    return {"type": laptop, "model": model, "location": location, "supplier": supplier, "contract": contract}


def row(name="Laptop Jansen", tag="VNL-0001", serial="5CG1234", owner="VNL", model="HP EliteBook 840 G10",
        status="in gebruik", location="Stadskantoor", supplier="Bechtle", bought="15-03-2025", price="1.234,56",
        warranty="15-03-2029", contract="RC-2025-001", notes="", os="Windows 11", encrypted="ja"):
    return [name, tag, serial, owner, model, status, location, supplier, bought, price, warranty, contract, notes,
            os, encrypted]


def run_import(user, ci_type, content, *, apply=True, name="laptops.csv"):
    job = services.create_job(user, ci_type, SimpleUploadedFile(name, content), apply=apply)
    services.start(job, user)
    job.refresh_from_db()
    return job


@pytest.fixture
def keeper(make_user, provider):
    return make_user(provider, "first_line")


def test_valid_file_creates_items_with_dutch_values_and_audit(estate, keeper, venlo):
    content = csv_bytes(HEADER, row(), row(name="Laptop De Vries", tag="VNL-0002", serial="5CG9999",
                                           bought="2025-04-01", price="999.00", encrypted="nee"))
    before_audit = AuditRecord.all_objects.filter(action="create", content_type__model="configurationitem").count()
    job = run_import(keeper, estate["type"], content)
    assert job.status == ImportStatus.APPLIED, job.errors
    assert (job.creates, job.updates, job.unchanged, job.rows_written, job.rows_total) == (2, 0, 0, 2, 2)
    item = ConfigurationItem.objects.unrestricted().get(asset_tag="VNL-0001")
    assert item.organisation == venlo
    assert item.model == estate["model"]
    assert item.status == CIStatus.IN_USE
    assert item.location == estate["location"]
    assert item.supplier == estate["supplier"]
    assert item.framework_contract == estate["contract"]
    assert item.purchase_date == datetime.date(2025, 3, 15)
    assert item.price == Decimal("1234.56")
    assert item.warranty_end == datetime.date(2029, 3, 15)
    assert item.attributes == {"os": "Windows 11", "encrypted": True}
    other = ConfigurationItem.objects.unrestricted().get(asset_tag="VNL-0002")
    assert other.price == Decimal("999.00") and other.purchase_date == datetime.date(2025, 4, 1)
    assert other.attributes["encrypted"] is False
    records = AuditRecord.all_objects.filter(action="create", content_type__model="configurationitem")
    assert records.count() == before_audit + 2
    record = records.get(object_id=str(item.pk))
    assert record.actor == keeper and record.organisation_id == venlo.pk
    assert record.changes["asset_tag"] == [None, "VNL-0001"]
    assert job.content == b"" or bytes(job.content) == b""


def test_second_identical_import_changes_nothing(estate, keeper):
    content = csv_bytes(HEADER, row(), row(name="Tweede", tag="", serial="SN-ONLY-1"))
    first = run_import(keeper, estate["type"], content)
    assert first.status == ImportStatus.APPLIED, first.errors
    item_records = AuditRecord.all_objects.filter(content_type__model="configurationitem")
    audit_count = item_records.count()
    snapshot = list(ConfigurationItem.objects.unrestricted().order_by("pk").values())
    second = run_import(keeper, estate["type"], content)
    assert second.status == ImportStatus.APPLIED
    assert (second.creates, second.updates, second.unchanged, second.rows_written) == (0, 0, 2, 0)
    assert list(ConfigurationItem.objects.unrestricted().order_by("pk").values()) == snapshot
    assert item_records.count() == audit_count == 2


def test_upsert_updates_changed_fields_and_audits_the_diff(estate, keeper):
    run_import(keeper, estate["type"], csv_bytes(HEADER, row()))
    item = ConfigurationItem.objects.unrestricted().get(asset_tag="VNL-0001")
    job = run_import(keeper, estate["type"], csv_bytes(HEADER, row(status="in repair", price="1.500,00")))
    assert (job.creates, job.updates, job.unchanged) == (0, 1, 0)
    item.refresh_from_db()
    assert item.status == CIStatus.IN_REPAIR and item.price == Decimal("1500.00")
    record = AuditRecord.all_objects.filter(action="update", object_id=str(item.pk),
                                            content_type__model="configurationitem").get()
    assert record.changes["status"] == ["in_use", "in_repair"]
    assert record.changes["price"] == ["1234.56", "1500.00"]
    assert ConfigurationItem.objects.unrestricted().count() == 1


def test_serial_number_matches_when_there_is_no_asset_tag(estate, keeper, venlo):
    existing = ConfigurationItemFactory(organisation=venlo, ci_type=estate["type"], asset_tag="",
                                        serial_number="SN-77", name="Oud")
    job = run_import(keeper, estate["type"], csv_bytes(HEADER, row(name="Nieuw", tag="", serial="SN-77")))
    assert (job.creates, job.updates) == (0, 1), job.errors
    existing.refresh_from_db()
    assert existing.name == "Nieuw"


@pytest.mark.parametrize("delimiter,bom", [(",", False), (";", False), (",", True), ("\t", False)])
def test_csv_dialects(estate, keeper, delimiter, bom):
    content = csv_bytes(["name", "asset tag", "owner"], ["Laptop A", "T-1", "VNL"], delimiter=delimiter, bom=bom)
    job = run_import(keeper, estate["type"], content)
    assert job.status == ImportStatus.APPLIED, job.errors
    assert ConfigurationItem.objects.unrestricted().filter(asset_tag="T-1", name="Laptop A").exists()


def test_brand_and_model_in_separate_columns_and_english_labels(estate, keeper):
    content = csv_bytes(["Name", "Asset tag", "Owner", "Brand", "Model", "Status", "Operating system"],
                        ["Laptop B", "T-2", "vnl", "hp", "elitebook 840 g10", "In repair", "Windows 11"],
                        delimiter=",")
    schema = [dict(spec) for spec in estate["type"].attribute_schema]
    schema[0]["label"] = "Operating system"
    estate["type"].attribute_schema = schema
    estate["type"].save()
    job = run_import(keeper, estate["type"], content)
    assert job.status == ImportStatus.APPLIED, job.errors
    item = ConfigurationItem.objects.unrestricted().get(asset_tag="T-2")
    assert item.model == estate["model"] and item.status == CIStatus.IN_REPAIR
    assert item.attributes == {"os": "Windows 11"}


def test_excel_file_with_typed_cells(estate, keeper):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Naam", "Inventarisnummer", "Serienummer", "Eigenaar", "Aankoopdatum", "Prijs", "Schijf versleuteld"])
    sheet.append(["Laptop X", "X-1", 12345678, "VNL", datetime.datetime(2024, 12, 31), 1234.5, True])
    sheet.append([None, None, None, None, None, None, None])
    sheet.append(["Laptop Y", "X-2", "ABC", "VNL", "01-02-2024", "1.000,00", "nee"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job = run_import(keeper, estate["type"], buffer.getvalue(), name="laptops.xlsx")
    assert job.status == ImportStatus.APPLIED, job.errors
    assert job.file_format == "xlsx"
    item = ConfigurationItem.objects.unrestricted().get(asset_tag="X-1")
    assert item.serial_number == "12345678"
    assert item.purchase_date == datetime.date(2024, 12, 31) and item.price == Decimal("1234.50")
    assert item.attributes == {"encrypted": True}
    assert ConfigurationItem.objects.unrestricted().get(asset_tag="X-2").purchase_date == datetime.date(2024, 2, 1)


# --- bad input: refused as a whole, with row-level errors, nothing written ------------------

def assert_refused(job, *expected, items_before=0):
    assert job.status == ImportStatus.INVALID
    assert ConfigurationItem.objects.unrestricted().count() == items_before
    for row_number, column, fragment in expected:
        assert any(
            e["row"] == row_number and e["column"] == column and fragment in e["reason"] for e in job.errors
        ), job.errors


def test_wrong_header_names_the_unknown_and_the_missing_column(estate, keeper):
    content = csv_bytes(["naam", "kleur", "eigenaar"], ["Laptop", "rood", "VNL"])
    job = run_import(keeper, estate["type"], content)
    assert_refused(job, (1, "kleur", "Unknown column"), (1, "asset tag", "asset tag or a serial number"))


def test_missing_required_attribute_column(db, keeper, provider):
    token = seeded_type("rsa-token")
    job = run_import(keeper, token, csv_bytes(["naam", "inventarisnummer", "eigenaar"], ["T", "R-1", "NML"]))
    assert_refused(job, (1, "Tokenserienummer", "Required column missing"), (1, "Verloopt op", "Required column"))


def test_wrong_date_unknown_model_location_and_bad_values(estate, keeper):
    content = csv_bytes(
        HEADER,
        row(),
        row(tag="VNL-0002", serial="S2", bought="2025/13/45"),
        row(tag="VNL-0003", serial="S3", model="Dell Latitude 9000"),
        row(tag="VNL-0004", serial="S4", location="Stadhuis"),
        row(tag="VNL-0005", serial="S5", price="12,345,6", status="kapot", encrypted="misschien"),
    )
    job = run_import(keeper, estate["type"], content)
    assert_refused(
        job,
        (3, "aankoopdatum", "dd-mm-jjjj"),
        (4, "merk en type", "Unknown model"),
        (5, "locatie", "Unknown location"),
        (6, "prijs", "not a number"),
        (6, "status", "Unknown status"),
        (6, "Schijf versleuteld", "yes or no"),
    )
    assert job.error_count == 6
    assert job.creates == 1  # the counts of the rows that were right


def test_duplicate_asset_tag_in_file_and_against_another_organisation(estate, keeper, roermond):
    ConfigurationItemFactory(organisation=roermond, ci_type=estate["type"], asset_tag="RMD-SECRET",
                             name="Geheime laptop burgemeester Roermond")
    content = csv_bytes(HEADER, row(), row(name="Dubbel", serial="S9"), row(tag="RMD-SECRET", serial="S10"))
    job = run_import(keeper, estate["type"], content)
    assert_refused(job, (3, "inventarisnummer", "appears twice"), (4, "inventarisnummer", "already in use"),
                   items_before=1)
    message = " ".join(e["reason"] for e in job.errors)
    assert "Roermond" not in message and "burgemeester" not in message and "RMD" not in message.replace(
        "RMD-SECRET", "")


def test_duplicate_asset_tag_is_named_also_when_the_rows_have_other_errors(estate, keeper):
    content = csv_bytes(HEADER, row(tag="VNL-0007", serial="S7", bought="31-02-2026"),
                        row(tag="vnl-0007", serial="S8", model="HP EliteBook 999"))
    job = run_import(keeper, estate["type"], content)
    assert_refused(job, (2, "aankoopdatum", "not an existing date"), (3, "merk en type", "Unknown model"),
                   (3, "inventarisnummer", "appears twice"))


@pytest.mark.parametrize("content", [
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01",
    bytes(range(256)) * 4,
    b"%PDF-1.7\n\x00\x01\x02binary",
    b"PK\x03\x04 not really a zip",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel",
    b"",
])
def test_not_a_table_is_refused_and_nothing_written(estate, keeper, content):
    jobs = ImportJob.all_objects.count()
    with pytest.raises(ValidationError) as caught:
        services.create_job(keeper, estate["type"], SimpleUploadedFile("laptops.csv", content))
    assert "file" in caught.value.message_dict
    assert ImportJob.all_objects.count() == jobs
    assert ConfigurationItem.objects.unrestricted().count() == 0


def test_participant_imports_only_into_own_organisation(estate, make_user, venlo, monkeypatch):
    from regie.core import roles

    user = make_user(venlo, "account_manager")
    with pytest.raises(PermissionDenied):
        services.create_job(user, estate["type"], SimpleUploadedFile("x.csv", csv_bytes(["naam"], ["x"])))
    # A participant's role that is given the right to keep the CMDB (not so by default).
    label, side, permissions = roles.ROLES["account_manager"]
    monkeypatch.setitem(roles.ROLES, "account_manager", (label, side, [*permissions, *roles.CMDB_KEEP]))
    user = type(user).objects.get(pk=user.pk)
    content = csv_bytes(["naam", "inventarisnummer", "eigenaar"], ["Eigen", "V-1", ""], ["Ander", "V-2", "RMD"])
    job = run_import(user, estate["type"], content)
    assert_refused(job, (3, "eigenaar", "only import items of your own organisation (VNL)"))
    job = run_import(user, estate["type"], csv_bytes(["naam", "inventarisnummer"], ["Eigen", "V-1"]))
    assert job.status == ImportStatus.APPLIED and job.organisation == venlo
    assert ConfigurationItem.objects.unrestricted().get(asset_tag="V-1").organisation == venlo


def test_dry_run_previews_without_writing_then_apply(estate, keeper):
    content = csv_bytes(HEADER, *[row(name=f"Laptop {n}", tag=f"VNL-{n:04d}", serial=f"S{n}") for n in range(30)])
    job = run_import(keeper, estate["type"], content, apply=False)
    assert job.status == ImportStatus.VALID
    assert ConfigurationItem.objects.unrestricted().count() == 0
    assert job.creates == 30 and len(job.preview["rows"]) == services.PREVIEW_ROWS
    first = job.preview["rows"][0]
    assert first["row"] == 2 and first["action"] == "create"
    assert first["values"]["owner"] == "VNL" and first["values"]["model"] == "HP EliteBook 840 G10"
    assert first["values"]["purchase_date"] == "2025-03-15" and first["values"]["price"] == "1234.56"
    services.request_apply(keeper, job)
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED and job.rows_written == 30
    assert ConfigurationItem.objects.unrestricted().count() == 30
    # Applying again changes nothing.
    assert services.request_apply(keeper, job) is False
    assert ConfigurationItem.objects.unrestricted().count() == 30


def test_data_changed_after_the_check_refuses_the_whole_import(estate, keeper, venlo):
    content = csv_bytes(HEADER, row(), row(tag="VNL-0002", serial="S2", location="Stadskantoor"))
    job = run_import(keeper, estate["type"], content, apply=False)
    assert job.status == ImportStatus.VALID
    estate["location"].name = "Verhuisd"
    estate["location"].save()
    services.request_apply(keeper, job)
    job.refresh_from_db()
    assert_refused(job, (2, "locatie", "Unknown location"))


def test_a_database_error_while_writing_rolls_everything_back(estate, keeper, monkeypatch):
    content = csv_bytes(HEADER, *[row(name=f"L{n}", tag=f"VNL-{n:04d}", serial=f"S{n}") for n in range(5)])
    job = run_import(keeper, estate["type"], content, apply=False)
    real = services.bulk_write_records
    calls = []

    def failing(entries, **kwargs):
        calls.append(1)
        real(entries, **kwargs)
        from django.db import IntegrityError

        raise IntegrityError("simulated failure after the rows were inserted")

    monkeypatch.setattr(services, "bulk_write_records", failing)
    services.request_apply(keeper, job)
    job.refresh_from_db()
    assert calls and job.status == ImportStatus.FAILED
    assert "Nothing was imported" in job.message
    assert ConfigurationItem.objects.unrestricted().count() == 0


@pytest.mark.parametrize("text,expected", [
    ("1.234,56", Decimal("1234.56")), ("1234.56", Decimal("1234.56")), ("1234,5", Decimal("1234.50")),
    ("€ 12.345.678,90", Decimal("12345678.90")), ("1,234.56", Decimal("1234.56")), ("", None), (99, Decimal("99")),
])
def test_prices(text, expected):
    assert services.parse_price(text) == expected


@pytest.mark.parametrize("text", ["1.2.3,4,5", "abc", "-5", "1.234", "1,2,3"])
def test_bad_prices(text):
    with pytest.raises(services.CellError):
        services.parse_price(text)


@pytest.mark.parametrize("text,expected", [
    ("31-12-2026", datetime.date(2026, 12, 31)), ("1-2-2026", datetime.date(2026, 2, 1)),
    ("2026-12-31", datetime.date(2026, 12, 31)), ("31/12/2026", datetime.date(2026, 12, 31)),
])
def test_dates(text, expected):
    assert services.parse_date(text) == expected


@pytest.mark.parametrize("text", ["31-13-2026", "12/31/26", "2026-02-30", "morgen", "2026.12.31"])
def test_bad_dates(text):
    with pytest.raises(services.CellError):
        services.parse_date(text)


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_while_the_import_transaction_is_open(provider, make_user):
    """PostgreSQL: progress goes through a connection of its own, so the job page sees it
    while the import's one transaction is still open (and keeps it if that rolls back)."""
    from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction

    from regie.cmdb.imports.factories import ImportJobFactory

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer: the figures appear when the transaction ends")
    keeper = make_user(provider, "first_line")
    job = ImportJobFactory(organisation=provider, created_by=keeper, status=ImportStatus.APPLYING)
    progress = services._Progress(job.pk, every=1)
    seen = None
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            progress(rows_validated=7, rows_written=5)
            other = connections.create_connection(DEFAULT_DB_ALIAS)
            try:
                with other.cursor() as cursor:
                    cursor.execute(f"SELECT rows_validated, rows_written FROM {ImportJob._meta.db_table} WHERE id = %s",  # noqa: S608
                                   [job.pk])
                    seen = cursor.fetchone()
            finally:
                other.close()
            raise RuntimeError("the import fails after the progress was reported")
    progress.close()
    assert seen == (7, 5)
    job.refresh_from_db()
    assert (job.rows_validated, job.rows_written) == (7, 5)
