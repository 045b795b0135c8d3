"""Importing from a NetBox server's REST API: sam the admin points Lockstep at NetBox (a real local server)."""

from __future__ import annotations

import socket
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from inventory.models import Cable, Device, DeviceKind, Location, Port, PortKind, Rack, Site
from inventory.netbox_api import NetBoxError, import_netbox_api
from tests.inventory.fake_netbox import TOKEN, FakeNetBox


@pytest.fixture
def netbox():
    with FakeNetBox() as server:
        yield server


@pytest.fixture
def amsterdam(netbox):
    """One site: two leaf switches, a server dual-homed to them, and a patch panel between a leaf and the server."""
    ams = netbox.site("ams1", "Amsterdam 1")
    hall = netbox.location(ams, "Hall 1")
    r01 = netbox.rack(ams, "R01", hall)
    leaf1 = netbox.device(
        ams, "leaf-01", rack=r01, location=hall, position=40.0, face="front", serial="SSJ001"
    )
    leaf2 = netbox.device(
        ams, "leaf-02", rack=r01, position=41.0, face="front", serial="SSJ002", role_field="device_role"
    )
    web = netbox.device(
        ams, "web-01", role="Server", manufacturer="Dell", model="R650", rack=r01, position=10
    )
    panel = netbox.device(ams, "pp-01", role="Patch panel", manufacturer="Panduit", model="CP48", rack=r01)
    ports = {
        "leaf1": netbox.interface(leaf1, "Ethernet1"),
        "leaf2": netbox.interface(leaf2, "Ethernet1"),
        "eno1": netbox.interface(web, "eno1"),
        "eno2": netbox.interface(web, "eno2", enabled=False),
        "rear": netbox.rear_port(panel, "R1"),
    }
    ports["front"] = netbox.front_port(panel, "F1", ports["rear"])
    netbox.cable(ports["eno1"], ports["leaf1"], label="C-001")
    netbox.cable(ports["eno2"], ports["front"], label="C-002", b_type="dcim.frontport")
    netbox.cable(ports["rear"], ports["leaf2"], label="C-003", a_type="dcim.rearport")
    return netbox


def test_a_netbox_inventory_imports_with_counts(amsterdam, sam):
    report = import_netbox_api(amsterdam.url, TOKEN, by=sam)

    assert report.ok, report.summary()
    created = {kind: counts["created"] for kind, counts in report.counts().items()}
    assert created == {
        "sites": 1,
        "locations": 1,
        "racks": 1,
        "device_roles": 3,
        "device_types": 3,
        "devices": 4,
        "interfaces": 4,
        "rear_ports": 1,
        "front_ports": 1,
        "cables": 3,
    }
    site = Site.objects.get()
    assert (site.code, site.name, site.time_zone) == ("ams1", "Amsterdam 1", "Europe/Amsterdam")
    assert Rack.objects.get().location == Location.objects.get(name="Hall 1")
    leaf2 = Device.objects.get(name="leaf-02")
    assert (leaf2.kind, leaf2.role, leaf2.model, leaf2.position) == (
        DeviceKind.SWITCH,
        "Leaf switch",
        "DCS-7050SX3",
        Decimal("41.0"),
    )
    assert Port.objects.get(name="eno2").enabled is False
    assert Port.objects.get(kind=PortKind.FRONT).rear_port.name == "R1"
    event = AuditEvent.objects.get(action="inventory.imported")
    assert event.payload["source"] == "netbox-api" and event.payload["url"] == amsterdam.url
    assert TOKEN not in str(event.payload)


def test_cables_are_matched_by_their_terminations(amsterdam, sam):
    import_netbox_api(amsterdam.url, TOKEN, by=sam)

    def peer(device: str, port: str) -> str:
        mine = Port.objects.get(device__name=device, name=port)
        other = mine.cable.ends.exclude(pk=mine.pk).get()
        return f"{other.device.name} {other.name}"

    assert peer("web-01", "eno1") == "leaf-01 Ethernet1"
    assert peer("web-01", "eno2") == "pp-01 F1"
    assert peer("pp-01", "R1") == "leaf-02 Ethernet1"
    assert Port.objects.get(device__name="pp-01", name="R1").cable_end == "A"
    assert Cable.objects.get(label="C-002").ends.get(cable_end="B").kind == PortKind.FRONT


