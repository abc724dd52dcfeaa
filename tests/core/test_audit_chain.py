"""The hash chain: sealing, `regie audit_verify`, retention and (PostgreSQL) the append-only trigger."""

import itertools
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from regie.core.audit import audit_context, hashed_fields, record_hash, write_record
from regie.core.audit_chain import (
    GENESIS_DIGEST,
    apply_retention,
    chain_digest,
    seal_batch,
    seal_pending,
    verify_chain,
)
from regie.core.models import AuditRecord, AuditSeal
from regie.core.tasks import apply_audit_retention, seal_audit_records
from regie.schedules import SCHEDULE

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only"
)


def write(n, label="tester"):
    with audit_context(actor_label=label, remote_addr="192.0.2.10"):
        return [write_record("update", object_repr=f"object {i}", changes={"n": [i, i + 1]}) for i in range(n)]


def record(timestamp=None, record_id=None, label="tester"):
    """An unsaved record with a correct hash (for bulk_create: old timestamps, chosen ids)."""
    rec = AuditRecord(
        id=record_id, timestamp=timestamp or timezone.now(), actor_label=label, action="update",
        object_repr="old object", changes={"x": [1, 2]}, result="success",
    )
    rec.record_hash = record_hash(hashed_fields(rec))
    return rec


def verify():
    """Run the command; (ok, output)."""
    out = StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as exc:
        assert exc.returncode == 1
        return False, out.getvalue()
    return True, out.getvalue()


