"""The chain proves itself from outside the database: keyed hashes and signed checkpoints catch a log that was
rewritten with the app's own code, wiped, or cut back, which a self-consistent chain alone cannot."""

from __future__ import annotations

import hashlib
import json
import os
import stat

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import override_settings

from audit import checkpoints, keys, rights
from audit.log import record, verify_chain
from audit.models import AuditEvent
from tests.builders.audit import tamper
from tests.builders.workers import run_worker


@pytest.fixture
def logged(tess):
    events = [record(f"test.step{i}", actor=tess, payload={"i": i}) for i in range(1, 11)]
    call_command("audit_checkpoint")
    return events


def _rechain_from(seq: int, *, sign=None) -> None:
    """What an attacker with database access and the app's code does: rewrite event `seq`, then recompute every
    later link and hash and move the head, so the chain is consistent with itself again."""
    sign = sign or (lambda event: event.compute_hash())
    events = list(AuditEvent.objects.filter(seq__gte=seq).order_by("seq"))
    prev = AuditEvent.objects.get(seq=seq - 1).hash
    for event in events:
        if event.seq == seq:
            event.actor_label = "mallory"
        event.prev_hash = prev
        event.hash = sign(event)
        # Through spare values first: `hash` and `prev_hash` are unique.
        tamper(
            "UPDATE audit_event SET actor_label = %s, prev_hash = %s, hash = %s, key_id = %s WHERE id = %s",
            [
                event.actor_label,
                "x" * 63 + str(event.seq % 10),
                "y" * 63 + str(event.seq % 10),
                event.key_id,
                event.pk,
            ],
        )
        tamper("UPDATE audit_event SET prev_hash = %s, hash = %s WHERE id = %s", [prev, event.hash, event.pk])
        prev = event.hash
    tamper("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", [events[-1].seq, prev])


def _sign_checkpoint(seq: int, head_hash: str) -> None:
    """What someone with the key does to vouch for a rewrite: a checkpoint of their own."""
    key = keys.current()
    checkpoints.append(seq, head_hash, rights.read().snapshot(key), key_id=key.id)


def test_a_chain_rewritten_with_the_apps_own_code_and_key_is_caught_by_the_checkpoint(logged):
    _rechain_from(logged[3].seq)

    with pytest.raises(CommandError) as failure:
        call_command("verify_audit")
    assert f"event #{logged[-1].seq}" in str(failure.value)
    assert "differs from the checkpoint" in str(failure.value)


def test_a_chain_rewritten_without_the_key_fails_at_the_first_rewritten_event(logged):
    def plain_sha256(event):
        event.key_id = ""
        return hashlib.sha256(event.canonical()).hexdigest()

    _rechain_from(logged[3].seq, sign=plain_sha256)

    with pytest.raises(CommandError, match=rf"event #{logged[3].seq} .*without the audit key"):
        call_command("verify_audit")


def test_a_wiped_log_is_caught(logged):
    tamper("DELETE FROM audit_event")
    tamper("DELETE FROM audit_head")

    with pytest.raises(CommandError, match=r"ends at #0 .*vouches for .*wiped"):
        call_command("verify_audit")


def test_a_log_cut_back_with_its_head_moved_is_caught(logged):
    keep = logged[-4]
    tamper("DELETE FROM audit_event WHERE seq > %s", [keep.seq])
    tamper("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", [keep.seq, keep.hash])

    with pytest.raises(CommandError, match=rf"ends at #{keep.seq} but the checkpoint .*#{logged[-1].seq}"):
        call_command("verify_audit")


def test_events_after_the_checkpoint_still_verify_and_the_next_checkpoint_follows(logged, tess, capsys):
    more = record("test.more", actor=tess)
    call_command("verify_audit", "--since-checkpoint")
    assert f"{more.seq} events, unbroken" in capsys.readouterr().out

    call_command("audit_checkpoint")
    assert f"checked #{logged[-1].seq + 1} to #{more.seq}" in capsys.readouterr().out
    marks, problems = checkpoints.read()
    assert problems == [] and [m.seq for m in marks] == [0, logged[-1].seq, more.seq]


def test_the_quick_check_walks_only_what_came_after_the_checkpoint_and_catches_it(logged, tess):
    more = [record("test.more", actor=tess) for _ in range(3)]
    report = verify_chain(since_checkpoint=True)
    assert report.ok and report.from_seq == logged[-1].seq + 1 and report.events == more[-1].seq

    tamper("UPDATE audit_event SET action = 'test.less' WHERE id = %s", [more[1].pk])
    report = verify_chain(since_checkpoint=True)
    assert not report.ok and report.bad_seq == more[1].seq


def test_a_broken_chain_gets_no_checkpoint(logged):
    before = checkpoints.path().read_text()
    after = record("test.after")
    tamper("UPDATE audit_event SET action = 'test.rewritten' WHERE id = %s", [after.pk])

    with pytest.raises(CommandError, match="no checkpoint written"):
        call_command("audit_checkpoint")
    assert checkpoints.path().read_text() == before


