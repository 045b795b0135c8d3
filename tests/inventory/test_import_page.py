"""The upload page and its twin in the admin: same form, same report."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from inventory.models import Device, DeviceRole, DeviceType, Port, Rack, Site

DEVICES = (
    b"name,role,manufacturer,device_type,status,site,rack,position,serial\n"
    b"sw-a,access-switch,Cisco,N9K,active,LAX1,A01,42,FDO1\n"
    b"web01,server,Dell,R650,active,LAX1,A01,10,\n"
)
INTERFACES = b"device,name,type\nsw-a,Eth1/1,10gbase-x-sfpp\nweb01,eth0,10gbase-x-sfpp\n"
CABLES = (
    b"side_a_device,side_a_type,side_a_name,side_b_device,side_b_type,side_b_name,type,status,label\n"
    b"web01,dcim.interface,eth0,sw-a,dcim.interface,Eth1/1,cat6,connected,C1\n"
)


@pytest.fixture(autouse=True)
def los_angeles(db):
    """The site and rack the devices name: NetBox (and so Lockstep) refuses devices at unknown places."""
    site = Site.objects.create(code="LAX1", name="Los Angeles 1")
    Rack.objects.create(site=site, name="A01")
    DeviceRole.objects.create(name="access-switch", slug="access-switch")
    DeviceRole.objects.create(name="server", slug="server")
    DeviceType.objects.create(manufacturer="Cisco", model="N9K", slug="n9k")
    DeviceType.objects.create(manufacturer="Dell", model="R650", slug="r650")


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_an_admin_imports_three_files_and_sees_the_counts(client, sam):
    client.force_login(sam)
    response = client.post(
        reverse("inventory:import"),
        {
            "files": [
                upload("devices.csv", DEVICES),
                upload("interfaces.csv", INTERFACES),
                upload("cables.csv", CABLES),
            ]
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Imported." in html and "without a serial number" in html and "web01" in html
    assert Device.objects.count() == 2
    assert Port.objects.get(name="eth0").cable.label == "C1"


def test_errors_are_listed_by_file_and_line_and_nothing_is_written(client, sam):
    client.force_login(sam)
    bad_cables = CABLES + b"ghost,dcim.interface,eth0,sw-a,dcim.interface,Eth1/1,cat6,connected,C2\n"
    response = client.post(
        reverse("inventory:import"),
        {
            "files": [
                upload("devices.csv", DEVICES),
                upload("interfaces.csv", INTERFACES),
                upload("cables.csv", bad_cables),
            ]
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported" in html and "cables.csv" in html and "<td>3</td>" in html
    assert Device.objects.count() == 0


def test_an_oversized_file_is_refused_before_it_is_read(client, sam, settings):
    settings.LOCKSTEP_IMPORT_MAX_BYTES = 1024 * 1024
    client.force_login(sam)
    response = client.post(
        reverse("inventory:import"), {"files": [upload("devices.csv", b"x" * (2 * 1024 * 1024))]}
    )
    assert response.status_code == 400
    assert "the limit is 1 MB" in response.content.decode()


def test_only_an_admin_may_import(client, tess, ada):
    for person in (tess, ada):
        client.force_login(person)
        assert (
            client.post(reverse("inventory:import"), {"files": [upload("devices.csv", DEVICES)]}).status_code
            == 403
        )
    assert Device.objects.count() == 0


def test_the_admin_offers_the_same_upload(client, sam):
    client.force_login(sam)
    assert (
        "Import from NetBox CSV" in client.get(reverse("admin:inventory_device_changelist")).content.decode()
    )
    response = client.post(
        reverse("admin:inventory_device_import"),
        {"files": [upload("devices.csv", DEVICES)]},
    )
    assert response.status_code == 200
    assert "Imported." in response.content.decode()
    assert Device.objects.count() == 2
