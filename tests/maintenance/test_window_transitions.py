"""Every transition, allowed and refused, by role. Refusals change nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.log import verify_chain
from audit.models import AuditEvent
from maintenance.models import TargetAction, WindowDecision, WindowRefused, WindowStatus, WindowType
from tests.builders.windows import make_window


@pytest.fixture
def draft(lax1, rex, tess):
    window = make_window(rex, lax1.site)
    window.assignees.add(tess)
    window.add_target(by=rex, action=TargetAction.UNPLUG, port=lax1.port(lax1.sw_a, "Eth1/1"))
    return window


@pytest.fixture
def submitted(draft, rex):
    draft.submit(by=rex)
    return draft


@pytest.fixture
def approved(submitted, ada):
    submitted.approve(by=ada, comment="ok")
    return submitted


def actions_on(window) -> list[str]:
    return list(AuditEvent.objects.for_object(window).values_list("action", flat=True))


def test_submitting_computes_the_blast_radius_and_is_audited(draft, rex):
    snapshot = draft.submit(by=rex)
    assert draft.status == WindowStatus.SUBMITTED and draft.submission == 1
    # web02 is single-homed to sw-a Eth1/2, not Eth1/1: unplugging Eth1/1 only takes web01's one leg.
    assert snapshot.service_count == 0
    assert "window.submitted" in actions_on(draft)


def test_a_window_without_targets_cannot_be_submitted(lax1, rex):
    window = make_window(rex, lax1.site)
    with pytest.raises(WindowRefused, match="at least one target"):
        window.submit(by=rex)
    window.refresh_from_db()
    assert window.status == WindowStatus.DRAFT


def test_someone_else_cannot_submit_my_window(draft, tess):
    with pytest.raises(WindowRefused, match="Only the requester"):
        draft.submit(by=tess)


def test_an_approver_approves_with_a_comment(submitted, ada):
    decision = submitted.approve(by=ada, comment="Looks safe")
    assert submitted.status == WindowStatus.APPROVED
    assert (decision.by, decision.submission, decision.comment) == (ada, 1, "Looks safe")
    assert actions_on(submitted)[-1] == "window.approved"


def test_the_requester_can_never_approve_their_own_window(lax1, ada, tess):
    window = make_window(ada, lax1.site)  # ada, an approver, requested it herself
    window.add_target(by=ada, action=TargetAction.UNPLUG, port=lax1.port(lax1.sw_a, "Eth1/1"))
    window.submit(by=ada)
    with pytest.raises(WindowRefused, match="another approver must decide"):
        window.approve(by=ada, comment="")
    window.refresh_from_db()
    assert window.status == WindowStatus.SUBMITTED
    assert not WindowDecision.objects.exists()


def test_a_tech_cannot_approve(submitted, tess):
    with pytest.raises(WindowRefused, match="Only an approver"):
        submitted.approve(by=tess, comment="")
    submitted.refresh_from_db()
    assert submitted.status == WindowStatus.SUBMITTED


def test_rejecting_needs_a_reason_and_sends_the_window_back_to_draft(submitted, ada, rex):
    with pytest.raises(WindowRefused, match="Say why"):
        submitted.reject(by=ada, comment=" ")
    submitted.reject(by=ada, comment="Move it out of business hours")
    assert submitted.status == WindowStatus.DRAFT
    assert submitted.decisions.get().comment == "Move it out of business hours"
    # The requester changes it and submits again: a new round, a new decision.
    submitted.submit(by=rex)
    submitted.approve(by=ada, comment="")
    assert submitted.submission == 2 and submitted.status == WindowStatus.APPROVED


def test_deciding_twice_is_refused_with_who_decided(approved, ada):
    from accounts.roles import Role
    from tests.builders.people import make_user

    other = make_user("abe", Role.APPROVER)
    with pytest.raises(WindowRefused, match="Already approved by ada"):
        approved.reject(by=other, comment="no")


def test_a_draft_cannot_be_approved(draft, ada):
    with pytest.raises(WindowRefused, match="draft cannot be approved"):
        draft.approve(by=ada, comment="")


def test_a_window_cannot_start_before_its_planned_start(approved, tess):
    with pytest.raises(WindowRefused, match="may not start before its planned start"):
        approved.start(by=tess)
    approved.start(by=tess, now=approved.planned_start + timedelta(minutes=1))
    assert approved.status == WindowStatus.IN_PROGRESS


def test_an_emergency_window_may_start_early(lax1, rex, ada, tess):
    window = make_window(rex, lax1.site, type=WindowType.EMERGENCY)
    window.assignees.add(tess)
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.web02)
    window.submit(by=rex)
    window.approve(by=ada, comment="go")
    window.start(by=tess)
    assert window.status == WindowStatus.IN_PROGRESS
    assert AuditEvent.objects.get(action="window.started").payload == {"early": True}


def test_only_an_assigned_tech_or_an_approver_starts_a_window(approved, vic):
    with pytest.raises(WindowRefused, match="assigned"):
        approved.start(by=vic, now=approved.planned_start)


def test_a_running_window_completes_or_aborts_with_a_reason(approved, tess):
    approved.start(by=tess, now=approved.planned_start)
    with pytest.raises(WindowRefused, match="Say why"):
        approved.abort(by=tess, reason="")
    approved.abort(by=tess, reason="Wrong optics delivered")
    assert approved.status == WindowStatus.ABORTED and approved.ended_at is not None
    with pytest.raises(WindowRefused, match="aborted"):
        approved.complete(by=tess)


def test_a_window_running_past_its_planned_end_is_overrunning(approved, tess):
    approved.start(by=tess, now=approved.planned_start)
    assert not approved.is_overrunning
    approved.planned_end = timezone.now() - timedelta(minutes=1)
    assert approved.is_overrunning


def test_cancelling_is_for_the_requester_or_an_approver_before_the_window_runs(approved, tess, rex):
    with pytest.raises(WindowRefused, match="requester or an approver"):
        approved.cancel(by=tess, reason="")
    approved.cancel(by=rex, reason="Vendor postponed")
    assert approved.status == WindowStatus.CANCELLED
    with pytest.raises(WindowRefused, match="cancelled cannot be started"):
        approved.start(by=tess, now=approved.planned_start)


def test_a_running_window_cannot_be_cancelled(approved, tess, ada):
    approved.start(by=tess, now=approved.planned_start)
    with pytest.raises(WindowRefused, match="in progress cannot be cancelled"):
        approved.cancel(by=ada, reason="")


def test_targets_change_only_while_a_draft_and_only_by_the_requester(submitted, draft, rex, tess, lax1):
    with pytest.raises(WindowRefused, match="Only a draft"):
        submitted.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.web02)


def test_a_target_must_be_at_the_windows_site_and_fit_its_action(lax1, rex):
    from tests.builders.sites import build_redundant_site

    window = make_window(rex, lax1.site)
    other = build_redundant_site("SFO1")
    with pytest.raises(WindowRefused, match="not at LAX1"):
        window.add_target(by=rex, action=TargetAction.POWER_OFF, device=other.sw_a)
    with pytest.raises(WindowRefused, match="A port can be"):
        window.add_target(by=rex, action=TargetAction.POWER_OFF, port=lax1.port(lax1.sw_a, "Eth1/1"))
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.sw_a)
    with pytest.raises(WindowRefused, match="already a target"):
        window.add_target(by=rex, action=TargetAction.REPLACE, device=lax1.sw_a)


def test_the_whole_life_of_a_window_is_in_the_audit_log(approved, tess):
    # (Completing, which needs the runbook worked through, is in tests/checklists/test_step_gates.py.)
    approved.start(by=tess, now=approved.planned_start)
    approved.abort(by=tess, reason="Vendor shipped the wrong optics")
    assert actions_on(approved) == [
        "window.target_added",
        "window.submitted",
        "window.approved",
        "window.started",
        "window.aborted",
    ]
    assert verify_chain().ok
