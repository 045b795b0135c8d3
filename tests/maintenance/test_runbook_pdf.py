"""The printed runbook and the as-run record: rex's window, approved by ada, worked by tess and vic.

What the PDF says is read back with pypdf, page by page: a page that falls out of the binder must still say
which window, which runbook version, which page, and whether the runbook was ever approved."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf
import pytest
import qrcode
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.roles import Role
from audit import checkpoints
from audit.models import AuditEvent, AuditHead
from checklists.execution import resolve, scan
from checklists.models import ChecklistTemplate, Step, StepKind
from inventory.models import Device, DeviceType, Discrepancy
from maintenance.models import TargetAction, Window, WindowRefused
from maintenance.runbook_pdf import pdf_filename, render_runbook_pdf, runbook_html
from maintenance.runbooks import STANDARD_SLUG
from tests.builders.audit import tamper
from tests.builders.pdfs import pages_of, squeeze
from tests.builders.people import make_user, name_the_people, phone, users
from tests.builders.scenes import DESTRUCTIVE, HOLD, IDENTITY, Scene, build_scene, finish_steps_before
from tests.builders.sites import build_redundant_site
from tests.builders.windows import make_window

CHECK = 6  # the instruction right after the unplug: no kind of its own, found by its place
DRAFT = "DRAFT — NOT APPROVED"


def unplug_sw_a_eth1_2(site) -> list:
    # web02 hangs off sw-a Eth1/2 alone: unplugging it takes Beta's site down, so the blast radius has a name.
    return [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))]


def submitted_window() -> Window:
    site = build_redundant_site()
    rex = make_user("rex", Role.TECH, first_name="Rex", last_name="Requester", email="rex@example.net")
    make_user("ada", Role.APPROVER)
    window = make_window(rex, site.site, title="Swap sw-a optics")
    window.add_target(by=rex, action=TargetAction.UNPLUG, port=site.port(site.sw_a, "Eth1/2"))
    window.submit(by=rex)
    return window


def local(moment, window: Window, fmt: str) -> str:
    at = moment.astimezone(window.site.tz)
    return f"{at.strftime(fmt)} {at.tzname()}"


# --- before approval ----------------------------------------------------------------------------------


def test_a_runbook_printed_before_approval_says_draft_on_every_page(db):
    window = submitted_window()

    pages = pages_of(render_runbook_pdf(window))

    assert len(pages) >= 3
    for number, text in enumerate(pages, start=1):
        assert DRAFT in text, f"page {number} does not say DRAFT"
        assert f"{window.reference} · Runbook v1" in text
        assert f"Page {number} of {len(pages)}" in text
    cover = squeeze(pages[0])
    assert "Approved by Not approved" in cover
    assert "Rex Requester (rex)" in cover and "rex@example.net" in cover


def test_a_rejected_runbook_changed_and_resubmitted_prints_as_version_2(db):
    window = submitted_window()
    ada, rex = users()["ada"], users()["rex"]
    window.reject(by=ada, comment="Also unplug Eth1/3 while you are there")
    window.add_target(
        by=rex, action=TargetAction.UNPLUG, port=window.site.devices.get(name="sw-a").ports.get(name="Eth1/3")
    )
    window.submit(by=rex)

    pages = pages_of(render_runbook_pdf(window))

    assert all(f"{window.reference} · Runbook v2" in text and DRAFT in text for text in pages)
    assert "Unplug: sw-a Eth1/3" in squeeze("\n".join(pages)).replace("unplug:", "Unplug:")
    assert pdf_filename(window) == f"{window.reference}-runbook-v2.pdf"


def test_a_window_never_submitted_has_no_runbook_to_print(db):
    site = build_redundant_site()
    window = make_window(make_user("rex", Role.TECH), site.site)

    with pytest.raises(WindowRefused, match="no runbook yet"):
        render_runbook_pdf(window)


# --- approved -----------------------------------------------------------------------------------------


@pytest.fixture
def approved(db) -> Scene:
    return build_scene(start=False, targets=unplug_sw_a_eth1_2)


def test_an_approved_runbook_is_not_a_draft_and_says_who_approved_it_and_when(approved):
    window = approved.window
    decision = window.decisions.get()

    pages = pages_of(render_runbook_pdf(window))
    text = squeeze("\n".join(pages))

    assert "DRAFT" not in text
    assert f"Approved by ada on {local(decision.decided_at, window, '%Y-%m-%d %H:%M')}" in text
    # Planned times on the site's clock, with the zone, not UTC.
    assert local(window.planned_start, window, "%a %d %b %Y %H:%M") in text
    assert "times in America/Los_Angeles" in text
    assert "Assigned techs tess, vic" in text
    assert "LAX1 on-call phone (write in):" in text
    # The blast radius: Beta's site hangs off sw-a Eth1/2 alone.
    assert "1 service loses connectivity, for 1 customer: Beta" in text
    assert "beta-LAX1" in text
    assert "Plug it back in." in text  # the rollback plan
    for number, page in enumerate(pages, start=1):
        assert f"{window.reference} · Runbook v1" in page and f"Page {number} of {len(pages)}" in page


def test_each_step_prints_its_title_asset_where_its_serial_is_phone_link_and_warnings(approved):
    window = approved.window
    host = settings.LOCKSTEP_PUBLIC_HOST
    Device.objects.filter(name="sw-a").update(manufacturer="Cisco", model="Nexus 93180YC-FX")
    DeviceType.objects.create(
        manufacturer="Cisco", model="Nexus 93180YC-FX", serial_location="on the pull-out tab, front left"
    )

    text = squeeze("\n".join(pages_of(render_runbook_pdf(window))))

    for step in Step.objects.filter(run=window.run):
        assert step.title in text
        # Printed under the QR too, for a phone that will not scan.
        assert f"https://{host}{step.get_absolute_url()}" in text.replace(" ", "")
    # Where to read the serial, never the serial: a serial copied from paper checks nothing.
    assert "Device Port Rack Position sw-a Eth1/2 A01 U42" in text
    assert "Serial: on the pull-out tab, front left." in text
    assert "SN-sw-a" not in text
    assert "DO NOT TOUCH sw-a Eth1/1 · sw-a Eth1/3 · sw-b (U41)" in text
    assert "TWO PEOPLE" in text and "Only the approver releases this hold point" in text
    assert "PERFORMER · INITIALS TIME VERIFIER · INITIALS TIME" in text


def test_the_qr_of_each_step_is_its_phone_link(approved):
    """No QR decoder here, so compare the printed symbols with the ones qrcode makes for the steps' URLs."""
    window = approved.window
    reader = pypdf.PdfReader(io.BytesIO(render_runbook_pdf(window)))

    def modules(image) -> tuple[tuple[bool, ...], ...]:
        grey = image.convert("L")
        return tuple(
            tuple(grey.getpixel((x, y)) < 128 for x in range(grey.width)) for y in range(grey.height)
        )

    # WeasyPrint may list every image in every page's resources: compare the symbols, not the listings.
    printed = {modules(image.image) for page in reader.pages for image in page.images}
    expected = set()
    for step in window.run.steps.all():
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        code.add_data(f"https://{settings.LOCKSTEP_PUBLIC_HOST}{step.get_absolute_url()}")
        code.make(fit=True)
        expected.add(tuple(tuple(row) for row in code.get_matrix()))
    assert len(expected) == window.run.steps.count()
    assert printed == expected


