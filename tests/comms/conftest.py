"""Customers with contacts, a window over beta's only server, and a worker to drain the queue in-process."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core.management import call_command
from django.utils import timezone

from comms.models import Subscriber
from inventory.models import Customer
from maintenance.models import TargetAction
from tests.checklists.conftest import build_scene


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


def unplug_web02(site):
    """web02 hangs off sw-a Eth1/2 alone: unplugging it takes down beta's service, and only beta's."""
    return [(TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/2"))]


@pytest.fixture
def people(db):
    return contacts()


@pytest.fixture
def scene(people):
    return build_scene(start=False, targets=unplug_web02)


def run_worker() -> None:
    """The real worker command, in batch mode: everything due now, then exit. (Its connection housekeeping
    is switched off: inside a test's transaction it would drop the test's connection.)"""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
