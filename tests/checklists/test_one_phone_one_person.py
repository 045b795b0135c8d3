"""Two people are two phones: a colleague who logs in on the performer's phone is that phone acting twice.
Scans and signatures ask the one rule (inventory.phones), and the phone is what the browser sends: its
`lockstep_device` cookie, which survives logging out and in."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from checklists.execution import Who
from checklists.models import StepRefused, StepScan, StepStatus
from tests.builders.handsets import handset, log_in, log_out
from tests.builders.people import users
from tests.builders.scenes import DESTRUCTIVE, finish_steps_before


def scan(client: Client, scene, *, camera: bool = False):
    step = scene.step(kind=DESTRUCTIVE)
    data = {"idem": uuid.uuid4().hex, "code": scene.tag_for("sw-a Eth1/1"), "serial": step.chassis.serial}
    if camera:
        data["method"] = "camera"
    return client.post(
        reverse("checklists:step_scan", args=[scene.run.pk, scene.step(kind=DESTRUCTIVE).position]), data
    )


def sign(client: Client, scene):
    url = reverse("checklists:step_sign", args=[scene.run.pk, scene.step(kind=DESTRUCTIVE).position])
    return client.post(url, {"idem": uuid.uuid4().hex})


def test_a_colleague_logging_in_on_the_performers_phone_cannot_scan_as_verifier(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = users()["tess"], users()["vic"]
    phone = log_in(handset(), tess)
    assert scan(phone, scene, camera=True).status_code == 200
    log_out(phone)

    log_in(phone, vic)
    response = scan(phone, scene)

    assert "This phone already scanned as the performer" in response.content.decode()
    step = scene.step(kind=DESTRUCTIVE)
    assert step.status == StepStatus.SCANNED and step.verifier is None
    assert not StepScan.objects.filter(user=vic).exists()
    # On his own phone, vic verifies.
    assert scan(log_in(handset(), vic), scene).status_code == 200
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.CLEARED


def test_a_verifier_logging_in_on_the_performers_phone_cannot_sign(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = users()["tess"], users()["vic"]
    tess_phone, vic_phone = log_in(handset(), tess), log_in(handset(), vic)
    scan(tess_phone, scene, camera=True)
    scan(vic_phone, scene)
    sign(tess_phone, scene)
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.DONE
    log_out(tess_phone)

    response = sign(log_in(tess_phone, vic), scene)

    assert "The verifier signs on their own phone" in response.content.decode()
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.DONE
    sign(vic_phone, scene)
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.COMPLETE


def test_the_performer_signs_from_the_phone_she_scanned_with_even_after_logging_in_again(scene):
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = users()["tess"], users()["vic"]
    tess_phone, vic_phone = log_in(handset(), tess), log_in(handset(), vic)
    scan(tess_phone, scene, camera=True)
    scan(vic_phone, scene)
    log_out(vic_phone)

    refused = sign(log_in(vic_phone, tess), scene)  # tess on vic's phone
    assert "Sign on the phone you scanned this asset with" in refused.content.decode()
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.CLEARED

    log_out(tess_phone)
    sign(log_in(tess_phone, tess), scene)  # her own phone, a new session
    assert scene.step(kind=DESTRUCTIVE).status == StepStatus.DONE


def test_a_tap_from_a_phone_that_sends_no_device_cookie_is_refused(scene):
    """Without its cookie a phone cannot be told from another, so two people could not be told to be two phones."""
    with pytest.raises(StepRefused, match="sent no Lockstep cookie"):
        Who.of(users()["tess"], session_key="tess-session", device_id="")


def test_the_step_page_does_not_offer_the_scan_to_a_colleague_on_the_performers_phone(scene):
    """A page never offers what the rule refuses: on tess's phone, vic's step page has no scan form and says
    why; on his own phone it offers him the scan."""
    finish_steps_before(scene, kind=DESTRUCTIVE)
    tess, vic = users()["tess"], users()["vic"]
    phone = log_in(handset(), tess)
    assert scan(phone, scene, camera=True).status_code == 200
    log_out(phone)
    log_in(phone, vic)
    page_url = reverse("checklists:step", args=[scene.run.pk, scene.step(kind=DESTRUCTIVE).position])

    page = phone.get(page_url).content.decode()

    assert 'id="scan-form"' not in page
    assert "Not on this phone" in page
    assert "tess scanned this asset on this phone" in page
    own = log_in(handset(), vic).get(page_url).content.decode()
    assert 'id="scan-form"' in own
    assert "Not on this phone" not in own