def test_rollback_steps_have_their_own_section_on_their_own_pages(approved):
    pages = pages_of(render_runbook_pdf(approved.window))

    start = next(i for i, page in enumerate(pages) if "Rollback steps" in page)
    before, after = "\n".join(pages[:start]), "\n".join(pages[start:])
    for step in approved.run.steps.all():
        assert step.title in (after if step.is_rollback else before)
        assert step.title not in (before if step.is_rollback else after)
    assert "Put sw-a Eth1/2 back as it was" in after


# --- as run ---------------------------------------------------------------------------------------------


@pytest.fixture
def completed(db) -> Scene:
    """tess scans the wrong switch's label first; ada resolves it; the rest goes by the book; the window
    ends 35 minutes after its planned end."""
    scene = build_scene(targets=unplug_sw_a_eth1_2)
    name_the_people()
    finish_steps_before(scene, kind=IDENTITY)
    scan(scene.step(kind=IDENTITY), who=phone(users()["tess"]), raw=scene.tag_for("sw-b Eth1/2"))
    resolve(
        Discrepancy.objects.get(),
        who=phone(users()["ada"]),
        resolution="Labels on sw-a and sw-b swapped back",
    )
    finish_steps_before(scene, 8)
    scene.window.complete(by=users()["tess"])
    Window.objects.filter(pk=scene.window.pk).update(
        ended_at=scene.window.planned_end + timedelta(minutes=35)
    )
    scene.window.refresh_from_db()
    return scene


