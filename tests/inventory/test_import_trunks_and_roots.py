"""A NetBox import brings the patching as NetBox draws it (rear ports of many positions) and knows, from the
device roles, where connectivity comes from: without roots, a blast radius sees only the devices cut."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.log import verify_chain
from audit.models import AuditEvent
from inventory.blast_radius import Cut, blast_radius
from inventory.importers import import_netbox_csv
from inventory.models import Device, Port, Site, is_upstream_role

DEVICES = """\
name,role,manufacturer,device_type,status,site
core-01,Core,Arista,7280R3,active,AMS1
pp-a,Patch panel,Panduit,CP48,active,AMS1
pp-b,Patch panel,Panduit,CP48,active,AMS1
web-1,Server,Dell,R650,active,AMS1
web-2,Server,Dell,R650,active,AMS1
"""
INTERFACES = """\
device,name,type
core-01,Eth1,10gbase-x-sfpp
core-01,Eth2,10gbase-x-sfpp
web-1,eth0,10gbase-x-sfpp
web-2,eth0,10gbase-x-sfpp
"""
REAR_PORTS = """\
device,name,type,positions
pp-a,R1,mpo,2
pp-b,R1,mpo,2
"""
FRONT_PORTS = """\
device,name,type,rear_port,rear_port_position
pp-a,F1,lc,R1,1
pp-a,F2,lc,R1,2
pp-b,F1,lc,R1,1
pp-b,F2,lc,R1,2
"""
CABLES = """\
side_a_device,side_a_type,side_a_name,side_b_device,side_b_type,side_b_name,status
core-01,dcim.interface,Eth1,pp-a,dcim.frontport,F1,connected
core-01,dcim.interface,Eth2,pp-a,dcim.frontport,F2,connected
pp-a,dcim.rearport,R1,pp-b,dcim.rearport,R1,connected
pp-b,dcim.frontport,F1,web-1,dcim.interface,eth0,connected
pp-b,dcim.frontport,F2,web-2,dcim.interface,eth0,connected
"""
SITES = "name,slug\nAmsterdam 1,AMS1\n"
ROLES = "name,slug\nCore,core\nSpine,spine\nRouter,router\nPatch panel,patch-panel\nServer,server\n"
TYPES = "manufacturer,model,slug\nArista,7280R3,7280r3\nPanduit,CP48,cp48\nDell,R650,r650\n"
TRUNK = {
    "sites": SITES,
    "device_roles": ROLES,
    "device_types": TYPES,
    "devices": DEVICES,
    "interfaces": INTERFACES,
    "rear_ports": REAR_PORTS,
    "front_ports": FRONT_PORTS,
    "cables": CABLES,
}


def port(device: str, name: str) -> Port:
    return Port.objects.get(device__name=device, name=name)


def test_an_imported_trunk_keeps_each_position_its_own_path(sam):
    report = import_netbox_csv(TRUNK, by=sam)

    assert report.ok, report.summary()
    assert port("pp-a", "R1").positions == 2
    assert port("pp-b", "F2").rear_port_position == 2
    result = blast_radius([Cut.unplug(port("core-01", "Eth1"))])
    assert [device.name for device in result.devices] == ["web-1"]
    assert not result.warning


def test_devices_whose_role_feeds_the_site_are_imported_as_upstream_roots(sam):
    report = import_netbox_csv(TRUNK, by=sam)

    assert list(Device.objects.filter(is_upstream_root=True).values_list("name", flat=True)) == ["core-01"]
    assert report.upstream_roots == ["core-01 (AMS1)"]
    assert report.sites_without_roots == []
    assert "Upstream roots (1), where connectivity comes from: core-01 (AMS1)" in report.summary()


def test_a_site_imported_with_no_root_is_named_with_what_to_do(sam):
    report = import_netbox_csv(TRUNK | {"devices": DEVICES.replace("Core", "Spine")}, by=sam)

    assert report.ok and report.sites_without_roots == ["AMS1"]
    assert "No upstream root at AMS1" in report.summary()
    assert "LOCKSTEP_UPSTREAM_ROLES" in report.summary()
    # And what that costs: only the device cut directly is certain.
    result = blast_radius([Cut.power_off(Device.objects.get(name="core-01"))])
    assert [device.name for device in result.devices] == ["core-01"] and result.warning


@pytest.mark.parametrize(
    "role, wanted, expected",
    [
        ("Core", ["core"], True),
        ("CORE ", ["core"], True),
        ("Edge Router", ["edge-router"], True),
        ("Edge Router", ["Edge router"], True),
        ("Core switch", ["core"], False),
        ("", ["core"], False),
        ("core", [], False),
    ],
)
def test_the_upstream_roles_are_a_setting_matched_by_name_or_slug_without_case(
    settings, role, wanted, expected
):
    settings.LOCKSTEP_UPSTREAM_ROLES = wanted
    assert is_upstream_role(role) is expected


def test_a_device_whose_role_changes_to_a_root_role_becomes_a_root_on_reimport(sam):
    import_netbox_csv(TRUNK, by=sam)

    report = import_netbox_csv({"devices": DEVICES.replace("web-2,Server", "web-2,router")}, by=sam)

    assert report.ok and report.updated["devices"] == 1
    assert Device.objects.get(name="web-2").is_upstream_root
    assert sorted(report.upstream_roots) == ["core-01 (AMS1)", "web-2 (AMS1)"]


def test_a_root_unmarked_by_hand_stays_unmarked_while_its_role_is_unchanged(sam):
    import_netbox_csv(TRUNK, by=sam)
    Device.mark_upstream_roots(Device.objects.filter(name="core-01"), False, by=sam)

    report = import_netbox_csv({"devices": DEVICES}, by=sam)

    assert report.ok and report.unchanged["devices"] == 5
    assert not Device.objects.get(name="core-01").is_upstream_root


def test_two_front_ports_on_one_rear_position_are_refused_and_nothing_is_written(sam):
    front_ports = FRONT_PORTS.replace("pp-b,F2,lc,R1,2", "pp-b,F2,lc,R1,1")

    report = import_netbox_csv(TRUNK | {"front_ports": front_ports}, by=sam)

    assert [str(error) for error in report.errors] == [
        "front_ports.csv line 5: rear port 'R1' position 1 already passes through front port 'F1'"
    ]
    assert not Site.objects.exists()


def test_a_front_port_may_not_take_a_position_an_existing_front_port_keeps(sam):
    import_netbox_csv(TRUNK, by=sam)

    report = import_netbox_csv(
        {"front_ports": "device,name,type,rear_port,rear_port_position\npp-b,F3,lc,R1,2\n"}, by=sam
    )

    assert [str(error) for error in report.errors] == [
        "front_ports.csv line 2: rear port 'R1' position 2 already passes through front port 'F2'"
    ]
    assert not Port.objects.filter(name="F3").exists()


def test_two_front_ports_may_swap_positions_in_one_import(sam):
    import_netbox_csv(TRUNK, by=sam)
    swapped = "device,name,type,rear_port,rear_port_position\npp-b,F1,lc,R1,2\npp-b,F2,lc,R1,1\n"

    report = import_netbox_csv({"front_ports": swapped}, by=sam)

    assert report.ok, report.summary()
    assert (port("pp-b", "F1").rear_port_position, port("pp-b", "F2").rear_port_position) == (2, 1)
    # The swap is real in the graph: Eth1's fibre now reaches web-2.
    lost = blast_radius([Cut.unplug(port("core-01", "Eth1"))])
    assert [device.name for device in lost.devices] == ["web-2"]


def test_the_admin_marks_roots_in_bulk_audited_and_the_site_revision_moves(client, sam):
    import_netbox_csv(TRUNK | {"devices": DEVICES.replace("Core", "Spine")}, by=sam)
    site = Site.objects.get(code="AMS1")
    before = site.revision
    core = Device.objects.get(name="core-01")
    client.force_login(sam)

    response = client.post(
        reverse("admin:inventory_device_changelist"),
        {"action": "mark_upstream_roots", "_selected_action": [core.pk]},
        follow=True,
    )

    assert "1 device(s) are now upstream roots." in response.content.decode()
    core.refresh_from_db()
    assert core.is_upstream_root
    event = AuditEvent.objects.get(action="inventory.upstream_roots_marked")
    assert event.actor == sam and event.payload == {"count": 1, "devices": ["core-01 (AMS1)"]}
    site.refresh_from_db()
    assert site.revision > before
    assert verify_chain().ok
    # Marking what is already marked changes nothing and says so.
    again = client.post(
        reverse("admin:inventory_device_changelist"),
        {"action": "mark_upstream_roots", "_selected_action": [core.pk]},
        follow=True,
    )
    assert "0 device(s) are now upstream roots." in again.content.decode()
    assert AuditEvent.objects.filter(action="inventory.upstream_roots_marked").count() == 1


def test_the_import_page_warns_of_a_site_without_roots(client, sam):
    client.force_login(sam)
    devices = DEVICES.replace("Core", "Spine").encode()

    response = client.post(
        reverse("inventory:import"),
        {
            "files": [
                SimpleUploadedFile("sites.csv", SITES.encode(), content_type="text/csv"),
                SimpleUploadedFile("device_roles.csv", ROLES.encode(), content_type="text/csv"),
                SimpleUploadedFile("device_types.csv", TYPES.encode(), content_type="text/csv"),
                SimpleUploadedFile("devices.csv", devices, content_type="text/csv"),
            ]
        },
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "No upstream root at AMS1." in html and "Mark as upstream roots" in html


def test_a_rear_port_cut_down_to_fewer_positions_than_its_front_ports_use_is_refused(sam):
    import_netbox_csv(TRUNK, by=sam)

    report = import_netbox_csv({"rear_ports": "device,name,type,positions\npp-b,R1,mpo,1\n"}, by=sam)

    assert [str(error) for error in report.errors] == [
        "rear_ports.csv line 2: positions 1 would leave front port 'F2' on position 2 with no path; change that "
        "front port in the same import"
    ]
    assert port("pp-b", "R1").positions == 2


def test_a_rear_port_may_shrink_when_its_front_ports_move_in_the_same_import(sam):
    import_netbox_csv(TRUNK, by=sam)
    files = {
        "rear_ports": "device,name,type,positions\npp-b,R1,mpo,1\npp-b,R2,lc,1\n",
        "front_ports": "device,name,type,rear_port,rear_port_position\npp-b,F2,lc,R2,1\n",
    }

    report = import_netbox_csv(files, by=sam)

    assert report.ok, report.summary()
    assert port("pp-b", "R1").positions == 1 and port("pp-b", "F2").rear_port == port("pp-b", "R2")
