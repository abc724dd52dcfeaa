"""`regie audit_verify`: recompute every audit record's hash and every seal's digest.

Exit status 0 when the trail is intact, 1 when anything is wrong (altered or missing
records, broken links, records inside an already-sealed range).
"""

from django.core.management.base import BaseCommand, CommandError

from regie.core.audit_chain import verify_chain

# Enough detail to find the rows; the full list is rarely useful on screen.
MAX_LISTED = 50


def _ids(values):
    shown = ", ".join(str(value) for value in values[:MAX_LISTED])
    return shown + (f" … (+{len(values) - MAX_LISTED})" if len(values) > MAX_LISTED else "")


class Command(BaseCommand):
    help = "Verify the audit trail's record hashes and seal chain; non-zero exit when anything is wrong."

    def handle(self, *args, **options):
        report = verify_chain()
        out = self.stdout
        if report.altered_records:
            out.write(self.style.ERROR(
                f"Altered records (content does not match hash): {_ids(report.altered_records)}"
            ))
        for seal, expected, found in report.missing_records:
            out.write(self.style.ERROR(
                f"Missing records: seal of records {seal.first_record_id}-{seal.last_record_id} "
                f"sealed {expected}, found {found}"
            ))
        for seal, expected, found in report.extra_records:
            out.write(self.style.ERROR(
                f"Records inside a sealed range: seal of records {seal.first_record_id}-{seal.last_record_id} "
                f"sealed {expected}, found {found}"
            ))
        for seal in report.altered_seals:
            out.write(self.style.ERROR(
                f"Seal digest mismatch: records {seal.first_record_id}-{seal.last_record_id} were changed or replaced"
            ))
        for seal, why in report.broken_links:
            out.write(self.style.ERROR(
                f"Broken chain link at seal {seal.first_record_id}-{seal.last_record_id}: {why}"
            ))
        if report.records_inside_sealed_range:
            out.write(self.style.ERROR(
                f"Records inside an already-sealed range: {_ids(report.records_inside_sealed_range)}"
            ))
        problems = (
            len(report.altered_records) + len(report.missing_records) + len(report.extra_records)
            + len(report.altered_seals) + len(report.broken_links) + len(report.records_inside_sealed_range)
        )
        summary = (
            f"Checked {report.records_checked} records and {report.seals_checked} seals; "
            f"{report.unsealed_records} records not sealed yet"
        )
        if report.retention_through_id:
            summary += f"; records up to id {report.retention_through_id} removed by retention"
        if report.ok:
            out.write(self.style.SUCCESS(f"{summary}. Audit trail intact."))
            return
        out.write(f"{summary}.")
        raise CommandError(f"Audit trail verification failed: {problems} problem(s) found.", returncode=1)