def test_the_as_run_record_says_who_signed_what_and_when(completed):
    window = completed.window
    destructive = completed.step(kind=DESTRUCTIVE)

    pages = pages_of(render_runbook_pdf(window, as_run=True))
    text = squeeze("\n".join(pages))

    for number, page in enumerate(pages, start=1):
        assert f"{window.reference} · As-run record of runbook v1" in page
        assert f"Page {number} of {len(pages)}" in page and "DRAFT" not in page
    assert "Outcome Completed by tess" in text
    performed = local(destructive.performed_at, window, "%Y-%m-%d %H:%M:%S")
    verified = local(destructive.verified_at, window, "%Y-%m-%d %H:%M:%S")
    assert (
        f"Performer Tess Tech (tess) When {performed} Verifier Vic Verifier (vic) When {verified}"
        in text.replace("PERFORMER", "Performer").replace("VERIFIER", "Verifier").replace("WHEN", "When")
    )
    # Who scanned how, and whose label it was: never the code nor the serial typed (techs print this too).
    assert "Tess Tech (tess) Performer in-page camera sw-a Eth1/2 typed matched" in text
    assert "Vic Verifier (vic) Verifier typed sw-a Eth1/2 typed matched" in text
    tag = completed.tags["sw-a Eth1/2"]
    assert tag.display_short_code not in text and tag.code not in text and "SN-sw-a" not in text


def test_the_as_run_record_shows_the_mismatch_and_how_it_was_resolved(completed):
    window = completed.window
    discrepancy = Discrepancy.objects.get()
    wrong = completed.tags["sw-b Eth1/2"].display_short_code

    text = squeeze("\n".join(pages_of(render_runbook_pdf(window, as_run=True))))

    assert (
        "typed sw-b Eth1/2 — MISMATCH: the label belongs to sw-b Eth1/2 (LAX1), not to sw-a Eth1/2 (LAX1)"
        in text
    )
    assert wrong not in text
    resolved = local(discrepancy.resolved_at, window, "%Y-%m-%d %H:%M:%S")
    assert f"Resolved by Ada Approver (ada) at {resolved}: “Labels on sw-a and sw-b swapped back”" in text
    assert "Discrepancies 1" in text


def test_the_as_run_record_shows_hold_points_updates_time_and_the_audit_chain(completed):
    window = completed.window
    hold = completed.step(kind=HOLD)

    text = squeeze("\n".join(pages_of(render_runbook_pdf(window, as_run=True))))

    released = local(hold.performed_at, window, "%Y-%m-%d %H:%M:%S")
    assert (
        f"{hold.position} Approver's go-ahead before anything is touched Ada Approver (ada) {released}"
        in text
    )
    # What customers were told, each with its fate: here nobody subscribes, and the record says so rather
    # than "sent" (tests/comms shows the counts and times when messages do go out).
    ref = window.reference  # CHG-<pk>: the database's numbering, not always 1
    update = f"Update on maintenance {ref} at Los Angeles 1."
    nobody = "no confirmed customer contact to send to"
    # Started and complete are said once each, by the window; the runbook's own update says what only the
    # people at the rack know.
    assert f"tess Maintenance started: Maintenance {ref} at Los Angeles 1 has started {nobody}" in text
    assert (
        f"tess Maintenance update: {update} The part of the maintenance that could interrupt your services is done"
        in text
    )
    assert text.count("Maintenance started:") == 1 and "Thank you for your patience" not in text
    assert f"ada Maintenance scheduled: Scheduled maintenance {ref} at Los Angeles 1" in text
    assert f"tess Maintenance completed: Maintenance {ref} at Los Angeles 1 is complete {nobody}" in text
    assert "Customer notices 4;" in text
    assert " sent to " not in text.replace("send to", "")
    assert "Against the plan overran the planned end by 35 min" in text
    assert "(4 h 35 min)" in text and "(4 h)" in text
    assert f"Audit log: audit chain verified: {AuditEvent.objects.count()} events, unbroken" in text
    assert "step.scan_mismatch" in text and "discrepancy.resolved" in text and "window.completed" in text
    # The rollback steps were never needed, and the record says so rather than leaving them blank.
    assert "Not needed: the window completed without rolling back" in text


