from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from accounts.roles import Role, has_role
from audit.log import verify_chain


def test_the_demo_gives_one_user_per_role_and_a_second_tech(db, capsys):
    call_command("load_demo")
    out = capsys.readouterr().out

    techs = [u for u in User.objects.all() if has_role(u, Role.TECH)]
    assert len(techs) == 2
    for role in (Role.APPROVER, Role.COORDINATOR, Role.ADMIN):
        assert any(has_role(u, role) for u in User.objects.all())
    # Every printed login works.
    for line in out.splitlines():
        if "password:" in line:
            username, password = line.split()[0], line.split("password:")[1].strip()
            assert authenticate(username=username, password=password) is not None, username


def test_loading_the_demo_twice_neither_fails_nor_duplicates(db, capsys):
    call_command("load_demo")
    users = User.objects.count()
    call_command("load_demo")
    assert User.objects.count() == users
    assert authenticate(username="tess", password="tess-lockstep") is not None
    assert verify_chain().ok


def test_the_demo_data_center_is_like_the_seed_story(db):
    from inventory.blast_radius import Cut, blast_radius
    from inventory.models import Device, DeviceKind, Service, Site, Tag, TagStatus

    call_command("load_demo")
    site = Site.objects.get(code="LAX1")
    assert site.time_zone == "America/Los_Angeles"
    assert Service.objects.count() == 75
    switches = Device.objects.filter(site=site, kind=DeviceKind.SWITCH)
    assert switches.count() == 8  # a redundant pair of top-of-rack switches in each of four racks
    # Every switch and every switch port carries an active tag.
    for switch in switches:
        assert Tag.objects.filter(device=switch, status=TagStatus.ACTIVE).exists()
        assert not switch.ports.exclude(tags__status=TagStatus.ACTIVE).exists()
    # Pulling one switch of a pair takes down only the single-homed servers' sites; pulling both, all of them.
    tor_a = Device.objects.get(name="lax1-a02-tor-a")
    tor_b = Device.objects.get(name="lax1-a02-tor-b")
    one = blast_radius([Cut.power_off(tor_a)], site=site)
    both = blast_radius([Cut.power_off(tor_a), Cut.power_off(tor_b)], site=site)
    assert 0 < one.service_count < both.service_count
    assert {d.name for d in both.devices} >= {f"lax1-a02-web{n:02d}" for n in range(1, 11)}
    # Every site is on a plan the demo defines, so credits can be proposed for it.
    from credits.models import SlaPlan

    plans = set(SlaPlan.objects.values_list("name", flat=True))
    assert set(Service.objects.values_list("sla_plan", flat=True)) <= plans == {"business", "standard"}


def test_reloading_the_demo_never_logs_anyone_out(db, client):
    """A re-run of `make run` keeps passwords, and so the sessions made with them."""
    call_command("load_demo")
    assert client.login(username="tess", password="tess-lockstep")
    call_command("load_demo")
    response = client.get(reverse("maintenance:tech_today"))
    assert response.status_code == 200 and response.wsgi_request.user.username == "tess"


def test_reloading_keeps_a_password_someone_changed(db):
    call_command("load_demo")
    tess = User.objects.get(username="tess")
    tess.set_password("my-own-secret")
    tess.save()
    call_command("load_demo")
    assert authenticate(username="tess", password="my-own-secret") is not None


def test_one_window_is_approved_and_ready_to_start_now(db):
    from django.utils import timezone

    from maintenance.models import Window, WindowStatus

    call_command("load_demo")
    now = timezone.now()
    tess = User.objects.get(username="tess")
    ready = Window.objects.get(status=WindowStatus.APPROVED)
    # CHG-3 on a fresh database (PostgreSQL's sequences do not restart between tests: compare by order).
    assert ready.title == "Move lax1-a03-web10 to rack A04"
    assert now - timedelta(hours=1) <= ready.planned_start <= now
    assert ready.planned_end >= now + timedelta(hours=1)
    assert ready.may_start(tess)
    # Two wait for the approver, on the two halves of rack A02's pair.
    waiting = Window.objects.filter(status=WindowStatus.SUBMITTED).order_by("pk")
    assert [w.pk for w in waiting] == sorted(w.pk for w in Window.objects.all())[:2]
    assert all(w.pk < ready.pk for w in waiting)
    # Neither is approved yet, so neither needs an override; approve one and the other does.
    assert not waiting[0].pair_outages()
    waiting[0].approve(by=User.objects.get(username="ada"), comment="Optics first.")
    assert waiting[1].pair_outages()


def test_every_target_of_every_demo_window_has_an_active_tag(db):
    from inventory.models import TagStatus
    from maintenance.models import Target

    call_command("load_demo")
    targets = list(Target.objects.select_related("device", "port"))
    assert len(targets) == 5
    for target in targets:
        assert target.asset.tags.filter(status=TagStatus.ACTIVE).exists(), target


def test_the_approval_comment_says_what_the_blast_radius_loses(db):
    from maintenance.models import Window, WindowDecision

    call_command("load_demo")
    ready = Window.objects.get(title="Move lax1-a03-web10 to rack A04")
    comment = WindowDecision.objects.get(window=ready).comment
    lost = ready.services_at_risk()
    assert len(lost) == 2
    assert "no customer" not in comment.lower()
    assert f"{len(lost)} customer service(s)" in comment
    for name in lost.values():
        assert name in comment


def test_a_rerun_after_the_ready_window_is_over_makes_a_fresh_one(db):
    from maintenance.models import Window, WindowStatus

    call_command("load_demo")
    stale = Window.objects.get(status=WindowStatus.APPROVED)
    Window.objects.filter(pk=stale.pk).update(
        planned_start=stale.planned_start - timedelta(days=2),
        planned_end=stale.planned_end - timedelta(days=2),
    )
    call_command("load_demo")
    stale.refresh_from_db()
    assert stale.status == WindowStatus.CANCELLED
    fresh = Window.objects.get(status=WindowStatus.APPROVED)
    assert fresh.title == stale.title and fresh.pk != stale.pk
    call_command("load_demo")
    assert Window.objects.filter(title=stale.title).count() == 2  # a re-run in time leaves it alone
