from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from audit.log import record
from audit.models import AuditEvent
from tests.builders.audit import tamper


@pytest.fixture
def five_events(tess):
    """Five events after whatever the cast's accounts put on the log; `n(i)` is the sequence number of the ith."""
    return [record(f"test.step{i}", actor=tess, payload={"i": i}) for i in range(1, 6)]


def test_an_untouched_chain_verifies(five_events, capsys):
    call_command("verify_audit")
    assert f"{five_events[-1].seq} events, unbroken" in capsys.readouterr().out


def test_an_empty_log_verifies(db, capsys):
    call_command("verify_audit")
    assert "0 events" in capsys.readouterr().out


def test_a_row_changed_with_raw_sql_is_named(five_events):
    third = five_events[2]
    tamper("UPDATE audit_event SET actor_label = 'mallory' WHERE id = %s", [third.pk])

    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    assert f"event #{third.seq} (id {third.pk}" in str(failure.value)
    assert "altered" in str(failure.value)


def test_a_payload_changed_with_raw_sql_is_named(five_events):
    fourth = five_events[3].seq
    tamper("UPDATE audit_event SET payload = %s WHERE seq = %s", ['{"i": 40}', fourth])

    with pytest.raises(CommandError, match=f"event #{fourth}"):
        call_command("verify_audit")


def test_a_row_changed_and_rehashed_breaks_the_next_link(five_events):
    # A forger who recomputes the altered row's own hash still breaks the next event's link to it.
    second = AuditEvent.objects.get(pk=five_events[1].pk)
    second.actor_label = "mallory"
    forged = second.compute_hash()
    tamper("UPDATE audit_event SET actor_label = 'mallory', hash = %s WHERE id = %s", [forged, second.pk])

    with pytest.raises(CommandError, match=rf"event #{second.seq + 1} .*does not follow"):
        call_command("verify_audit")


def test_a_removed_row_is_named(five_events):
    second = five_events[1].seq
    tamper("DELETE FROM audit_event WHERE seq = %s", [second])

    with pytest.raises(CommandError, match=rf"event #{second + 1} .*expected #{second}"):
        call_command("verify_audit")


def test_reordered_rows_are_named(five_events):
    # Swap the positions of the second and fourth (through a spare number to dodge the unique constraint).
    second, fourth = five_events[1].seq, five_events[3].seq
    tamper("UPDATE audit_event SET seq = 1000 WHERE seq = %s", [second])
    tamper("UPDATE audit_event SET seq = %s WHERE seq = %s", [second, fourth])
    tamper("UPDATE audit_event SET seq = %s WHERE seq = 1000", [fourth])

    with pytest.raises(CommandError, match=rf"event #{second} .*does not follow"):
        call_command("verify_audit")


def test_events_cut_off_the_end_are_noticed(five_events):
    tamper("DELETE FROM audit_event WHERE seq = %s", [five_events[-1].seq])

    with pytest.raises(CommandError, match="removed from the end"):
        call_command("verify_audit")


def test_the_log_goes_on_verifying_after_more_appends(five_events, tess, capsys):
    more = record("test.more", actor=tess)
    call_command("verify_audit")
    assert f"{more.seq} events" in capsys.readouterr().out