def test_reimport_updates_a_changed_serial_and_duplicates_nothing(amsterdam, sam):
    import_netbox_api(amsterdam.url, TOKEN, by=sam)
    before = [model.objects.count() for model in (Site, Location, Rack, Device, Port, Cable)]
    web = next(obj for obj in amsterdam.objects["/api/dcim/devices/"] if obj["name"] == "web-01")
    web["serial"] = "CZ2300X001"

    report = import_netbox_api(amsterdam.url, TOKEN, by=sam)

    assert report.ok, report.summary()
    assert report.counts()["devices"] == {"created": 0, "updated": 1, "unchanged": 3}
    assert report.counts()["cables"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert Device.objects.get(name="web-01").serial == "CZ2300X001"
    assert [model.objects.count() for model in (Site, Location, Rack, Device, Port, Cable)] == before


def test_paging_follows_next_across_several_pages(amsterdam, sam):
    # NetBox caps `limit` on its side; the client must keep following `next` rather than trust one page.
    amsterdam.max_page_size = 2

    report = import_netbox_api(amsterdam.url, TOKEN, by=sam, page_size=1000)

    assert report.ok, report.summary()
    assert Device.objects.count() == 4 and Port.objects.count() == 6 and Cable.objects.count() == 3
    assert amsterdam.pages_of("/api/dcim/devices/") == 2
    assert amsterdam.pages_of("/api/dcim/interfaces/") == 2
    assert amsterdam.pages_of("/api/dcim/cables/") == 2


def test_next_links_naming_another_host_never_get_the_token(amsterdam, sam):
    amsterdam.max_page_size = 3
    amsterdam.advertised_host = "netbox.internal.invalid"

    report = import_netbox_api(amsterdam.url, TOKEN, by=sam)

    assert report.ok, report.summary()
    assert Device.objects.count() == 4


def test_a_redirect_to_another_host_is_refused_before_the_token_goes_there(amsterdam, sam):
    with FakeNetBox() as elsewhere:
        amsterdam.redirect_to = elsewhere.url.replace("127.0.0.1", "localhost")

        with pytest.raises(NetBoxError, match="redirects to another host \\(localhost\\)"):
            import_netbox_api(amsterdam.url, TOKEN, by=sam)

        assert elsewhere.requests == []


def test_a_bad_token_is_a_clear_error_and_writes_nothing(amsterdam, sam):
    with pytest.raises(NetBoxError) as refused:
        import_netbox_api(amsterdam.url, "not-the-token", by=sam)

    assert (
        str(refused.value) == "NetBox refused the token (HTTP 401); check --token and that it may read dcim"
    )
    assert not Site.objects.exists() and not Device.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="inventory.").exists()


def test_devices_without_serial_are_imported_and_listed(amsterdam, sam):
    report = import_netbox_api(amsterdam.url, TOKEN, by=sam)

    assert report.devices_without_serial == ["web-01 (ams1)", "pp-01 (ams1)"]
    assert Device.objects.filter(serial="").count() == 2
    assert "2 device(s) without a serial cannot have tags applied" in report.summary()


def test_a_wrong_address_is_a_clear_error(netbox, sam):
    with pytest.raises(NetBoxError, match=r"NetBox has nothing at .*/netbox/api/dcim/sites/.* \(HTTP 404\)"):
        import_netbox_api(f"{netbox.url}/netbox/", TOKEN, by=sam)


def test_an_unreachable_netbox_is_a_clear_error(sam):
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    with pytest.raises(NetBoxError, match=rf"could not reach NetBox at http://127.0.0.1:{port}: .*refused"):
        import_netbox_api(f"http://127.0.0.1:{port}", TOKEN, by=sam, timeout=5)


def test_only_http_addresses_are_accepted(sam):
    with pytest.raises(NetBoxError, match="is not a NetBox address"):
        import_netbox_api("file:///etc/passwd", TOKEN, by=sam)


def test_a_bad_row_from_netbox_refuses_the_whole_import(amsterdam, sam):
    amsterdam.device(amsterdam.objects["/api/dcim/sites/"][0], "odd-01", status="running")

    report = import_netbox_api(amsterdam.url, TOKEN, by=sam)

    assert [str(error) for error in report.errors] == [
        f"NetBox devices id {amsterdam.objects['/api/dcim/devices/'][-1]['id']}: status 'running' is not one of "
        "active, planned, staged, offline, failed, inventory, decommissioning"
    ]
    assert not Device.objects.exists()
    assert list(
        AuditEvent.objects.filter(action__startswith="inventory.").values_list("action", flat=True)
    ) == ["inventory.import_refused"]


