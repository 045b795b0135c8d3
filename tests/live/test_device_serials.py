"""Serials from the device itself: a source of their own, never an overwrite."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from audit.models import AuditEvent
from inventory.models import Discrepancy
from live.models import Reading
from tests.builders.gear import TIMEOUT
from tests.builders.people import make_user
from tests.builders.sites import build_redundant_site
from tests.builders.workers import run_worker


@pytest.fixture
def lax1(db):
    return build_redundant_site()


def tech_client() -> Client:
    from accounts.roles import Role

    tech = Client()
    tech.force_login(make_user("tina", Role.TECH))
    return tech


def test_a_serial_that_agrees_is_kept_as_the_devices_own_word(lax1, gear, sam, capsys):
    gear.answers(lax1.sw_a, "get_facts", {"hostname": "sw-a", "serial_number": "sn-sw-a"})

    call_command("read_device_serials", "sw-a", "--by", "sam")

    assert "sw-a: agrees with the inventory" in capsys.readouterr().out
    reading = Reading.objects.get(device=lax1.sw_a, purpose="serial")
    assert reading.answered and reading.source == "napalm mock 192.0.2.1"
    assert not Discrepancy.objects.exists()
    lax1.sw_a.refresh_from_db()
    assert lax1.sw_a.serial == "SN-sw-a"


def test_a_serial_that_disagrees_is_a_discrepancy_not_an_overwrite(lax1, gear, sam):
    gear.answers(lax1.sw_b, "get_facts", {"hostname": "sw-b", "serial_number": "FOC-OTHER-1"})

    call_command("read_device_serials", "--site", "LAX1", "--by", "sam")

    lax1.sw_b.refresh_from_db()
    assert lax1.sw_b.serial == "SN-sw-b"
    discrepancy = Discrepancy.objects.get(kind="device_serial_disagrees")
    assert discrepancy.device == lax1.sw_b and discrepancy.found["reported_by_device"] == "FOC-OTHER-1"
    assert AuditEvent.objects.get(action="device.serial_reported").payload["agrees_with_inventory"] is False


def test_a_device_that_does_not_answer_is_said_and_nothing_is_assumed(lax1, gear, sam, capsys):
    gear.answers(lax1.sw_a, "get_facts", TIMEOUT, TIMEOUT)
    call_command("read_device_serials", "sw-a", "--by", "sam")
    assert "sw-a: no answer: timed out (napalm mock 192.0.2.1)" in capsys.readouterr().out
    assert not Reading.objects.get(device=lax1.sw_a).answered and not Discrepancy.objects.exists()


def test_the_command_refuses_what_it_cannot_ask(lax1, gear, sam):
    with pytest.raises(CommandError, match="no live checks set up for: sw-c"):
        call_command("read_device_serials", "sw-c", "--by", "sam")
    with pytest.raises(CommandError, match="no active user"):
        call_command("read_device_serials", "--by", "nobody")


def test_the_admin_action_asks_through_the_worker_and_the_device_page_says_so_in_words(lax1, gear, sam):
    gear.answers(lax1.sw_b, "get_facts", {"hostname": "sw-b", "serial_number": "FOC-OTHER-1"})
    admin = Client()
    admin.force_login(sam)
    access = lax1.sw_b.access
    response = admin.post(
        "/admin/live/deviceaccess/", {"action": "read_serials", "_selected_action": [access.pk]}, follow=True
    )
    assert "Asked 1 device(s) for their serial" in response.content.decode()
    assert not Reading.objects.exists()  # not in the request
    run_worker()
    assert Discrepancy.objects.filter(kind="device_serial_disagrees", device=lax1.sw_b).exists()

    for who in (admin, tech_client()):
        html = who.get(lax1.sw_b.get_absolute_url()).content.decode()
        assert (
            "Reported by the device itself (napalm mock 192.0.2.1" in html and "not the one on record" in html
        )
        assert "FOC-OTHER-1" not in html and "SN-sw-b" not in html  # never a serial, for anyone
    assert "Asked through NAPALM (mock at 192.0.2.1)" in html
    assert (
        "None: no driver and management address set up"
        in admin.get(lax1.sw_c.get_absolute_url()).content.decode()
    )


def test_the_admin_refuses_a_driver_napalm_does_not_have(lax1, sam):
    admin = Client()
    admin.force_login(sam)
    response = admin.post(
        "/admin/live/deviceaccess/add/",
        {"device": lax1.sw_c.pk, "driver": "<script>nope", "address": "10.0.0.9", "enabled": "on"},
    )
    assert response.status_code == 200 and "NAPALM has no driver called" in response.content.decode()
    assert "<script>nope" not in response.content.decode()
    from live.models import DeviceAccess

    assert not DeviceAccess.objects.exists()
    response = admin.post(
        "/admin/live/deviceaccess/add/",
        {"device": lax1.sw_c.pk, "driver": "eos", "address": "10.0.0.9", "enabled": "on"},
    )
    assert response.status_code == 302 and DeviceAccess.objects.get().driver == "eos"


def test_the_approver_sees_the_serial_a_device_reported_only_through_the_recorded_reveal(lax1, gear, sam):
    from accounts.roles import Role

    gear.answers(lax1.sw_b, "get_facts", {"hostname": "sw-b", "serial_number": "FOC-OTHER-1"})
    call_command("read_device_serials", "sw-b", "--by", "sam")
    discrepancy = Discrepancy.objects.get(kind="device_serial_disagrees")
    ada = Client()
    ada.force_login(make_user("ada", Role.APPROVER))

    html = ada.get(f"/discrepancies/{discrepancy.pk}/").content.decode()
    assert "FOC-OTHER-1" not in html and "SN-sw-b" not in html
    assert "A serial that is not the one on record (napalm mock 192.0.2.1)" in html
    assert "Show the serial and tag code (recorded)" in html  # the reveal, offered right here
    assert not AuditEvent.objects.filter(action="inventory.revealed").exists()

    revealed = ada.post(f"/inventory/reveal/device/{lax1.sw_b.pk}/", {"reason": "support call about sw-b"})
    html = revealed.content.decode()
    assert "Serial the device reported" in html and "FOC-OTHER-1" in html
    event = AuditEvent.objects.get(action="inventory.revealed", actor__username="ada")
    assert event.payload == {
        "what": ["serial", "serial_reported_by_device"],
        "reason": "support call about sw-b",
    }
