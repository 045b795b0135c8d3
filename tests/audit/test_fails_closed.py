"""The audit check fails closed: a log with events that no key or no checkpoint vouches for does not verify, is
never signed by `audit_checkpoint`, and is taken as it stands only on the record, by `audit_trust`."""

from __future__ import annotations

import getpass
import hashlib
import shutil

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import override_settings

from audit import checkpoints, keys
from audit.log import record
from audit.models import GENESIS_HASH, AuditEvent, AuditHead
from maintenance.models import TargetAction
from maintenance.runbook_pdf import runbook_html
from tests.builders.audit import tamper
from tests.builders.people import make_user
from tests.builders.scenes import build_scene


@pytest.fixture
def checkpointed(tess):
    """Two hundred and ten events by tess, vouched for by a checkpoint."""
    events = [record(f"test.step{i}", actor=tess, payload={"i": i}) for i in range(1, 211)]
    call_command("audit_checkpoint", verbosity=0)
    return events


@pytest.fixture
def own_key_file(tmp_path):
    """The run's key, in a file this test may lose."""
    path = tmp_path / "audit_keys"
    shutil.copy(settings.LOCKSTEP_AUDIT_KEY_FILE, path)
    with override_settings(LOCKSTEP_AUDIT_KEY_FILE=path):
        yield path


def test_200_events_cut_with_the_checkpoint_file_gone_do_not_verify_nor_get_signed(checkpointed):
    keep = checkpointed[9]
    tamper("DELETE FROM audit_event WHERE seq > %s", [keep.seq])
    tamper("UPDATE audit_head SET seq = %s, hash = %s WHERE id = 1", [keep.seq, keep.hash])
    checkpoints.path().unlink()

    with pytest.raises(CommandError, match=r"no checkpoint vouches for this log.*is missing.*audit_trust"):
        call_command("verify_audit")
    with pytest.raises(CommandError, match="no checkpoint written: no checkpoint vouches"):
        call_command("audit_checkpoint")
    assert not checkpoints.path().exists()


def test_a_log_wiped_behind_a_head_that_stayed_does_not_verify_without_its_checkpoints(checkpointed):
    tamper("DELETE FROM audit_event")
    checkpoints.path().write_text("")

    with pytest.raises(
        CommandError, match=r"no checkpoint vouches for this log, which has events \(.* is empty\)"
    ):
        call_command("verify_audit", "--since-checkpoint")
    with pytest.raises(CommandError, match="no checkpoint written"):
        call_command("audit_checkpoint")
    assert checkpoints.path().read_text() == ""


def test_a_chain_rewritten_unsigned_with_key_and_checkpoints_gone_gets_no_new_key(checkpointed, own_key_file):
    """The attack the key file's `unkeyed-through` line would have blessed: every event re-hashed without the
    key, the key file and the checkpoints removed so that a fresh key declares them all from before keying."""
    prev = GENESIS_HASH
    for event in AuditEvent.objects.order_by("seq"):
        event.key_id, event.prev_hash = "", prev
        if event.seq == checkpointed[0].seq:
            event.actor_label = "mallory"
        forged = hashlib.sha256(event.canonical()).hexdigest()
        tamper(
            "UPDATE audit_event SET key_id = '', actor_label = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.actor_label, "p" * 60 + f"{event.seq:04d}", "h" * 60 + f"{event.seq:04d}", event.pk],
        )
        tamper("UPDATE audit_event SET prev_hash = %s, hash = %s WHERE id = %s", [prev, forged, event.pk])
        prev = forged
    tamper("UPDATE audit_head SET hash = %s WHERE id = 1", [prev])
    own_key_file.unlink()
    checkpoints.path().unlink()
    events = AuditEvent.objects.count()

    with pytest.raises(
        CommandError, match=rf"audit key file .* is missing and the log holds {events} events"
    ):
        call_command("verify_audit")
    with pytest.raises(CommandError, match="is missing and the log holds"):
        call_command("audit_checkpoint")
    with pytest.raises(CommandError, match="is missing and the log holds"):
        call_command("audit_trust", "--reason", "the disk was replaced last night")
    with pytest.raises(keys.MissingKey):
        record("test.after")
    assert not own_key_file.exists() and not checkpoints.path().exists()
    assert AuditEvent.objects.count() == events


def test_the_as_run_record_says_the_log_does_not_verify_when_its_checkpoints_are_gone(db):
    scene = build_scene(targets=lambda site: [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))])
    checkpoints.path().unlink()

    html = runbook_html(scene.window, as_run=True)

    assert "AUDIT LOG DOES NOT VERIFY: no checkpoint vouches for this log" in html
    assert "No chain head is printed" in html and "verify_audit --at" not in html
    assert "audit chain verified" not in html


def test_an_empty_log_gets_its_first_checkpoint_and_what_follows_verifies(db, capsys):
    checkpoints.path().unlink()  # a new installation: nothing written yet

    call_command("audit_checkpoint")

    assert "the first checkpoint, of the empty log" in capsys.readouterr().out
    [first] = checkpoints.read()[0]
    assert (first.seq, first.hash) == (0, GENESIS_HASH)
    last = record("test.after", actor=make_user("tess"))  # tess's account is on the chain before this
    call_command("verify_audit")
    said = capsys.readouterr().out
    assert f"{last.seq} events, unbroken, held against the first checkpoint, of the empty log" in said


def test_trust_is_on_the_record_naming_what_it_trusts_and_who(checkpointed, capsys):
    checkpoints.path().unlink()
    head = AuditHead.objects.get()

    call_command(
        "audit_trust", "--reason", "checkpoint file lost with the old disk; copies were never mailed"
    )

    trust = AuditEvent.objects.get(action="audit.chain_trusted")
    assert trust.seq == head.seq + 1 and trust.actor is None
    assert trust.payload["events"] == head.seq and trust.payload["head"] == head.hash
    assert trust.payload["reason"] == "checkpoint file lost with the old disk; copies were never mailed"
    assert trust.payload["by"] == getpass.getuser()
    assert trust.payload["trusted"] == [f"no checkpoint vouched for the log ({checkpoints.path()})"]
    assert f"The trust is event #{trust.seq}" in capsys.readouterr().out
    [mark] = checkpoints.read()[0]
    assert (mark.seq, mark.hash) == (trust.seq, trust.hash)
    call_command("verify_audit")
    call_command("audit_checkpoint", verbosity=0)


def test_trust_never_covers_a_chain_that_does_not_verify(checkpointed):
    checkpoints.path().unlink()
    tamper("UPDATE audit_event SET action = 'test.rewritten' WHERE id = %s", [checkpointed[50].pk])

    with pytest.raises(CommandError, match=rf"BROKEN, nothing trusted: event #{checkpointed[50].seq} "):
        call_command("audit_trust", "--reason", "checkpoint file lost with the old disk")
    assert not AuditEvent.objects.filter(action="audit.chain_trusted").exists()
    assert not checkpoints.path().exists()


def test_trust_wants_a_reason_and_something_to_trust(checkpointed):
    with pytest.raises(CommandError, match="--reason"):
        call_command("audit_trust")
    with pytest.raises(CommandError, match="say why"):
        call_command("audit_trust", "--reason", "  ok ")
    with pytest.raises(CommandError, match="nothing to trust: audit chain verified"):
        call_command("audit_trust", "--reason", "just to be sure, after the upgrade")
    assert not AuditEvent.objects.filter(action="audit.chain_trusted").exists()
