"""One rule for who reads a run and its records (`Run.may_view`): the run page, each step page and its
refresh, the printed runbook and the as-run record all give each person the same answer. The people on the
work and whoever asked for it read them, and the desk reads every run; another tech, and anyone without a
role, reads none of them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from tests.builders.people import make_user, users
from tests.builders.scenes import Scene, build_scene

pytestmark = pytest.mark.django_db

READERS = {"tess", "vic", "rex", "ada", "cora", "sam"}  # on it, on it, asked for it, the desk
NOT_READERS = {"walt", "olive"}  # a tech not on this window; someone with no role


@pytest.fixture
def scene(db) -> Scene:
    """rex's window, worked by tess and vic, approved by ada and under way."""
    scene = build_scene()
    make_user("cora", Role.COORDINATOR)
    make_user("sam", Role.ADMIN, is_staff=True, is_superuser=True)
    make_user("olive")
    return scene


def records_of(scene: Scene) -> list[tuple[str, dict]]:
    run, window = scene.run, scene.window
    steps = list(run.steps.order_by("position"))
    return [
        (run.get_absolute_url(), {}),
        (reverse("checklists:run_current", args=[run.pk]), {}),
        *[(step.get_absolute_url(), {}) for step in steps],
        (steps[0].get_absolute_url(), {"HX-Request": "true"}),  # the step panel's refresh every 3 s
        (reverse("maintenance:runbook_pdf", args=[window.pk]), {}),
        (reverse("maintenance:as_run_pdf", args=[window.pk]), {}),
    ]


def answers(scene: Scene, username: str) -> dict[str, int]:
    client = Client()
    client.force_login(users()[username])
    return {
        url + (" (refresh)" if headers else ""): client.get(url, headers=headers).status_code
        for url, headers in records_of(scene)
    }


@pytest.mark.parametrize("username", sorted(READERS))
def test_who_reads_the_run_reads_every_record_of_it(scene, username):
    answered = answers(scene, username)

    assert all(code in (200, 302) for code in answered.values()), answered
    assert scene.run.may_view(users()[username])


@pytest.mark.parametrize("username", sorted(NOT_READERS))
def test_who_may_not_read_the_run_reads_no_record_of_it(scene, username):
    answered = answers(scene, username)

    assert all(code in (403, 404) for code in answered.values()), answered
    assert not scene.run.may_view(users()[username])


def test_the_window_page_offers_the_printed_runbook_to_exactly_those_who_may_read_it(scene):
    runbook = reverse("maintenance:runbook_pdf", args=[scene.window.pk])
    for username in sorted(READERS | {"walt"}):
        client = Client()
        client.force_login(users()[username])

        page = client.get(scene.window.get_absolute_url())

        assert page.status_code == 200
        assert (runbook in page.content.decode()) == (username in READERS), username
