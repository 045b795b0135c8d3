from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.log import record
from audit.models import AppendOnlyError, AuditEvent
from tests.builders.databases import postgres_only


def test_saving_an_existing_event_is_refused(tess):
    event = record("test.original", actor=tess)
    event.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.original"


def test_queryset_update_is_refused(tess):
    event = record("test.original", actor=tess)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="test.rewritten")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.original"


def test_deleting_an_event_is_refused(tess):
    event = record("test.keep", actor=tess)
    before = AuditEvent.objects.count()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == before


def test_deleting_the_actor_is_refused_while_events_name_them(tess):
    from django.db.models import ProtectedError

    record("test.keep", actor=tess)
    with pytest.raises(ProtectedError):
        tess.delete()


def test_the_database_refuses_raw_sql_update(tess):
    """On PostgreSQL and SQLite alike (migrations 0002 and 0005), whatever client sends it."""
    event = record("test.original", actor=tess)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_event SET action = 'test.rewritten'")
    assert AuditEvent.objects.get(pk=event.pk).action == "test.original"


def test_the_database_refuses_raw_sql_delete(tess):
    record("test.keep", actor=tess)
    before = AuditEvent.objects.count()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_event")
    assert AuditEvent.objects.count() == before


def test_a_sqlite_client_other_than_lockstep_cannot_update_or_delete(tmp_path):
    """The sqlite3 shell, a script: a connection that is not Lockstep's lacks the function the triggers ask,
    so the statement fails either way."""
    import importlib
    import sqlite3

    migration = importlib.import_module("audit.migrations.0005_refuse_update_delete_on_sqlite")
    outsider = sqlite3.connect(tmp_path / "copy.sqlite3")
    outsider.execute("CREATE TABLE audit_event (id integer primary key, action text)")
    for statement in migration.CREATE:
        outsider.execute(statement)
    outsider.execute("INSERT INTO audit_event (action) VALUES ('test.keep')")
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(sqlite3.DatabaseError):
            outsider.execute(statement)
    assert outsider.execute("SELECT action FROM audit_event").fetchall() == [("test.keep",)]


def test_the_sqlite_triggers_are_in_place_after_every_migration(db):
    """A later migration that rebuilds audit_event on SQLite would drop them silently: this says so."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's trigger is tested above")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_event'")
        names = {row[0] for row in cursor.fetchall()}
    assert names == {"audit_event_no_update", "audit_event_no_delete"}


@pytest.mark.postgres
@postgres_only
def test_postgresql_refuses_truncate_as_it_refuses_delete(tess):
    """TRUNCATE fires no row trigger: migration 0006 adds a statement trigger for it."""
    record("test.keep", actor=tess)
    before = AuditEvent.objects.count()
    with (
        pytest.raises(DatabaseError, match="append-only: TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test's own inserts leave deferred foreign-key checks, which PostgreSQL would name instead.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE audit_event")
    assert AuditEvent.objects.count() == before


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_suite_may_still_empty_its_database_between_tests(tess):
    """Django's flush TRUNCATEs every table on PostgreSQL: the test suite switches the trigger off for it, as only
    the table's owner can (tests/conftest.py), and back on."""
    record("test.emptied_after", actor=tess)
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    with (
        pytest.raises(DatabaseError, match="TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_event")
