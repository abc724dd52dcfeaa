"""Fewer index writes per call update (docs/performance.md, section 4: recomputing the
deadlines of 100,000 open calls after a calendar change). A deadline change can never be a
HOT update (the deadlines are indexed), so every index of the table gets a new entry for
each recomputed call.

- `created_by` loses its index (no list filters on it; users are never deleted) and
  `parent` gets a partial one (only the few calls that have a parent are in it).
- PostgreSQL only: the three Meta indexes `ticket_resolution_due_idx`,
  `ticket_team_queue_idx` and `ticket_assignee_queue_idx` are superseded there by the
  partial open-call indexes of 0009 (the queues, breaching soon, past the term and the
  due-first order all filter on the open statuses), and the `varchar_pattern_ops` index
  Django adds for the unique reference only serves `LIKE 'x%'`, which nothing asks (the
  reference is looked up exactly, through the unique index). SQLite keeps the three, as it
  has no 0009 indexes; the model state is the same on both.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


PG_SUPERSEDED = [
    "ticket_resolution_due_idx",
    "ticket_team_queue_idx",
    "ticket_assignee_queue_idx",
    "servicedesk_ticket_reference_72eb9995_like",
]
PG_RECREATE = {
    "ticket_resolution_due_idx": "(resolution_due_at, id)",
    "ticket_team_queue_idx": "(team_id, status, resolution_due_at)",
    "ticket_assignee_queue_idx": "(assignee_id, status, resolution_due_at)",
    "servicedesk_ticket_reference_72eb9995_like": "(reference varchar_pattern_ops)",
}


def drop_superseded(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in PG_SUPERSEDED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def recreate_superseded(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in PG_RECREATE.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON servicedesk_ticket {definition}")


class Migration(migrations.Migration):

    dependencies = [
        ('catalogue', '0002_seed_catalogue'),
        ('core', '0003_audit_append_only'),
        ('servicedesk', '0010_waiting_for_approval'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='ticket',
            name='created_by',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='registered by'),
        ),
        migrations.AlterField(
            model_name='ticket',
            name='parent',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='children', to='servicedesk.ticket', verbose_name='parent call'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('parent__isnull', False)), fields=['parent'], name='ticket_parent_idx'),
        ),
        migrations.RunPython(drop_superseded, recreate_superseded, elidable=False),
    ]
