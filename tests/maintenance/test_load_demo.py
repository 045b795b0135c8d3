from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import call_command

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
