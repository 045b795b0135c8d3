"""A STOP stays on the phone of the tech who scanned the wrong label, naming what was scanned and what was
expected, until they tap "I have stopped": an audited, idempotent tap, refused in words where it has no STOP."""

from __future__ import annotations

from django.urls import reverse

from audit.models import AuditEvent
from checklists.models import STOP_ACKNOWLEDGED, RunStatus
from tests.builders.clients import key, on_phone, scan_url
from tests.builders.people import users
from tests.builders.scenes import IDENTITY, finish_steps_before


def stopped_url(scene):
    return reverse("checklists:step_stopped", args=[scene.run.pk, scene.step(kind=IDENTITY).position])


def wrong_label(scene, client):
    return client.post(
        scan_url(scene.step(kind=IDENTITY)),
        {"idem": key(), "code": scene.tag_for("sw-b Eth1/1")},
        HTTP_X_REQUESTED_WITH="fetch",
    )


def test_the_stop_names_the_labels_and_survives_the_panels_refresh(scene):
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(users()["tess"])
    answer = wrong_label(scene, tess).content.decode()
    assert "Mismatch: STOP" in answer
    assert "You scanned the label of sw-b Eth1/1; this step is sw-a Eth1/1." in answer
    assert scene.tag_for("sw-b Eth1/1") not in answer and "SN-" not in answer
    # The panel's refresh (every 3 s while the work is held) says the same words, not a vaguer "Held".
    poll = tess.get(
        scene.step(kind=IDENTITY).get_absolute_url(), headers={"HX-Request": "true"}
    ).content.decode()
    assert "You scanned the label of sw-b Eth1/1; this step is sw-a Eth1/1." in poll
    assert "I have stopped" in poll and 'hx-trigger="every 3s"' in poll


def test_i_have_stopped_is_recorded_once_and_the_stop_leaves_the_phone(scene):
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(users()["tess"])
    wrong_label(scene, tess)
    tap = key()
    first = tess.post(stopped_url(scene), {"idem": tap})
    assert first.status_code == 200 and "Recorded: you stopped" in first.content.decode()
    again = tess.post(
        stopped_url(scene), {"idem": tap}
    )  # the same tap, sent again by a phone that lost the reply
    assert again["Idempotent-Replay"] == "true" and again.content == first.content
    events = AuditEvent.objects.filter(action=STOP_ACKNOWLEDGED)
    assert events.count() == 1
    event = events.get()
    assert event.actor.username == "tess" and "sw-b Eth1/1" in event.payload["found"]
    page = tess.get(scene.step(kind=IDENTITY).get_absolute_url()).content.decode()
    assert "I have stopped" not in page and "Held" in page  # the run is still held: the approver resolves it
    assert scene.run.__class__.objects.get(pk=scene.run.pk).status == RunStatus.HELD


def test_a_second_i_have_stopped_is_refused_in_words(scene):
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(users()["tess"])
    wrong_label(scene, tess)
    tess.post(stopped_url(scene), {"idem": key()})
    refused = tess.post(stopped_url(scene), {"idem": key()})
    assert refused.status_code == 409
    assert "You already said you stopped" in refused.content.decode()
    assert AuditEvent.objects.filter(action=STOP_ACKNOWLEDGED).count() == 1


def test_someone_without_a_stop_has_nothing_to_answer(scene):
    finish_steps_before(scene, kind=IDENTITY)
    people = users()
    wrong_label(scene, on_phone(people["tess"]))
    vic = on_phone(people["vic"])
    assert "I have stopped" not in vic.get(scene.step(kind=IDENTITY).get_absolute_url()).content.decode()
    refused = vic.post(stopped_url(scene), {"idem": key()})
    assert refused.status_code == 409 and "no STOP of yours" in refused.content.decode()
    assert AuditEvent.objects.filter(action="step.refused", payload__action="stopped").count() == 1
    # Someone not on the work learns nothing about it.
    assert on_phone(people["walt"]).post(stopped_url(scene), {"idem": key()}).status_code == 404
    assert not AuditEvent.objects.filter(action=STOP_ACKNOWLEDGED).exists()


def test_a_mistyped_code_is_refused_and_stays_in_the_box(scene):
    finish_steps_before(scene, kind=IDENTITY)
    answer = on_phone(users()["tess"]).post(
        scan_url(scene.step(kind=IDENTITY)), {"idem": key(), "code": "ABCD-EFGH-X"}
    )
    assert answer.status_code == 409
    html = answer.content.decode()
    assert "Not done" in html and 'value="ABCD-EFGH-X"' in html