def raw(sql, params=()):
    """Tamper with the table behind the application's back (on PostgreSQL: past the trigger,
    as a superuser could)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


# --- sealing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sealing_forms_a_chain_in_id_order():
    records = write(5)
    assert seal_pending(batch_size=2, delay_seconds=0) == 5
    seals = list(AuditSeal.objects.order_by("last_record_id"))
    assert [s.record_count for s in seals] == [2, 2, 1]
    assert seals[0].previous_digest == GENESIS_DIGEST
    assert seals[0].first_record_id == records[0].id
    assert seals[-1].last_record_id == records[-1].id
    for before, after in itertools.pairwise(seals):
        assert after.previous_digest == before.digest
    hashes = [r.record_hash for r in records]
    assert seals[0].digest == chain_digest(GENESIS_DIGEST, hashes[:2])
    assert seals[2].digest == chain_digest(seals[1].digest, hashes[4:])


@pytest.mark.django_db
def test_sealing_is_idempotent_and_continues_the_chain():
    write(3)
    assert seal_pending(delay_seconds=0) == 3
    assert seal_pending(delay_seconds=0) == 0
    assert AuditSeal.objects.count() == 1
    write(2)
    assert seal_pending(delay_seconds=0) == 2
    first, second = AuditSeal.objects.order_by("last_record_id")
    assert second.previous_digest == first.digest
    assert verify_chain().ok


@pytest.mark.django_db
def test_young_records_wait_and_a_batch_stops_at_the_first_young_record():
    older, younger = write(2)
    # The default delay keeps just-written records out of the chain.
    assert seal_pending() == 0
    # With "now" at the second record's time, only the first is old enough.
    seal = seal_batch(delay_seconds=0, now=younger.timestamp)
    assert (seal.first_record_id, seal.last_record_id, seal.record_count) == (older.id, older.id, 1)


@pytest.mark.django_db
def test_seal_task_is_scheduled_and_runs():
    AuditRecord.all_objects.bulk_create([record(timezone.now() - timedelta(minutes=5)) for _ in range(3)])
    assert seal_audit_records.delay().get() == 3
    assert {"regie.core.seal_audit_records", "regie.core.apply_audit_retention"} <= {
        task for task, _every in SCHEDULE.values()
    }


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the in-memory SQLite test database is not shared between threads; SQLite serialises writers anyway",
)
@pytest.mark.django_db(transaction=True)
def test_two_sealers_at_once_seal_every_record_exactly_once():
    AuditRecord.all_objects.bulk_create([record(timezone.now() - timedelta(minutes=1)) for _ in range(60)])
    errors = []

    def run():
        try:
            seal_pending(batch_size=7, delay_seconds=0)
        except Exception as exc:  # reported below, so the test fails with the cause
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(AuditSeal.objects.values_list("record_count", flat=True)) == 60
    assert verify_chain().ok
    # Truncated (not deleted) by the test framework's flush: the trigger must not get in the way.


# --- verification -------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_passes_on_an_intact_trail():
    write(4)
    seal_pending(delay_seconds=0)
    write(1)  # not sealed yet: fine
    ok, output = verify()
    assert ok, output
    assert "Checked 5 records and 1 seals; 1 records not sealed yet" in output


@pytest.mark.django_db
def test_verify_finds_an_altered_record():
    records = write(3)
    seal_pending(delay_seconds=0)
    table = AuditRecord._meta.db_table
    raw(f"UPDATE {table} SET actor_label = %s WHERE id = %s", ["someone-else", records[1].id])  # noqa: S608
    ok, output = verify()
    assert not ok
    assert f"Altered records (content does not match hash): {records[1].id}" in output
    assert verify_chain().altered_records == [records[1].id]


@pytest.mark.django_db
def test_verify_finds_an_altered_record_and_hash_together():
    records = write(3)
    seal_pending(delay_seconds=0)
    forged = records[0]
    forged.actor_label = "someone-else"
    new_hash = record_hash(hashed_fields(forged))
    table = AuditRecord._meta.db_table
    raw(
        f"UPDATE {table} SET actor_label = %s, record_hash = %s WHERE id = %s",  # noqa: S608
        ["someone-else", new_hash, forged.id],
    )
    report = verify_chain()
    assert report.altered_records == []  # consistent on its own...
    assert len(report.altered_seals) == 1  # ...but the seal knows better
    ok, output = verify()
    assert not ok and "Seal digest mismatch" in output


@pytest.mark.django_db
def test_verify_finds_a_deleted_record():
    records = write(3)
    seal_pending(delay_seconds=0)
    raw(f"DELETE FROM {AuditRecord._meta.db_table} WHERE id = %s", [records[1].id])  # noqa: S608
    ok, output = verify()
    assert not ok
    assert f"Missing records: seal of records {records[0].id}-{records[2].id} sealed 3, found 2" in output


@pytest.mark.django_db
def test_verify_finds_a_broken_link():
    write(2)
    seal_pending(batch_size=1, delay_seconds=0)
    first = AuditSeal.objects.order_by("last_record_id").first()
    raw(f"UPDATE {AuditSeal._meta.db_table} SET digest = %s WHERE id = %s", ["f" * 64, first.id])  # noqa: S608
    report = verify_chain()
    assert [why for _seal, why in report.broken_links] == ["previous digest does not match the seal before"]
    assert report.altered_seals == [AuditSeal.objects.get(pk=first.pk)]
    ok, output = verify()
    assert not ok and "Broken chain link" in output


@pytest.mark.django_db
def test_verify_finds_records_inside_a_sealed_range():
    base = (AuditRecord.all_objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    old = timezone.now() - timedelta(minutes=1)
    AuditRecord.all_objects.bulk_create([record(old, base), record(old, base + 10)])
    seal_pending(batch_size=1, delay_seconds=0)
    # Committed late, with an id between two seals...
    AuditRecord.all_objects.bulk_create([record(old, base + 5)])
    # ...and slipped into a sealed run.
    seal_pending(delay_seconds=0)
    report = verify_chain()
    assert report.records_inside_sealed_range == [base + 5]
    ok, output = verify()
    assert not ok
    assert f"Records inside an already-sealed range: {base + 5}" in output


@pytest.mark.django_db
def test_verify_finds_a_record_slipped_into_a_seal():
    base = (AuditRecord.all_objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1000
    old = timezone.now() - timedelta(minutes=1)
    AuditRecord.all_objects.bulk_create([record(old, base), record(old, base + 2)])
    seal_pending(delay_seconds=0)
    AuditRecord.all_objects.bulk_create([record(old, base + 1)])
    report = verify_chain()
    assert [(expected, found) for _seal, expected, found in report.extra_records] == [(2, 3)]
    assert not report.ok


@pytest.mark.django_db
def test_ipv6_addresses_hash_the_same_after_a_round_trip():
    with audit_context(actor_label="tester", remote_addr="2001:DB8:0:0::1"):
        write_record("update", object_repr="x")
    assert verify_chain().altered_records == []


# --- retention ------------------------------------------------------------------------------


def old_and_new_sealed_trail():
    long_ago = timezone.now() - timedelta(days=400)
    AuditRecord.all_objects.bulk_create([record(long_ago) for _ in range(3)])
    recent = timezone.now() - timedelta(days=1)
    AuditRecord.all_objects.bulk_create([record(recent) for _ in range(2)])
    seal_pending(batch_size=3, delay_seconds=0)


@pytest.mark.django_db
def test_retention_off_by_default_keeps_everything(settings):
    assert settings.REGIE_AUDIT_RETENTION_DAYS == 0
    old_and_new_sealed_trail()
    assert apply_audit_retention.delay().get() == 0
    assert AuditRecord.all_objects.count() == 5


@pytest.mark.django_db
def test_retention_removes_old_sealed_records_and_is_itself_audited(settings):
    settings.REGIE_AUDIT_RETENTION_DAYS = 365
    old_and_new_sealed_trail()
    assert apply_audit_retention.delay().get() == 3
    remaining = AuditRecord.all_objects.order_by("id")
    assert remaining.count() == 3  # two recent ones and the retention record
    retention = remaining.get(action="retention")
    assert retention.actor_label == "system:audit-retention"
    assert retention.changes["records_removed"] == [None, 3]
    assert AuditSeal.objects.count() == 2  # seals stay: the chain links remain checkable
    ok, output = verify()
    assert ok, output
    assert "removed by retention" in output
    # Again: nothing more to do, no second retention record.
    assert apply_retention() == 0
    assert AuditRecord.all_objects.filter(action="retention").count() == 1


@pytest.mark.django_db
def test_retention_keeps_a_seal_that_holds_any_young_record():
    long_ago = timezone.now() - timedelta(days=400)
    AuditRecord.all_objects.bulk_create([record(long_ago), record(timezone.now() - timedelta(days=2))])
    seal_pending(delay_seconds=0)
    assert apply_retention(days=365) == 0
    assert AuditRecord.all_objects.count() == 2


@pytest.mark.django_db
def test_unsealed_old_records_are_not_removed():
    AuditRecord.all_objects.bulk_create([record(timezone.now() - timedelta(days=400))])
    assert apply_retention(days=365) == 0
    assert AuditRecord.all_objects.count() == 1


# --- the database refuses (PostgreSQL) --------------------------------------------------------


def refused(sql, params=()):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


@on_postgresql
@pytest.mark.django_db
def test_postgresql_refuses_update_and_delete_of_audit_rows():
    records = write(2)
    seal_pending(delay_seconds=0)
    table, seals = AuditRecord._meta.db_table, AuditSeal._meta.db_table
    refused(f"UPDATE {table} SET actor_label = 'x' WHERE id = %s", [records[0].id])  # noqa: S608
    refused(f"DELETE FROM {table} WHERE id = %s", [records[0].id])  # noqa: S608
    refused(f"UPDATE {seals} SET digest = 'x'")  # noqa: S608
    refused(f"DELETE FROM {seals}")  # noqa: S608
    # Past the ORM's own guard, too.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.all_objects.filter(pk=records[0].pk).update(actor_label="x")
    assert AuditRecord.all_objects.filter(actor_label="tester").count() == 2
    assert verify_chain().ok


@on_postgresql
@pytest.mark.django_db
def test_retention_switch_opens_deletes_of_records_only_for_its_transaction():
    records = write(1)
    seal_pending(delay_seconds=0)
    table, seals = AuditRecord._meta.db_table, AuditSeal._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL regie.audit_retention = 'on'")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(f"DELETE FROM {seals}")  # noqa: S608 - seals are never removed
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(f"UPDATE {table} SET actor_label = 'x'")  # noqa: S608 - nor updated
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [records[0].id])  # noqa: S608
    assert not AuditRecord.all_objects.filter(pk=records[0].pk).exists()


@on_postgresql
@pytest.mark.django_db
def test_retention_closes_the_switch_behind_itself():
    # Even inside an enclosing transaction (here: the test's), the switch is off afterwards.
    old_and_new_sealed_trail()
    assert apply_retention(days=365) == 3
    refused(f"DELETE FROM {AuditRecord._meta.db_table}")  # noqa: S608


@pytest.mark.skipif(connection.vendor == "postgresql", reason="documents the SQLite behaviour")
@pytest.mark.django_db
def test_sqlite_relies_on_the_orm_guard_and_the_chain():
    """SQLite has no trigger (Django flushes SQLite with DELETE; the file owner can drop a
    trigger anyway): the ORM refuses, and the verifier catches raw edits (tests above)."""
    (rec,) = write(1)
    with pytest.raises(TypeError):
        rec.save()
    with pytest.raises(TypeError):
        rec.delete()
    with pytest.raises(TypeError):
        AuditRecord.objects.unrestricted().update(actor_label="x")
