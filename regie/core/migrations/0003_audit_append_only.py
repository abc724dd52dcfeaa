"""PostgreSQL refuses UPDATE and DELETE of audit rows (records and seals).

A row-level trigger raises for every UPDATE or DELETE. The one exception is the retention
procedure (regie/core/audit_chain.py): it deletes old, sealed records inside a transaction
that has run `SET LOCAL regie.audit_retention = 'on'` and has first written a "retention"
audit record. TRUNCATE is a statement, not a row operation, so the test framework's flush
still works. On SQLite this migration does nothing: Django flushes SQLite tables with
DELETE, and anyone who can write the database file can drop a trigger anyway; the hash
chain (`regie audit_verify`) is the tamper evidence there.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION regie_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'core_auditrecord'
       AND current_setting('regie.audit_retention', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'regie: % on % refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME;
END;
$$;
"""

TABLES = ("core_auditrecord", "core_auditseal")


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # params=None: the body's '%' placeholders are plpgsql's, not psycopg's.
    schema_editor.execute(FUNCTION, params=None)
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION regie_audit_append_only()"
        )


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS regie_audit_append_only()")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_login_attempt"),
    ]

    operations = [
        migrations.RunPython(install, uninstall, elidable=False),
    ]