def test_an_aborted_window_records_why_and_what_was_not_done(db):
    scene = build_scene(targets=unplug_sw_a_eth1_2)
    finish_steps_before(scene, kind=DESTRUCTIVE)
    scene.window.abort(by=users()["tess"], reason="Optic does not fit")
    Window.objects.filter(pk=scene.window.pk).update(
        ended_at=scene.window.planned_end - timedelta(minutes=20)
    )

    html = squeeze(runbook_html(scene.window, as_run=True))

    assert "Aborted</strong> by tess — “Optic does not fit”" in html
    assert "finished 20 min early" in html
    assert "Not done: the window was aborted" in html


def test_a_tampered_audit_log_is_printed_as_not_verifying(completed):
    event = AuditEvent.objects.filter(action="step.verified").get()
    # What an attacker with database access would do (on PostgreSQL, switching the append-only trigger off).
    tamper("UPDATE audit_event SET actor_label = 'walt' WHERE id = %s", [event.pk])

    html = runbook_html(completed.window, as_run=True)

    assert "AUDIT LOG DOES NOT VERIFY" in html and f"event #{event.seq}" in html
    assert "No chain head is printed" in html and "verify_audit --at" not in html
    assert "audit chain verified" not in html


def test_the_as_run_record_prints_the_head_to_confirm_and_checks_from_the_latest_checkpoint(
    completed, capsys
):
    call_command("audit_checkpoint")
    mark = checkpoints.latest()
    head = AuditHead.objects.get()

    text = squeeze("\n".join(pages_of(render_runbook_pdf(completed.window, as_run=True))))

    assert f"unbroken since the checkpoint of {mark.at} (event #{mark.seq}), which they match" in text
    assert f"event #{head.seq} ({head.seq} events)" in text
    assert f"verify_audit--at{head.hash}" in text.replace(" ", "")
    call_command("verify_audit", "--at", head.hash)
    assert f"is event #{head.seq}" in capsys.readouterr().out


def test_an_as_run_record_in_progress_says_it_is_not_final(db):
    scene = build_scene(targets=unplug_sw_a_eth1_2)

    html = runbook_html(scene.window, as_run=True)

    assert "IN PROGRESS — NOT FINAL" in html and "still running" in html


def test_there_is_no_as_run_record_before_the_window_starts(approved):
    with pytest.raises(WindowRefused, match="once the window has started"):
        runbook_html(approved.window, as_run=True)


# --- queries --------------------------------------------------------------------------------------------

FIVE_STEPS = [
    {"kind": StepKind.INSTRUCTION, "title": "Check in at the rack"},
    {"kind": StepKind.IDENTITY_CHECK, "title": "Find {asset}", "target_role": "*", "show_neighbours": True},
    {"kind": StepKind.HOLD_POINT, "title": "Approver's go-ahead"},
    {"kind": StepKind.DESTRUCTIVE, "title": "{action}: {asset}", "target_role": "*"},
    {"kind": StepKind.INSTRUCTION, "title": "Put {asset} back", "target_role": "*", "is_rollback": True},
]


def runbook_of(targets: int) -> Scene:
    """2 steps plus 3 for each target: 1 target makes 5 steps, 16 make 50."""
    ChecklistTemplate.publish(slug=STANDARD_SLUG, title="Standard change", steps=FIVE_STEPS)

    def ports(site):
        switch_ports = [p for d in (site.sw_a, site.sw_b, site.sw_c) for p in d.ports.order_by("pk")]
        server_ports = [p for d in (site.web01, site.web02) for p in d.ports.order_by("pk")]
        return [(TargetAction.UNPLUG, p) for p in (switch_ports + server_ports)[:targets]]

    return build_scene(targets=ports)


