"""Benchmark: importing 100,000 configuration items from CSV (issue 4).

    .venv/bin/python -m bench.import_items [--rows 100000]

Uses its own database (`regie_bench_import`, override with REGIE_BENCH_DB). Writes a CSV
file of N laptops as Dutch Excel saves it (";" separated, UTF-8 with BOM, dates as
dd-mm-jjjj, prices as 1.234,56, status in Dutch, model as "brand type", a location per
municipality, supplier, framework contract, two type-specific attributes), owned by the
four municipalities, and measures in the same run, each time on an empty item table:

1. Regie: the import as the worker runs it (services.create_job + services.run with
   "import when every row is right"): read, validate every row (owner, model, status,
   location, supplier, contract, dates, prices, attributes), match on asset tag, write
   in one transaction with one audit record per item;
2. the same file again: every row unchanged, nothing written;
3. anchor: a bare `COPY ... FROM STDIN` of the same rows (values already resolved);
4. anchor: a bare `bulk_create` of the same rows (no validation, no audit).

Target (issue 4): step 1 <= 20 s for 100,000 rows, on PostgreSQL.
"""

import argparse
import datetime
import io
import os
import random
import time
from decimal import Decimal

os.environ.setdefault("REGIE_BENCH_DB", "regie_bench_import")

from bench import common  # the database name above must be set first

TARGET_SECONDS = 20
MODELS = [("HP", "EliteBook 840 G10"), ("HP", "EliteBook 860 G11"), ("Dell", "Latitude 5450"),
          ("Lenovo", "ThinkPad T14 Gen 5"), ("Microsoft", "Surface Laptop 6")]
LOCATIONS = ["Stadskantoor", "Stadswinkel", "Gemeentewerf", "Bibliotheek", "Brandweerkazerne"]
STATUSES = ["in gebruik"] * 8 + ["op voorraad", "in reparatie"]
HEADER = ["Naam", "Inventarisnummer", "Serienummer", "Eigenaar", "Merk en type", "Status", "Locatie",
          "Leverancier", "Aankoopdatum", "Prijs", "Einde garantie", "Raamcontract", "Opmerkingen",
          "Besturingssysteem", "Schijf versleuteld"]


def reference_data(fixtures):
    from regie.cmdb.choices import ContractKind, ModelApproval
    from regie.cmdb.models import ConfigurationItemModel, ConfigurationItemType, Contract, Supplier
    from regie.core.choices import LocationKind
    from regie.core.models import Location

    laptop = ConfigurationItemType.objects.unrestricted().get(code="laptop")
    for manufacturer, name in MODELS:
        ConfigurationItemModel.objects.unrestricted().get_or_create(
            ci_type=laptop, manufacturer=manufacturer, name=name, defaults={"approval": ModelApproval.APPROVED})
    for municipality in fixtures["municipalities"]:
        for name in LOCATIONS:
            Location.objects.unrestricted().get_or_create(
                organisation_id=municipality["id"], name=name, defaults={"kind": LocationKind.SITE})
    supplier, _created = Supplier.objects.unrestricted().get_or_create(name="Bechtle B.V.")
    Contract.objects.unrestricted().get_or_create(
        supplier=supplier, reference="RC-2024-WP", defaults={
            "organisation_id": fixtures["provider"], "name": "Raamcontract werkplekken", "kind": ContractKind.FRAMEWORK,
            "starts_on": datetime.date(2024, 1, 1), "ends_on": datetime.date(2028, 12, 31)})
    return laptop


def make_csv(rows, fixtures, seed=4):
    rng = random.Random(seed)
    codes = [m["code"] for m in fixtures["municipalities"]]
    lines = [";".join(HEADER)]
    for n in range(rows):
        bought = datetime.date(2024, 1, 1) + datetime.timedelta(days=rng.randrange(0, 700))
        price = Decimal(rng.randrange(60000, 180000)) / 100
        euros, cents = divmod(int(price * 100), 100)
        manufacturer, model = MODELS[n % len(MODELS)]
        lines.append(";".join([
            f"Laptop {n:06d}", f"LT-{n:06d}", f"5CG{n:07d}", codes[n % len(codes)], f"{manufacturer} {model}",
            rng.choice(STATUSES), LOCATIONS[n % len(LOCATIONS)], "Bechtle B.V.", bought.strftime("%d-%m-%Y"),
            f"{euros:,}".replace(",", ".") + f",{cents:02d}",
            (bought + datetime.timedelta(days=4 * 365)).strftime("%d-%m-%Y"),
            "RC-2024-WP", "", rng.choice(["Windows 11", "Windows 11 Enterprise"]), rng.choice(["ja", "nee"]),
        ]))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def empty_items():
    with common.bench_connection() as conn:
        conn.execute("TRUNCATE cmdb_configurationitem CASCADE")


