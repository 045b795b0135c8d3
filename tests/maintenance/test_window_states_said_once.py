"""What the window pages filter and show is asked of the window, said once there: the list's active windows,
the approval queue, the board's progress cards, who may decide now and why the next step is not yours."""

from __future__ import annotations

import re
from datetime import timedelta
from itertools import cycle

import pytest
from django.urls import reverse

from accounts.roles import Role
from checklists.models import Run, RunStatus
from maintenance.models import TargetAction, Window
from tests.builders.people import make_user
from tests.builders.windows import make_window


@pytest.fixture
def windows(lax1, rex, ada, tess) -> dict[str, Window]:
    """One window in each state, each unplugging a port of sw-c, assigned to tess."""
    ports = cycle(lax1.sw_c.ports.order_by("pk"))

    def planned(title: str, *, start_in=timedelta(hours=-1), submit=True, approve=True) -> Window:
        window = make_window(rex, lax1.site, start_in=start_in, title=title)
        window.assignees.add(tess)
        window.add_target(by=rex, action=TargetAction.UNPLUG, port=next(ports))
        if submit:
            window.submit(by=rex)
        if submit and approve:
            window.approve(by=ada, comment="")
        return window

    made = {
        "draft": planned("Wdraft", submit=False),
        "submitted": planned("Wsubmitted", start_in=timedelta(hours=3), approve=False),
        "approved": planned("Wapproved", start_in=timedelta(hours=3)),
        "cancelled": planned("Wcancelled", start_in=timedelta(hours=5)),
        "running": planned("Wrunning"),
        "rolling": planned("Wrolling"),
        "rolled": planned("Wrolled"),
    }
    made["cancelled"].cancel(by=rex, reason="Not needed")
    for name in ("running", "rolling", "rolled"):
        made[name].start(by=tess)
    for name in ("rolling", "rolled"):
        made[name].abort(by=tess, reason="Wrong optic")
    Run.objects.filter(pk=made["rolled"].run_id).update(status=RunStatus.CLOSED)
    return {name: Window.objects.select_related("run").get(pk=w.pk) for name, w in made.items()}


def names(windows: dict[str, Window], queryset) -> set[str]:
    pks = set(queryset.values_list("pk", flat=True))
    return {name for name, window in windows.items() if window.pk in pks}


def test_the_active_windows_are_exactly_those_whose_is_active_is_true(windows):
    assert names(windows, Window.objects.active()) == {n for n, w in windows.items() if w.is_active}
    assert names(windows, Window.objects.active()) == {"submitted", "approved", "running"}


def test_the_queue_lists_exactly_the_windows_awaiting_a_decision(client, ada, windows):
    assert names(windows, Window.objects.awaiting_decision()) == {"submitted"}
    client.force_login(ada)
    page = client.get(reverse("maintenance:queue")).content.decode()
    assert {n for n, w in windows.items() if w.title in page} == {"submitted"}


def test_the_board_draws_a_progress_card_for_each_window_under_way(client, ada, windows):
    assert {n for n, w in windows.items() if w.is_under_way} == {"running", "rolling"}
    client.force_login(ada)
    page = client.get(reverse("maintenance:board")).content.decode()
    cards = re.findall(r'<article class="card live-card.*?</article>', page, re.S)
    assert {n for n, w in windows.items() if any(w.title in card for card in cards)} == {"running", "rolling"}


def test_a_window_has_ended_once_completed_or_aborted(windows):
    assert {n for n, w in windows.items() if w.has_ended} == {"rolling", "rolled"}


def test_only_a_submitted_window_is_decided_and_not_by_a_party_to_it(windows, ada, rex):
    abe = make_user("abe", Role.APPROVER)
    assert windows["submitted"].may_decide(abe)
    assert not windows["approved"].may_decide(abe)  # decided already
    assert not windows["submitted"].may_decide(rex)  # not an approver
    windows["submitted"].assignees.add(abe)
    assert not Window.objects.get(pk=windows["submitted"].pk).may_decide(abe)  # works on it


def test_the_next_step_says_why_it_is_not_yours(windows, ada, rex, tess):
    assert windows["submitted"].next_step_refusal(rex) == ""  # deciding is said only to approvers
    assert windows["submitted"].next_step_refusal(ada) == windows["submitted"].approval_refusal(ada)
    assert windows["approved"].next_step_refusal(rex) == windows["approved"].start_refusal(rex)
    assert windows["running"].next_step_refusal(rex) == windows["running"].complete_refusal(rex)
    assert windows["rolling"].next_step_refusal(rex) == windows["rolling"].finish_rollback_refusal(rex)
    assert windows["rolled"].next_step_refusal(tess) == ""  # its rollback is signed off: nothing is next
    assert windows["draft"].next_step_refusal(rex) == ""
