"""The status pages: public (sites, never customers), private per customer (only theirs), their feeds, and
correct validators so caches can keep them. No login anywhere."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from comms.models import StatusLink
from inventory.models import Customer
from maintenance.models import TargetAction, Window
from tests.checklists.conftest import build_scene, finish_steps_before, users
from tests.maintenance.conftest import make_window

pytestmark = pytest.mark.django_db

BETA_ONLY = lambda site: [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))]  # noqa: E731


@pytest.fixture
def scene(db):
    scene = build_scene(start=False, targets=BETA_ONLY)
    Window.objects.filter(pk=scene.window.pk).update(
        customer_summary="Network upgrade; sites may be offline."
    )
    scene.window.refresh_from_db()
    return scene


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def private_url(name: str) -> str:
    return reverse(
        "incidents:status_private", args=[StatusLink.current(Customer.objects.get(name=name)).token]
    )


def start_now(scene):
    Window.objects.filter(pk=scene.window.pk).update(planned_start=timezone.now() - timedelta(minutes=1))
    scene.window.refresh_from_db()
    scene.window.start(by=users()["tess"])


def test_the_public_page_follows_the_work_through_its_phases_and_never_names_a_customer(scene):
    client = Client()
    page = text_of(client.get("/status/"))
    assert "Los Angeles 1 Operational" in page and "All systems operational" in page
    assert "Upcoming maintenance Los Angeles 1 · Scheduled Maintenance at Los Angeles 1" in page
    assert "Network upgrade; sites may be offline." in page

    start_now(scene)
    page = text_of(client.get("/status/"))
    assert "Los Angeles 1 Under maintenance" in page and "Under way now" in page and "· In progress" in page

    # Every planned cut done, the checks remain: verifying (the runbook's progress, not the clock).
    destructive = scene.run.steps.filter(kind="destructive").order_by("-position").first()
    finish_steps_before(scene, destructive.position + 1)
    assert "· Verifying" in text_of(client.get("/status/"))

    finish_steps_before(scene, 10_000)
    scene.window.complete(by=users()["tess"])
    page = text_of(client.get("/status/"))
    assert "The last 90 days Los Angeles 1 · Completed" in page and "All systems operational" in page
    for private in ("Acme", "Beta", "acme-LAX1", "beta-LAX1", "Swap optics", "sw-a", "web02"):
        assert private not in page


def test_drafts_and_submissions_are_not_public_and_a_cancelled_announcement_is(scene):
    people = users()
    make_window(people["rex"], scene.site.site, title="Secret plan")
    scene.window.cancel(by=people["rex"], reason="moved")
    page = text_of(Client().get("/status/"))
    assert "Secret plan" not in page and page.count("Maintenance at Los Angeles 1") == 1
    assert "· Cancelled" in page


def test_a_customers_private_page_shows_only_its_own_services_and_maintenance(scene):
    client = Client()
    beta = text_of(client.get(private_url("Beta")))
    assert "Private page · only for Beta" in beta and "Beta Operational" in beta
    assert "Maintenance at Los Angeles 1" in beta
    start_now(scene)
    assert "Beta Under maintenance" in text_of(client.get(private_url("Beta")))
    # Acme's server is not on the cut port: Acme sees neither the work nor Beta.
    acme = text_of(client.get(private_url("Acme")))
    assert "Acme Operational" in acme and "Maintenance at Los Angeles 1" not in acme and "Beta" not in acme


def test_the_customer_rotates_the_link_and_the_old_one_stops_working(scene):
    client = Client(enforce_csrf_checks=True)
    old = private_url("Beta")
    page = client.get(old)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    moved = client.post(old, {"csrfmiddlewaretoken": token})
    assert moved.status_code == 302 and moved["Location"] != old
    assert client.get(moved["Location"]).status_code == 200
    gone = client.get(old)
    assert gone.status_code == 404 and b"replaced by a newer link" in gone.content
    # A second press of the button (a double click) on the link just replaced: said in words, not a 500.
    again = client.post(old, {"csrfmiddlewaretoken": token})
    assert again.status_code == 404 and b"replaced by a newer link" in again.content
    assert client.get("/status/c/not-a-real-token-at-all-x/").status_code == 404
    assert client.get("/status/c/%3Cscript%3E/").status_code == 404


def test_pages_answer_304_while_nothing_changed_and_200_after_a_change(scene):
    client = Client()
    first = client.get("/status/")
    # No cookie of any kind (a shared cache would hand it to everyone): not the session's, not the phone id's.
    assert first["Cache-Control"] == "public, max-age=30" and not first.cookies
    assert "Cookie" not in first.get("Vary", "")
    etag, modified = first["ETag"], first["Last-Modified"]
    assert client.get("/status/", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/status/", headers={"If-Modified-Since": modified}).status_code == 304
    start_now(scene)
    after = client.get("/status/", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after["ETag"] != etag
    private = client.get(private_url("Beta"))
    assert "private" in private["Cache-Control"] and "public" not in private["Cache-Control"]


def test_the_public_page_reads_in_the_same_queries_whatever_the_number_of_windows(scene):
    client = Client()
    with CaptureQueriesContext(connection) as few:
        client.get("/status/")
    people = users()
    for n in range(4):
        window = make_window(
            people["rex"], scene.site.site, title=f"w{n}", start_in=timedelta(hours=30 + n * 6)
        )
        Window.objects.filter(pk=window.pk).update(status="cancelled")
    with CaptureQueriesContext(connection) as many:
        client.get("/status/")
    # the newest audit event; the windows with their sites, runs, cut counts and approvals; the incidents
    # (none); the sites; the last window and incident to leave the 90 days
    assert len(few) == len(many) == 6
    url = private_url("Beta")
    with CaptureQueriesContext(connection) as private:
        client.get(url)
    # the link with its customer; the newest audit event; the windows; the customer's services; the
    # incidents; the sites; the last window and incident to leave the 90 days
    assert len(private) == 8


def test_the_feeds_say_the_same_as_the_page(scene):
    client = Client()
    atom = client.get("/status/feed.atom")
    assert atom["Content-Type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    entries = ET.fromstring(atom.content).findall("a:entry", ns)
    assert [e.find("a:title", ns).text for e in entries] == ["Maintenance at Los Angeles 1: Scheduled"]
    site_atom = client.get(reverse("incidents:status_site_atom", args=["LAX1"]))
    assert len(ET.fromstring(site_atom.content).findall("a:entry", ns)) == 1

    data = client.get("/status/status.json").json()
    assert data["status"] == "Operational" and data["components"] == [
        {"id": "LAX1", "name": "Los Angeles 1", "status": "Operational"}
    ]
    assert [m["phase"] for m in data["upcoming"]] == ["Scheduled"] and "services" not in data

    approved_at = ET.fromstring(atom.content).find("a:entry/a:updated", ns).text
    scene.window.cancel(by=users()["rex"], reason="moved")
    scene.window.refresh_from_db()
    # The cancellation is news: the entry's "updated" and the event's LAST-MODIFIED move to it.
    entry = ET.fromstring(client.get("/status/feed.atom").content).find("a:entry", ns)
    assert entry.find("a:title", ns).text == "Maintenance at Los Angeles 1: Cancelled"
    assert entry.find("a:updated", ns).text > approved_at
    cancelled_at = scene.window.status_changed_at.astimezone(UTC)
    ics = client.get("/status/maintenance.ics")
    assert f"LAST-MODIFIED:{cancelled_at:%Y%m%dT%H%M%SZ}" in ics.content.decode()
    assert ics["Content-Type"].startswith("text/calendar")
    body = ics.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    unfolded = body.replace("\r\n ", "")
    assert f"UID:maintenance-{scene.window.pk}@localhost:8000" in unfolded
    assert "STATUS:CANCELLED" in unfolded
    assert "DESCRIPTION:Network upgrade\\; sites may be offline." in unfolded
    start = scene.window.planned_start.astimezone(timezone.UTC if hasattr(timezone, "UTC") else None)
    assert f"DTSTART:{start:%Y%m%dT%H%M%SZ}" in unfolded
