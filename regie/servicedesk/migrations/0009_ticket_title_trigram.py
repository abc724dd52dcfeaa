"""Indexes for the service desk at 1,000,000 calls (PostgreSQL only; docs/performance.md,
section 4). On SQLite (development, tests) this migration does nothing.

- `ticket_title_trgm_idx`: `TicketFilterSet.search` filters `title__icontains`, which
  PostgreSQL runs as `UPPER(title::text) LIKE UPPER('%…%')`; no B-tree answers that, so
  every search read every call the user may see. A pg_trgm GIN index on the same
  expression does. The extension needs a role allowed to create it (pg_trgm is a trusted
  extension: the database owner may, on PostgreSQL 13+).
- `ticket_open_assignee_idx`, `ticket_open_team_idx`: the "my calls" and "my teams' calls"
  queues, newest first, over the open calls only. Without them PostgreSQL walked all
  calls newest first looking for an agent's open ones (2.8 s for an agent with none).
- `ticket_open_due_idx`: "breaching soon", "past the term" and the soonest-due-first order
  over the open calls (the full `ticket_resolution_due_idx` also holds every closed call,
  so PostgreSQL combined it with a status index: 12–25 ms instead of < 1 ms).
- `ticket_resolved_idx`: the dashboard's six-month resolution figures, from the index
  alone (covering; partial, so open calls and their deadline recomputations never
  touch it).

Kept out of the model's Meta on purpose: they are PostgreSQL features (GIN operator
class, INCLUDE), and the model state stays the same on every database.
"""

from django.db import migrations

OPEN = "status IN ('new', 'in_progress', 'waiting_for_caller', 'waiting_for_supplier')"
INDEXES = {
    "ticket_title_trgm_idx": "USING gin (UPPER(title::text) gin_trgm_ops)",
    "ticket_open_assignee_idx": f"(assignee_id, created_at DESC, id DESC) WHERE {OPEN}",
    # INCLUDE: the dashboard's open-call figures come from this index alone (index-only scan).
    "ticket_open_team_idx": (
        f"(team_id, created_at DESC, id DESC) INCLUDE (organisation_id, assignee_id, resolution_due_at) WHERE {OPEN}"
    ),
    "ticket_open_due_idx": f"(resolution_due_at, id) WHERE {OPEN}",
    "ticket_resolved_idx": (
        "(resolved_at) INCLUDE (organisation_id, priority, created_at, resolution_due_at) "
        "WHERE resolved_at IS NOT NULL"
    ),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, definition in INDEXES.items():
        # The trigram expression must be the one Django's icontains produces, or the planner ignores it.
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON servicedesk_ticket {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("servicedesk", "0008_fewer_ticket_indexes")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
