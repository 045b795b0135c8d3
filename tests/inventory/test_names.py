"""Names as NetBox has them: ports with spaces are found whole (search, the target picker), and lists count
as people do (Port 2 before Port 10)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from inventory.models import Device, Port, Rack
from inventory.names import natural_key, pick_assets
from maintenance.forms import TargetForm
from tests.builders.people import make_user
from tests.builders.sites import build_redundant_site

pytestmark = pytest.mark.django_db


def test_names_sort_as_people_count():
    names = ["Port 10", "Port 2", "port 1", "xe-1/0/10", "xe-1/0/2", "Rear Splice"]
    assert sorted(names, key=natural_key) == [
        "port 1",
        "Port 2",
        "Port 10",
        "Rear Splice",
        "xe-1/0/2",
        "xe-1/0/10",
    ]


@pytest.fixture
def panel(db):
    lax1 = build_redundant_site()
    rack = Rack.objects.filter(site=lax1.site).first()
    pp = Device.objects.create(site=lax1.site, rack=rack, name="pp-row3", position=40)
    Port.objects.bulk_create(Port(device=pp, name=f"Port {n}") for n in (1, 2, 10, 11))
    gear = Device.objects.create(site=lax1.site, rack=rack, name="access sw 7", position=41)
    Port.objects.create(device=gear, name="Gi 1/0/1")
    return lax1, pp, gear


def test_the_target_picker_finds_names_with_spaces_in_counting_order(panel):
    lax1, _pp, gear = panel

    found, more = pick_assets(lax1.site, "  pp-row3   Port 1 ")
    assert [str(p.name) for p in found] == ["Port 1", "Port 10", "Port 11"] and not more
    assert pick_assets(lax1.site, "access sw 7 Gi 1/0/1")[0] == [gear.ports.get()]
    assert gear in pick_assets(lax1.site, "access sw 7")[0]
    assert pick_assets(lax1.site, "pp-row3 Port 3")[0] == []
    assert pick_assets(lax1.site, "   ") == ([], False)


def test_a_picked_port_is_a_window_target_by_its_id_whatever_its_name(panel):
    lax1, pp, _ = panel
    port = pp.ports.get(name="Port 10")

    form = TargetForm({"port": str(port.pk), "action": "unplug"}, site=lax1.site)

    assert form.is_valid(), form.errors
    assert form.cleaned_data["port"] == port and form.cleaned_data["device"] is None


def test_two_readings_of_one_text_are_both_offered_never_guessed(panel):
    lax1, _, _ = panel
    other = Device.objects.create(site=lax1.site, name="pp-row3 Port")
    Port.objects.create(device=other, name="1")

    found, _ = pick_assets(lax1.site, "pp-row3 Port 1")

    # The person adds the one they mean from the list; nothing is read into the words.
    assert {(p.device.name, p.name) for p in found} >= {("pp-row3", "Port 1"), ("pp-row3 Port", "1")}


def test_search_finds_ports_with_spaces_and_pages_list_them_in_counting_order(panel):
    _, pp, _ = panel
    client = Client()
    client.force_login(make_user("tess", Role.TECH))
    found = client.get(reverse("inventory:index"), {"q": "pp-row3 Port 1"}).content.decode()
    assert "Nothing matches" not in found
    assert found.index("Port 1<") < found.index("Port 10<") < found.index("Port 11<")
    page = client.get(reverse("inventory:device", args=[pp.pk])).content.decode()
    assert page.index(">Port 1<") < page.index(">Port 2<") < page.index(">Port 10<") < page.index(">Port 11<")


def test_an_exact_name_is_always_offered_however_many_names_contain_it(panel):
    lax1, _, _ = panel
    Device.objects.bulk_create(Device(site=lax1.site, name=f"sw-1{n:02}") for n in range(30))
    exact = Device.objects.create(site=lax1.site, name="sw-1")

    found, more = pick_assets(lax1.site, "SW-1")

    assert found[0] == exact and more
    assert len([f for f in found if isinstance(f, Device)]) == 20
