"""A label from another site, on a device of the same name: the STOP names both sites, or it would read
"you scanned sw-a Eth1/1; this step is sw-a Eth1/1".

LAX2 is built like LAX1, down to its switch names. tess carries a label of LAX2's sw-a Eth1/1 to LAX1."""

from __future__ import annotations

import uuid

from django.test import Client
from django.urls import reverse

from inventory.models import Tag
from tests.builders.people import users
from tests.builders.scenes import IDENTITY, finish_steps_before
from tests.builders.sites import build_redundant_site


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_stop_for_another_sites_label_of_a_same_named_device_names_both_sites(scene):
    people = users()
    lax2 = build_redundant_site("LAX2")
    theirs = Tag.issue(lax2.port(lax2.sw_a, "Eth1/1"), by=people["ada"])
    theirs.commission(serial=lax2.sw_a.serial, by=people["ada"])
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(people["tess"])
    step = scene.step(kind=IDENTITY)

    answer = tess.post(
        reverse("checklists:step_scan", args=[scene.run.pk, scene.step(kind=IDENTITY).position]),
        {"idem": uuid.uuid4().hex, "code": theirs.code},
    )
    assert answer.status_code == 409

    # The STOP stays on tess's phone until she says she stopped: read from the record, on every refresh.
    html = tess.get(step.get_absolute_url()).content.decode()
    assert "✕ Mismatch: STOP" in html
    assert "You scanned the label of sw-a Eth1/1 at LAX2; this step is sw-a Eth1/1 at LAX1." in html


def test_a_stop_for_a_label_of_this_site_names_no_site(scene):
    people = users()
    finish_steps_before(scene, kind=IDENTITY)
    tess = on_phone(people["tess"])
    tess.post(
        reverse("checklists:step_scan", args=[scene.run.pk, scene.step(kind=IDENTITY).position]),
        {"idem": uuid.uuid4().hex, "code": scene.tag_for("sw-b Eth1/1")},
    )
    html = tess.get(scene.step(kind=IDENTITY).get_absolute_url()).content.decode()
    assert "You scanned the label of sw-b Eth1/1; this step is sw-a Eth1/1." in html