def test_cables_to_console_ports_are_skipped_and_noted(amsterdam, sam):
    web = next(obj for obj in amsterdam.objects["/api/dcim/devices/"] if obj["name"] == "web-01")
    console = {"id": 9001, "name": "Console", "device": {"id": web["id"], "name": "web-01"}}
    server_port = {"id": 9002, "name": "Port 1", "device": {"id": web["id"], "name": "cs-01"}}
    amsterdam.objects["/api/dcim/cables/"].append(
        {
            "id": 9003,
            "_site": "ams1",
            "type": "cat6",
            "status": {"value": "connected", "label": "Connected"},
            "label": "K-1",
            "a_terminations": [{"object_type": "dcim.consoleport", "object_id": 9001, "object": console}],
            "b_terminations": [
                {"object_type": "dcim.consoleserverport", "object_id": 9002, "object": server_port}
            ],
        }
    )

    report = import_netbox_api(amsterdam.url, TOKEN, by=sam)

    assert report.ok, report.summary()
    assert Cable.objects.count() == 3
    assert report.notes == [
        "skipped 1 cable(s) to console ports (only ports, power and circuits are imported)"
    ]


def test_power_from_the_api_gives_the_blast_radius_its_supplies(netbox, sam):
    from inventory.blast_radius import Cut, blast_radius

    ams = netbox.site("ams1", "Amsterdam 1")
    panel = netbox.power_panel(ams, "Panel 1")
    feeds = [netbox.power_feed(panel, "Feed A"), netbox.power_feed(panel, "Feed B", status="offline")]
    outlets = []
    for name, feed in zip(("pdu-a", "pdu-b"), feeds, strict=True):
        pdu = netbox.device(ams, name, role="PDU", manufacturer="APC", model="AP8959")
        inlet = netbox.power_port(pdu, "Input")
        netbox.cable(feed, inlet, a_type="dcim.powerfeed", b_type="dcim.powerport", type="power")
        outlets.append(netbox.power_outlet(pdu, "Outlet 1", inlet))
    switch = netbox.device(ams, "sw-01")
    for n, outlet in enumerate(outlets, start=1):
        psu = netbox.power_port(switch, f"PSU{n}")
        netbox.cable(psu, outlet, a_type="dcim.powerport", b_type="dcim.poweroutlet", type="power")

    report = import_netbox_api(netbox.url, TOKEN, by=sam)

    assert report.ok, report.summary()
    created = {kind: counts["created"] for kind, counts in report.counts().items()}
    assert created["power_panels"] == 1 and created["power_feeds"] == 2 and created["cables"] == 4
    assert Port.objects.get(name="Feed B").enabled is False
    assert Port.objects.get(device__name="pdu-a", name="Outlet 1").power_port.name == "Input"
    # Feed B is offline, so pdu-b carries nothing: pdu-a off leaves sw-01 with no live supply.
    lost = blast_radius([Cut.power_off(Device.objects.get(name="pdu-a"))]).devices
    assert [device.name for device in lost] == ["pdu-a", "sw-01"]
    again = import_netbox_api(netbox.url, TOKEN, by=sam)
    assert again.ok and not any(again.created.values()) and not any(again.updated.values())


def test_the_site_option_imports_one_site(amsterdam, sam):
    rtm = amsterdam.site("rtm1", "Rotterdam 1", time_zone=None)
    amsterdam.interface(amsterdam.device(rtm, "rtm-leaf-01", serial="SSJ900"), "Ethernet1")

    report = import_netbox_api(amsterdam.url, TOKEN, by=sam, site="rtm1")

    assert report.ok, report.summary()
    assert list(Site.objects.values_list("code", "time_zone")) == [("rtm1", "UTC")]
    assert list(Device.objects.values_list("name", flat=True)) == ["rtm-leaf-01"]
    assert Port.objects.get().device.name == "rtm-leaf-01"


def test_the_import_netbox_command_prints_the_report(amsterdam, sam, capsys):
    call_command("import_netbox", "--url", amsterdam.url, "--token", TOKEN, "--as", "sam")

    assert "devices: 4 created, 0 updated, 0 unchanged" in capsys.readouterr().out
    assert AuditEvent.objects.get(action="inventory.imported").actor == sam


def test_the_import_netbox_command_says_what_went_wrong_without_a_traceback(amsterdam, sam):
    with pytest.raises(CommandError) as failed:
        call_command("import_netbox", "--url", amsterdam.url, "--token", "wrong")

    assert str(failed.value) == (
        "NetBox refused the token (HTTP 401); check --token and that it may read dcim; nothing was imported"
    )
    assert not Device.objects.exists()


