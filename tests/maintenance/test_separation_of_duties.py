"""A window's approver is never its requester, nor whoever submitted it, nor one of the techs assigned to it:
the model refuses, and no page offers the approve button the rule refuses; each says why, in words."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import Role
from maintenance.models import TargetAction, WindowDecision, WindowRefused, WindowStatus
from tests.builders.people import make_user
from tests.builders.windows import make_window


def _draft(requester, lax1, *assignees):
    window = make_window(requester, lax1.site)
    window.assignees.add(*assignees)
    window.add_target(by=requester, action=TargetAction.UNPLUG, port=lax1.port(lax1.sw_a, "Eth1/1"))
    return window


def _make_approver(user):
    user.groups.add(Group.objects.get_or_create(name=Role.APPROVER.value)[0])
    user._lockstep_roles = None  # roles are cached on the user object
    return user


def _refused_both_ways(window, user, match: str) -> None:
    with pytest.raises(WindowRefused, match=match):
        window.approve(by=user, comment="looks fine to me")
    with pytest.raises(WindowRefused, match=match):
        window.reject(by=user, comment="not like this")
    window.refresh_from_db()
    assert window.status == WindowStatus.SUBMITTED
    assert not WindowDecision.objects.filter(window=window).exists()


def _decision_area(client, window) -> str:
    page = client.get(window.get_absolute_url()).content.decode()
    return page.split("<h2>Actions</h2>", 1)[1]


def test_an_approver_who_submits_someone_elses_draft_cannot_approve_it_alone(lax1, rex, ada, tess):
    window = _draft(rex, lax1, tess)
    window.submit(by=ada)  # an approver may put a draft forward...
    assert window.submitted_by == ada
    _refused_both_ways(window, ada, "You submitted this window; another approver must decide on it.")
    assert not window.may_approve(ada)

    abe = make_user("abe", Role.APPROVER)  # ...and another approver decides on it
    assert window.may_approve(abe)
    window.approve(by=abe, comment="Second pair of eyes")
    assert window.status == WindowStatus.APPROVED


def test_a_tech_who_is_also_an_approver_cannot_approve_a_window_they_are_assigned_to(lax1, rex, tess, vic):
    vic = _make_approver(vic)
    window = _draft(rex, lax1, tess, vic)
    window.submit(by=rex)
    _refused_both_ways(window, vic, "You are assigned to work on this window")
    assert not window.may_approve(vic)


def test_the_requester_cannot_approve_or_reject_their_own_window(lax1, rex, tess):
    rex = _make_approver(rex)  # a requester who is an approver too
    window = _draft(rex, lax1, tess)
    window.submit(by=rex)
    _refused_both_ways(window, rex, "You requested this window; another approver must decide on it.")


def test_the_window_page_offers_no_approve_button_to_its_submitter_and_says_why(client, lax1, rex, ada, tess):
    window = _draft(rex, lax1, tess)
    window.submit(by=ada)
    client.force_login(ada)
    actions = _decision_area(client, window)
    assert 'value="approve"' not in actions and 'value="reject"' not in actions
    assert "You submitted this window; another approver must decide on it." in actions

    # A hand-made POST gets the same answer, and changes nothing.
    response = client.post(
        reverse("maintenance:window_action", args=[window.pk, "decide"]),
        {"decision": "approve", "comment": ""},
        follow=True,
    )
    assert "You submitted this window" in response.content.decode()
    window.refresh_from_db()
    assert window.status == WindowStatus.SUBMITTED


def test_the_window_page_offers_no_approve_button_to_an_assigned_approver(client, lax1, rex, tess, vic):
    vic = _make_approver(vic)
    window = _draft(rex, lax1, tess, vic)
    window.submit(by=rex)
    client.force_login(vic)
    actions = _decision_area(client, window)
    assert 'value="approve"' not in actions
    assert "You are assigned to work on this window; another approver must decide on it." in actions


def test_an_independent_approver_gets_the_buttons(client, lax1, rex, ada, tess):
    window = _draft(rex, lax1, tess)
    window.submit(by=rex)
    client.force_login(ada)
    actions = _decision_area(client, window)
    assert 'value="approve"' in actions and 'value="reject"' in actions
    assert "another approver must decide" not in actions


def test_the_queue_says_which_windows_are_not_this_approvers_to_decide(client, lax1, rex, ada, tess, vic):
    vic = _make_approver(vic)
    submitted_by_ada = _draft(rex, lax1, tess)
    submitted_by_ada.submit(by=ada)
    theirs = make_window(rex, lax1.site, title="Replace PSU")
    theirs.assignees.add(vic)
    theirs.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.web02)
    theirs.submit(by=rex)

    client.force_login(ada)
    rows = client.get(reverse("maintenance:queue")).content.decode().split("<tr class=")[1:]
    by_title = {next(t for t in ("Swap optics", "Replace PSU") if t in row): row for row in rows}
    assert "You submitted this window; another approver must decide on it." in by_title["Swap optics"]
    assert "Not yours to decide" not in by_title["Replace PSU"]

    client.force_login(vic)
    rows = client.get(reverse("maintenance:queue")).content.decode().split("<tr class=")[1:]
    by_title = {next(t for t in ("Swap optics", "Replace PSU") if t in row): row for row in rows}
    assert "You are assigned to work on this window" in by_title["Replace PSU"]
    assert "Not yours to decide" not in by_title["Swap optics"]


def test_the_approver_who_submitted_a_window_does_not_release_its_hold_points(lax1, rex, ada, tess, vic):
    from checklists.execution import release
    from checklists.models import StepKind, StepRefused
    from tests.builders.people import phone

    window = _draft(rex, lax1, tess, vic)
    window.submit(by=ada)
    abe = make_user("abe", Role.APPROVER)
    window.approve(by=abe, comment="ok")
    window.start(by=tess, now=window.planned_start)
    run = window.run
    assert not run.may_oversee(ada) and run.may_oversee(abe)
    hold = run.steps.get(kind=StepKind.HOLD_POINT)
    for step in run.sequence().filter(position__lt=hold.position):
        step.status = "complete"  # not under test here: only who may release
        step.save(update_fields=["status"])
    with pytest.raises(StepRefused, match="another approver releases"):
        release(hold, who=phone(ada))
    assert release(hold, who=phone(abe)) == "Hold point released."
