"""A time stored before dates were checked, for the last half hour of year 9999 (UTC), at a site whose time
zone is then changed to Kiritimati (UTC+14), where that half hour falls in year 10000: Python's calendar ends
before it. Every page still answers, showing the true time in UTC and saying so."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pypdf
import pytest
from django.test import Client
from django.urls import reverse

from comms.models import StatusLink
from inventory.models import Customer, Site
from maintenance.models import TargetAction, Window
from tests.checklists.conftest import Scene, build_scene, users
from tests.maintenance.conftest import make_window

pytestmark = pytest.mark.django_db

LAST_HALF_HOUR = (datetime(9999, 12, 31, 23, 30, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC))


def unplug_web02(site) -> list:
    # web02 hangs off sw-a Eth1/2 alone: Beta's site goes down, so Beta's own page lists the window.
    return [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))]


@pytest.fixture
def scene(db) -> Scene:
    """rex's window being worked by tess and vic; another of his waiting for ada; a third still a draft. All
    three planned for year 9999's last half hour, then LAX1 moves to Kiritimati."""
    scene = build_scene(targets=unplug_web02)
    rex = users()["rex"]
    waiting = make_window(rex, scene.site.site, title="Reseat sw-c")
    waiting.add_target(by=rex, action=TargetAction.UNPLUG, port=scene.site.port(scene.site.sw_c, "Eth1/1"))
    waiting.submit(by=rex)
    make_window(rex, scene.site.site, title="Still a draft")
    start, end = LAST_HALF_HOUR
    Window.objects.update(planned_start=start, planned_end=end)
    Site.objects.filter(pk=scene.site.site.pk).update(time_zone="Pacific/Kiritimati")
    return scene


def as_user(username: str | None) -> Client:
    client = Client()
    if username:
        client.force_login(users()[username])
    return client


def text_of(response) -> str:
    if response["Content-Type"].startswith("application/pdf"):
        pages = pypdf.PdfReader(io.BytesIO(response.content)).pages
        return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in pages))
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def draft() -> Window:
    return Window.objects.get(title="Still a draft")


PAGES = {
    "window list": ("rex", lambda s: reverse("maintenance:window_list")),
    "approval queue": ("ada", lambda s: reverse("maintenance:queue")),
    "board": ("ada", lambda s: reverse("maintenance:board")),
    "window page": ("ada", lambda s: s.window.get_absolute_url()),
    "editing the draft": ("rex", lambda s: reverse("maintenance:window_edit", args=[draft().pk])),
    "runbook PDF": ("tess", lambda s: reverse("maintenance:runbook_pdf", args=[s.window.pk])),
    "as-run PDF": ("ada", lambda s: reverse("maintenance:as_run_pdf", args=[s.window.pk])),
    "tech's today": ("tess", lambda s: reverse("maintenance:tech_today")),
    "public status page": (None, lambda s: reverse("incidents:status")),
    "site's status page": (None, lambda s: reverse("incidents:status_site", args=["LAX1"])),
    "customer's own page": (
        None,
        lambda s: reverse(
            "incidents:status_private", args=[StatusLink.current(Customer.objects.get(name="Beta")).token]
        ),
    ),
    "Atom feed": (None, lambda s: reverse("incidents:status_atom")),
    "site's Atom feed": (None, lambda s: reverse("incidents:status_site_atom", args=["LAX1"])),
}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_still_answers_and_shows_the_time_in_utc_saying_so(scene, page):
    username, url = PAGES[page]

    response = as_user(username).get(url(scene))

    assert response.status_code == 200
    if page != "editing the draft":
        shown = text_of(response)
        assert "9999" in shown and "UTC" in shown


def test_the_window_page_gives_the_span_on_one_clock(scene):
    shown = text_of(as_user("ada").get(scene.window.get_absolute_url()))

    assert "Fri 31 Dec 9999, 23:30 \u2013 23:59 UTC" in shown  # an en dash between them


def test_the_draft_leaves_its_times_to_be_typed_again_rather_than_offer_utc_as_site_time(scene):
    form = as_user("rex").get(reverse("maintenance:window_edit", args=[draft().pk])).content.decode()

    assert 'name="planned_start"' in form and "9999-12-31T23:30" not in form


def test_the_pages_that_speak_utc_and_the_runbook_on_the_phone_answer_too(scene):
    """These never converted the time (JSON and iCalendar give UTC; the phone pages show steps): pinned."""
    token = StatusLink.current(Customer.objects.get(name="Beta")).token
    anyone, tess = as_user(None), as_user("tess")
    for client, url in (
        (anyone, reverse("incidents:status_json")),
        (anyone, reverse("incidents:status_ics")),
        (anyone, reverse("incidents:status_private_ics", args=[token])),
        (tess, reverse("checklists:run", args=[scene.run.pk])),
        (tess, reverse("checklists:step", args=[scene.run.pk, 1])),
    ):
        assert client.get(url).status_code == 200, url
    assert as_user(None).get(reverse("incidents:status_json")).json()["open"][0]["ends"] == (
        "9999-12-31T23:59:00+00:00"
    )
