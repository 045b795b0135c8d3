"""Evidence comes from the rack, never from Lockstep.

A tech who could read a tag's code or a chassis serial off a page could "scan" an asset without standing at
it: vic, on his own phone in the break room, typed what the device page showed and got "Match. Cleared by two
people". So no page, fragment or PDF a tech (or someone with no role) can open shows a code or a serial: they
say "Tag active" and "Serial on record". The label sheet is the only place a code is printed, because it is
the label. An approver who needs one (a reprint, a support call) reveals it on purpose, and it is recorded.
"""

from __future__ import annotations

import io
import re
import uuid

import pypdf
import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from checklists.execution import resolve, scan
from checklists.models import Run, Step
from inventory import codes
from inventory.models import Device, DeviceType, Discrepancy, Port, Tag
from tests.builders.people import phone, users
from tests.builders.scenes import DESTRUCTIVE, build_scene, finish_steps_before


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def secrets() -> dict[str, str]:
    """Everything a page must never show, by what it is: every tag's codes (long, short, and short as
    printed) and every device's serial."""
    found: dict[str, str] = {}
    for tag in Tag.objects.select_related("device", "port__device"):
        found[tag.code] = f"QR code of the tag on {tag.asset}"
        found[tag.short_code] = f"short code of the tag on {tag.asset}"
        found[codes.format_short(tag.short_code)] = f"printed short code of the tag on {tag.asset}"
    for name, serial in Device.objects.exclude(serial="").values_list("name", "serial"):
        found[serial] = f"serial of {name}"
    return found


def text_of(response) -> str:
    if response.get("Content-Type", "").startswith("application/pdf"):
        reader = pypdf.PdfReader(io.BytesIO(response.content))
        return "\n".join(page.extract_text() for page in reader.pages)
    return response.content.decode()


def leaks(text: str, brought: str = "") -> list[str]:
    """The secrets in `text`, ignoring what the visitor brought themselves (a code they scanned, a query
    they typed): echoing that back tells them nothing. PDF text may break a word across lines, so the text
    is also read with its whitespace taken out."""
    if brought:
        text = text.replace(brought, "")
    packed = re.sub(r"\s+", "", text)
    return [what for secret, what in secrets().items() if secret in text or secret in packed]


def everything_open_to(client: Client, scene) -> list[tuple[str, object, str]]:
    """Every page, fragment and PDF a person on this window can open, with what they brought to it."""
    opened: list[tuple[str, object, str]] = []

    def get(url: str, brought: str = "", **headers) -> None:
        opened.append((url, client.get(url, headers=headers or None), brought))

    site = scene.site.site
    get(reverse("home"))
    get(reverse("maintenance:tech_today"))
    get(reverse("inventory:index"))
    get(reverse("inventory:site", args=[site.code]))
    get(reverse("inventory:missing_serials"))
    for rack in site.racks.all():
        get(reverse("inventory:rack", args=[rack.pk]))
    for device in Device.objects.filter(site=site):
        get(reverse("inventory:device", args=[device.pk]))
    for port in Port.objects.filter(device__site=site):
        get(reverse("inventory:port", args=[port.pk]))
    for query in ("sw-a", "sw-a Eth1/1", "SN-sw-a", scene.tags["sw-a"].display_short_code):
        get(f"{reverse('inventory:index')}?q={query}", brought=query)
    get(
        f"{reverse('inventory:tag_enter')}?code={scene.tags['sw-b'].short_code}",
        brought=scene.tags["sw-b"].short_code,
    )
    run: Run = scene.run
    for key in ("sw-a", "sw-a Eth1/1", "sw-b Eth1/1"):
        code = scene.tags[key].code
        get(f"/t/{code}", brought=code)  # the tag's page
        get(run.current_step().get_absolute_url())
        get(f"/t/{code}", brought=code)  # with a step open that waits for a scan: the hand-off to it
    get(run.get_absolute_url())
    get(reverse("checklists:run_current", args=[run.pk]))
    for step in Step.objects.filter(run=run):
        get(step.get_absolute_url())
        get(step.get_absolute_url(), HX_Request="true")
    window = scene.window
    get(reverse("maintenance:window_list"))
    get(window.get_absolute_url())
    get(window.get_absolute_url(), HX_Request="true")
    get(reverse("maintenance:runbook_pdf", args=[window.pk]))
    get(reverse("maintenance:as_run_pdf", args=[window.pk]))
    return opened


