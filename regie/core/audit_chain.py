"""The audit trail's hash chain: sealing, verification and retention.

Writers only append `AuditRecord` rows (each carrying the hash of its own content). The
worker later seals runs of records, in id order, into `AuditSeal` rows:

    seal.digest = sha256(seal.previous_digest + record_hash of each sealed record, in id order)

with `previous_digest` the digest of the seal before (64 zeros for the first). Changing,
removing or slipping in a record, or changing a seal, breaks a digest or a link, which
`regie audit_verify` reports. Writers never wait on sealing: sealing reads committed rows
only and takes a lock that no writer takes.

Only records older than `SEAL_DELAY_SECONDS` are sealed, and a batch stops at the first
record that is still too young, so that a transaction which took a lower id but commits a
moment later is not skipped. (A transaction that commits even later shows up in the
verifier as a record "inside a sealed range".)

Retention (`REGIE_AUDIT_RETENTION_DAYS`, 0 = keep forever) removes whole sealed runs only.
It first appends a `retention` record saying up to which record id it removes, then deletes
in the same transaction. Seals are kept, so the chain of links stays verifiable; the
verifier skips the content check of seals wholly inside a range removed by retention.
On PostgreSQL the append-only trigger lets the DELETE through only while the transaction
has set `regie.audit_retention = 'on'` (SET LOCAL, so it ends with the transaction).
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .audit import hashed_fields, record_hash, write_record
from .models import AuditRecord, AuditSeal

logger = logging.getLogger(__name__)

GENESIS_DIGEST = "0" * 64
SEAL_BATCH_SIZE = 1000
# Records younger than this stay unsealed for now (lets in-flight transactions commit).
SEAL_DELAY_SECONDS = getattr(settings, "REGIE_AUDIT_SEAL_DELAY_SECONDS", 10)
# Any 64-bit number unique to this lock; PostgreSQL advisory locks are per database.
_SEAL_LOCK_KEY = 7_262_001


def chain_digest(previous_digest, record_hashes):
    digest = hashlib.sha256(previous_digest.encode())
    for value in record_hashes:
        digest.update(value.encode())
    return digest.hexdigest()


def _take_seal_lock():
    """Serialise sealers (not writers). SQLite: the IMMEDIATE transaction already holds
    the write lock. PostgreSQL: a transaction-scoped advisory lock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_SEAL_LOCK_KEY])


def seal_batch(batch_size=SEAL_BATCH_SIZE, delay_seconds=None, now=None):
    """Seal at most `batch_size` old-enough records after the last seal; return the new
    seal, or None when nothing is ready."""
    delay = SEAL_DELAY_SECONDS if delay_seconds is None else delay_seconds
    cutoff = (now or timezone.now()) - timedelta(seconds=delay)
    with transaction.atomic():
        _take_seal_lock()
        last_seal = AuditSeal.objects.order_by("-last_record_id").first()
        after_id = last_seal.last_record_id if last_seal else 0
        previous_digest = last_seal.digest if last_seal else GENESIS_DIGEST
        candidates = (
            AuditRecord.all_objects.filter(id__gt=after_id)
            .order_by("id")
            .values_list("id", "timestamp", "record_hash")[:batch_size]
        )
        batch = []
        for record_id, timestamp, hash_value in candidates:
            if timestamp >= cutoff:
                break  # keep the sealed run a prefix of old records, in id order
            batch.append((record_id, hash_value))
        if not batch:
            return None
        return AuditSeal.objects.create(
            first_record_id=batch[0][0],
            last_record_id=batch[-1][0],
            record_count=len(batch),
            previous_digest=previous_digest,
            digest=chain_digest(previous_digest, [hash_value for _id, hash_value in batch]),
            sealed_at=timezone.now(),
        )


def seal_pending(batch_size=SEAL_BATCH_SIZE, delay_seconds=None, max_batches=1000):
    """Seal everything that is ready, batch by batch. Idempotent; two workers running it
    at once take turns on the lock (and the unique last_record_id is a second guard)."""
    sealed = 0
    for _round in range(max_batches):
        try:
            seal = seal_batch(batch_size=batch_size, delay_seconds=delay_seconds)
        except IntegrityError:
            # Another sealer won the race for this run; start again from its seal.
            logger.info("audit seal race lost; retrying")
            continue
        if seal is None:
            break
        sealed += seal.record_count
    return sealed


# --- verification -------------------------------------------------------------------------


@dataclass
class VerificationReport:
    records_checked: int = 0
    seals_checked: int = 0
    altered_records: list = field(default_factory=list)  # ids whose content no longer matches their hash
    missing_records: list = field(default_factory=list)  # (seal, expected count, found count)
    altered_seals: list = field(default_factory=list)  # seals whose digest does not match their records
    broken_links: list = field(default_factory=list)  # (seal, why)
    # ids of records lying between two seals (committed after the later seal was made)
    records_inside_sealed_range: list = field(default_factory=list)
    extra_records: list = field(default_factory=list)  # (seal, expected count, found count): rows slipped in
    unsealed_records: int = 0
    retention_through_id: int = 0

    @property
    def ok(self):
        return not (
            self.altered_records
            or self.missing_records
            or self.altered_seals
            or self.broken_links
            or self.records_inside_sealed_range
            or self.extra_records
        )


