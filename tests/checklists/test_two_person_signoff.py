"""Two-person sign-off on a destructive step: the performer scans, a different person on their own session
and phone scans independently, only then is it cleared; the performer signs done, the verifier signs verified."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from checklists.execution import Who, scan, sign
from checklists.models import ScanMethod, Step, StepRefused, StepStatus
from tests.builders.people import phone, users
from tests.builders.scenes import DESTRUCTIVE, finish_steps_before


@pytest.fixture
def step(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    return scene.step(kind=DESTRUCTIVE)


@pytest.fixture
def code(scene):
    return scene.tag_for("sw-a Eth1/1")


SERIAL = "SN-sw-a"
# tess reads the label with the page's camera in these stories, so the site's camera rule is met whoever
# verifies; the rule itself is told in test_scan_methods.py.
CAMERA = ScanMethod.CAMERA


def test_the_whole_two_person_sign_off(step, code):
    tess, vic = users()["tess"], users()["vic"]
    assert scan(step, who=phone(tess), raw=code, serial=SERIAL, method=CAMERA).role == "performer"
    step.refresh_from_db()
    assert step.status == StepStatus.SCANNED

    assert scan(step, who=phone(vic), raw=code, serial=SERIAL).role == "verifier"
    step.refresh_from_db()
    assert step.status == StepStatus.CLEARED

    sign(step, who=phone(tess))
    step.refresh_from_db()
    assert step.status == StepStatus.DONE and step.performed_at
    sign(step, who=phone(vic))
    step.refresh_from_db()
    assert step.status == StepStatus.COMPLETE
    assert (step.performer.username, step.verifier.username) == ("tess", "vic")


def test_nothing_before_cleared_lets_the_action_be_signed(step, code):
    tess = users()["tess"]
    with pytest.raises(StepRefused, match="Not cleared yet"):
        sign(step, who=phone(tess))
    scan(step, who=phone(tess), raw=code, serial=SERIAL, method=CAMERA)
    with pytest.raises(StepRefused, match="Not cleared yet"):
        sign(step, who=phone(tess))


def test_the_same_user_on_two_phones_cannot_be_their_own_verifier(step, code):
    tess = users()["tess"]
    scan(step, who=phone(tess, "tess-phone-1"), raw=code, serial=SERIAL, method=CAMERA)
    with pytest.raises(StepRefused, match="different tech must verify"):
        scan(step, who=phone(tess, "tess-phone-2"), raw=code, serial=SERIAL, method=CAMERA)
    step.refresh_from_db()
    assert step.verifier is None and step.status == StepStatus.SCANNED


def test_a_colleague_logging_in_on_the_performers_phone_cannot_verify(step, code):
    tess, vic = users()["tess"], users()["vic"]
    tess_phone = "device-of-tess-0123456789"
    scan(
        step, who=Who.of(tess, session_key="s1", device_id=tess_phone), raw=code, serial=SERIAL, method=CAMERA
    )
    # vic logs in on tess's phone: a new session, the same phone.
    with pytest.raises(StepRefused, match="own phone"):
        scan(step, who=Who.of(vic, session_key="s2", device_id=tess_phone), raw=code, serial=SERIAL)


def test_one_session_acting_for_two_users_is_refused(step, code):
    tess, vic = users()["tess"], users()["vic"]
    scan(
        step, who=Who.of(tess, session_key="shared", device_id="phone-a-0123456789"), raw=code, serial=SERIAL
    )
    with pytest.raises(StepRefused, match="This phone already scanned as the performer"):
        scan(
            step,
            who=Who.of(vic, session_key="shared", device_id="phone-b-0123456789"),
            raw=code,
            serial=SERIAL,
        )


def test_a_verifier_who_did_not_scan_cannot_sign(step, code):
    tess, vic, walt = users()["tess"], users()["vic"], users()["walt"]
    scan(step, who=phone(tess), raw=code, serial=SERIAL, method=CAMERA)
    scan(step, who=phone(vic), raw=code, serial=SERIAL)
    sign(step, who=phone(tess))
    step.run.people.add(walt)  # walt is on the window but never scanned this asset
    with pytest.raises(StepRefused, match="Only the verifier who scanned"):
        sign(step, who=phone(walt))
    with pytest.raises(StepRefused, match="the verifier signs now"):
        sign(step, who=phone(tess))


def test_the_verifier_signs_only_after_the_performer(step, code):
    tess, vic = users()["tess"], users()["vic"]
    scan(step, who=phone(tess), raw=code, serial=SERIAL, method=CAMERA)
    scan(step, who=phone(vic), raw=code, serial=SERIAL)
    with pytest.raises(StepRefused, match="Wait for the performer"):
        sign(step, who=phone(vic))


def test_the_verifier_is_not_shown_and_need_not_match_the_performers_input(step, code, scene):
    # vic types the short code, tess scanned the QR: both are independent checks of the same asset.
    tess, vic = users()["tess"], users()["vic"]
    scan(step, who=phone(tess), raw=f"https://lockstep.example/t/{code}", serial=SERIAL, method=CAMERA)
    scan(step, who=phone(vic), raw=scene.tags["sw-a Eth1/1"].display_short_code, serial="sn-sw-a")
    step.refresh_from_db()
    assert step.status == StepStatus.CLEARED


def test_the_database_refuses_a_performer_as_their_own_verifier(step, code):
    tess = users()["tess"]
    scan(step, who=phone(tess), raw=code, serial=SERIAL, method=CAMERA)
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.filter(pk=step.pk).update(
            verifier=tess, verifier_session="other", verifier_device="other"
        )


def test_the_database_refuses_a_verifier_on_the_performers_session(step, code):
    tess, vic = users()["tess"], users()["vic"]
    scan(step, who=phone(tess), raw=code, serial=SERIAL, method=CAMERA)
    step.refresh_from_db()
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.filter(pk=step.pk).update(
            verifier=vic, verifier_session=step.performer_session, verifier_device="other"
        )


def test_the_database_refuses_a_complete_destructive_step_without_a_verifier(step):
    with pytest.raises(IntegrityError), transaction.atomic():
        Step.objects.filter(pk=step.pk).update(status=StepStatus.COMPLETE)


def test_the_database_keeps_one_matched_scan_per_role_per_step(step, code):
    from checklists.models import StepScan

    tess = users()["tess"]
    scan(step, who=phone(tess), raw=code, serial=SERIAL, method=CAMERA)
    first = StepScan.objects.get(step=step)
    with pytest.raises(IntegrityError), transaction.atomic():
        StepScan.objects.create(
            step=step,
            user=tess,
            role="performer",
            session_hash="x",
            raw=first.raw,
            tag=first.tag,
            matched=True,
        )


def test_both_signatures_come_from_the_phones_that_scanned(step, code):
    """tess scans on her phone and vic on his; then both try to sign on vic's phone, each after logging in
    there. The two signatures must be made on two phones, as the two scans were."""
    tess, vic = users()["tess"], users()["vic"]
    tess_phone, vic_phone = "device-of-tess-0123456789", "device-of-vic-01234567890"
    scan(
        step, who=Who.of(tess, session_key="t1", device_id=tess_phone), raw=code, serial=SERIAL, method=CAMERA
    )
    scan(step, who=Who.of(vic, session_key="v1", device_id=vic_phone), raw=code, serial=SERIAL)
    with pytest.raises(StepRefused, match="Sign on the phone you scanned this asset with"):
        sign(step, who=Who.of(tess, session_key="t2", device_id=vic_phone))
    # On her own phone, even logged in again, her signature counts.
    sign(step, who=Who.of(tess, session_key="t3", device_id=tess_phone))
    with pytest.raises(StepRefused, match="own phone and session"):
        sign(step, who=Who.of(vic, session_key="v2", device_id=tess_phone))
    with pytest.raises(StepRefused, match="Sign on the phone you scanned this asset with"):
        sign(step, who=Who.of(vic, session_key="v3", device_id="a-third-phone-0123456789"))
    assert sign(step, who=Who.of(vic, session_key="v4", device_id=vic_phone)) == "Verified. Step complete."


def test_an_approver_starts_the_checks_again_when_a_phone_that_scanned_is_lost(step, code):
    from accounts.roles import Role
    from audit.models import AuditEvent
    from checklists.execution import reset_scans
    from checklists.models import StepScan
    from tests.builders.people import make_user

    tess, vic, ada = users()["tess"], users()["vic"], users()["ada"]
    scan(step, who=phone(tess, "tess-old-phone"), raw=code, serial=SERIAL, method=CAMERA)
    scan(step, who=phone(vic), raw=code, serial=SERIAL)
    # tess's phone breaks before she signs: from any other phone her signature is refused.
    with pytest.raises(StepRefused, match="Sign on the phone you scanned"):
        sign(step, who=phone(tess, "tess-new-phone"))
    # Not by a tech, not without a reason, not by an approver who works on the change.
    with pytest.raises(StepRefused, match="Only an approver"):
        reset_scans(step, who=phone(vic), reason="lost")
    with pytest.raises(StepRefused, match="Say why"):
        reset_scans(step, who=phone(ada), reason=" ")
    step.run.people.add(april := make_user("april", Role.APPROVER))
    with pytest.raises(StepRefused, match="another approver"):
        reset_scans(step, who=phone(april), reason="tess's phone broke")

    reset_scans(step, who=phone(ada), reason="tess's phone broke")
    step.refresh_from_db()
    assert step.status == StepStatus.PENDING and step.performer is None and step.verifier is None
    assert step.scan_round == 1
    event = AuditEvent.objects.get(action="step.scans_reset")
    assert (event.payload["performer"], event.payload["verifier"], event.payload["round"]) == (
        "tess",
        "vic",
        1,
    )
    # The two-person check again, on the phones they sign from; the first round's scans stay.
    scan(step, who=phone(tess, "tess-new-phone"), raw=code, serial=SERIAL, method=CAMERA)
    scan(step, who=phone(vic), raw=code, serial=SERIAL)
    sign(step, who=phone(tess, "tess-new-phone"))
    assert sign(step, who=phone(vic)) == "Verified. Step complete."
    assert StepScan.objects.filter(step=step, matched=True).count() == 4


def test_once_the_performer_signed_done_the_checks_are_not_started_again(step, code):
    from checklists.execution import reset_scans

    tess, vic, ada = users()["tess"], users()["vic"], users()["ada"]
    scan(step, who=phone(tess), raw=code, serial=SERIAL, method=CAMERA)
    scan(step, who=phone(vic), raw=code, serial=SERIAL)
    sign(step, who=phone(tess))
    with pytest.raises(StepRefused, match="Only a step scanned but not yet done"):
        reset_scans(step, who=phone(ada), reason="vic's phone broke")