def assert_nothing_leaks(opened) -> None:
    problems = [
        f"{url} shows the {what}"
        for url, response, brought in opened
        for what in leaks(text_of(response), brought)
    ]
    assert not problems, "\n".join(problems)


@pytest.fixture
def running(db):
    """tess and vic are half way through the unplug of sw-a Eth1/1: tess (the performer) has scanned it; vic
    first scanned at the wrong switch (a mismatch, resolved by ada), and the switch has a known model."""
    scene = build_scene()
    Device.objects.filter(name__in=["sw-a", "sw-b"]).update(manufacturer="Cisco", model="Nexus 93180YC-FX")
    DeviceType.objects.create(
        manufacturer="Cisco", model="Nexus 93180YC-FX", serial_location="on the pull-out tab, front left"
    )
    people = users()
    finish_steps_before(scene, kind=DESTRUCTIVE)
    step = scene.step(kind=DESTRUCTIVE)
    scan(step, who=phone(people["vic"]), raw=scene.tag_for("sw-b Eth1/1"), serial="SN-sw-b")  # a mismatch
    resolve(Discrepancy.objects.get(), who=phone(people["ada"]), resolution="vic was at sw-b")
    scan(step, who=phone(people["tess"]), raw=scene.tag_for("sw-a Eth1/1"), serial="SN-sw-a", method="camera")
    return scene


def test_a_tech_on_the_window_finds_no_code_and_no_serial_anywhere(running):
    # The search would find them (a printed short code split across lines in a PDF too).
    tag = running.tags["sw-a Eth1/1"]
    assert (
        leaks(f"<td>{tag.display_short_code}</td>")
        and leaks("SN-sw-\na")
        and leaks(tag.code[:8] + "\n" + tag.code[8:])
    )
    opened = everything_open_to(on_phone(users()["vic"]), running)
    assert {response.status_code for _, response, _ in opened} <= {200, 302}
    assert any(r.get("Content-Type") == "application/pdf" for _, r, _ in opened)  # the PDFs were read
    assert any(b"Use this scan for step 5?" in r.content for _, r, _ in opened)  # and the /t/ hand-off
    assert_nothing_leaks(opened)


def test_the_pages_say_tag_active_and_serial_on_record_instead(running):
    vic = on_phone(users()["vic"])
    device = vic.get(reverse("inventory:device", args=[running.site.sw_a.pk])).content.decode()
    assert "Tag active" in device and "Serial on record" in device
    assert 'href="/t/' not in device  # no link holding a code
    rack = vic.get(reverse("inventory:rack", args=[running.site.sw_a.rack_id])).content.decode()
    assert "Tag active" in rack and "On record" in rack
    tag_page = vic.get(f"/t/{running.tag_for('sw-b')}").content.decode()
    assert "Active tag" in tag_page and "Tag active" in tag_page and "Tag code" not in tag_page


def test_the_step_page_says_where_the_serial_is_never_what_it_is(running):
    html = on_phone(users()["vic"]).get(running.step(kind=DESTRUCTIVE).get_absolute_url()).content.decode()
    assert "on the pull-out tab, front left" in html
    assert "SN-sw-a" not in html


def test_the_verifier_told_of_a_mismatch_learns_nothing_of_the_right_switch(db):
    """vic, at the wrong switch, scans its label and types its serial: the answer says what was wrong in words,
    never the serial he should have found nor the code of the label he should have scanned."""
    scene = build_scene()
    finish_steps_before(scene, kind=DESTRUCTIVE)
    vic = on_phone(users()["vic"])
    wrong = scene.tag_for("sw-b Eth1/1")
    response = vic.post(
        reverse("checklists:step_scan", args=[scene.run.pk, scene.step(kind=DESTRUCTIVE).position]),
        {"idem": uuid.uuid4().hex, "code": wrong, "serial": "SN-sw-b"},
    )
    html = response.content.decode().replace(wrong, "")
    assert response.status_code == 409 and "You scanned the label of sw-b Eth1/1" in html
    assert leaks(html, brought="SN-sw-b") == []


def test_someone_with_no_role_sees_nothing_either(running, olive):
    opened = everything_open_to(on_phone(olive), running)
    assert_nothing_leaks(opened)
    assert all(r.status_code in (302, 403, 404) for url, r, _ in opened if url != reverse("home"))


