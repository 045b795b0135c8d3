"""Each scan records how it was made: the page's own camera, the phone's camera app through /t/, or typed.

"camera" is what the page's scanner says (a claim, kept as such); "camera_app" is believed only for the code
/t/ handed to that step in that session; anything else is "typed". Where the site asks (by default), one of
the two scans of a destructive step is made with a camera: a code read out over the phone and typed twice
is not evidence from the rack."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from checklists.execution import scan
from checklists.models import ScanMethod, StepRefused, StepScan, StepStatus
from inventory.models import Site
from tests.builders.people import phone, users
from tests.builders.scenes import DESTRUCTIVE, IDENTITY, finish_steps_before

SERIAL = "SN-sw-a"
CAMERA_NEEDED = "At least one of the two scans must be made with a camera"


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def scan_over_http(client: Client, scene, kind: str, code: str, **fields):
    url = reverse("checklists:step_scan", args=[scene.run.pk, scene.step(kind=kind).position])
    return client.post(url, {"idem": uuid.uuid4().hex, "code": code, **fields})


def method_of_last_scan() -> str:
    return StepScan.objects.latest("pk").method


# --- what is recorded ---------------------------------------------------------------------------------------


def test_a_scan_by_the_pages_camera_is_recorded_as_such(scene):
    finish_steps_before(scene, kind=IDENTITY)
    response = scan_over_http(
        on_phone(users()["tess"]), scene, IDENTITY, scene.tag_for("sw-a Eth1/1"), method="camera"
    )
    assert response.status_code == 200
    assert method_of_last_scan() == ScanMethod.CAMERA
    assert AuditEvent.objects.get(action="step.scanned").payload["method"] == "camera"
    assert "tess (performer) scanned with the in-page camera at" in response.content.decode()


def test_typing_the_code_is_recorded_as_typed(scene):
    finish_steps_before(scene, kind=IDENTITY)
    scan_over_http(on_phone(users()["tess"]), scene, IDENTITY, scene.tags["sw-a Eth1/1"].display_short_code)
    assert method_of_last_scan() == ScanMethod.TYPED


def test_the_phones_camera_app_counts_only_through_the_hand_off_in_the_same_session(scene):
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(users()["tess"])
    code = scene.tag_for("sw-a Eth1/1")
    tess.get(scene.step(kind=IDENTITY).get_absolute_url())  # the step is open on her phone
    handoff = tess.get(f"/t/{code}").content.decode()  # her camera app read the label's QR
    assert 'name="method" value="camera_app"' in handoff
    response = scan_over_http(tess, scene, IDENTITY, code, method="camera_app")
    assert "✓ Match" in response.content.decode()
    assert method_of_last_scan() == ScanMethod.CAMERA_APP
    assert "scan_handoff" not in tess.session  # used once


@pytest.mark.parametrize(
    "forgery",
    [
        "no hand-off",  # the form field alone
        "another session",  # the hand-off was on another login
        "another code",  # the hand-off was for another label
        "the short code",  # /t/ with the short code printed for typing
    ],
)
def test_a_camera_app_scan_without_its_hand_off_is_recorded_as_typed(scene, forgery):
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(users()["tess"])
    code = scene.tag_for("sw-a Eth1/1")
    short = scene.tags["sw-a Eth1/1"].display_short_code
    tess.get(scene.step(kind=IDENTITY).get_absolute_url())
    if forgery == "another session":
        elsewhere = on_phone(users()["tess"])
        elsewhere.get(scene.step(kind=IDENTITY).get_absolute_url())
        elsewhere.get(f"/t/{code}")
    elif forgery == "another code":
        tess.get(f"/t/{scene.tag_for('sw-a')}")
    elif forgery == "the short code":
        tess.get(f"/t/{short}")
        code = short
    response = scan_over_http(tess, scene, IDENTITY, code, method="camera_app")
    assert response.status_code == 200  # still a match: only the "how" is not believed
    assert method_of_last_scan() == ScanMethod.TYPED


@pytest.mark.parametrize("junk", ["laser", "", "CAMERA", "camera_app\x00", "x" * 5000])
def test_an_unknown_method_is_recorded_as_typed_never_a_500(scene, junk):
    finish_steps_before(scene, kind=IDENTITY)
    response = scan_over_http(
        on_phone(users()["tess"]), scene, IDENTITY, scene.tag_for("sw-a Eth1/1"), method=junk
    )
    assert response.status_code in (200, 400)  # a NUL character is refused as a bad request, nothing else
    if response.status_code == 200:
        assert method_of_last_scan() == ScanMethod.TYPED


def test_scan_itself_takes_anything_unknown_as_typed(scene):
    finish_steps_before(scene, kind=IDENTITY)
    scan(
        scene.step(kind=IDENTITY),
        who=phone(users()["tess"]),
        raw=scene.tag_for("sw-a Eth1/1"),
        method="drone",
    )
    assert method_of_last_scan() == ScanMethod.TYPED


def test_a_mismatch_records_how_it_was_made(scene):
    finish_steps_before(scene, kind=IDENTITY)
    scan_over_http(on_phone(users()["tess"]), scene, IDENTITY, scene.tag_for("sw-b Eth1/1"), method="camera")
    assert method_of_last_scan() == ScanMethod.CAMERA
    assert AuditEvent.objects.get(action="step.scan_mismatch").payload["method"] == "camera"


# --- the camera rule ----------------------------------------------------------------------------------------


def test_two_typed_scans_do_not_clear_a_destructive_step(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = users()["tess"], users()["vic"]
    code = scene.tags["sw-a Eth1/1"].display_short_code
    scan(scene.step(kind=DESTRUCTIVE), who=phone(tess), raw=code, serial=SERIAL)

    response = scan_over_http(on_phone(vic), scene, DESTRUCTIVE, code, serial=SERIAL)

    assert response.status_code == 409 and CAMERA_NEEDED in response.content.decode()
    step = scene.step(kind=DESTRUCTIVE)
    assert step.status == StepStatus.SCANNED and step.verifier is None
    assert StepScan.objects.filter(step=step).count() == 1  # nothing recorded but the refusal
    refusal = AuditEvent.objects.get(action="step.refused")
    assert refusal.actor == vic and CAMERA_NEEDED in refusal.payload["reason"]
    # With the camera, the same verifier clears it.
    scan(step, who=phone(vic), raw=scene.tag_for("sw-a Eth1/1"), serial=SERIAL, method="camera")
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.CLEARED


@pytest.mark.parametrize(
    ("tess_how", "vic_how"), [("camera", "typed"), ("typed", "camera"), ("camera_app", "typed")]
)
def test_one_camera_scan_of_the_two_is_enough(scene, tess_how, vic_how):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    step = scene.step(kind=DESTRUCTIVE)
    code = scene.tag_for("sw-a Eth1/1")
    scan(step, who=phone(users()["tess"]), raw=code, serial=SERIAL, method=tess_how)
    scan(step, who=phone(users()["vic"]), raw=code, serial=SERIAL, method=vic_how)
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.CLEARED
    assert list(StepScan.objects.filter(step=step).values_list("method", flat=True)) == [tess_how, vic_how]


def test_a_site_that_does_not_ask_for_a_camera_accepts_two_typed_scans(scene):
    Site.objects.filter(pk=scene.site.site.pk).update(camera_scan_required=False)
    finish_steps_before(scene, kind=DESTRUCTIVE)
    step = scene.step(kind=DESTRUCTIVE)
    code = scene.tags["sw-a Eth1/1"].display_short_code
    scan(step, who=phone(users()["tess"]), raw=code, serial=SERIAL)
    scan(step, who=phone(users()["vic"]), raw=code, serial=SERIAL)
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.CLEARED


def test_a_typed_mismatch_is_still_a_mismatch(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    step = scene.step(kind=DESTRUCTIVE)
    scan(step, who=phone(users()["tess"]), raw=scene.tag_for("sw-a Eth1/1"), serial=SERIAL)
    result = scan(step, who=phone(users()["vic"]), raw=scene.tag_for("sw-b Eth1/1"), serial=SERIAL)
    assert not result.matched and "belongs to sw-b Eth1/1" in result.message


def test_the_step_page_tells_both_techs_early_when_the_first_scan_was_typed(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = on_phone(users()["tess"]), on_phone(users()["vic"])
    url = scene.step(kind=DESTRUCTIVE).get_absolute_url()
    assert "one of the two scans of this step must be made with a camera" in tess.get(url).content.decode()
    scan_over_http(tess, scene, DESTRUCTIVE, scene.tags["sw-a Eth1/1"].display_short_code, serial=SERIAL)

    waiting = tess.get(url).content.decode()
    assert "Your scan was typed" in waiting and "tess (performer) scanned by typing the code at" in waiting
    verifying = vic.get(url).content.decode()
    assert "Use the camera:" in verifying and 'name="method" value="typed" data-scan-method' in verifying


def test_the_approvers_board_shows_who_scanned_how(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    scan(
        scene.step(kind=DESTRUCTIVE),
        who=phone(users()["tess"]),
        raw=scene.tag_for("sw-a Eth1/1"),
        serial=SERIAL,
        method="camera",
    )
    board = on_phone(users()["ada"]).get(reverse("maintenance:board")).content.decode()
    assert "tess (performer) scanned with the in-page camera" in board


def test_the_camera_rule_refuses_in_words_for_the_tech(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    step = scene.step(kind=DESTRUCTIVE)
    scan(step, who=phone(users()["tess"]), raw=scene.tag_for("sw-a Eth1/1"), serial=SERIAL, method="typed")
    with pytest.raises(StepRefused) as refusal:
        scan(step, who=phone(users()["vic"]), raw=scene.tag_for("sw-a Eth1/1"), serial=SERIAL)
    assert refusal.value.reason == (
        "At least one of the two scans must be made with a camera: scan the label with the camera button "
        "or your phone's camera app."
    )


def test_a_short_code_is_typed_whatever_the_request_says(db):
    """The label prints the short code under the QR; only the QR holds the long one. A short code sent as a
    camera scan was read by a person: recorded as typed, and it does not meet the camera policy."""
    from checklists.execution import scan
    from checklists.models import StepKind, StepRefused, StepScan
    from tests.builders.people import phone, users
    from tests.builders.scenes import build_scene, finish_steps_before

    scene = build_scene()
    people = users()
    step = scene.run.steps.get(kind=StepKind.DESTRUCTIVE)
    finish_steps_before(scene, step.position)
    short = scene.tags["sw-a Eth1/1"].short_code
    scan(step, who=phone(people["tess"]), raw=short, serial="SN-sw-a", method="camera")
    assert StepScan.objects.get(step=step, role="performer").method == "typed"
    with pytest.raises(StepRefused, match="camera"):
        scan(step, who=phone(people["vic"]), raw=short, serial="SN-sw-a", method="camera")
