"""The cast: tess the tech, vic the second tech, ada the approver, rex the requester, cora the coordinator,
sam the admin, olive who has no role; and the customers' contacts who hear about the work."""

from __future__ import annotations

from django.contrib.auth.models import Group, User
from django.utils import timezone

from accounts.roles import Role
from checklists.execution import Who
from comms.models import Subscriber
from inventory.models import Customer

PASSWORD = "correct-horse-battery"


def make_user(username: str, *roles: Role, **extra) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    return user


def users() -> dict[str, User]:
    return {u.username: u for u in User.objects.all()}


def phone(user, name: str = "") -> Who:
    """The user on a phone of their own: their own session and their own device."""
    label = name or user.username
    return Who.of(user, session_key=f"session-{label}", device_id=f"device{label}0123456789")


def name_the_people() -> None:
    """Full names for the people the printed runbook names."""
    for username, first, last in (
        ("tess", "Tess", "Tech"),
        ("vic", "Vic", "Verifier"),
        ("ada", "Ada", "Approver"),
    ):
        User.objects.filter(username=username).update(first_name=first, last_name=last)


def contacts() -> dict[str, Subscriber]:
    """Made before the site, whose services join these customers: who should hear and who should not."""
    acme, _ = Customer.objects.get_or_create(name="Acme")
    beta, _ = Customer.objects.get_or_create(name="Beta")
    now = timezone.now()
    return {
        "beta-ops": Subscriber.objects.create(customer=beta, email="ops@beta.example", confirmed_at=now),
        "beta-cto": Subscriber.objects.create(customer=beta, email="cto@beta.example", confirmed_at=now),
        "beta-unconfirmed": Subscriber.objects.create(customer=beta, email="new@beta.example"),
        "beta-gone": Subscriber.objects.create(
            customer=beta, email="gone@beta.example", confirmed_at=now, unsubscribed_at=now
        ),
        "acme-ops": Subscriber.objects.create(customer=acme, email="ops@acme.example", confirmed_at=now),
    }
