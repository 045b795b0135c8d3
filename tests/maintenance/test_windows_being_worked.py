"""Which windows are being worked is said once, on the window's queryset: `live()` is exactly `is_live`, and
the approver's board and the tech's Today page list exactly `on_board()` and `today_for()`, whatever state
each window is in (planned, running, paused, rolling back, rolled back, cancelled)."""

from __future__ import annotations

from datetime import timedelta
from itertools import cycle

import pytest
from django.urls import reverse
from django.utils import timezone

from checklists.models import Run, RunStatus
from maintenance.models import TargetAction, Window
from maintenance.views.board import BOARD_DAYS
from tests.maintenance.conftest import make_window


@pytest.fixture
def windows(lax1, rex, ada, tess, vic) -> dict[str, Window]:
    """One window in each state, each unplugging a port of sw-c, all assigned to tess and vic."""
    ports = cycle(lax1.sw_c.ports.order_by("pk"))

    def planned(title: str, *, start_in=timedelta(hours=-1), submit=True, approve=True) -> Window:
        window = make_window(rex, lax1.site, start_in=start_in, title=title)
        window.assignees.add(tess, vic)
        window.add_target(by=rex, action=TargetAction.UNPLUG, port=next(ports))
        if submit:
            window.submit(by=rex)
        if submit and approve:
            window.approve(by=ada, comment="")
        return window

    made = {
        "draft": planned("Wdraft", submit=False),
        "submitted": planned("Wsubmitted", start_in=timedelta(hours=3), approve=False),
        "soon": planned("Wsoon", start_in=timedelta(hours=3)),
        "later": planned("Wlater", start_in=timedelta(days=BOARD_DAYS + 2)),
        "cancelled": planned("Wcancelled", start_in=timedelta(hours=5)),
        "running": planned("Wrunning"),
        "paused": planned("Wpaused"),
        "rolling": planned("Wrolling"),
        "rolled": planned("Wrolled"),
    }
    made["cancelled"].cancel(by=rex, reason="Not needed")
    for name in ("running", "paused", "rolling", "rolled"):
        made[name].start(by=tess)
    made["paused"].pause(by=ada, reason="Customer call")
    for name in ("rolling", "rolled"):
        made[name].abort(by=tess, reason="Wrong optic")
    # Its rollback signed off: the runbook is closed, as finish_rollback leaves it.
    Run.objects.filter(pk=made["rolled"].run_id).update(status=RunStatus.CLOSED)
    return {name: Window.objects.select_related("run").get(pk=w.pk) for name, w in made.items()}


def names(windows: dict[str, Window], queryset) -> set[str]:
    pks = set(queryset.values_list("pk", flat=True))
    return {name for name, window in windows.items() if window.pk in pks}


def listed(client, user, url: str, windows: dict[str, Window]) -> set[str]:
    client.force_login(user)
    page = client.get(url).content.decode()
    return {name for name, window in windows.items() if window.title in page}


def test_live_is_exactly_the_windows_whose_is_live_is_true(windows):
    assert names(windows, Window.objects.live()) == {n for n, w in windows.items() if w.is_live}
    assert names(windows, Window.objects.live()) == {"running", "paused", "rolling"}


def test_the_board_lists_exactly_its_windows_and_every_live_one(client, ada, windows):
    on_board = names(windows, Window.objects.on_board(now=timezone.now(), days=BOARD_DAYS))
    assert listed(client, ada, reverse("maintenance:board"), windows) == on_board
    assert names(windows, Window.objects.live()) <= on_board
    assert on_board == {"submitted", "soon", "running", "paused", "rolling"}


def test_the_tech_lists_exactly_her_windows_of_today(client, tess, olive, windows):
    today = names(windows, Window.objects.today_for(tess, now=timezone.now()))
    assert listed(client, tess, reverse("maintenance:tech_today"), windows) == today
    assert today == {"soon", "running", "paused", "rolling"}
    assert not Window.objects.today_for(olive, now=timezone.now()).exists()  # assigned to none


def test_customers_are_told_of_windows_past_submission_only(windows):
    assert names(windows, Window.objects.public()) == set(windows) - {"draft", "submitted"}