def test_an_edited_checkpoint_file_is_reported(logged):
    *earlier, last = checkpoints.path().read_text().splitlines()
    line = json.loads(last)
    line["seq"] = 3
    checkpoints.path().write_text("\n".join([*earlier, json.dumps(line)]) + "\n")

    with pytest.raises(CommandError, match="signature does not match"):
        call_command("verify_audit")


def test_a_printed_head_is_confirmed_and_a_rewritten_one_is_not(logged, capsys):
    printed = logged[5].hash
    call_command("verify_audit", "--at", printed)
    out = capsys.readouterr().out
    assert f"is event #{logged[5].seq}" in out and "runs through it unchanged" in out

    with pytest.raises(CommandError, match="no event has the hash"):
        call_command("verify_audit", "--at", "0" * 64)
    with pytest.raises(CommandError, match="no event has the hash"):
        call_command("verify_audit", "--at", "<script>")

    _rechain_from(logged[2].seq)
    with pytest.raises(CommandError, match="no event has the hash"):
        call_command("verify_audit", "--at", printed)


def test_the_key_is_made_once_outside_the_database_and_readable_only_by_its_owner(db):
    path = keys.key_file()
    assert path.exists() and not str(path).startswith(str(settings.BASE_DIR / "var"))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.current().secret not in json.dumps(list(AuditEvent.objects.values())).encode()


def test_a_rotated_key_signs_new_events_and_the_old_ones_still_verify(logged, tmp_path, capsys):
    keyfile = tmp_path / "audit_keys"
    keyfile.write_text(settings.LOCKSTEP_AUDIT_KEY_FILE.read_text())
    with override_settings(LOCKSTEP_AUDIT_KEY_FILE=keyfile):
        old = keys.current().id
        call_command("audit_rotate_key")
        rotated = AuditEvent.objects.order_by("-seq").first()
        assert rotated.action == "audit.key_rotated" and rotated.payload == {
            "from_key": old,
            "to_key": rotated.key_id,
        }
        assert rotated.key_id != old
        call_command("verify_audit")
        assert "unbroken" in capsys.readouterr().out

        # Lose the file and the log can no longer be vouched for: it says which key is missing.
        keyfile.write_text(f"k9 {'ab' * 32}\n")
        with pytest.raises(CommandError, match=f"key '{old}', which this installation does not hold"):
            call_command("verify_audit")


def test_an_environment_key_signs_and_is_named_by_a_derived_id(tess):
    with override_settings(LOCKSTEP_AUDIT_KEY="e" * 64):
        event = record("test.env", actor=tess)
        assert event.key_id.startswith("env-") and "e" * 8 not in event.key_id
        assert verify_chain().ok


def test_each_checkpoint_is_mailed_to_the_auditor_by_the_worker(logged):
    with override_settings(LOCKSTEP_AUDIT_CHECKPOINT_EMAIL=["auditor@example.org"]):
        call_command("audit_checkpoint")
        assert mail.outbox == []  # not from the command: from the worker
        run_worker()
    assert [m.to for m in mail.outbox] == [["auditor@example.org"]]
    mark = checkpoints.latest()
    assert mark.text() in mail.outbox[0].body and f"event #{mark.seq}" in mail.outbox[0].subject


def test_a_rewrite_vouched_for_by_a_forged_checkpoint_on_the_same_event_is_caught(logged):
    """Whoever rewrites with the app's own code can sign a checkpoint too: a second word on the same event, or a
    later one, still disagrees with the first."""
    _rechain_from(logged[3].seq)
    _sign_checkpoint(logged[-1].seq, AuditEvent.objects.get(seq=logged[-1].seq).hash)

    with pytest.raises(CommandError, match="vouches for a different event"):
        call_command("verify_audit")


def test_a_rewrite_followed_by_a_new_checkpoint_fails_the_quick_check_too(logged, tess):
    _rechain_from(logged[3].seq)
    more = record("test.after", actor=tess)
    _sign_checkpoint(more.seq, more.hash)  # signed with the key, after the rewrite

    report = verify_chain(since_checkpoint=True)
    assert not report.ok and f"event #{logged[-1].seq} is not the one" in report.message


def test_a_chain_rewritten_unsigned_from_its_first_event_is_caught_without_any_checkpoint(tess):
    """The key file says from where on events are signed: all of them, here."""
    [record(f"test.step{i}", actor=tess) for i in range(3)]

    def plain_sha256(event):
        event.key_id = ""
        return hashlib.sha256(event.canonical()).hexdigest()

    first = AuditEvent.objects.get(seq=1)
    tamper(
        "UPDATE audit_event SET prev_hash = %s WHERE id = %s", ["z" * 64, first.pk]
    )  # make room to rechain
    tamper("UPDATE audit_event SET prev_hash = %s WHERE id = %s", ["0" * 64, first.pk])
    first.key_id = ""
    first.actor_label = "mallory"
    forged = hashlib.sha256(first.canonical()).hexdigest()
    tamper(
        "UPDATE audit_event SET actor_label = 'mallory', key_id = '', hash = %s WHERE id = %s",
        [forged, first.pk],
    )
    _rechain_from(2, sign=plain_sha256)
    assert keys.keyring().unkeyed_through == 0

    with pytest.raises(CommandError, match=r"event #1 .*unsigned, though every event after #0 is signed"):
        call_command("verify_audit")
