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
