from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from audit.log import record
from audit.models import AuditEvent
from tests.audit.helpers import tamper


@pytest.fixture
def five_events(tess):
    return [record(f"test.step{i}", actor=tess, payload={"i": i}) for i in range(1, 6)]


def test_an_untouched_chain_verifies(five_events, capsys):
    call_command("verify_audit")
    assert "5 events, unbroken" in capsys.readouterr().out


def test_an_empty_log_verifies(db, capsys):
    call_command("verify_audit")
    assert "0 events" in capsys.readouterr().out


def test_a_row_changed_with_raw_sql_is_named(five_events):
    third = five_events[2]
    tamper("UPDATE audit_event SET actor_label = 'mallory' WHERE id = %s", [third.pk])

    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    assert f"event #3 (id {third.pk}" in str(failure.value)
    assert "altered" in str(failure.value)


def test_a_payload_changed_with_raw_sql_is_named(five_events):
    tamper("UPDATE audit_event SET payload = %s WHERE seq = 4", ['{"i": 40}'])

    with pytest.raises(CommandError, match="event #4"):
        call_command("verify_audit")


def test_a_row_changed_and_rehashed_breaks_the_next_link(five_events):
    # A forger who recomputes the altered row's own hash still breaks the next event's link to it.
    second = AuditEvent.objects.get(seq=2)
    second.actor_label = "mallory"
    forged = second.compute_hash()
    tamper(
        "UPDATE audit_event SET actor_label = 'mallory', hash = %s WHERE seq = 2",
        [forged],
    )

    with pytest.raises(CommandError, match=r"event #3 .*does not follow"):
        call_command("verify_audit")


def test_a_removed_row_is_named(five_events):
    tamper("DELETE FROM audit_event WHERE seq = 2")

    with pytest.raises(CommandError, match=r"event #3 .*expected #2"):
        call_command("verify_audit")


def test_reordered_rows_are_named(five_events):
    # Swap the positions of events 2 and 4 (through a spare number to dodge the unique constraint).
    tamper("UPDATE audit_event SET seq = 1000 WHERE seq = 2")
    tamper("UPDATE audit_event SET seq = 2 WHERE seq = 4")
    tamper("UPDATE audit_event SET seq = 4 WHERE seq = 1000")

    with pytest.raises(CommandError, match=r"event #2 .*does not follow"):
        call_command("verify_audit")


def test_events_cut_off_the_end_are_noticed(five_events):
    tamper("DELETE FROM audit_event WHERE seq = 5")

    with pytest.raises(CommandError, match="removed from the end"):
        call_command("verify_audit")


def test_the_log_goes_on_verifying_after_more_appends(five_events, tess, capsys):
    record("test.more", actor=tess)
    call_command("verify_audit")
    assert "6 events" in capsys.readouterr().out
