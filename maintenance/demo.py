"""The demo data: people first; later issues add the LAX1 data center and its windows.

Idempotent: running it twice neither fails nor duplicates, and leaves the printed passwords true.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from accounts.roles import Role
from audit.log import record


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    password: str


DEMO_USERS = [
    DemoUser("tess", "Tess Tran", Role.TECH, "tess-lockstep"),
    DemoUser("vic", "Vic Varga", Role.TECH, "vic-lockstep"),
    DemoUser("ada", "Ada Amari", Role.APPROVER, "ada-lockstep"),
    DemoUser("cora", "Cora Chen", Role.COORDINATOR, "cora-lockstep"),
    DemoUser("sam", "Sam Silva", Role.ADMIN, "sam-lockstep"),
]


@transaction.atomic
def load_demo() -> list[DemoUser]:
    User = get_user_model()
    for demo in DEMO_USERS:
        first, last = demo.full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=demo.username, defaults={"first_name": first, "last_name": last}
        )
        group, _ = Group.objects.get_or_create(name=demo.role.value)
        user.groups.add(group)
        is_admin = demo.role == Role.ADMIN
        user.is_staff = is_admin
        user.is_superuser = is_admin
        user.set_password(demo.password)
        user.save()
        if created:
            record("demo.user_created", obj=user, payload={"role": demo.role.value})
    return DEMO_USERS
