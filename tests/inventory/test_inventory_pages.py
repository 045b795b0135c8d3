"""Browsing and searching the inventory. Query counts are pinned: they must not grow with the inventory."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import Cable, Customer, Device, DeviceKind, Port, Service, Tag
from tests.builders.sites import build_small_site


def grow(small, sam, n: int) -> None:
    """Add n servers, each cabled to a switch port and tagged, to make the pages heavier."""
    for i in range(n):
        server = Device.objects.create(
            site=small.site,
            rack=small.rack,
            position=i + 1,
            name=f"srv{i:03d}",
            kind=DeviceKind.SERVER,
            serial=f"S{i}",
        )
        nic = Port.objects.create(device=server, name="eth0")
        sw_port = Port.objects.create(device=small.sw_a, name=f"Eth2/{i}")
        cable = Cable.objects.create(label=f"c{i}")
        Port.objects.filter(pk=nic.pk).update(cable=cable, cable_end="A")
        Port.objects.filter(pk=sw_port.pk).update(cable=cable, cable_end="B")
        Tag.issue(server, by=sam)
        Tag.issue(sw_port, by=sam)
        service = Service.objects.create(
            customer=Customer.objects.get_or_create(name=f"C{i}")[0], name=f"s{i}"
        )
        service.devices.add(small.sw_a)


@pytest.mark.parametrize("size", [1, 30])
def test_the_rack_page_makes_the_same_queries_at_any_size(
    client, tess, sam, lax1, size, django_assert_num_queries
):
    grow(lax1, sam, size)
    client.force_login(tess)
    # session, user, roles, the rack with site and location, its devices, their live tags; the labels panel
    # (from checklists): the rack's label-audit steps per run, its open discrepancies, its devices with no label
    with django_assert_num_queries(9):
        response = client.get(reverse("inventory:rack", args=[lax1.rack.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "srv000" in html and "sw-a" in html
    # Top of the rack first, as a tech reads it standing in front of it.
    assert html.index("sw-a") < html.index("sw-b") < html.index("web01")


@pytest.mark.parametrize("size", [1, 30])
def test_the_device_page_makes_the_same_queries_at_any_size(
    client, tess, sam, lax1, size, django_assert_num_queries
):
    grow(lax1, sam, size)
    client.force_login(tess)
    # session, user, roles, the device with site and rack, its live tags, its services, their customers,
    # its ports with cables, the ports' live tags, the cables' ends with their devices; who read its serial at
    # the rack (the device has one on record); whether the device itself is asked (live checks), and its own
    # latest word on its serial
    with django_assert_num_queries(13):
        response = client.get(reverse("inventory:device", args=[lax1.sw_a.pk]))
    html = response.content.decode()
    assert "srv000 eth0" in html  # the far end of each cable
    assert "C0" in html  # services that depend on it


def test_the_port_page_shows_the_far_end_of_its_cable(client, tess, sam, lax1, django_assert_num_queries):
    grow(lax1, sam, 1)
    port = Port.objects.get(name="Eth2/0")
    client.force_login(tess)
    # session, user, roles, the port with device, site, rack, cable and rear port; its live tags; its services;
    # its cable's ends with their devices
    with django_assert_num_queries(7):
        response = client.get(reverse("inventory:port", args=[port.pk]))
    assert b"srv000" in response.content and b"eth0" in response.content


def test_the_site_page_lists_racks_and_counts_devices_without_a_serial(client, tess, lax1):
    lax1.server.serial = ""
    lax1.server.save()
    client.force_login(tess)
    html = client.get(reverse("inventory:site", args=["LAX1"])).content.decode()
    assert "A01" in html and "1 device without a serial number" in html


def test_devices_without_a_serial_are_listed_as_not_commissionable(client, tess, lax1):
    lax1.server.serial = ""
    lax1.server.save()
    client.force_login(tess)
    html = client.get(reverse("inventory:missing_serials")).content.decode()
    assert "web01" in html and "sw-a" not in html


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ("A01", "A01"),
        ("sw-b", "sw-b"),
        ("sw-a Eth1/2", "sw-a Eth1/2"),
        ("Eth1/3", "Eth1/3"),
    ],
)
def test_search_finds_racks_devices_and_ports(client, tess, lax1, query, expect):
    client.force_login(tess)
    response = client.get(reverse("inventory:index"), {"q": query})
    assert response.status_code == 200
    assert expect in response.content.decode()


def test_a_tag_code_typed_into_search_is_offered_to_the_page_for_typing_a_label(client, tess, active_tag):
    """Search does not look the code up (tests/inventory/test_search_is_no_oracle.py); it links to the page
    for typing a label's code, with what was typed: never /t/<the QR's long code>, which would hand it to
    someone who only typed the short one."""
    client.force_login(tess)
    response = client.get(reverse("inventory:index"), {"q": active_tag.display_short_code})
    link = f"/inventory/tags/enter/?code={active_tag.display_short_code}"
    assert response.status_code == 200 and f'href="{link}"' in response.content.decode()
    html = client.get(link).content.decode()
    assert "Active tag" in html and "sw-a" in html and active_tag.code not in html


def test_search_survives_hostile_input(client, tess, lax1):
    client.force_login(tess)
    for query in ("<script>alert(1)</script>", "%", "_", "' OR 1=1 --", "x" * 5000):
        response = client.get(reverse("inventory:index"), {"q": query})
        assert response.status_code == 200
        assert b"<script>alert(1)</script>" not in response.content
    response = client.get(reverse("inventory:index"), {"q": "sw\x00"})
    assert response.status_code == 400 and b"NUL character" in response.content


def test_someone_without_a_role_cannot_browse(client, olive, lax1):
    client.force_login(olive)
    assert client.get(reverse("inventory:index")).status_code == 403
    assert client.get(reverse("inventory:device", args=[lax1.sw_a.pk])).status_code == 403


def test_unknown_objects_answer_404(client, tess, db):
    client.force_login(tess)
    assert client.get(reverse("inventory:device", args=[999999])).status_code == 404
    assert client.get(reverse("inventory:site", args=["NOPE"])).status_code == 404


def test_another_site_keeps_its_own_names(client, tess, lax1):
    build_small_site(suffix="-2")
    client.force_login(tess)
    html = client.get(reverse("inventory:index")).content.decode()
    assert "LAX1" in html and "LAX1-2" in html