# --- the approver's reveal --------------------------------------------------------------------------------


def reveal_url(kind: str, pk: int) -> str:
    return reverse("inventory:reveal", args=[kind, pk])


def test_an_approver_reveals_a_serial_and_a_code_on_purpose_and_it_is_recorded(running):
    ada = on_phone(users()["ada"])
    sw_a = running.site.sw_a
    page = ada.get(reverse("inventory:device", args=[sw_a.pk])).content.decode()
    assert "Show the serial and tag code (recorded)" in page and "SN-sw-a" not in page

    response = ada.post(reveal_url("device", sw_a.pk), {"reason": "reprinting a torn label"})

    html = response.content.decode()
    tag = running.tags["sw-a"]
    assert response.status_code == 200 and "SN-sw-a" in html and tag.display_short_code in html
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="inventory.revealed")
    assert event.actor.username == "ada" and event.object_id == str(sw_a.pk)
    assert event.payload == {"what": ["serial", "tag"], "reason": "reprinting a torn label"}
    # Shown on that answer only: not kept in the session, not on the device page afterwards.
    assert "SN-sw-a" not in str(dict(ada.session.items()))
    assert "SN-sw-a" not in ada.get(reverse("inventory:device", args=[sw_a.pk])).content.decode()


def test_a_port_reveals_its_own_tag_and_its_switchs_serial(running):
    port = running.site.port(running.site.sw_a, "Eth1/1")
    html = (
        on_phone(users()["ada"])
        .post(reveal_url("port", port.pk), {"reason": "support call"})
        .content.decode()
    )
    assert running.tags["sw-a Eth1/1"].display_short_code in html and "SN-sw-a" in html
    assert running.tags["sw-a"].display_short_code not in html


def test_a_reveal_needs_a_reason_and_a_post(running):
    ada = on_phone(users()["ada"])
    sw_a = running.site.sw_a
    assert ada.get(reveal_url("device", sw_a.pk)).status_code == 405
    refused = ada.post(reveal_url("device", sw_a.pk), {"reason": "  "}, follow=True)
    assert "Say why you need them" in refused.content.decode() and "SN-sw-a" not in refused.content.decode()
    assert not AuditEvent.objects.filter(action="inventory.revealed").exists()


def test_the_reveal_is_csrf_protected(running):
    ada = Client(enforce_csrf_checks=True)
    ada.force_login(users()["ada"])
    response = ada.post(reveal_url("device", running.site.sw_a.pk), {"reason": "reprint"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="inventory.revealed").exists()


def test_a_tech_gets_the_same_403_whether_or_not_the_asset_exists(running, olive):
    for person in (users()["tess"], olive):
        client = on_phone(person)
        real = client.post(reveal_url("device", running.site.sw_a.pk), {"reason": "curious"})
        missing = client.post(reveal_url("device", 987654), {"reason": "curious"})
        assert real.status_code == missing.status_code == 403
        assert without_token(real) == without_token(missing) and b"SN-sw-a" not in real.content
        page = client.get(reverse("inventory:device", args=[running.site.sw_a.pk])).content.decode()
        assert "Show the serial" not in page
    assert not AuditEvent.objects.filter(action="inventory.revealed").exists()


def without_token(response) -> str:
    """The page without its CSRF token, which differs on every answer."""
    return re.sub(
        r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", response.content.decode()
    )


def test_someone_logged_out_is_sent_to_log_in(running):
    response = Client().post(reveal_url("device", running.site.sw_a.pk), {"reason": "x"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_approvers_discrepancy_list_and_board_say_it_in_words_without_serials(running):
    """Approvers too read a discrepancy in words: the serials stay behind the audited reveal."""
    tess = users()["tess"]
    step = running.step(kind=DESTRUCTIVE)
    scan(step, who=phone(tess), raw=running.tag_for("sw-b Eth1/1"), serial="SN-sw-b", method="camera")
    ada = on_phone(users()["ada"])
    for url in (reverse("inventory:discrepancies"), reverse("maintenance:board")):
        html = ada.get(url).content.decode()
        assert "sw-b Eth1/1" in html
        assert "SN-sw-b" not in html and "SN-sw-a" not in html and "tag_asset" not in html
