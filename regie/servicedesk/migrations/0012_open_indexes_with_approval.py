"""The partial open-call indexes of 0009 again, now over the five open statuses (PostgreSQL
only; a no-op on SQLite, like 0009).

0010 added "waiting for approval" to the open statuses, so every queue's `status IN (…)`
named five statuses while the indexes covered four: PostgreSQL could no longer prove the
queries were within the indexes and fell back to the status index (breaching soon:
~100 ms at 1,000,000 calls instead of < 1 ms). `tests/servicedesk/test_scale_queries.py`
now compares the indexes' statuses with `TicketStatus.open_values()`, so a new open status
without a migration like this one fails a test.
"""

from django.db import migrations

FOUR = "status IN ('new', 'in_progress', 'waiting_for_caller', 'waiting_for_supplier')"
FIVE = "status IN ('new', 'in_progress', 'waiting_for_caller', 'waiting_for_supplier', 'waiting_for_approval')"
COLUMNS = {
    "ticket_open_assignee_idx": "(assignee_id, created_at DESC, id DESC)",
    "ticket_open_team_idx": "(team_id, created_at DESC, id DESC) INCLUDE (organisation_id, assignee_id, resolution_due_at)",
    "ticket_open_due_idx": "(resolution_due_at, id)",
}


def _rebuild(schema_editor, predicate):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, columns in COLUMNS.items():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX {name} ON servicedesk_ticket {columns} WHERE {predicate}")


def forwards(apps, schema_editor):
    _rebuild(schema_editor, FIVE)


def backwards(apps, schema_editor):
    _rebuild(schema_editor, FOUR)


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0011_fewer_index_writes")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
