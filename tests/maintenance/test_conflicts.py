"""Conflicts: overlapping windows on the same port, device or rack; a redundant pair cut by two windows;
blackouts; a tech booked twice."""

from __future__ import annotations

from datetime import timedelta

from maintenance.models import Blackout, TargetAction, WindowType, find_conflicts
from tests.builders.windows import make_window


def submitted_window(requester, lax1, *targets, **extra):
    window = make_window(requester, lax1.site, **extra)
    for action, asset in targets:
        key = "port" if hasattr(asset, "device_id") and asset.__class__.__name__ == "Port" else "device"
        window.add_target(by=requester, action=action, **{key: asset})
    window.submit(by=requester)
    return window


def kinds(conflicts) -> list[str]:
    return [c.kind for c in conflicts]


def test_two_windows_on_the_same_port_at_the_same_time_conflict(lax1, rex, tess):
    port = lax1.port(lax1.sw_a, "Eth1/3")
    first = submitted_window(rex, lax1, (TargetAction.UNPLUG, port))
    second = submitted_window(tess, lax1, (TargetAction.RECONNECT, port))
    conflicts = find_conflicts(second)
    assert kinds(conflicts) == ["same_port"]
    assert conflicts[0].other == first and "sw-a Eth1/3" in conflicts[0].reason
    assert kinds(find_conflicts(first)) == ["same_port"]  # and the earlier window sees it too


def test_a_port_and_its_own_device_conflict_as_the_same_device(lax1, rex, tess):
    submitted_window(rex, lax1, (TargetAction.UNPLUG, lax1.port(lax1.sw_c, "Eth1/3")))
    second = submitted_window(tess, lax1, (TargetAction.REPLACE, lax1.sw_c))
    assert "same_device" in kinds(find_conflicts(second))


def test_two_windows_in_the_same_rack_conflict(lax1, rex, tess):
    submitted_window(rex, lax1, (TargetAction.UNPLUG, lax1.port(lax1.sw_a, "Eth1/3")))
    second = submitted_window(tess, lax1, (TargetAction.UNPLUG, lax1.port(lax1.sw_b, "Eth1/3")))
    conflicts = find_conflicts(second)
    assert kinds(conflicts) == ["same_rack"]
    assert "rack A01" in conflicts[0].reason


def test_a_redundant_pair_worked_on_by_two_windows_at_once_conflicts(lax1, rex, tess):
    # Each window alone unplugs one of web01's two uplinks: Acme stays up. Together Acme goes down.
    first = submitted_window(rex, lax1, (TargetAction.UNPLUG, lax1.port(lax1.sw_a, "Eth1/1")))
    second = submitted_window(tess, lax1, (TargetAction.POWER_OFF, lax1.sw_b))
    assert first.latest_snapshot.service_count == 0
    assert second.latest_snapshot.service_count == 0
    conflicts = [c for c in find_conflicts(second) if c.kind == "combined_outage"]
    assert len(conflicts) == 1
    assert "Acme: acme-LAX1" in conflicts[0].reason and conflicts[0].other == first


def test_windows_that_do_not_overlap_in_time_do_not_conflict(lax1, rex, tess):
    submitted_window(rex, lax1, (TargetAction.UNPLUG, lax1.port(lax1.sw_a, "Eth1/1")))
    later = submitted_window(tess, lax1, (TargetAction.POWER_OFF, lax1.sw_b), start_in=timedelta(days=2))
    assert find_conflicts(later) == []


def test_cancelled_and_draft_windows_hold_nothing(lax1, rex, tess):
    first = submitted_window(rex, lax1, (TargetAction.UNPLUG, lax1.port(lax1.sw_a, "Eth1/1")))
    first.cancel(by=rex, reason="")
    second = submitted_window(tess, lax1, (TargetAction.POWER_OFF, lax1.sw_b))
    assert find_conflicts(second) == []


def test_a_normal_change_in_a_blackout_conflicts_but_an_emergency_does_not(lax1, rex):
    from django.utils import timezone

    Blackout.objects.create(
        site=lax1.site, starts=timezone.now(), ends=timezone.now() + timedelta(days=1), reason="Black Friday"
    )
    normal = submitted_window(rex, lax1, (TargetAction.UNPLUG, lax1.port(lax1.sw_c, "Eth1/1")))
    assert kinds(find_conflicts(normal)) == ["blackout"]
    assert "Black Friday" in find_conflicts(normal)[0].reason
    emergency = submitted_window(
        rex, lax1, (TargetAction.UNPLUG, lax1.port(lax1.core, "et-3")), type=WindowType.EMERGENCY, title="Fix"
    )
    assert "blackout" not in kinds(find_conflicts(emergency))


def test_a_tech_booked_on_two_windows_at_once_conflicts(lax1, rex, tess, vic):
    first = make_window(rex, lax1.site)
    first.assignees.add(tess)
    first.add_target(by=rex, action=TargetAction.UNPLUG, port=lax1.port(lax1.core, "et-3"))
    first.submit(by=rex)
    second = make_window(vic, lax1.site, title="Other work")
    second.assignees.add(tess, vic)
    second.add_target(by=vic, action=TargetAction.UNPLUG, port=lax1.port(lax1.sw_c, "Eth1/2"))
    second.submit(by=vic)
    conflicts = find_conflicts(second)
    assert "double_booked" in kinds(conflicts)
    assert "tess is also booked on" in next(c.reason for c in conflicts if c.kind == "double_booked")


def test_conflicts_are_recorded_when_submitting(lax1, rex, tess):
    from audit.models import AuditEvent

    submitted_window(rex, lax1, (TargetAction.UNPLUG, lax1.port(lax1.sw_a, "Eth1/1")))
    submitted_window(tess, lax1, (TargetAction.POWER_OFF, lax1.sw_b))
    event = AuditEvent.objects.filter(action="window.submitted").last()
    assert any("Acme" in reason for reason in event.payload["conflicts"])