def test_a_trunk_and_a_core_role_from_the_api_give_the_blast_radius_its_paths_and_roots(netbox, sam):
    from inventory.blast_radius import Cut, blast_radius

    ams = netbox.site("ams1", "Amsterdam 1")
    core = netbox.device(ams, "core-01", role="Core")
    pp_a = netbox.device(ams, "pp-a", role="Patch panel")
    pp_b = netbox.device(ams, "pp-b", role="Patch panel")
    rear_a, rear_b = netbox.rear_port(pp_a, "R1", positions=2), netbox.rear_port(pp_b, "R1", positions=2)
    netbox.cable(rear_a, rear_b, a_type="dcim.rearport", b_type="dcim.rearport")
    for n in (1, 2):
        uplink = netbox.interface(core, f"Eth{n}")
        netbox.cable(uplink, netbox.front_port(pp_a, f"F{n}", rear_a, position=n), b_type="dcim.frontport")
        server = netbox.device(ams, f"web-{n}", role="Server")
        netbox.cable(
            netbox.front_port(pp_b, f"F{n}", rear_b, position=n),
            netbox.interface(server, "eth0"),
            a_type="dcim.frontport",
        )

    report = import_netbox_api(netbox.url, TOKEN, by=sam)

    assert report.ok, report.summary()
    assert report.upstream_roots == ["core-01 (ams1)"]
    assert Port.objects.get(device__name="pp-b", name="F2").rear_port_position == 2
    eth2 = Port.objects.get(device__name="core-01", name="Eth2")
    assert [device.name for device in blast_radius([Cut.unplug(eth2)]).devices] == ["web-2"]


def test_a_circuit_from_the_api_joins_two_sites_blast_radiuses(netbox, sam):
    from inventory.blast_radius import Cut, blast_radius

    ams, rtm = netbox.site("ams1", "Amsterdam 1"), netbox.site("rtm1", "Rotterdam 1")
    core = netbox.device(ams, "ams-core", role="Core")
    edge = netbox.device(rtm, "rtm-edge", role="Edge router")
    web = netbox.device(rtm, "rtm-web", role="Server")
    circuit = netbox.circuit("CID-1", provider="Fibre Co")
    a_end, z_end = (
        netbox.circuit_termination(circuit, "A", ams),
        netbox.circuit_termination(circuit, "Z", rtm),
    )
    netbox.cable(netbox.interface(core, "Eth1"), a_end, b_type="circuits.circuittermination")
    netbox.cable(z_end, netbox.interface(edge, "Eth1"), a_type="circuits.circuittermination")
    netbox.cable(netbox.interface(edge, "Eth2"), netbox.interface(web, "eth0"))

    report = import_netbox_api(netbox.url, TOKEN, by=sam)

    assert report.ok, report.summary()
    assert report.created["circuits"] == 1 and report.created["circuit_terminations"] == 2
    lost = blast_radius(
        [Cut.power_off(Device.objects.get(name="ams-core"))], site=Site.objects.get(code="ams1")
    )
    assert [device.name for device in lost.devices] == ["ams-core", "rtm-edge", "rtm-web"]
    again = import_netbox_api(netbox.url, TOKEN, by=sam)
    assert again.ok and not any(again.created.values()) and not any(again.updated.values())


def test_unnamed_devices_are_named_as_netbox_shows_them_and_kept_by_id(netbox, sam):
    ams = netbox.site("ams1", "Amsterdam 1")
    leaf = netbox.device(ams, "leaf-01")
    panel = netbox.device(ams, None, role="Patch panel", manufacturer="Panduit", model="CP48")
    rear = netbox.rear_port(panel, "Rear Splice")
    netbox.front_port(panel, "Port 1", rear)
    netbox.cable(netbox.interface(leaf, "Ethernet1"), rear, b_type="dcim.rearport")

    report = import_netbox_api(netbox.url, TOKEN, by=sam)

    assert report.ok, report.summary()
    name = f"Panduit CP48 ({panel['id']})"
    device = Device.objects.get(netbox_id=panel["id"])
    assert device.name == name
    assert sorted(device.ports.values_list("name", flat=True)) == ["Port 1", "Rear Splice"]
    assert Port.objects.get(name="Ethernet1").cable.ends.get(cable_end="B").device == device
    # Named in NetBox later: the same device, renamed, with its ports.
    panel["name"] = "pp-row3"
    renamed = import_netbox_api(netbox.url, TOKEN, by=sam)
    assert renamed.ok, renamed.summary()
    device.refresh_from_db()
    assert device.name == "pp-row3" and device.ports.count() == 2
    assert Device.objects.count() == 2
