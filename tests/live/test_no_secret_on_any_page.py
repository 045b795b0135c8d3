"""A driver whose every error quotes the credentials (a real one can): tess's step page, the as-run PDF, the
debrief and its PDF, the audit log, the stored readings and the STOP mail say only why the device did not answer
(timed out, refused the login, ...), with the driver and address. The driver's own words go to the server log,
with every form of every secret masked."""

from __future__ import annotations

import io
import json
import logging
import secrets

import pypdf
import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from audit.models import AuditEvent
from checklists.execution import sign
from checklists.live_checks import LiveCheck
from debriefs import reports
from debriefs.models import Debrief
from inventory.models import Discrepancy
from live.failures import Failure
from live.models import Reading
from live.secrets import MASK, RedactDeviceSecrets
from maintenance.runbook_pdf import render_runbook_pdf, runbook_html
from tests.checklists.conftest import phone, users
from tests.comms.conftest import run_worker
from tests.live.conftest import ALL_UP, DESTRUCTIVE, links, scan_both
from tests.live.leaky import assert_no_secret, leaky_driver


@pytest.fixture
def leaky(monkeypatch, gear):
    return leaky_driver(monkeypatch, gear)


@pytest.fixture
def server_log():
    """What the server's log handler (settings.LOGGING) writes, with its filters as configured."""
    handlers = [
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactDeviceSecrets) for f in getattr(h, "filters", []))
    ]
    assert handlers, "the log handler in settings.LOGGING must mask device secrets"
    written = io.StringIO()
    kept = [h.setStream(written) for h in handlers]
    yield written
    for handler, stream in zip(handlers, kept, strict=True):
        handler.setStream(stream)


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies["lockstep_device"] = f"device{user.username}0123456789"
    return client


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


def everything_stored() -> str:
    return json.dumps(
        [
            list(Reading.objects.values()),
            list(LiveCheck.objects.values()),
            list(Discrepancy.objects.values()),
            [(e.action, e.payload, e.canonical().decode()) for e in AuditEvent.objects.order_by("seq")],
            list(DBTaskResult.objects.values("return_value", "exception_class_path", "traceback")),
        ],
        default=str,
        ensure_ascii=False,
    )


def test_a_driver_quoting_the_password_reaches_no_page_pdf_event_reading_or_mail(
    scene, gear, leaky, settings, server_log, sam
):
    site, people = scene.site, users()
    people["ada"].email = "ada@example.net"
    people["ada"].save()
    settings.LOCKSTEP_LOCATE_COMMANDS = {"leaky": ["locator-led on", "locator-led off"]}
    leaky(site.sw_a, "open:auth")
    # sw-b answers (NAPALM's mock): read before the step, then its own link goes down in the try-out.
    gear.answers(site.sw_b, "get_interfaces", links(**ALL_UP), links(**{**ALL_UP, "Eth1_1": False}))
    tess, ada = on_phone(people["tess"]), on_phone(people["ada"])

    step = scan_both(scene, scene.step(DESTRUCTIVE))
    before = LiveCheck.objects.get(step=step, kind="before")
    assert before.state == "no_answer"
    said = "sw-a did not answer get_interfaces: refused the login (napalm leaky 192.0.2.66)"
    assert said in before.findings
    html = tess.get(step.get_absolute_url()).content.decode()
    assert said in html
    # The light, and the serial, asked of the same leaky driver.
    url = reverse("checklists:step_locate", args=[scene.run.pk, DESTRUCTIVE])
    assert tess.post(url, {"idem": secrets.token_urlsafe(24)}).status_code == 200
    run_worker()
    call_command("read_device_serials", "sw-a", "--by", "ada", stdout=io.StringIO())
    # An approver lets the step go on without the switch; the try-out then sees sw-b's link go down: STOP.
    url = reverse("checklists:step_without_switch", args=[scene.run.pk, DESTRUCTIVE])
    reason = "sw-a refuses our login; web01 checked by hand"
    assert ada.post(url, {"idem": secrets.token_urlsafe(24), "reason": reason}).status_code == 200
    step.refresh_from_db()
    sign(step, who=phone(people["tess"]))
    run_worker()
    assert LiveCheck.objects.get(step=step, kind="tryout").state == "stopped"
    assert len(mail.outbox) == 1

    debrief = Debrief.open_for(scene.window, by=people["ada"])
    admin = Client()
    admin.force_login(sam)
    told = {
        "tess's step page": html + tess.get(step.get_absolute_url()).content.decode(),
        "vic's step page": on_phone(people["vic"]).get(step.get_absolute_url()).content.decode(),
        "ada's step page": ada.get(step.get_absolute_url()).content.decode(),
        "the device page": ada.get(site.sw_a.get_absolute_url()).content.decode(),
        "the as-run record": runbook_html(scene.window, as_run=True),
        "the as-run PDF": pdf_text(render_runbook_pdf(scene.window, as_run=True)),
        "the debrief": ada.get(debrief.get_absolute_url()).content.decode(),
        "the debrief PDF": pdf_text(reports.pdf(debrief)),
        "the readings in the admin": admin.get("/admin/live/reading/").content.decode(),
        "the checks in the admin": admin.get("/admin/live/livecheck/").content.decode(),
        "the mail": "\n".join(f"{m.subject}\n{m.body}" for m in mail.outbox),
        "what is stored": everything_stored(),
    }
    for where, text in told.items():
        assert_no_secret(where, text)
    for where in ("the as-run PDF", "the debrief", "the readings in the admin"):
        assert "refused the login" in told[where], where
    readings = Reading.objects.filter(device=site.sw_a)
    assert {(r.purpose, r.failure) for r in readings} == {
        ("before", Failure.LOGIN_REFUSED),
        ("locate", Failure.LOGIN_REFUSED),
        ("serial", Failure.LOGIN_REFUSED),
    }
    assert AuditEvent.objects.get(action="device.serial_not_reported").payload == {
        "why": "refused the login (napalm leaky 192.0.2.66)"
    }
    # The server log has the driver's whole story, with every secret masked.
    log = server_log.getvalue()
    assert "ConnectAuthError: login lockstep-ro / " + MASK in log and "Authorization: Basic " + MASK in log
    assert_no_secret("the server log", log)


@pytest.mark.parametrize(
    ("fail", "failure", "words"),
    [
        ("open:timeout", Failure.TIMED_OUT, "timed out"),
        ("open:auth", Failure.LOGIN_REFUSED, "refused the login"),
        ("open:refused", Failure.UNREACHABLE, "could not be reached"),
        ("get:unreadable", Failure.UNREADABLE, "answered something unreadable"),
        ("get:broken", Failure.DRIVER_FAILED, "the driver failed"),
    ],
)
def test_each_failure_is_told_as_its_reason_with_the_driver_and_address(
    scene, gear, leaky, server_log, fail, failure, words
):
    leaky(scene.site.sw_a, fail)

    step = scan_both(scene, scene.step(DESTRUCTIVE))

    before = LiveCheck.objects.get(step=step, kind="before")
    assert before.findings == [f"sw-a did not answer get_interfaces: {words} (napalm leaky 192.0.2.66)"]
    assert [r.failure for r in Reading.objects.filter(device=scene.site.sw_a)] == [failure]
    event = AuditEvent.objects.get(action="live.before_no_answer")
    assert event.payload["findings"] == before.findings
    assert_no_secret("what is stored", everything_stored())
    assert_no_secret("the server log", server_log.getvalue())
