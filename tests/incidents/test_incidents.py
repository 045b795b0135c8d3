"""Incidents: declared from a window or on their own, moved forward by public updates that reach the affected
customers, restored service by service ("41 of 75 restored" is counted), and a coordinator told when customers
have heard nothing for too long."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.roles import Role
from audit.models import AuditEvent
from comms.models import NoticeKind, StatusLink
from comms.notices import notices_about
from incidents.models import Impact, Incident, IncidentRefused, IncidentState
from inventory.models import Customer, Service
from tests.checklists.conftest import build_scene, users
from tests.comms.conftest import contacts, run_worker, unplug_web02
from tests.conftest import KeyedClient, make_user

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


@pytest.fixture
def scene(db):
    contacts()
    scene = build_scene(targets=unplug_web02)
    make_user("cora", Role.COORDINATOR, email="cora@provider.example")
    return scene


def declare(scene, **more):
    more.setdefault("started_at", timezone.now() - timedelta(hours=1))
    more.setdefault("window", scene.window)
    return Incident.declare(
        by=users()["cora"],
        site=scene.site.site,
        title="Websites unreachable",
        impact=Impact.MAJOR,
        message="We are investigating.",
        services=list(scene.run.approved_services),
        **more,
    )


def test_declared_from_a_window_its_blast_radius_fills_the_form_and_customers_hear(scene):
    client = Client()
    client.force_login(users()["cora"])
    form = client.get(reverse("incidents:incident_new") + f"?window={scene.window.pk}").content.decode()
    beta = Service.objects.get(name="beta-LAX1")
    assert re.search(rf'value="{beta.pk}"[^>]*checked', form)
    response = client.post(
        reverse("incidents:incident_new"),
        {
            "window": scene.window.pk,
            "site": scene.site.site.pk,
            "title": "Websites unreachable",
            "impact": "major_outage",
            "message": "We are investigating.",
            "services": [beta.pk],
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == incident.get_absolute_url()
    assert incident.window == scene.window and incident.state == IncidentState.INVESTIGATING
    notice = notices_about(incident).get()
    assert (
        notice.kind == NoticeKind.INCIDENT
        and notice.subject == "Websites unreachable (Los Angeles 1): Investigating"
    )
    assert sorted(notice.deliveries.values_list("recipient", flat=True)) == [
        "cto@beta.example",
        "ops@beta.example",
    ]

    public = text_of(Client().get("/status/"))
    assert "✕ Major outage" in public and "Los Angeles 1 Major outage" in public
    assert "0 of 1 affected services restored" in public
    assert "We are investigating." in public and "Beta" not in public
    acme = text_of(
        Client().get(
            reverse(
                "incidents:status_private",
                args=[StatusLink.current(Customer.objects.get(name="Acme")).token],
            )
        )
    )
    assert "Websites unreachable" not in acme


def test_updates_move_forward_only_and_resolving_waits_for_every_service(scene):
    incident = declare(scene)
    cora = users()["cora"]
    incident.post_update(by=cora, state=IncidentState.IDENTIFIED, message="A cable was unplugged by mistake.")
    with pytest.raises(IncidentRefused, match="does not move it back"):
        incident.post_update(by=cora, state=IncidentState.INVESTIGATING, message="x")
    with pytest.raises(IncidentRefused, match="not marked restored"):
        incident.post_update(by=cora, state=IncidentState.RESOLVED, message="Done.")
    with pytest.raises(IncidentRefused, match="between the incident's start and now"):
        incident.restore(
            by=cora, services=list(scene.run.approved_services), at=timezone.now() + timedelta(hours=1)
        )
    at = timezone.now() - timedelta(seconds=5)
    assert incident.restore(by=cora, services=list(scene.run.approved_services), at=at) == 1
    # Marked once: a second mark keeps the first time.
    assert incident.restore(by=cora, services=list(scene.run.approved_services)) == 0
    assert incident.progress() == (1, 1)
    incident.post_update(by=cora, state=IncidentState.RESOLVED, message="All sites are back.")
    assert incident.resolved_at is not None and not incident.is_open
    with pytest.raises(IncidentRefused, match="resolved"):
        incident.post_update(by=cora, state=IncidentState.RESOLVED, message="again")
    kinds = list(notices_about(incident).values_list("subject", flat=True))
    assert len(kinds) == 3
    page = text_of(Client().get("/status/"))
    # The window is still running: maintenance, no longer an outage; the incident is history.
    assert "Maintenance under way" in page and "Major outage" not in page
    assert page.index("The last 90 days") < page.index("All sites are back.")
    assert AuditEvent.objects.filter(action="incident.restored").count() == 1


def test_only_a_coordinator_or_an_approver_declares_or_updates(scene):
    with pytest.raises(IncidentRefused):
        Incident.declare(
            by=users()["tess"],
            site=scene.site.site,
            title="x",
            impact=Impact.MAJOR,
            message="y",
            services=list(scene.run.approved_services),
        )
    tess = Client()
    tess.force_login(users()["tess"])
    assert tess.get(reverse("incidents:incidents")).status_code == 403
    assert tess.post(reverse("incidents:incident_new"), {}).status_code == 403


def test_bad_input_is_refused_in_words_and_declares_nothing(scene):
    client = Client()
    client.force_login(users()["cora"])
    response = client.post(
        reverse("incidents:incident_new"),
        {
            "site": scene.site.site.pk,
            "title": "<script>x</script>",
            "impact": "apocalypse",
            "message": "",
            "services": ["abc"],
        },
    )
    assert response.status_code == 400 and b"<script>x" not in response.content
    assert not Incident.objects.exists()


def test_seventy_five_sites_restored_one_by_one_are_counted_on_the_public_page(scene):
    customer = Customer.objects.create(name="Many")
    services = Service.objects.bulk_create(Service(customer=customer, name=f"site-{n:02}") for n in range(75))
    incident = Incident.declare(
        by=users()["cora"],
        site=scene.site.site,
        title="Websites down after a switch was unplugged",
        impact=Impact.MAJOR,
        message="We are investigating.",
        services=[s.pk for s in services],
        started_at=timezone.now() - timedelta(hours=4),
    )
    incident.restore(by=users()["cora"], services=[s.pk for s in services[:41]])
    assert "41 of 75 affected services restored" in text_of(Client().get("/status/"))
    # The customer's own page counts only their services: all 75 are theirs here.
    url = reverse("incidents:status_private", args=[StatusLink.current(customer).token])
    assert "41 of 75 of your services restored" in text_of(Client().get(url))


def test_silence_alerts_the_coordinator_and_an_update_ends_it(scene, settings):
    incident = declare(scene)
    run_worker()
    mail.outbox.clear()
    checks = DBTaskResult.objects.filter(task_path="incidents.tasks.check_incident_silence", status="READY")
    assert checks.count() == 1
    due = checks.get().run_after - timezone.now()
    assert timedelta(minutes=29) < due <= timedelta(minutes=30)

    type(incident).objects.filter(pk=incident.pk).update(
        last_update_at=timezone.now() - timedelta(minutes=31)
    )
    checks.update(run_after=timezone.now())
    run_worker()
    [alert] = mail.outbox
    assert alert.to == ["cora@provider.example"] and "no public update for 31 minutes" in alert.subject
    incident.refresh_from_db()
    assert incident.stale()
    client = Client()
    client.force_login(users()["cora"])
    assert "Customers are waiting" in client.get(reverse("incidents:incidents")).content.decode()

    # An update since: the next check finds it and says nothing.
    incident.post_update(by=users()["cora"], state=IncidentState.IDENTIFIED, message="Found it.")
    mail.outbox.clear()
    DBTaskResult.objects.filter(task_path="incidents.tasks.check_incident_silence", status="READY").update(
        run_after=timezone.now()
    )
    run_worker()
    assert [m for m in mail.outbox if "no public update" in m.subject] == []


def test_the_public_page_reads_incidents_in_the_same_queries_whatever_their_number(scene):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    declare(scene)
    with CaptureQueriesContext(connection) as one:
        Client().get("/status/")
    for _ in range(3):
        declare(scene)
    with CaptureQueriesContext(connection) as four:
        Client().get("/status/")
    # the newest audit event; windows; incidents, their services, their updates, their reports; sites; the
    # last window and incident to leave the 90 days
    assert len(one) == len(four) == 9


def test_impact_is_per_service_changes_as_the_work_goes_on_and_each_page_shows_its_own(scene):
    customer = Customer.objects.create(name="Many")
    down, slow, other = Service.objects.bulk_create(
        Service(customer=customer, name=name) for name in ("shop", "search", "mail")
    )
    cora = users()["cora"]
    incident = Incident.declare(
        by=cora,
        site=scene.site.site,
        title="Websites slow or down",
        impact=Impact.MAJOR,
        message="We are investigating.",
        services=[down.pk, slow.pk, other.pk],
        started_at=timezone.now() - timedelta(hours=1),
    )
    client = KeyedClient()
    client.force_login(cora)
    response = client.post(
        incident.get_absolute_url(),
        {"form": "impact", "services": [], "impact": "degraded"},
    )
    assert response.status_code == 400  # no service chosen: nothing changes
    rows = {row.service_id: row for row in incident.affected.all()}
    response = client.post(
        incident.get_absolute_url(), {"form": "impact", "services": [rows[slow.pk].pk], "impact": "degraded"}
    )
    assert response.status_code == 302
    assert dict(incident.affected.values_list("service_id", "impact")) == {
        down.pk: Impact.MAJOR,
        slow.pk: Impact.DEGRADED,
        other.pk: Impact.MAJOR,
    }
    event = AuditEvent.objects.get(action="incident.impact_changed")
    assert event.payload == {"impact": "degraded", "before": {str(slow.pk): "major_outage"}}

    private = reverse("incidents:status_private", args=[StatusLink.current(customer).token])
    page = text_of(Client().get(private))
    assert "search Degraded performance" in page and "shop Major outage" in page
    assert "Los Angeles 1 Major outage" in text_of(Client().get("/status/"))

    # The two down are back: what is left is the slow one, on every page.
    incident.restore(by=cora, services=[down.pk, other.pk])
    public = text_of(Client().get("/status/"))
    assert "Los Angeles 1 Degraded performance" in public and "Major outage" not in public
    assert "Degraded performance" in text_of(client.get(incident.get_absolute_url()))
    # A restored service's impact is history: changing it does nothing.
    assert incident.set_impact(by=cora, services=[down.pk], impact=Impact.PARTIAL) == 0
    with pytest.raises(IncidentRefused, match="Choose the impact"):
        incident.set_impact(by=cora, services=[slow.pk], impact="apocalypse")
    with pytest.raises(IncidentRefused, match="coordinator or an approver"):
        incident.set_impact(by=users()["tess"], services=[slow.pk], impact=Impact.MAJOR)
    assert AuditEvent.objects.filter(action="incident.impact_changed").count() == 1


def test_an_update_starts_from_the_admins_words_for_its_state(scene):
    from incidents.models import IncidentTemplate

    incident = declare(scene)
    IncidentTemplate.objects.create(
        state=IncidentState.INVESTIGATING, text="Our engineers are on it; next update within 30 minutes."
    )
    client = Client()
    client.force_login(users()["cora"])
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Our engineers are on it; next update within 30 minutes.</textarea>" in page
    # Every state's words go to the page's script, ours where the admin wrote none.
    assert "We have found the cause" in page
    new = client.get(reverse("incidents:incident_new")).content.decode()
    assert "Our engineers are on it" in new


def test_the_admin_sees_a_notice_template_filled_with_example_values(scene):
    from comms.models import NoticeTemplate

    admin = make_user("root", Role.ADMIN, is_superuser=True, is_staff=True)
    row = NoticeTemplate.objects.create(
        kind=NoticeKind.STARTED, subject="Work at $site began", body="Started <b>now</b>; ends by $end."
    )
    client = Client()
    client.force_login(admin)
    page = client.get(reverse("admin:comms_noticetemplate_change", args=[row.pk])).content.decode()
    assert "Subject: Work at Example DC 1 began" in page
    assert "Started &lt;b&gt;now&lt;/b&gt;; ends by Sat 12 Dec 2026 04:00." in page
    assert "<code>$reference</code>" in page


def test_a_window_not_started_offers_no_incident_and_refuses_one(scene):
    from maintenance.models import Window, WindowStatus

    Window.objects.filter(pk=scene.window.pk).update(status=WindowStatus.APPROVED)
    window = Window.objects.get(pk=scene.window.pk)
    cora = users()["cora"]
    assert not Incident.may_declare_from(window, cora)
    client = Client()
    client.force_login(cora)
    assert "Declare an incident" not in client.get(window.get_absolute_url()).content.decode()
    with pytest.raises(IncidentRefused, match="has not started"):
        declare(scene, window=window)
    Window.objects.filter(pk=window.pk).update(status=WindowStatus.IN_PROGRESS)
    window.refresh_from_db()
    assert Incident.may_declare_from(window, cora) and not Incident.may_declare_from(window, users()["tess"])
    assert "Declare an incident" in client.get(window.get_absolute_url()).content.decode()


def test_a_retried_update_is_posted_once_and_a_huge_service_id_is_a_clear_error(scene):
    incident = declare(scene)
    client = Client()
    client.force_login(users()["cora"])
    update = {"idem": "incident-update-0001", "form": "update", "state": "identified", "message": "Found it."}
    assert client.post(incident.get_absolute_url(), update).status_code == 302
    assert client.post(incident.get_absolute_url(), update).status_code == 302
    assert incident.updates.count() == 2  # the declaration's and this one, once
    for n, form in enumerate(("impact", "restore")):
        response = client.post(
            incident.get_absolute_url(),
            {
                "idem": f"huge-service-id-{n:04}",
                "form": form,
                "services": ["99999999999999999999999"],
                "impact": "major_outage",
            },
        )
        assert response.status_code == 400
    assert incident.affected.filter(restored_at__isnull=False).count() == 0
