from __future__ import annotations

from django.db import connection

from audit.sqlite import unlocked


def tamper(sql: str, params: list | None = None) -> None:
    """Change audit rows behind the application's back, as someone with database access could.
    On PostgreSQL that means switching the append-only trigger off first, as a superuser might; on SQLite,
    opening the test suite's escape hatch in the triggers."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks from this test's inserts must fire before the table can be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only")
        with unlocked():  # on SQLite, the triggers' escape hatch only Lockstep's own connections have
            cursor.execute(sql, params or [])
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only")