def retention_boundary():
    """Highest record id removed by retention so far (0 when none)."""
    boundary = 0
    for changes in AuditRecord.all_objects.filter(action="retention", result="success").values_list(
        "changes", flat=True
    ):
        try:
            boundary = max(boundary, int(changes["removed_through_record_id"][1]))
        except (KeyError, IndexError, TypeError, ValueError):
            continue
    return boundary


def verify_chain(chunk_size=2000):
    report = VerificationReport()

    # 1. Every record's stored hash against its content.
    for record in AuditRecord.all_objects.order_by("id").iterator(chunk_size=chunk_size):
        report.records_checked += 1
        if record_hash(hashed_fields(record)) != record.record_hash:
            report.altered_records.append(record.id)

    # 2. Every seal: its link to the one before, its count and digest.
    report.retention_through_id = retention_boundary()
    previous = None
    for seal in AuditSeal.objects.order_by("last_record_id").iterator(chunk_size=chunk_size):
        report.seals_checked += 1
        expected_previous = previous.digest if previous else GENESIS_DIGEST
        previous_last_id = previous.last_record_id if previous else 0
        if seal.previous_digest != expected_previous:
            report.broken_links.append((seal, "previous digest does not match the seal before"))
        if seal.first_record_id <= previous_last_id or seal.first_record_id > seal.last_record_id:
            report.broken_links.append((seal, "record range overlaps the seal before or is empty"))
        # Records between two seals were committed after the later seal was made.
        report.records_inside_sealed_range.extend(
            AuditRecord.all_objects.filter(id__gt=previous_last_id, id__lt=seal.first_record_id)
            .order_by("id")
            .values_list("id", flat=True)
        )
        if seal.last_record_id > report.retention_through_id:
            hashes = list(
                AuditRecord.all_objects.filter(id__gte=seal.first_record_id, id__lte=seal.last_record_id)
                .order_by("id")
                .values_list("record_hash", flat=True)
            )
            if len(hashes) < seal.record_count:
                report.missing_records.append((seal, seal.record_count, len(hashes)))
            elif len(hashes) > seal.record_count:
                report.extra_records.append((seal, seal.record_count, len(hashes)))
            elif chain_digest(seal.previous_digest, hashes) != seal.digest:
                report.altered_seals.append(seal)
        previous = seal

    last_sealed_id = previous.last_record_id if previous else 0
    report.unsealed_records = AuditRecord.all_objects.filter(id__gt=last_sealed_id).count()
    return report


# --- retention ---------------------------------------------------------------------------


def _delete_through(record_id):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Lets the append-only trigger pass this one DELETE; SET LOCAL ends with the transaction.
            cursor.execute("SET LOCAL regie.audit_retention = 'on'")
        table = connection.ops.quote_name(AuditRecord._meta.db_table)
        cursor.execute(f"DELETE FROM {table} WHERE id <= %s", [record_id])  # noqa: S608 - table name is ours
        deleted = cursor.rowcount
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL regie.audit_retention = 'off'")
    return deleted


def apply_retention(days=None, now=None):
    """Remove sealed records older than `days` (default: the setting; 0 = keep forever).

    Only whole sealed runs go, so the remaining chain still verifies. Returns the number
    of records removed.
    """
    days = settings.REGIE_AUDIT_RETENTION_DAYS if days is None else days
    if not days or days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    with transaction.atomic():
        _take_seal_lock()  # no sealing while we remove
        first_young = (
            AuditRecord.all_objects.filter(timestamp__gte=cutoff).order_by("id").values_list("id", flat=True).first()
        )
        seals = AuditSeal.objects.all()
        if first_young is not None:
            seals = seals.filter(last_record_id__lt=first_young)
        last_old_seal = seals.order_by("-last_record_id").first()
        already_through = retention_boundary()
        if last_old_seal is None or last_old_seal.last_record_id <= already_through:
            return 0
        through = last_old_seal.last_record_id
        count = AuditRecord.all_objects.filter(id__lte=through).count()
        if count == 0:
            return 0
        write_record(
            "retention",
            object_repr="audit trail",
            changes={"removed_through_record_id": [already_through or None, through], "records_removed": [None, count]},
            message=f"removed {count} sealed records older than {days} days (cutoff {cutoff.isoformat()})",
        )
        deleted = _delete_through(through)
        if deleted != count:
            # Rolls back the retention record too: nothing half-done.
            raise RuntimeError(f"retention expected to remove {count} records, removed {deleted}")
    logger.info("audit retention removed %s records through id %s", deleted, through)
    return deleted