@pytest.mark.parametrize(("targets", "steps"), [(1, 5), (16, 50)])
def test_the_runbook_is_built_in_a_fixed_number_of_queries(db, targets, steps):
    scene = runbook_of(targets)
    assert scene.run.steps.count() == steps
    # The first four steps worked, whatever the size (a story about order: with 16 targets the cuts come later
    # and some of their assets carry no tag): scans, signatures and their audit events to read back.
    finish_steps_before(scene, 5)

    with CaptureQueriesContext(connection) as runbook:
        runbook_html(scene.window)
    with CaptureQueriesContext(connection) as as_run:
        runbook_html(scene.window, as_run=True)

    # 1 the window with its site, requester and run  2 its assignees  3 its targets with their devices,
    # ports and racks  4 the latest blast radius  5 the approval of this submission  6 the run's templates
    # 7 the steps with their assets, racks and people  8, 9 the redundancy overrides it made and was made
    # against
    assert len(runbook) == 9
    # the same 9, then 10 the scans with their people, tags and discrepancies  11 what the switches said
    # (live checks) and 12 their readings  13 the audit events of the window, run, steps and discrepancies
    # 14 the notices about the window and its steps, with their deliveries counted  15 the chain's head
    # 16-20 who holds which rights (the accounts, their groups, their permissions, the groups, theirs)
    # 21 the head again (it did not move meanwhile)  22 the people events since the latest checkpoint
    # 23 the audit log, walked to verify the chain (from the first event: the checkpoint is of the empty log)
    # 24 nothing beyond the head
    assert len(as_run) == 24


# --- pages ----------------------------------------------------------------------------------------------


def test_a_tech_downloads_the_runbook_inline_named_by_window_and_version(client, approved):
    window = approved.window
    client.force_login(users()["tess"])

    response = client.get(reverse("maintenance:runbook_pdf", args=[window.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{window.reference}-runbook-v1.pdf"'
    assert response.content.startswith(b"%PDF")


def test_the_as_run_record_of_a_completed_window_downloads(client, completed):
    window = completed.window
    client.force_login(users()["ada"])

    response = client.get(reverse("maintenance:as_run_pdf", args=[window.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{window.reference}-as-run-v1.pdf"'


def test_the_as_run_record_of_a_window_not_started_is_refused_in_words(client, approved):
    client.force_login(users()["tess"])

    response = client.get(reverse("maintenance:as_run_pdf", args=[approved.window.pk]))

    assert response.status_code == 409
    assert "the as-run record exists once the window has started" in response.content.decode()


def test_a_draft_never_submitted_is_refused_in_words_not_a_500(client, db):
    site = build_redundant_site()
    rex = make_user("rex", Role.TECH)
    window = make_window(rex, site.site)
    client.force_login(rex)

    response = client.get(reverse("maintenance:runbook_pdf", args=[window.pk]))

    assert response.status_code == 409
    assert "has no runbook yet" in response.content.decode()


def test_someone_without_a_role_gets_no_runbook(client, approved, olive):
    client.force_login(olive)
    assert client.get(reverse("maintenance:runbook_pdf", args=[approved.window.pk])).status_code == 403
    assert client.get(reverse("maintenance:as_run_pdf", args=[approved.window.pk])).status_code == 403


def test_a_stranger_is_sent_to_log_in(client, approved):
    response = client.get(reverse("maintenance:runbook_pdf", args=[approved.window.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_the_window_page_links_to_the_runbook_and_after_the_work_to_the_as_run_record(client, completed):
    window = completed.window
    client.force_login(users()["ada"])

    html = client.get(window.get_absolute_url()).content.decode()

    assert reverse("maintenance:runbook_pdf", args=[window.pk]) in html and "Printable runbook (PDF)" in html
    assert reverse("maintenance:as_run_pdf", args=[window.pk]) in html and "As-run record (PDF)" in html


def test_an_approved_window_page_links_to_the_runbook_only(client, approved):
    client.force_login(users()["tess"])

    html = client.get(approved.window.get_absolute_url()).content.decode()

    assert "Printable runbook (PDF)" in html and "As-run record" not in html
