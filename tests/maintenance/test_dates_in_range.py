"""Every date a person types is between 2000 and 2100 (lockstep.dates): a year outside it is a slip of the
finger, refused in words on the page where it was typed, and nothing is changed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from debriefs.models import Debrief
from incidents.models import Impact, Incident
from maintenance.models import Blackout, Window
from tests.checklists.conftest import build_scene, users
from tests.conftest import KeyedClient, make_user
from tests.maintenance.conftest import make_window

pytestmark = pytest.mark.django_db

REFUSED = "is not a year Lockstep takes: give a date between 2000 and 2100."


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def logged_in(user) -> Client:
    client = KeyedClient()
    client.force_login(user)
    return client


def plan(client, site, start: str, end: str):
    return client.post(
        reverse("maintenance:window_new"),
        {
            "site": site.pk,
            "title": "Replace sw-a optics",
            "type": "normal",
            "risk": "medium",
            "planned_start": start,
            "planned_end": end,
        },
    )


@pytest.mark.parametrize(
    ("start", "end", "year"),
    [
        ("9999-12-31T10:00", "9999-12-31T12:00", "9999"),
        ("1999-12-31T22:00", "2000-01-01T02:00", "1999"),
        ("2100-12-31T22:00", "2101-01-01T02:00", "2101"),
        ("0001-01-01T10:00", "2026-01-01T02:00", "1"),
    ],
)
def test_a_window_planned_outside_the_years_is_refused_and_not_created(rex, lax1, start, end, year):
    response = plan(logged_in(rex), lax1.site, start, end)

    assert response.status_code == 200
    assert f"{year} {REFUSED}" in text_of(response)
    assert not Window.objects.exists()


def test_the_last_day_of_2100_is_still_taken(rex, lax1):
    response = plan(logged_in(rex), lax1.site, "2100-12-31T10:00", "2100-12-31T12:00")

    assert response.status_code == 302 and Window.objects.get().local_start.year == 2100


def test_a_draft_moved_to_year_9999_is_refused_and_keeps_its_times(rex, lax1):
    window = make_window(rex, lax1.site)
    before = (window.planned_start, window.planned_end)

    response = logged_in(rex).post(
        reverse("maintenance:window_edit", args=[window.pk]),
        {
            "site": lax1.site.pk,
            "title": window.title,
            "type": "normal",
            "risk": "medium",
            "planned_start": "9999-12-31T10:00",
            "planned_end": "9999-12-31T12:00",
        },
    )

    assert REFUSED in text_of(response)
    window.refresh_from_db()
    assert (window.planned_start, window.planned_end) == before


@pytest.fixture
def running(db):
    scene = build_scene()
    make_user("cora", Role.COORDINATOR)
    return scene


def test_an_incident_that_started_in_1999_is_refused_and_not_declared(running):
    response = logged_in(users()["cora"]).post(
        reverse("incidents:incident_new"),
        {
            "site": running.site.site.pk,
            "title": "Websites unreachable",
            "impact": Impact.MAJOR,
            "started_at": "1999-12-31T23:00",
            "message": "We are investigating.",
            "services": [running.site.beta.pk],
        },
    )

    assert response.status_code == 400 and f"1999 {REFUSED}" in text_of(response)
    assert not Incident.objects.exists()


def test_a_service_restored_in_year_1_is_refused_and_stays_down(running):
    cora = users()["cora"]
    incident = Incident.declare(
        by=cora,
        site=running.site.site,
        title="Websites unreachable",
        impact=Impact.MAJOR,
        message="We are investigating.",
        services=[running.site.beta.pk],
        started_at=timezone.now() - timedelta(hours=1),
    )
    row = incident.affected.get()

    response = logged_in(cora).post(
        incident.get_absolute_url(), {"form": "restore", "services": [row.pk], "at": "0001-01-01T00:00"}
    )

    assert f"1 {REFUSED}" in text_of(response)
    row.refresh_from_db()
    assert row.restored_at is None


def test_a_debrief_action_due_in_2101_is_refused_and_not_added(running):
    cora = users()["cora"]
    debrief = Debrief.open_for(running.window, by=cora)

    response = logged_in(cora).post(
        debrief.get_absolute_url(),
        {"form": "action", "what": "Label both switches", "owner": cora.pk, "due": "2101-01-01"},
    )

    assert f"2101 {REFUSED}" in text_of(response)
    assert not debrief.actions.exists()


def test_a_blackout_typed_in_the_admin_for_year_9999_is_refused_and_not_saved(sam, lax1):
    response = logged_in(sam).post(
        reverse("admin:maintenance_blackout_add"),
        {
            "site": lax1.site.pk,
            "starts_0": "9999-12-30",
            "starts_1": "10:00:00",
            "ends_0": "9999-12-31",
            "ends_1": "10:00:00",
            "reason": "Peak season",
        },
    )

    assert response.status_code == 200 and f"9999 {REFUSED}" in text_of(response)
    assert not Blackout.objects.exists()
