"""Two taps on one step at the same instant: the step's row lock lets exactly one of them act, and a retried
request's idempotency key lets it act once. Real concurrent sessions need a real PostgreSQL: SQLite's
in-memory test database cannot be shared by threads, so these run only in the PostgreSQL pass."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from checklists.execution import ScanResult, scan, sign
from checklists.models import StepScan, StepStatus, TapRecord
from tests.builders.databases import postgres_only
from tests.builders.people import phone, users
from tests.builders.races import at_once, refusals
from tests.builders.scenes import DESTRUCTIVE, IDENTITY, build_scene, finish_steps_before

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]

SERIAL = "SN-sw-a"


def test_two_verifiers_at_the_same_instant_exactly_one_signature_counts():
    scene = build_scene()
    people = users()
    tess, vic, walt = people["tess"], people["vic"], people["walt"]
    scene.run.people.add(walt)
    finish_steps_before(scene, kind=DESTRUCTIVE)
    code = scene.tag_for("sw-a Eth1/1")
    scan(scene.step(kind=DESTRUCTIVE), who=phone(tess), raw=code, serial=SERIAL, method="camera")
    # Each phone loaded the step while it waited for a verifier.
    seen_by_vic, seen_by_walt = scene.step(kind=DESTRUCTIVE), scene.step(kind=DESTRUCTIVE)

    outcomes = at_once(
        lambda: scan(seen_by_vic, who=phone(vic), raw=code, serial=SERIAL),
        lambda: scan(seen_by_walt, who=phone(walt), raw=code, serial=SERIAL),
    )

    [refusal] = refusals(outcomes)
    assert "already been scanned" in refusal
    [won] = [o for o in outcomes if isinstance(o, ScanResult)]
    assert won.matched and won.role == StepScan.Role.VERIFIER
    winner = vic if outcomes[0] is won else walt
    step = scene.step(kind=DESTRUCTIVE)
    assert step.status == StepStatus.CLEARED
    assert (step.performer, step.verifier) == (tess, winner)
    verifier_scans = StepScan.objects.filter(step=step, role=StepScan.Role.VERIFIER)
    assert [(s.user, s.matched) for s in verifier_scans] == [(winner, True)]
    # The refused scan left no trace beyond the refusal: no second row, no discrepancy, no hold.
    assert StepScan.objects.filter(step=step).count() == 2
    assert not StepScan.objects.filter(discrepancy__isnull=False).exists()


def test_two_verifier_signatures_at_the_same_instant_count_once():
    """vic double-taps "verified" on his own phone, and the page sends it twice without an idempotency key."""
    scene = build_scene()
    people = users()
    tess, vic = people["tess"], people["vic"]
    finish_steps_before(scene, kind=DESTRUCTIVE)
    code = scene.tag_for("sw-a Eth1/1")
    step = scene.step(kind=DESTRUCTIVE)
    scan(step, who=phone(tess), raw=code, serial=SERIAL, method="camera")
    scan(step, who=phone(vic), raw=code, serial=SERIAL)
    sign(step, who=phone(tess))
    first_tap, second_tap = scene.step(kind=DESTRUCTIVE), scene.step(kind=DESTRUCTIVE)

    outcomes = at_once(lambda: sign(first_tap, who=phone(vic)), lambda: sign(second_tap, who=phone(vic)))

    [refusal] = refusals(outcomes)
    assert "already complete" in refusal
    assert "Verified. Step complete." in outcomes
    step.refresh_from_db()
    assert step.status == StepStatus.COMPLETE and step.verifier == vic
    assert AuditEvent.objects.for_object(step).filter(action="step.verified").count() == 1


def test_a_retried_request_never_acts_twice():
    """The same tap sent twice at the same instant (a retry racing the original) through the whole stack."""
    scene = build_scene()
    tess = users()["tess"]
    url = reverse("checklists:step_sign", args=[scene.run.pk, 1])
    key = uuid.uuid4().hex
    phones = [Client(), Client()]
    for client in phones:
        client.force_login(tess)

    responses = at_once(*(lambda client=client: client.post(url, {"idem": key}) for client in phones))

    assert not [r for r in responses if isinstance(r, BaseException)], responses
    first, second = responses
    assert (first.status_code, first.content) == (second.status_code, second.content)
    assert first.status_code == 200
    # One of them acted; the other was answered with the stored reply.
    assert sorted(r.has_header("Idempotent-Replay") for r in responses) == [False, True]
    step = scene.step(1)
    assert step.status == StepStatus.COMPLETE and step.performer == tess
    assert AuditEvent.objects.for_object(step).filter(action="step.signed").count() == 1
    assert TapRecord.objects.filter(key=key).count() == 1
    assert TapRecord.objects.count() == 1


def test_a_tag_revoked_while_a_scan_is_being_checked_never_verifies():
    """The approver revokes sw-a Eth1/1's tag (its label was found on the wrong port) just as tess scans it:
    the scan waits for the revocation and is refused as a revoked label, never matched on the old status."""
    scene = build_scene()
    people = users()
    finish_steps_before(scene, kind=IDENTITY)
    tag = scene.tags["sw-a Eth1/1"]
    revoked = threading.Event()

    def revoke_and_commit_a_moment_later() -> None:
        with transaction.atomic():
            tag.revoke(reason="label found on the wrong port", by=people["ada"])
            revoked.set()
            time.sleep(0.5)  # still holding the tag's row: the scan starts now and must wait

    def scan_meanwhile() -> ScanResult:
        assert revoked.wait(timeout=10)
        return scan(scene.step(kind=IDENTITY), who=phone(people["tess"]), raw=tag.code)

    _, result = at_once(revoke_and_commit_a_moment_later, scan_meanwhile)

    assert isinstance(result, ScanResult), result
    assert not result.matched and "revoked tag" in result.message
    assert scene.step(kind=IDENTITY).status == StepStatus.PENDING


def test_a_scan_and_an_abort_at_the_same_moment_wait_for_each_other_and_never_deadlock(monkeypatch):
    """The scan holds the step and the run while it checks; the approver aborts the window meanwhile. Both
    finish, one after the other: the abort locks the run before it records anything, as the scan does."""
    import checklists.execution as execution

    scene = build_scene()
    people = users()
    finish_steps_before(scene, kind=IDENTITY)
    checking = threading.Event()
    compare = execution._tag_mismatches

    def slow_compare(step, tag):
        checking.set()  # the scan holds the step's and the run's rows now
        time.sleep(0.5)
        return compare(step, tag)

    monkeypatch.setattr(execution, "_tag_mismatches", slow_compare)

    def abort_meanwhile() -> None:
        assert checking.wait(timeout=10)
        scene.window.abort(by=people["ada"], reason="customer asked to stop")

    outcomes = at_once(
        lambda: scan(scene.step(kind=IDENTITY), who=phone(people["tess"]), raw=scene.tag_for("sw-a Eth1/1")),
        abort_meanwhile,
    )

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert outcomes[0].matched
    assert scene.step(kind=IDENTITY).status == StepStatus.COMPLETE
    scene.window.refresh_from_db()
    assert scene.window.status == "aborted"


def test_a_scan_and_a_reissue_of_the_same_switchs_tag_never_deadlock(monkeypatch):
    """tess checks sw-a's serial for the destructive step while ada reissues sw-a's own tag: the scan holds
    the device's row; the new tag's insert needs only a key share of it, so both finish."""
    import checklists.execution as execution

    scene = build_scene()
    people = users()
    finish_steps_before(scene, kind=DESTRUCTIVE)
    checking = threading.Event()
    agrees = execution._serial_agrees

    def slow_agrees(given, expected):
        checking.set()  # the scan holds the step, the run, the port's tag and sw-a's row now
        time.sleep(0.5)
        return agrees(given, expected)

    monkeypatch.setattr(execution, "_serial_agrees", slow_agrees)

    def reissue_meanwhile():
        assert checking.wait(timeout=10)
        return scene.tags["sw-a"].reissue(reason="label faded", by=people["ada"])

    outcomes = at_once(
        lambda: scan(
            scene.step(kind=DESTRUCTIVE),
            who=phone(people["tess"]),
            raw=scene.tag_for("sw-a Eth1/1"),
            serial=SERIAL,
        ),
        reissue_meanwhile,
    )

    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    assert outcomes[0].matched
