"""A tap's events are chained at the end of its transaction, so the audit head row (every write in the app queues
on it) is locked only for the append and the commit, never while the reply is rendered."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from audit.log import appended_last, pending, record, verify_chain
from audit.models import AuditEvent, AuditHead
from tests.builders.databases import postgres_only


def _head() -> int:
    return AuditHead.objects.get_or_create(pk=1)[0].seq


def test_events_inside_the_block_are_chained_at_its_end_in_order(tess):
    before = _head()
    with transaction.atomic(), appended_last():
        first = record("test.first", actor=tess)
        second = record("test.second", actor=tess)
        assert _head() == before and first.pk is None  # nothing locked or written yet
    assert (first.seq, second.seq) == (before + 1, before + 2) and second.prev_hash == first.hash
    assert _head() == second.seq and verify_chain().ok


def test_an_event_whose_savepoint_rolled_back_is_not_chained(tess):
    with transaction.atomic(), appended_last():
        record("test.kept", actor=tess)
        try:
            with transaction.atomic():
                record("test.undone", actor=tess)
                raise ValueError("refused")
        except ValueError:
            pass
        record("test.kept_too", actor=tess)
    actions = list(AuditEvent.objects.filter(action__startswith="test.").values_list("action", flat=True))
    assert actions == ["test.kept", "test.kept_too"] and verify_chain().ok


def test_a_read_inside_the_block_takes_no_lock_and_pending_lists_its_own_events(tess):
    before = _head()
    with transaction.atomic(), appended_last():
        acknowledged = record("test.acknowledged", actor=tess, obj=tess)
        assert AuditEvent.objects.filter(action="test.acknowledged").count() == 0 and _head() == before
        assert pending(action="test.acknowledged", obj=tess) == [acknowledged]
        assert pending(action="test.other", obj=tess) == []
        record("test.after_the_read", actor=tess)
    assert AuditEvent.objects.filter(action__startswith="test.").count() == 2 and verify_chain().ok


def test_events_before_a_savepoint_that_rolls_back_are_kept(tess):
    """A read of the log inside a savepoint that is then undone (a refusal caught by the view) loses nothing."""
    with transaction.atomic(), appended_last():
        record("test.before", actor=tess)
        try:
            with transaction.atomic():
                AuditEvent.objects.filter(action="test.before").exists()
                record("test.undone", actor=tess)
                raise ValueError("refused")
        except ValueError:
            pass
    actions = list(AuditEvent.objects.filter(action__startswith="test.").values_list("action", flat=True))
    assert actions == ["test.before"] and verify_chain().ok


def test_a_block_inside_another_keeps_the_order_events_were_recorded_in(tess):
    with transaction.atomic(), appended_last():
        record("test.first", actor=tess)
        with transaction.atomic(), appended_last():
            record("test.second", actor=tess)
        assert not AuditEvent.objects.filter(action="test.second").exists()  # chained by the outer block
        record("test.third", actor=tess)
    actions = list(AuditEvent.objects.filter(action__startswith="test.").values_list("action", flat=True))
    assert actions == ["test.first", "test.second", "test.third"] and verify_chain().ok


def test_a_failing_block_chains_nothing(tess):
    before = _head()
    with pytest.raises(RuntimeError), transaction.atomic(), appended_last():
        record("test.lost", actor=tess)
        raise RuntimeError("500")
    assert _head() == before and not AuditEvent.objects.filter(action="test.lost").exists()


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_another_request_appends_while_a_tap_is_still_rendering():
    recorded, released = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_tap() -> None:
        try:
            with transaction.atomic(), appended_last():
                record("test.slow_tap")
                recorded.set()
                released.wait(timeout=20)  # rendering its reply, saving its answer
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    tap = threading.Thread(target=slow_tap)
    tap.start()
    assert recorded.wait(timeout=10)
    other_done = threading.Event()

    def other_request() -> None:
        try:
            record("test.other")
            other_done.set()
        finally:
            connection.close()

    other = threading.Thread(target=other_request)
    other.start()
    # Before this change the other append waited on the head row until the slow tap committed.
    assert other_done.wait(timeout=5), "an append queued behind a tap that had not finished"
    released.set()
    tap.join(timeout=20)
    other.join(timeout=20)
    assert errors == []
    assert list(AuditEvent.objects.order_by("seq").values_list("action", flat=True)) == [
        "test.other",
        "test.slow_tap",
    ]
    assert verify_chain().ok