class Upload(io.BytesIO):
    name = "laptops.csv"


def regie_import(content, laptop, agent):
    from regie.cmdb.imports import services
    from regie.core.audit import audit_context

    with audit_context(actor=agent):
        started = time.perf_counter()
        job = services.create_job(agent, laptop, Upload(content), apply=True)
        status = services.run(job.pk, agent.pk)
        seconds = time.perf_counter() - started
    job.refresh_from_db()
    return seconds, status, job


def resolved_rows(content, laptop, agent):
    """The rows as the import resolves them (for the anchors: same values, no validation)."""
    from regie.cmdb.imports import services

    outcome = services.validate(laptop, agent, content)
    assert outcome.ok, outcome.errors[:5]
    return [plan.values for plan in outcome.plans]


def copy_anchor(rows, laptop):
    import enum
    import json

    from django.utils import timezone

    from regie.cmdb.models import ConfigurationItem

    fields = [f for f in ConfigurationItem._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)
    now = timezone.now()

    def plain(field, value):
        if field.get_internal_type() == "JSONField":
            return json.dumps(value)
        return value.value if isinstance(value, enum.Enum) else value

    tuples = []
    for values in rows:
        item = ConfigurationItem(ci_type=laptop, **values)
        item.created_at = item.updated_at = now
        tuples.append([plain(f, f.value_from_object(item)) for f in fields])
    with common.bench_connection() as conn:
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy(f"COPY cmdb_configurationitem ({columns}) FROM STDIN") as copy:
            for row in tuples:
                copy.write_row(row)
        return time.perf_counter() - started


def bulk_create_anchor(rows, laptop):
    from django.db import transaction

    from regie.cmdb.models import ConfigurationItem

    items = [ConfigurationItem(ci_type=laptop, **values) for values in rows]
    started = time.perf_counter()
    with transaction.atomic():
        ConfigurationItem.all_objects.bulk_create(items, batch_size=2000)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--recreate", action="store_true", help="drop and re-create the bench database")
    args = parser.parse_args()

    common.prepare_database(recreate=args.recreate)
    common.setup_django()
    from django.db import connection

    from regie.cmdb.imports.models import ImportStatus
    from regie.core.models import AuditRecord, User

    fixtures = common.ensure_fixtures()
    laptop = reference_data(fixtures)
    agent = User.objects.unrestricted().get(pk=fixtures["agent"])
    content = make_csv(args.rows, fixtures)
    print(f"CSV: {args.rows:,} rows, {len(content) / 2**20:.1f} MB; PostgreSQL {connection.pg_version}")

    empty_items()
    audit_before = AuditRecord.all_objects.count()
    seconds, status, job = regie_import(content, laptop, agent)
    audit_written = AuditRecord.all_objects.count() - audit_before
    assert status == ImportStatus.APPLIED, (status, job.errors[:5], job.message)
    assert job.creates == args.rows and job.rows_written == args.rows
    print(f"1. Regie import (validate + write + audit):  {seconds:6.2f} s  "
          f"{args.rows / seconds:,.0f} rows/s  ({audit_written:,} audit records)")

    again, status, job = regie_import(content, laptop, agent)
    assert status == ImportStatus.APPLIED and job.unchanged == args.rows and job.rows_written == 0
    print(f"2. same file again (all unchanged):          {again:6.2f} s")

    rows = resolved_rows(content, laptop, agent)
    empty_items()
    copy_seconds = copy_anchor(rows, laptop)
    print(f"3. anchor: bare COPY of the same rows:        {copy_seconds:6.2f} s")
    empty_items()
    bulk_seconds = bulk_create_anchor(rows, laptop)
    print(f"4. anchor: bare bulk_create of the same rows: {bulk_seconds:6.2f} s")
    empty_items()

    print(f"ratio import / COPY:        {seconds / copy_seconds:5.1f}x")
    print(f"ratio import / bulk_create: {seconds / bulk_seconds:5.1f}x")
    verdict = "PASS" if seconds <= TARGET_SECONDS * args.rows / 100_000 else "MISS"
    print(f"target <= {TARGET_SECONDS} s per 100,000 rows: {verdict}")


if __name__ == "__main__":
    main()
