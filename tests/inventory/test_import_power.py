"""Importing NetBox's power: panels and their feeds, PDUs' power ports and outlets, and the power cables."""

from __future__ import annotations

import pytest

from inventory.blast_radius import Cut, blast_radius
from inventory.importers import import_netbox_csv, kind_from_filename
from inventory.models import Device, DeviceKind, Port, PortKind, Site

DEVICES = """\
name,role,manufacturer,device_type,status,site
core-01,Core,Arista,7280R3,active,AMS1
sw-01,Leaf switch,Arista,7050SX3,active,AMS1
web-01,Server,Dell,R650,active,AMS1
pdu-a,PDU,APC,AP8959,active,AMS1
pdu-b,PDU,APC,AP8959,active,AMS1
"""
POWER_PANELS = "site,name\nAMS1,Panel 1\n"
POWER_FEEDS = """\
site,power_panel,name,status,type,supply,phase,voltage,amperage
AMS1,Panel 1,Feed A,active,primary,ac,single-phase,230,16
AMS1,Panel 1,Feed B,active,redundant,ac,single-phase,230,16
"""
POWER_PORTS = """\
device,name,type,maximum_draw
pdu-a,Input,iec-60309-p-n-e-6h,
pdu-b,Input,iec-60309-p-n-e-6h,
sw-01,PSU1,iec-60320-c14,450
sw-01,PSU2,iec-60320-c14,450
web-01,PSU1,iec-60320-c14,750
"""
POWER_OUTLETS = """\
device,name,type,power_port,feed_leg
pdu-a,Outlet 1,iec-60320-c13,Input,A
pdu-a,Outlet 2,iec-60320-c13,Input,A
pdu-b,Outlet 1,iec-60320-c13,Input,A
"""
INTERFACES = """\
device,name,type
core-01,Eth1,10gbase-x-sfpp
sw-01,Eth49,10gbase-x-sfpp
sw-01,Eth1,10gbase-x-sfpp
web-01,eth0,10gbase-x-sfpp
"""
CABLES = """\
side_a_device,side_a_power_panel,side_a_type,side_a_name,side_b_device,side_b_type,side_b_name,status
,Panel 1,dcim.powerfeed,Feed A,pdu-a,dcim.powerport,Input,connected
,Panel 1,dcim.powerfeed,Feed B,pdu-b,dcim.powerport,Input,connected
sw-01,,dcim.powerport,PSU1,pdu-a,dcim.poweroutlet,Outlet 1,connected
sw-01,,dcim.powerport,PSU2,pdu-b,dcim.poweroutlet,Outlet 1,connected
web-01,,dcim.powerport,PSU1,pdu-a,dcim.poweroutlet,Outlet 2,connected
core-01,,dcim.interface,Eth1,sw-01,dcim.interface,Eth49,connected
sw-01,,dcim.interface,Eth1,web-01,dcim.interface,eth0,connected
"""
SITES = "name,slug\nAmsterdam 1,AMS1\n"
ROLES = "name,slug\nCore,core\nLeaf switch,leaf-switch\nServer,server\nPDU,pdu\n"
TYPES = "manufacturer,model,slug\nArista,7280R3,7280r3\nArista,7050SX3,7050sx3\nDell,R650,r650\nAPC,AP8959,ap8959\n"
ROOM = {
    "sites": SITES,
    "device_roles": ROLES,
    "device_types": TYPES,
    "devices": DEVICES,
    "power_panels": POWER_PANELS,
    "power_feeds": POWER_FEEDS,
    "power_ports": POWER_PORTS,
    "power_outlets": POWER_OUTLETS,
    "interfaces": INTERFACES,
    "cables": CABLES,
}


def messages(report) -> list[str]:
    return [str(error) for error in report.errors]


def lost(*cuts: Cut) -> list[str]:
    return [device.name for device in blast_radius(cuts).devices]


def test_power_imports_whole_with_counts(sam):
    report = import_netbox_csv(ROOM, by=sam)

    assert report.ok, report.summary()
    created = {kind: counts["created"] for kind, counts in report.counts().items()}
    assert created == {
        "sites": 1,
        "device_roles": 4,
        "device_types": 4,
        "devices": 5,
        "power_panels": 1,
        "interfaces": 4,
        "power_ports": 5,
        "power_outlets": 3,
        "power_feeds": 2,
        "cables": 7,
    }
    panel = Device.objects.get(name="Panel 1")
    assert (panel.kind, panel.role, panel.site.code) == (DeviceKind.POWER_PANEL, "Power panel", "AMS1")
    assert sorted(panel.ports.values_list("name", "kind")) == [
        ("Feed A", PortKind.POWER_FEED),
        ("Feed B", PortKind.POWER_FEED),
    ]
    outlet = Port.objects.get(device__name="pdu-a", name="Outlet 2")
    assert outlet.power_port == Port.objects.get(device__name="pdu-a", name="Input")
    psu = Port.objects.get(device__name="web-01", name="PSU1")
    assert psu.cable.ends.exclude(pk=psu.pk).get() == outlet


