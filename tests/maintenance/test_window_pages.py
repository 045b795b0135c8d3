"""The window pages, the approver's queue and board. Query counts pinned with 200 windows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from maintenance.models import TargetAction, Window, WindowStatus
from tests.builders.windows import make_window


def test_planning_a_window_in_the_sites_local_time(client, rex, tess, lax1):
    client.force_login(rex)
    response = client.post(
        reverse("maintenance:window_new"),
        {
            "site": lax1.site.pk,
            "title": "Replace sw-a optics",
            "type": "normal",
            "risk": "medium",
            "planned_start": "2026-12-05T23:00",  # 23:00 in Los Angeles (UTC-8) is 07:00 UTC the next day
            "planned_end": "2026-12-06T03:00",
            "rollback_plan": "Put the old optics back",
            "assignees": [tess.pk],
        },
    )
    window = Window.objects.get()
    assert response["Location"] == window.get_absolute_url()
    assert window.planned_start.isoformat() == "2026-12-06T07:00:00+00:00"
    assert window.requester == rex and list(window.assignees.all()) == [tess]
    html = client.get(window.get_absolute_url()).content.decode()
    assert "Sat 5 Dec 2026, 23:00" in html and "America/Los_Angeles" in html


def test_a_time_the_clocks_skip_is_refused_in_words(client, rex, lax1):
    client.force_login(rex)
    response = client.post(
        reverse("maintenance:window_new"),
        {
            "site": lax1.site.pk,
            "title": "x",
            "type": "normal",
            "risk": "low",
            "planned_start": "2027-03-14T02:30",
            "planned_end": "2027-03-14T05:00",
        },
    )
    assert response.status_code == 200
    assert "does not exist in America/Los_Angeles" in response.content.decode()
    assert not Window.objects.exists()


def test_an_end_before_the_start_is_refused(client, rex, lax1):
    client.force_login(rex)
    response = client.post(
        reverse("maintenance:window_new"),
        {
            "site": lax1.site.pk,
            "title": "x",
            "type": "normal",
            "risk": "low",
            "planned_start": "2026-12-05T10:00",
            "planned_end": "2026-12-05T09:00",
        },
    )
    assert "must end after it starts" in response.content.decode()


def test_targets_are_picked_from_search_results_and_added_by_id(client, rex, lax1):
    window = make_window(rex, lax1.site)
    client.force_login(rex)

    page = client.get(window.get_absolute_url(), {"find": "sw-a eth1/1"}).content.decode()

    assert "sw-a Eth1/1" in page
    add = reverse("maintenance:target_add", args=[window.pk])
    client.post(add, {"port": lax1.sw_a.ports.get(name="Eth1/1").pk, "action": "unplug"})
    client.post(add, {"device": lax1.sw_b.pk, "action": "power_off"})
    assert [str(t) for t in window.targets.all()] == ["unplug sw-a Eth1/1", "power off sw-b"]


def test_a_search_finds_names_with_spaces_and_says_when_nothing_matches(client, rex, lax1):
    from inventory.models import Device, DeviceKind, Port

    panel = Device.objects.create(site=lax1.site, name="pp-row3", kind=DeviceKind.PATCH_PANEL)
    Port.objects.create(device=panel, name="Port 1", kind="front_port")
    Port.objects.create(device=panel, name="Port 10", kind="front_port")
    Port.objects.create(device=panel, name="Port 2", kind="front_port")
    window = make_window(rex, lax1.site)
    client.force_login(rex)

    page = client.get(window.get_absolute_url(), {"find": "pp-row3 Port"}).content.decode()
    nothing = client.get(window.get_absolute_url(), {"find": "<script>x</script>"}).content.decode()

    assert page.index("pp-row3 Port 1<") < page.index("pp-row3 Port 2<") < page.index("pp-row3 Port 10<")
    assert "Nothing at LAX1 matches “&lt;script&gt;x&lt;/script&gt;”" in nothing
    assert "<script>x</script>" not in nothing


@pytest.mark.parametrize(
    "data, said",
    [
        ({"action": "unplug"}, "Pick one device or one port from the search results."),
        ({"device": "999999", "action": "power_off"}, "That device is not in the inventory at this window"),
        ({"port": "abc", "action": "unplug"}, "That port is not in the inventory at this window"),
        ({"port": "9" * 30, "action": "unplug"}, "That port is not in the inventory at this window"),
        ({"device": "SW", "action": "explode"}, "Select a valid choice"),
    ],
)
def test_a_forged_or_malformed_pick_is_refused_in_words(client, rex, lax1, data, said):
    window = make_window(rex, lax1.site)
    client.force_login(rex)

    response = client.post(reverse("maintenance:target_add", args=[window.pk]), data, follow=True)

    assert response.status_code == 200 and said in response.content.decode()
    assert not window.targets.exists()


def test_a_device_at_another_site_cannot_be_picked_by_its_id(client, rex, lax1):
    from tests.builders.sites import build_small_site

    other = build_small_site(suffix="-sfo")
    window = make_window(rex, lax1.site)
    client.force_login(rex)

    response = client.post(
        reverse("maintenance:target_add", args=[window.pk]),
        {"device": other.sw_a.pk, "action": "power_off"},
        follow=True,
    )

    assert "That device is not in the inventory at this window" in response.content.decode()
    assert not window.targets.exists()


def test_approving_from_the_review_page(client, rex, ada, lax1):
    window = make_window(rex, lax1.site)
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.sw_a)
    window.submit(by=rex)
    client.force_login(ada)
    page = client.get(window.get_absolute_url()).content.decode()
    assert "Approve" in page and "Beta" in page
    client.post(
        reverse("maintenance:window_action", args=[window.pk, "decide"]),
        {"decision": "approve", "comment": ""},
    )
    window.refresh_from_db()
    assert window.status == WindowStatus.APPROVED


def test_a_refused_transition_from_the_page_says_why_and_changes_nothing(client, rex, tess, lax1):
    window = make_window(rex, lax1.site)
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.sw_a)
    window.submit(by=rex)
    client.force_login(tess)
    # (A tech asking to decide gets a 403 before the window is read: tests/maintenance/test_role_first.py.)
    response = client.post(reverse("maintenance:window_action", args=[window.pk, "start"]), follow=True)
    assert "A window that is submitted for approval cannot be started." in response.content.decode()
    window.refresh_from_db()
    assert window.status == WindowStatus.SUBMITTED


def test_an_unknown_action_is_a_404(client, rex, lax1):
    window = make_window(rex, lax1.site)
    client.force_login(rex)
    assert client.post(reverse("maintenance:window_action", args=[window.pk, "detonate"])).status_code == 404


def test_the_queue_is_for_approvers(client, tess, db):
    client.force_login(tess)
    assert client.get(reverse("maintenance:queue")).status_code == 403


def many_windows(lax1, rex, tess, n: int) -> None:
    """n submitted windows an hour apart and two hours long, so each overlaps its neighbours: every one has
    a port target, an assignee and a snapshot, and the conflict check has real work to do."""
    ports = list(lax1.sw_c.ports.all()) + list(lax1.core.ports.all())
    for i in range(n):
        window = make_window(rex, lax1.site, start_in=timedelta(hours=2 + i), hours=2, title=f"W{i}")
        window.assignees.add(tess)
        window.add_target(by=rex, action=TargetAction.UNPLUG, port=ports[i % len(ports)])
        window.submit(by=rex)


@pytest.mark.parametrize("n", [10, 200])
def test_the_queue_makes_the_same_queries_for_200_windows(
    client, ada, rex, tess, lax1, n, django_assert_num_queries
):
    many_windows(lax1, rex, tess, n)
    client.force_login(ada)
    # session, user, roles; windows (with site, requester), their targets, assignees and snapshots (prefetches);
    # conflict check: the sites circuits join theirs to, the active windows overlapping them, their targets
    # and assignees, blackouts; one inventory graph for the site: circuits, devices, ports, services, service
    # devices, service ports; the redundancy overrides each window made and was made against (prefetches),
    # the overrides in force; the labels of the targets' racks: the racks with their sites, their label-audit
    # steps per run, their open discrepancies, and which runbooks already start with a label audit
    with django_assert_num_queries(25):
        response = client.get(reverse("maintenance:queue"))
    assert response.status_code == 200
    assert response.content.decode().count('class="risk-') == n


@pytest.mark.parametrize("n", [10, 200])
def test_the_board_makes_the_same_queries_for_200_windows(
    client, ada, rex, tess, lax1, n, django_assert_num_queries
):
    many_windows(lax1, rex, tess, n)
    client.force_login(ada)
    # session, user, roles; windows with site and run; assignees; the redundancy overrides each window made
    # and was made against
    with django_assert_num_queries(7):
        response = client.get(reverse("maintenance:board"))
    assert response.status_code == 200


def windows_at_their_first_cut(lax1, rex, ada, tess, vic, n: int) -> None:
    """n windows being worked at once, of one to three targets each (runbooks of 9 to 15 steps), each at its
    first cut: tess and vic have both scanned it, so the board names them, says how they scanned, and asks
    the interlock, which weighs the cut one more window has already made."""
    from checklists.execution import scan
    from checklists.models import StepKind
    from tests.builders.people import phone
    from tests.builders.scenes import Scene, finish_steps_before
    from tests.builders.sites import tag_everything

    tags = tag_everything(lax1, ada)
    ports = [lax1.port(lax1.sw_c, f"Eth1/{k}") for k in (1, 2, 3)]
    for i in range(n + 1):
        window = make_window(rex, lax1.site, start_in=timedelta(hours=-1), title=f"Optics {i}")
        window.assignees.add(tess, vic)
        for port in ports[: 1 + i % 3]:
            window.add_target(by=rex, action=TargetAction.UNPLUG, port=port)
        window.submit(by=rex)
        window.approve(by=ada, comment="")
        window.start(by=tess)
        window.refresh_from_db()
        cut = window.run.steps.filter(kind=StepKind.DESTRUCTIVE).order_by("position").first()
        if i == n:  # the one whose cut is made
            finish_steps_before(Scene(lax1, window, window.run, tags), cut.position + 1)
            continue
        finish_steps_before(Scene(lax1, window, window.run, tags), cut.position)
        code, serial = tags[str(cut.asset)].code, lax1.sw_c.serial
        scan(cut, who=phone(tess), raw=code, serial=serial, method="camera")
        scan(window.run.steps.get(pk=cut.pk), who=phone(vic), raw=code, serial=serial)


@pytest.mark.parametrize("n", [1, 10])
def test_the_board_makes_the_same_queries_for_1_or_10_windows_being_worked(
    client, ada, rex, tess, vic, lax1, n, django_assert_num_queries
):
    windows_at_their_first_cut(lax1, rex, ada, tess, vic, n)
    client.force_login(ada)
    # session, user, roles; windows with site and run; assignees; the redundancy overrides each window made
    # and was made against; each runbook's steps counted; each one's current step, with its people and asset,
    # and their scans; open discrepancies (raised by scans, and by the switches); the interlock's refusals; the
    # interlock's look at the cleared cuts: the circuits between sites, the cuts still open, one inventory graph
    # (circuits, devices, ports, services, service devices, service ports); whether those cuts are cleared:
    # their devices' access and their before-checks (live)
    with django_assert_num_queries(23):
        response = client.get(reverse("maintenance:board"), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert page.count("tess (performer) scanned with the in-page camera") == n
    assert page.count("vic (verifier) scanned by typing the code") == n
    assert page.count('class="card live-card') == n + 1


def test_the_board_refreshes_itself_with_htmx_and_answers_just_the_fragment(client, ada, rex, tess, lax1):
    many_windows(lax1, rex, tess, 2)
    client.force_login(ada)
    page = client.get(reverse("maintenance:board")).content.decode()
    assert 'hx-trigger="every 5s"' in page and "<html" in page
    fragment = client.get(reverse("maintenance:board"), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and "W0" in fragment and "W1" in fragment
    assert "HX-Request" in client.get(reverse("maintenance:board"))["Vary"]


def test_the_board_shows_a_running_window_as_overrunning(client, ada, rex, tess, lax1):
    window = make_window(rex, lax1.site, start_in=timedelta(hours=-3), hours=1, type="emergency")
    window.assignees.add(tess)
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.web02)
    window.submit(by=rex)
    window.approve(by=ada, comment="")
    window.start(by=tess, now=timezone.now() - timedelta(hours=2))
    client.force_login(ada)
    assert "Overrunning" in client.get(reverse("maintenance:board")).content.decode()
