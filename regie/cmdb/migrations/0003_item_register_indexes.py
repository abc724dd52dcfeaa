"""Indexes behind the item register's filters and orders (regie/cmdb/filtersets.py).

- `cmdb_item_status_name_idx`: the status filter in the default (name) order.
- `cmdb_item_updated_idx`: the "recently changed" order.
- `cmdb_item_name_trgm_idx` (PostgreSQL only, like servicedesk 0009): the search filters
  `name__icontains`, which PostgreSQL runs as `UPPER(name::text) LIKE UPPER('%…%')`; a
  pg_trgm GIN index on that expression answers it. Serial numbers (indexed) and asset tags
  (unique) are matched exactly. On SQLite the RunPython step does nothing.
"""

from django.db import migrations, models

TRGM_INDEX = "cmdb_item_name_trgm_idx"


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON cmdb_configurationitem USING gin (UPPER(name::text) gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {TRGM_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ("cmdb", "0002_seed_item_types"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="configurationitem",
            index=models.Index(fields=["status", "name", "id"], name="cmdb_item_status_name_idx"),
        ),
        migrations.AddIndex(
            model_name="configurationitem",
            index=models.Index(fields=["-updated_at", "-id"], name="cmdb_item_updated_idx"),
        ),
        migrations.RunPython(create_trigram_index, drop_trigram_index, elidable=False),
    ]
