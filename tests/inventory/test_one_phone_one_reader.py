"""A serial "read at the rack by two people" is two people on two phones: a second person logging in on the
first reader's phone is that phone reading twice (the one rule in inventory.phones, as scans ask it)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import Device, DeviceKind, SerialReading, SerialReadingStatus, Site
from lockstep.middleware import DEVICE_COOKIE
from tests.builders.handsets import handset, log_in, log_out


@pytest.fixture
def unserialed(db) -> Device:
    site = Site.objects.create(code="AMS1", name="Amsterdam 1")
    return Device.objects.create(site=site, name="pp-row3", kind=DeviceKind.PATCH_PANEL)


def read(client: Client, device: Device, serial: str):
    return client.post(reverse("inventory:serial_reading", args=[device.pk]), {"serial": serial}, follow=True)


def test_a_second_reader_logging_in_on_the_first_readers_phone_is_refused(unserialed, tess, vic):
    phone = log_in(handset(), tess)
    read(phone, unserialed, "CZ2300X001")
    log_out(phone)
    log_in(phone, vic)

    page = phone.get(unserialed.get_absolute_url()).content.decode()
    again = read(phone, unserialed, "CZ2300X001")

    assert "Record my reading" not in page  # the page offers nothing the rule refuses
    assert "This phone has read the serial once already" in page
    assert "This phone has read this serial already" in again.content.decode()
    unserialed.refresh_from_db()
    assert unserialed.serial == ""
    assert list(SerialReading.objects.values_list("read_by__username", "status")) == [
        ("tess", SerialReadingStatus.PENDING)
    ]


def test_the_second_reader_on_their_own_phone_puts_it_on_record(unserialed, tess, vic):
    read(log_in(handset(), tess), unserialed, "CZ2300X001")
    vic_phone = log_in(handset(), vic)

    assert "Record my reading" in vic_phone.get(unserialed.get_absolute_url()).content.decode()
    assert "Both readings agree" in read(vic_phone, unserialed, "CZ2300X001").content.decode()
    unserialed.refresh_from_db()
    assert unserialed.serial == "CZ2300X001"


def test_a_reading_keeps_its_phone_hashed_never_the_session_key_or_cookie(unserialed, tess):
    phone = log_in(handset(), tess)
    read(phone, unserialed, "CZ2300X001")

    reading = SerialReading.objects.get()
    cookie, session = phone.cookies[DEVICE_COOKIE].value, phone.session.session_key
    assert len(reading.device_hash) == 64 and len(reading.session_hash) == 64
    assert cookie not in (reading.device_hash, reading.session_hash)
    assert session not in (reading.device_hash, reading.session_hash)
