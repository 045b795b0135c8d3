from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from audit.log import record
from audit.models import AppendOnlyError, AuditEvent
from tests.conftest import postgres_only


def test_saving_an_existing_event_is_refused(tess):
    event = record("test.original", actor=tess)
    event.action = "test.rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "test.original"


def test_queryset_update_is_refused(tess):
    record("test.original", actor=tess)
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(action="test.rewritten")
    assert AuditEvent.objects.get().action == "test.original"


def test_deleting_an_event_is_refused(tess):
    event = record("test.keep", actor=tess)
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.count() == 1


def test_deleting_the_actor_is_refused_while_events_name_them(tess):
    from django.db.models import ProtectedError

    record("test.keep", actor=tess)
    with pytest.raises(ProtectedError):
        tess.delete()


@postgres_only
def test_postgresql_refuses_raw_sql_update(tess):
    record("test.original", actor=tess)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE audit_event SET action = 'test.rewritten'")
    assert AuditEvent.objects.get().action == "test.original"


@postgres_only
def test_postgresql_refuses_raw_sql_delete(tess):
    record("test.keep", actor=tess)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_event")
    assert AuditEvent.objects.count() == 1
