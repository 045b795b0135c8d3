"""Names as NetBox has them: ports with spaces are found whole (search, window targets), and lists count as
people do (Port 2 before Port 10)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from inventory.models import Device, Port, Rack
from inventory.names import Ambiguous, find_asset, natural_key
from maintenance.forms import TargetForm
from tests.conftest import make_user
from tests.maintenance.conftest import build_redundant_site

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


def test_a_port_name_with_spaces_is_a_window_target(panel):
    lax1, pp, gear = panel
    for text, expected in (
        ("pp-row3 Port 1", pp.ports.get(name="Port 1")),
        ("  pp-row3   Port 10 ", pp.ports.get(name="Port 10")),
        ("access sw 7 Gi 1/0/1", gear.ports.get()),
        ("access sw 7", gear),
    ):
        form = TargetForm({"asset": text, "action": "unplug"}, site=lax1.site)
        assert form.is_valid(), (text, form.errors)
        assert (form.cleaned_data["port"] or form.cleaned_data["device"]) == expected
    form = TargetForm({"asset": "pp-row3 Port 3", "action": "unplug"}, site=lax1.site)
    assert not form.is_valid() and "No device or port called “pp-row3 Port 3”" in str(form.errors)


def test_two_readings_of_one_text_are_refused_as_ambiguous(panel):
    lax1, _, _ = panel
    other = Device.objects.create(site=lax1.site, name="pp-row3 Port")
    Port.objects.create(device=other, name="1")
    with pytest.raises(Ambiguous):
        find_asset(lax1.site, "pp-row3 Port 1")
    form = TargetForm({"asset": "pp-row3 Port 1", "action": "unplug"}, site=lax1.site)
    assert not form.is_valid() and "could be" in str(form.errors)


def test_search_finds_ports_with_spaces_and_pages_list_them_in_counting_order(panel):
    _, pp, _ = panel
    client = Client()
    client.force_login(make_user("tess", Role.TECH))
    found = client.get(reverse("inventory:index"), {"q": "pp-row3 Port 1"}).content.decode()
    assert "Nothing matches" not in found
    assert found.index("Port 1<") < found.index("Port 10<") < found.index("Port 11<")
    page = client.get(reverse("inventory:device", args=[pp.pk])).content.decode()
    assert page.index(">Port 1<") < page.index(">Port 2<") < page.index(">Port 10<") < page.index(">Port 11<")