def test_a_reimport_of_the_same_power_changes_nothing(sam):
    import_netbox_csv(ROOM, by=sam)
    revision = Site.objects.get(code="AMS1").revision

    report = import_netbox_csv(ROOM, by=sam)

    assert report.ok and not any(report.created.values()) and not any(report.updated.values())
    assert report.unchanged["power_outlets"] == 3 and report.unchanged["cables"] == 7
    assert Site.objects.get(code="AMS1").revision == revision


def test_after_import_a_pdu_off_loses_the_single_supply_server_not_the_dual_supply_switch(sam):
    import_netbox_csv(ROOM, by=sam)

    assert lost(Cut.power_off(Device.objects.get(name="pdu-a"))) == ["pdu-a", "web-01"]
    assert lost(Cut.unplug(Port.objects.get(name="Feed A"))) == ["pdu-a", "web-01"]
    assert lost(Cut.power_off(Device.objects.get(name="Panel 1"))) == [
        "Panel 1",
        "pdu-a",
        "pdu-b",
        "sw-01",
        "web-01",
    ]


def test_a_feed_imported_offline_is_no_redundancy(sam):
    feeds = POWER_FEEDS.replace("Feed B,active", "Feed B,offline")
    import_netbox_csv(ROOM | {"power_feeds": feeds}, by=sam)

    assert Port.objects.get(name="Feed B").enabled is False
    # pdu-b and sw-01's second supply were dark already: pdu-a off now takes sw-01, and web-01 behind it.
    assert lost(Cut.power_off(Device.objects.get(name="pdu-a"))) == ["pdu-a", "sw-01", "web-01"]


def test_a_cable_from_power_to_data_is_refused(sam):
    cables = CABLES + "web-01,,dcim.interface,eth0,pdu-b,dcim.poweroutlet,Outlet 1,connected\n"

    report = import_netbox_csv(ROOM | {"cables": cables}, by=sam)

    assert messages(report) == [
        "cables.csv line 9: a cable joins data to data or power to power, not an interface to a power outlet"
    ]
    assert not Site.objects.exists()


def test_a_power_cable_between_two_outlets_is_refused(sam):
    cables = CABLES + "pdu-a,,dcim.poweroutlet,Outlet 2,pdu-b,dcim.poweroutlet,Outlet 1,connected\n"

    report = import_netbox_csv(ROOM | {"cables": cables}, by=sam)

    assert messages(report) == [
        "cables.csv line 9: a power cable joins a power port to a power outlet or a power feed, not a "
        "power outlet to a power outlet"
    ]


def test_an_outlet_fed_by_a_power_port_its_pdu_lacks_is_refused(sam):
    outlets = POWER_OUTLETS + "pdu-b,Outlet 2,iec-60320-c13,Input B,B\n"

    report = import_netbox_csv(ROOM | {"power_outlets": outlets}, by=sam)

    assert messages(report) == [
        "power_outlets.csv line 5: power_port: device 'pdu-b' has no power port 'Input B' (not in Lockstep "
        "nor in the power ports file)"
    ]


def test_a_feed_on_an_unknown_panel_or_on_a_device_is_refused(sam):
    feeds = POWER_FEEDS + "AMS1,Panel 9,Feed C,active,primary,ac,single-phase,230,16\n"
    feeds += "AMS1,pdu-a,Feed D,active,primary,ac,single-phase,230,16\n"

    report = import_netbox_csv(ROOM | {"power_feeds": feeds}, by=sam)

    assert messages(report) == [
        "power_feeds.csv line 4: power_panel: no power panel 'Panel 9' at site 'AMS1' (not in Lockstep nor "
        "in the power panels file)",
        "power_feeds.csv line 5: power_panel: 'pdu-a' is a device, not a power panel",
    ]


def test_a_panel_named_like_a_device_at_its_site_is_refused(sam):
    panels = POWER_PANELS + "AMS1,PDU-A\n"

    report = import_netbox_csv(ROOM | {"power_panels": panels}, by=sam)

    assert messages(report)[0] == (
        "power_panels.csv line 3: power panel 'PDU-A' at AMS1 has the name of device 'pdu-a' there; Lockstep "
        "keeps power panels among the devices, so one of them needs another name in NetBox"
    )


def test_a_power_port_needs_no_type_as_in_netbox(sam):
    ports = "device,name\nweb-01,PSU2\n"

    report = import_netbox_csv(
        {
            "sites": SITES,
            "device_roles": ROLES,
            "device_types": TYPES,
            "devices": DEVICES,
            "power_ports": ports,
        },
        by=sam,
    )

    assert report.ok, report.summary()
    assert Port.objects.get(name="PSU2").kind == PortKind.POWER_PORT


@pytest.mark.parametrize(
    "name, kind",
    [
        ("power-panels.csv", "power_panels"),
        ("netbox_power_feeds_2026.csv", "power_feeds"),
        ("dcim-power-ports.csv", "power_ports"),
        ("power outlets.csv", "power_outlets"),
    ],
)
def test_power_files_are_known_by_their_names(name, kind):
    assert kind_from_filename(name) == kind
