"""Debriefs: a timeline from the record that shows when customers were told, the impact in numbers, questions
that ask what and how (never who), and actions that are done only when the next runbook carries them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from checklists.models import ChecklistTemplate, StepKind
from comms.models import Subscriber
from credits import downtime
from credits.models import SlaPlan
from debriefs import reports
from debriefs.models import ActionState, Debrief, DebriefRefused
from debriefs.views import AnswersForm
from incidents.models import Impact, Incident, IncidentState
from inventory.models import Customer, Service
from maintenance.models import TargetAction
from maintenance.runbooks import STANDARD_SLUG, standard_template
from tests.checklists.conftest import build_scene, users
from tests.comms.conftest import run_worker
from tests.conftest import KeyedClient, make_user
from tests.maintenance.conftest import make_window

pytestmark = pytest.mark.django_db

CUT = datetime(2026, 11, 14, 2, 10, tzinfo=UTC)


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def cora(db):
    return make_user("cora", Role.COORDINATOR, email="cora@provider.example")


def test_the_seed_replayed_credits_each_site_and_the_debrief_shows_when_customers_were_told(cora):
    """75 sites down after the wrong switch was unplugged, back between 4 and 11.5 hours later."""
    SlaPlan.objects.create(name="Managed hosting", monthly_fee="300.00", block_minutes=30, block_percent=5)
    site = build_scene(start=False).site.site
    customers = Customer.objects.bulk_create(Customer(name=f"Customer {n:02}") for n in range(75))
    services = Service.objects.bulk_create(
        Service(customer=c, name=f"site-{n:02}", sla_plan="Managed hosting") for n, c in enumerate(customers)
    )
    Subscriber.objects.bulk_create(
        Subscriber(customer=c, email=f"ops@c{n:02}.example", confirmed_at=timezone.now())
        for n, c in enumerate(customers)
    )
    incident = Incident.declare(
        by=cora,
        site=site,
        title="Websites unreachable",
        impact=Impact.MAJOR,
        message="We are investigating reports that websites are unreachable.",
        services=[s.pk for s in services],
        started_at=CUT,
    )
    run_worker()
    back = {s.pk: CUT + timedelta(hours=4 + 7.5 * n / 74) for n, s in enumerate(services)}
    for pk, at in back.items():
        incident.restore(by=cora, services=[pk], at=at)
    incident.post_update(by=cora, state=IncidentState.RESOLVED, message="Every site is back.")
    run_worker()

    credits = {c.service.name: c.amount for c in downtime.propose(incident, by=cora).credits}
    assert len(credits) == 75
    assert credits["site-00"] == 120  # 4 h: 8 blocks of 5% of 300
    assert credits["site-37"] == 240  # 7 h 45 min: 16 blocks, 80%
    assert credits["site-74"] == 300  # 11 h 30 min: 23 blocks, capped at 100%

    debrief = Debrief.open_for(incident, by=cora)
    entries = reports.timeline(debrief)
    told = [e for e in entries if e.told]
    assert [e.what for e in told] == ["Customers told: incident update"] * 2
    assert all("sent to 75 of 75" in e.detail for e in told)
    assert [e.what for e in entries if not e.told][:2] == [
        "Incident began: services down",
        "Incident declared",
    ]
    assert entries[0].at == CUT
    numbers = reports.impact(debrief, entries)
    assert (numbers.services, numbers.customers) == (75, 75)
    assert numbers.longest == 690 and numbers.started == CUT
    assert numbers.minutes == sum(int((at - CUT).total_seconds()) for at in back.values()) // 60

    client = Client()
    client.force_login(cora)
    page = text_of(client.get(debrief.get_absolute_url()))
    assert "75 services down · 75 customers" in page and "the longest 690 min" in page
    assert "Customers told: incident update" in page and "sent to 75 of 75" in page


def test_the_questions_ask_what_and_how_never_who():
    form = AnswersForm()
    words = " ".join(f"{f.label} {f.help_text}" for name, f in form.fields.items() if name != "form")
    assert "What went well" in words and "Where we got lucky" in words and "Root cause" in words
    assert not re.search(r"\b(who|whom|whose|blame|fault)\b", words, flags=re.I)


def test_answers_are_saved_escaped_and_every_version_is_in_the_audit_log(cora):
    scene = build_scene()
    debrief = Debrief.open_for(scene.window, by=cora)
    assert Debrief.open_for(scene.window, by=cora) == debrief  # one per window
    client = KeyedClient()
    client.force_login(cora)
    url = debrief.get_absolute_url()
    response = client.post(
        url, {"form": "answers", "summary": "<script>alert(1)</script> A cable was moved."}
    )
    assert response.status_code == 302
    client.post(url, {"form": "answers", "summary": "A cable was moved.", "went_well": "The runbook held."})
    events = AuditEvent.objects.filter(action="debrief.written").order_by("seq")
    assert [sorted(e.payload) for e in events] == [["summary"], ["summary", "went_well"]]
    assert events.last().payload["summary"]["before"].startswith("<script>")
    response = client.post(url, {"form": "answers", "summary": "x" * 10_001})
    assert response.status_code == 400
    page = client.get(url).content.decode()
    assert "<script>alert(1)" not in page and "The runbook held." in page
    tess = Client()
    tess.force_login(users()["tess"])
    assert tess.get(url).status_code == 403


def test_a_window_that_never_ran_has_no_debrief(cora):
    scene = build_scene(start=False)
    assert not Debrief.may_open(cora, scene.window)
    with pytest.raises(DebriefRefused):
        Debrief.open_for(scene.window, by=cora)


def test_an_action_on_a_checklist_is_done_only_by_a_newer_version_and_shows_the_runbooks_built_from_it(cora):
    scene = build_scene()
    debrief = Debrief.open_for(scene.window, by=cora)
    standard = standard_template()
    action = debrief.add_action(
        by=cora,
        what="Audit the labels on both switches before any switch work",
        owner=users()["ada"],
        due=timezone.localdate() + timedelta(days=14),
        template=standard,
    )
    plain = debrief.add_action(
        by=cora, what="Brief the night shift", owner=cora, due=timezone.localdate() + timedelta(days=7)
    )
    with pytest.raises(DebriefRefused, match="due today or later"):
        debrief.add_action(by=cora, what="x", owner=cora, due=timezone.localdate() - timedelta(days=1))
    assert not action.may_close(cora) and plain.may_close(cora)
    with pytest.raises(DebriefRefused, match="newer version is published"):
        action.close(by=cora)

    # The lesson goes into the standard checklist: a label audit before anything is touched.
    steps = [
        {
            "kind": s.kind,
            "title": s.title,
            "instructions": s.instructions,
            "target_role": s.target_role,
            "show_neighbours": s.show_neighbours,
            "check_serial": s.check_serial,
            "is_rollback": s.is_rollback,
            "message": s.message,
        }
        for s in standard.steps.order_by("position")
    ]
    steps.insert(
        1,
        {
            "kind": StepKind.IDENTITY_CHECK,
            "title": "Audit the label on {asset}",
            "target_role": "*",
            "check_serial": True,
        },
    )
    newer = ChecklistTemplate.publish(slug=STANDARD_SLUG, title="Standard change", steps=steps, by=cora)
    assert action.may_close(cora)
    client = Client()
    client.force_login(cora)
    page = text_of(client.get(debrief.get_absolute_url()))
    assert f"Done: {newer} carries it" in page
    client.post(reverse("debriefs:action_close", args=[action.pk]), {"idem": "close-action-0001"})
    action.refresh_from_db()
    assert action.state == ActionState.DONE and action.done_with == newer

    # The next window's runbook is built from it, and the debrief says so.
    later = make_window(users()["rex"], scene.site.site, title="Replace fan tray")
    later.add_target(
        by=users()["rex"], action=TargetAction.UNPLUG, port=scene.site.port(scene.site.sw_b, "Eth1/1")
    )
    later.submit(by=users()["rex"])
    assert list(action.runs_since()) == [later.run]
    assert later.run.steps.filter(title__startswith="Audit the label on").exists()
    page = text_of(client.get(debrief.get_absolute_url()))
    assert f"Runbooks built from it since: {later.run.title}" in page


def test_a_report_is_published_to_the_pages_its_readers_see_and_a_correction_is_a_new_revision(cora):
    from comms.models import StatusLink
    from debriefs.models import Report, ReportAudience
    from tests.comms.conftest import contacts, unplug_web02

    contacts()
    scene = build_scene(targets=unplug_web02)
    incident = Incident.declare(
        by=cora,
        site=scene.site.site,
        title="Websites unreachable",
        impact=Impact.MAJOR,
        message="Investigating.",
        services=list(scene.run.approved_services),
        window=scene.window,
        started_at=timezone.now() - timedelta(hours=1),
    )
    debrief = Debrief.open_for(incident, by=cora)
    client = KeyedClient()
    client.force_login(cora)
    url = debrief.get_absolute_url()
    draft = client.get(url).content.decode()
    assert "This was our mistake" in draft and "1 service of 1 customer was down" in draft
    parts = {
        "form": "report",
        "title": "What happened on 14 November",
        "happened": "During planned work a cable was unplugged from the wrong switch. <b>bold</b>",
        "impact": "1 service of 1 customer was down, the longest for 1 h.",
        "did": "We plugged it back and checked every service.",
        "will_change": "- Audit the labels on both switches before any switch work",
        "responsibility": "This was our mistake. We are sorry.",
        "audience": ReportAudience.CUSTOMERS,
    }
    assert client.post(url, {**parts, "did": ""}).status_code == 400  # every part is written
    assert not Report.objects.exists()
    etag = Client().get("/status/")["ETag"]
    assert client.post(url, parts).status_code == 302

    beta = reverse(
        "incidents:status_private", args=[StatusLink.current(Customer.objects.get(name="Beta")).token]
    )
    acme = reverse(
        "incidents:status_private", args=[StatusLink.current(Customer.objects.get(name="Acme")).token]
    )
    assert "During planned work a cable was unplugged" in text_of(Client().get(beta))
    assert "&lt;b&gt;bold&lt;/b&gt;" in Client().get(beta).content.decode()
    assert "Our responsibility This was our mistake. We are sorry." in text_of(Client().get(beta))
    assert "During planned work" not in text_of(Client().get("/status/"))  # for the customers only
    assert "Websites unreachable" not in text_of(Client().get(acme))

    # Published to everyone, corrected: the newest revision shows, the first is kept.
    assert (
        client.post(
            url, {**parts, "audience": ReportAudience.PUBLIC, "impact": "One service, 1 h."}
        ).status_code
        == 302
    )
    public = Client().get("/status/", HTTP_IF_NONE_MATCH=etag)
    assert public.status_code == 200
    page = text_of(public)
    assert (
        "One service, 1 h." in page and "corrected (revision 2)" in page and "the longest for 1 h" not in page
    )
    assert list(Report.objects.values_list("revision", flat=True).order_by("revision")) == [1, 2]
    assert AuditEvent.objects.filter(action="debrief.report_published").count() == 2
    with pytest.raises(DebriefRefused):
        debrief.publish_report(by=users()["tess"], parts=parts, audience=ReportAudience.PUBLIC)
    # A correction for the customers only takes the public revision off the public page.
    client.post(url, {**parts, "audience": ReportAudience.CUSTOMERS, "impact": "The shop, 1 h."})
    assert "One service, 1 h." not in text_of(Client().get("/status/"))
    assert "The shop, 1 h." in text_of(Client().get(beta))


def test_the_debrief_pdf_carries_the_answers_the_timeline_and_the_audit_chains_head(cora, tmp_path):
    import subprocess

    from audit.models import AuditHead
    from tests.maintenance.test_runbook_pdf import pages_of, squeeze

    scene = build_scene()
    debrief = Debrief.open_for(scene.window, by=cora)
    debrief.write(by=cora, answers={"summary": "A cable was moved.", "went_well": "The interlock held."})
    debrief.add_action(by=cora, what="Label both switches", owner=cora, due=timezone.localdate())
    client = Client()
    client.force_login(cora)
    head = AuditHead.objects.get()
    response = client.get(reverse("debriefs:debrief_pdf", args=[debrief.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # A GET only renders: opening the link writes nothing in the reader's name.
    assert AuditHead.objects.get().seq == head.seq
    pages = pages_of(response.content)
    text = squeeze(" ".join(pages))
    assert f"Debrief of {scene.window.reference}" in text
    assert "What went well The interlock held." in text and "Where we got lucky (not answered)" in text
    assert "Label both switches" in text and "Work started" in text
    assert f"event #{head.seq}" in text and f"verify_audit --at {head.hash}" in text
    assert all(f"Page {n} of {len(pages)}" in page for n, page in enumerate(pages, start=1))
    # Looked at as a picture too (var/screenshots), like every PDF we print.
    out = tmp_path / "debrief.pdf"
    out.write_bytes(response.content)
    from tests.browser.conftest import SCREENSHOTS

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            "1",
            "-l",
            "1",
            str(out),
            str(SCREENSHOTS / "issue13-debrief-pdf"),
        ],
        check=True,
    )


def test_a_retried_post_on_the_debrief_page_acts_once(cora):
    scene = build_scene()
    debrief = Debrief.open_for(scene.window, by=cora)
    client = Client()
    client.force_login(cora)
    action = {
        "idem": "add-action-once-0001",
        "form": "action",
        "what": "Label both switches",
        "owner": cora.pk,
        "due": f"{timezone.localdate():%Y-%m-%d}",
    }
    first = client.post(debrief.get_absolute_url(), action)
    again = client.post(debrief.get_absolute_url(), action)
    assert first.status_code == again.status_code == 302
    assert debrief.actions.count() == 1
    assert client.post(debrief.get_absolute_url(), {**action, "idem": ""}).status_code == 400
    assert debrief.actions.count() == 1


def test_a_window_debrief_publishes_no_report_and_a_tech_is_not_offered_the_debrief(cora):
    from debriefs.models import ReportAudience

    scene = build_scene()
    debrief = Debrief.open_for(scene.window, by=cora)
    with pytest.raises(DebriefRefused, match="published for an incident"):
        debrief.publish_report(by=cora, parts={"title": "x"}, audience=ReportAudience.PUBLIC)
    tess = Client()
    tess.force_login(users()["tess"])
    assert debrief.get_absolute_url() not in tess.get(scene.window.get_absolute_url()).content.decode()
    holder = Client()
    holder.force_login(cora)
    assert debrief.get_absolute_url() in holder.get(scene.window.get_absolute_url()).content.decode()


def test_the_debriefs_page_lists_open_actions_overdue_first_and_a_tech_has_none(cora):
    scene = build_scene()
    debrief = Debrief.open_for(scene.window, by=cora)
    debrief.add_action(by=cora, what="Label both switches", owner=cora, due=timezone.localdate())
    late = debrief.add_action(
        by=cora, what="Brief the night shift", owner=users()["ada"], due=timezone.localdate()
    )
    type(late).objects.filter(pk=late.pk).update(due=timezone.localdate() - timedelta(days=2))
    client = Client()
    client.force_login(cora)
    page = text_of(client.get(reverse("debriefs:debriefs")))
    assert page.index("Overdue") < page.index("Brief the night shift") < page.index("Label both switches")
    assert "owner cora (you)" in page and f"From the debrief of {scene.window.reference}" in page
    assert "2 open actions" in page
    tess = Client()
    tess.force_login(users()["tess"])
    assert tess.get(reverse("debriefs:debriefs")).status_code == 403
