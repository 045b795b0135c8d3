"""On SQLite too, the database itself refuses UPDATE and DELETE on audit events, whatever the client.

The triggers ask `lockstep_audit_unlocked()`, a function only Lockstep's own connections define (audit/apps.py)
and that answers 0 unless the test suite is emptying its database between tests. Any other client (the sqlite3
shell, a script) has no such function, so its UPDATE or DELETE fails either way.
"""

from django.db import migrations

CREATE = [
    """
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    WHEN lockstep_audit_unlocked() = 0
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END
    """,
    """
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    WHEN lockstep_audit_unlocked() = 0
    BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END
    """,
]
DROP = ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_event_key_id")]

    operations = [migrations.RunPython(forwards, backwards)]
