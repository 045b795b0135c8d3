"""Serial capture at the rack: when the inventory has no serial, two people read it independently; when they
agree it goes on record as read by both, and the device's tags can then be applied."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.log import verify_chain
from audit.models import AuditEvent
from inventory.models import (
    Device,
    DeviceKind,
    Discrepancy,
    InventoryRefused,
    SerialReading,
    SerialReadingStatus,
    Site,
    Tag,
)
from inventory.phones import Phone
from tests.builders.databases import postgres_only
from tests.builders.people import PASSWORD


@pytest.fixture
def unserialed(db) -> Device:
    site = Site.objects.create(code="AMS1", name="Amsterdam 1")
    return Device.objects.create(site=site, name="pp-row3", kind=DeviceKind.PATCH_PANEL)


def phone(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def handset(name: str) -> Phone:
    """A phone of its own, for readings made without HTTP."""
    return Phone.of(device_id=f"device{name}0123456789", session_key=f"session-{name}")


def read(client: Client, device: Device, serial: str):
    return client.post(reverse("inventory:serial_reading", args=[device.pk]), {"serial": serial}, follow=True)


def test_two_people_who_agree_put_the_serial_on_record_and_the_tag_can_then_be_applied(
    unserialed, tess, vic, sam
):
    first = read(phone(tess), unserialed, "cz-2300 x001")
    assert "Your reading is recorded" in first.content.decode()
    unserialed.refresh_from_db()
    assert unserialed.serial == ""

    second = read(phone(vic), unserialed, "CZ2300X001")

    assert "Both readings agree" in second.content.decode()
    unserialed.refresh_from_db()
    assert unserialed.serial == "cz-2300 x001"
    assert set(SerialReading.objects.values_list("status", flat=True)) == {SerialReadingStatus.AGREED}
    event = AuditEvent.objects.get(action="device.serial_recorded_at_rack")
    assert event.actor == vic and event.payload["read_by"] == ["tess", "vic"]
    page = phone(tess).get(unserialed.get_absolute_url()).content.decode()
    assert "read at the rack by tess and vic" in page
    tag = Tag.issue(unserialed, by=sam)
    tag.commission(serial="CZ2300X001", by=tess)
    assert tag.status == "active"
    assert verify_chain().ok


def test_the_second_reader_is_never_shown_the_first_reading(unserialed, tess, vic):
    read(phone(tess), unserialed, "SECRET-SERIAL-123")

    page = phone(vic).get(unserialed.get_absolute_url()).content.decode()

    assert "SECRET-SERIAL-123" not in page
    assert "Read once at the rack, by tess" in page and "Record my reading" in page


def test_the_same_person_cannot_be_both_readers_even_from_a_second_phone(unserialed, tess):
    read(phone(tess), unserialed, "CZ2300X001")

    other_phone = phone(tess)
    page = other_phone.get(unserialed.get_absolute_url()).content.decode()
    again = read(other_phone, unserialed, "CZ2300X001")

    assert "Record my reading" not in page  # the page offers nothing the rule refuses
    assert "A second person reads it, on their own phone" in again.content.decode()
    unserialed.refresh_from_db()
    assert unserialed.serial == "" and SerialReading.objects.count() == 1


def test_readings_that_differ_record_nothing_set_both_aside_and_tell_the_approver(unserialed, tess, vic):
    read(phone(tess), unserialed, "CZ2300X001")

    response = read(phone(vic), unserialed, "CZ2300X007")

    assert "The two readings differ, so nothing was recorded" in response.content.decode()
    unserialed.refresh_from_db()
    assert unserialed.serial == ""
    assert set(SerialReading.objects.values_list("status", flat=True)) == {SerialReadingStatus.SET_ASIDE}
    discrepancy = Discrepancy.objects.get(kind="serial_readings_differ", device=unserialed)
    assert discrepancy.expected["read_by"] == "tess" and discrepancy.found["read_by"] == "vic"
    # Both may read it again from the start.
    assert unserialed.may_read_serial(tess) and unserialed.may_read_serial(vic)
    assert unserialed.pending_serial_reading() is None


def test_a_device_with_a_serial_on_record_is_not_read_again(unserialed, tess):
    Device.objects.filter(pk=unserialed.pk).update(serial="CZ2300X001")
    unserialed.refresh_from_db()

    assert not unserialed.may_read_serial(tess)
    with pytest.raises(InventoryRefused, match="already has a serial on record"):
        unserialed.read_serial_at_rack("CZ2300X999", by=tess, phone=handset("s1"))


def test_a_user_without_a_tag_role_cannot_read(unserialed, cora, olive):
    assert not unserialed.may_read_serial(cora)
    with pytest.raises(InventoryRefused, match="Only a tech, an approver or an admin"):
        unserialed.read_serial_at_rack("CZ2300X001", by=cora, phone=handset("s1"))
    assert read(phone(olive), unserialed, "CZ2300X001").status_code == 403
    assert not SerialReading.objects.exists()


@pytest.mark.parametrize(
    "typed, said",
    [
        ("", "Type or scan the serial number on the chassis."),
        ("  --  ", "Type or scan the serial number on the chassis."),
        ("X" * 101, "That is longer than any serial number"),
    ],
)
def test_a_blank_or_oversized_reading_is_refused_clearly_and_changes_nothing(unserialed, tess, typed, said):
    response = read(phone(tess), unserialed, typed)

    assert response.status_code == 200 and said in response.content.decode()
    assert not SerialReading.objects.exists()


def test_script_in_a_reading_is_stored_as_typed_and_never_run(unserialed, tess, vic):
    typed = "<script>alert(1)</script>"
    read(phone(tess), unserialed, typed)
    response = read(phone(vic), unserialed, typed)

    assert "Both readings agree" in response.content.decode()
    unserialed.refresh_from_db()
    assert unserialed.serial == typed
    assert "<script>alert(1)</script>" not in phone(tess).get(unserialed.get_absolute_url()).content.decode()


def test_a_reading_needs_a_post(unserialed, tess):
    assert phone(tess).get(reverse("inventory:serial_reading", args=[unserialed.pk])).status_code == 405


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_readers_at_the_same_instant_make_one_first_reading_and_one_second():
    from accounts.roles import Role
    from tests.builders.people import make_user
    from tests.builders.races import at_once

    site = Site.objects.create(code="AMS9", name="Amsterdam 9")
    device = Device.objects.create(site=site, name="pp-race", kind=DeviceKind.PATCH_PANEL)
    readers = [make_user(f"reader{n}", Role.TECH) for n in range(2)]

    outcomes = at_once(
        *(
            lambda user=user: device.read_serial_at_rack("CZ-RACE-1", by=user, phone=handset(user.username))
            for user in readers
        )
    )

    assert sorted(outcomes) == ["agreed", "waiting"]
    device.refresh_from_db()
    assert device.serial == "CZ-RACE-1"
    assert AuditEvent.objects.filter(action="device.serial_recorded_at_rack").count() == 1


def test_the_page_stops_crediting_the_readers_once_the_serial_on_record_changes(unserialed, tess, vic):
    unserialed.read_serial_at_rack("CZ2300X001", by=tess, phone=handset("s1"))
    unserialed.read_serial_at_rack("CZ2300X001", by=vic, phone=handset("s2"))
    unserialed.refresh_from_db()
    assert [r.read_by for r in unserialed.serial_read_at_rack_by()] == [tess, vic]

    Device.objects.filter(pk=unserialed.pk).update(serial="FROM-AN-IMPORT")
    unserialed.refresh_from_db()

    assert unserialed.serial_read_at_rack_by() == []
    assert "read at the rack by" not in phone(tess).get(unserialed.get_absolute_url()).content.decode()


def test_the_upgrade_hashes_the_session_keys_readings_kept(unserialed, tess):
    """Readings made before the upgrade kept the live session key: it becomes its SHA-256, as the new ones."""
    import hashlib
    import importlib

    from django.apps import apps

    migration = importlib.import_module("inventory.migrations.0011_serial_readings_know_their_phone")
    reading = SerialReading.objects.create(
        device=unserialed, serial="CZ1", read_by=tess, session_hash="live-key"
    )

    migration.hash_session_keys(apps, None)

    reading.refresh_from_db()
    assert reading.session_hash == hashlib.sha256(b"live-key").hexdigest()
    assert reading.phone.made(Phone.of(device_id=None, session_key="live-key"))
