"""Importing NetBox bulk-import CSV files: sam the admin brings in the Amsterdam data center."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from inventory.importers import import_netbox_csv, kind_for_role, kind_from_filename
from inventory.models import Cable, Device, DeviceKind, Location, Port, PortKind, Rack, Site

DEVICES = """\
name,role,manufacturer,device_type,status,site,location,rack,position,face,serial,asset_tag
leaf-01,Leaf switch,Arista,DCS-7050SX3,active,AMS1,Hall 1,R01,40,front,SSJ001,A-1001
leaf-02,Leaf switch,Arista,DCS-7050SX3,Active,AMS1,Hall 1,R02,40,front,SSJ002,
web-01,Server,Dell,R650,active,AMS1,Hall 1,R01,10,front,,
pp-01,Patch panel,Panduit,CP48,active,AMS1,Hall 1,R01,42.5,rear,,
"""
INTERFACES = """\
device,name,type,enabled,description
leaf-01,Ethernet1,10gbase-x-sfpp,true,
leaf-02,Ethernet1,10gbase-x-sfpp,yes,
web-01,eno1,10gbase-x-sfpp,1,uplink a
web-01,eno2,10gbase-x-sfpp,1,uplink b
"""
REAR_PORTS = """\
device,name,type,positions
pp-01,R1,lc,1
"""
FRONT_PORTS = """\
device,name,type,rear_port,rear_port_position
pp-01,F1,lc,R1,1
"""
CABLES = """\
side_a_device,side_a_type,side_a_name,side_b_device,side_b_type,side_b_name,type,status,label
web-01,dcim.interface,eno1,leaf-01,dcim.interface,Ethernet1,cat6,connected,C-001
web-01,dcim.interface,eno2,pp-01,dcim.frontport,F1,smf,connected,C-002
pp-01,dcim.rearport,R1,leaf-02,dcim.interface,Ethernet1,smf,connected,C-003
"""
ALL = {
    "devices": DEVICES,
    "interfaces": INTERFACES,
    "rear_ports": REAR_PORTS,
    "front_ports": FRONT_PORTS,
    "cables": CABLES,
}


SITES = "name,slug,time_zone\nAmsterdam 1,AMS1,Europe/Amsterdam\nAmsterdam 2,AMS2,Europe/Amsterdam\n"
LOCATIONS = "site,name\nAMS1,Hall 1\nAMS1,Hall 2\nAMS1,Hall 3\nAMS2,Hall 1\n"
RACKS = """\
site,location,name
AMS1,Hall 1,R01
AMS1,Hall 1,R02
AMS1,Hall 1,R03
AMS1,Hall 2,R77
AMS2,Hall 1,R01
AMS2,Hall 1,R02
"""


ROLES = """\
name,slug
Leaf switch,leaf-switch
Leaf,leaf
Server,server
Patch panel,patch-panel
Fabric,fabric
access-switch,access-switch
"""
TYPES = """\
manufacturer,model,slug
Arista,DCS-7050SX3,dcs-7050sx3
Arista,X,x
Dell,R650,r650
Panduit,CP48,cp48
Cisco,N9K,n9k
"""


@pytest.fixture(autouse=True)
def places(db, django_user_model):
    """Amsterdam's sites, halls and racks, imported before the devices as NetBox requires."""
    user = django_user_model.objects.create(username="places")
    report = import_netbox_csv(
        {
            "sites": SITES,
            "locations": LOCATIONS,
            "racks": RACKS,
            "device_roles": ROLES,
            "device_types": TYPES,
        },
        by=user,
    )
    assert report.ok, report.summary()


def amsterdam(**changed: str | bytes | None) -> dict[str, str | bytes]:
    """The Amsterdam files, with some replaced (or left out, given None)."""
    files = ALL | changed
    return {kind: data for kind, data in files.items() if data is not None}


def messages(report) -> list[str]:
    return [str(error) for error in report.errors]


def nothing_written() -> bool:
    return Site.objects.count() == 2 and not (
        Device.objects.exists() or Port.objects.exists() or Cable.objects.exists()
    )


def test_a_full_set_of_netbox_files_imports_with_counts(sam):
    report = import_netbox_csv(amsterdam(), by=sam)

    assert report.ok, report.summary()
    assert report.counts() == {
        "devices": {"created": 4, "updated": 0, "unchanged": 0},
        "interfaces": {"created": 4, "updated": 0, "unchanged": 0},
        "rear_ports": {"created": 1, "updated": 0, "unchanged": 0},
        "front_ports": {"created": 1, "updated": 0, "unchanged": 0},
        "cables": {"created": 3, "updated": 0, "unchanged": 0},
    }
    leaf = Device.objects.get(name="leaf-01")
    assert (leaf.site.code, leaf.rack.name, leaf.rack.location.name) == ("AMS1", "R01", "Hall 1")
    assert (leaf.kind, leaf.role, leaf.manufacturer, leaf.model) == (
        "switch",
        "Leaf switch",
        "Arista",
        "DCS-7050SX3",
    )
    assert (leaf.position, leaf.face, leaf.serial, leaf.asset_tag) == (
        Decimal("40.0"),
        "front",
        "SSJ001",
        "A-1001",
    )
    assert Device.objects.get(name="leaf-02").asset_tag is None
    assert Device.objects.get(name="pp-01").position == Decimal("42.5")
    front = Port.objects.get(device__name="pp-01", kind=PortKind.FRONT)
    assert front.rear_port == Port.objects.get(device__name="pp-01", kind=PortKind.REAR, name="R1")
    eno1 = Port.objects.get(device__name="web-01", name="eno1")
    assert (eno1.cable.label, eno1.cable.type, eno1.cable_end) == ("C-001", "cat6", "A")
    assert eno1.cable.ends.get(cable_end="B").name == "Ethernet1"
    assert "devices: 4 created, 0 updated, 0 unchanged" in report.summary()


def test_sites_locations_and_racks_import_from_their_own_files_and_are_named(sam):
    sites = "name,slug,time_zone,status\nRotterdam Port,rtm1,Europe/Amsterdam,active\nUtrecht,utr1,,active\n"
    locations = "site,name\nRotterdam Port,Quay hall\n"
    racks = "site,location,name\nrtm1,Quay hall,Q01\nutr1,,U01\n"

    report = import_netbox_csv({"sites": sites, "locations": locations, "racks": racks}, by=sam)

    assert report.ok, report.summary()
    # A site is found by its slug (Lockstep's code) or its name.
    assert report.created_sites == ["rtm1", "utr1"]
    assert Site.objects.get(code="rtm1").time_zone == "Europe/Amsterdam"
    assert Site.objects.get(code="utr1").time_zone == "UTC"
    assert report.created_locations == ["rtm1 Quay hall"]
    assert report.created_racks == ["rtm1 Q01", "utr1 U01"]
    assert "New sites (2): rtm1, utr1" in report.summary()
    assert Rack.objects.get(name="Q01").location == Location.objects.get(name="Quay hall")
    assert report.ignored_columns["sites.csv"] == ["status"]


def test_a_misspelt_site_rack_or_location_is_refused_never_made(sam):
    devices = (
        DEVICES.replace("Active,AMS1,Hall 1,R02", "Active,Amsterdm 1,Hall 1,R02")
        .replace("AMS1,Hall 1,R01,10", "AMS1,Hall 1,R09,10")
        .replace("AMS1,Hall 1,R01,42.5", "AMS1,Hal 1,R01,42.5")
    )

    report = import_netbox_csv({"devices": devices}, by=sam)

    assert messages(report) == [
        "devices.csv line 3: site 'Amsterdm 1' is not in Lockstep nor in the sites file; did you mean "
        "'Amsterdam 1'?",
        "devices.csv line 4: rack 'R09' at AMS1 is not in Lockstep nor in the racks file",
        "devices.csv line 5: location 'Hal 1' at AMS1 is not in Lockstep nor in the locations file",
    ]
    assert nothing_written() and Rack.objects.count() == 6


@pytest.mark.parametrize(
    ("role", "kind"),
    [
        ("Core Switch", DeviceKind.SWITCH),
        ("leaf", DeviceKind.SWITCH),
        ("Edge router", DeviceKind.ROUTER),
        ("Firewall", DeviceKind.FIREWALL),
        ("Hypervisor", DeviceKind.SERVER),
        ("compute-node", DeviceKind.SERVER),
        ("VM host", DeviceKind.SERVER),
        ("PDU", DeviceKind.PDU),
        ("Power distribution", DeviceKind.PDU),
        ("Patch panel", DeviceKind.PATCH_PANEL),
        ("Storage", DeviceKind.OTHER),
    ],
)
def test_a_netbox_role_maps_to_a_kind_by_keyword(role, kind):
    assert kind_for_role(role) == kind


def test_a_kind_corrected_by_hand_survives_a_reimport(sam):
    import_netbox_csv(amsterdam(devices=DEVICES.replace("Leaf switch", "Fabric"), cables=None), by=sam)
    leaf = Device.objects.get(name="leaf-01")
    assert leaf.kind == DeviceKind.OTHER
    leaf.kind = DeviceKind.SWITCH
    leaf.save()

    report = import_netbox_csv({"devices": DEVICES.replace("Leaf switch", "Fabric")}, by=sam)

    assert report.ok and report.unchanged["devices"] == 4
    assert Device.objects.get(name="leaf-01").kind == DeviceKind.SWITCH


def test_devices_without_serial_are_imported_and_listed(sam):
    report = import_netbox_csv({"devices": DEVICES}, by=sam)

    assert report.ok
    assert Device.objects.filter(serial="").count() == 2
    assert report.devices_without_serial == ["web-01 (AMS1)", "pp-01 (AMS1)"]
    assert (
        "cannot have tags applied until two people read each serial at the rack (on the device's page): "
        "web-01 (AMS1), pp-01 (AMS1)" in report.summary()
    )


def test_an_empty_serial_never_erases_one_recorded_in_lockstep(sam):
    import_netbox_csv({"devices": DEVICES}, by=sam)
    Device.objects.filter(name="web-01").update(serial="CZ2300X001")

    report = import_netbox_csv({"devices": DEVICES}, by=sam)

    assert report.ok and report.unchanged["devices"] == 4
    assert Device.objects.get(name="web-01").serial == "CZ2300X001"
    assert report.devices_without_serial == ["pp-01 (AMS1)"]


def test_a_changed_serial_reimported_updates_that_one_device(sam):
    import_netbox_csv(amsterdam(), by=sam)

    report = import_netbox_csv(amsterdam(devices=DEVICES.replace("SSJ002", "SSJ002-NEW")), by=sam)

    assert report.ok
    assert (report.updated["devices"], report.unchanged["devices"]) == (1, 3)
    assert Device.objects.get(name="leaf-02").serial == "SSJ002-NEW"


def test_reimporting_the_same_files_changes_nothing_and_duplicates_nothing(sam):
    import_netbox_csv(amsterdam(), by=sam)
    before = [model.objects.count() for model in (Site, Location, Rack, Device, Port, Cable)]

    report = import_netbox_csv(amsterdam(), by=sam)

    assert report.ok, report.summary()
    assert not any(report.created.values()) and not any(report.updated.values())
    assert report.unchanged["devices"] == 4 and report.unchanged["cables"] == 3
    assert [model.objects.count() for model in (Site, Location, Rack, Device, Port, Cable)] == before
    assert report.created_sites == []


def test_reimporting_a_cable_updates_it_and_never_makes_a_second(sam):
    import_netbox_csv(amsterdam(), by=sam)
    # The same two ends, named B-to-A this time, with a new label: still the same cable.
    cables = CABLES + "leaf-01,dcim.interface,Ethernet1,web-01,dcim.interface,eno1,cat6a,planned,C-001b\n"
    cables = cables.replace(
        "web-01,dcim.interface,eno1,leaf-01,dcim.interface,Ethernet1,cat6,connected,C-001\n", ""
    )

    report = import_netbox_csv({"cables": cables}, by=sam)

    assert report.ok, report.summary()
    assert (report.updated["cables"], report.unchanged["cables"], report.created["cables"]) == (1, 2, 0)
    assert Cable.objects.count() == 3
    cable = Port.objects.get(name="eno1").cable
    assert (cable.label, cable.type, cable.status) == ("C-001b", "cat6a", "planned")


def test_a_missing_required_column_is_named_with_its_file(sam):
    devices = DEVICES.replace(",status,", ",state,")

    report = import_netbox_csv({"devices": devices}, by=sam)

    assert not report.ok
    assert messages(report) == [
        "devices.csv line 1: is missing the required column(s) status "
        "(a devices file needs name, role, manufacturer, device_type, status, site)"
    ]
    assert nothing_written()


def test_a_bad_status_is_a_row_error_naming_the_valid_ones(sam):
    report = import_netbox_csv({"devices": DEVICES.replace("Active", "running")}, by=sam)

    assert messages(report) == [
        "devices.csv line 3: status 'running' is not one of active, planned, staged, offline, failed, "
        "inventory, decommissioning"
    ]
    assert nothing_written()


def test_an_interface_on_an_unknown_device_is_refused(sam):
    interfaces = INTERFACES + "spine-09,Ethernet1,100gbase-x-qsfp28,true,\n"

    report = import_netbox_csv(amsterdam(interfaces=interfaces), by=sam)

    assert messages(report) == [
        "interfaces.csv line 6: device: no device named 'spine-09' (not in Lockstep nor in the devices file)"
    ]
    assert nothing_written()


def test_a_cable_to_an_unknown_device_or_port_is_refused(sam):
    cables = CABLES + (
        "spine-09,dcim.interface,Ethernet1,leaf-01,dcim.interface,Ethernet2,cat6,connected,\n"
        "web-01,dcim.interface,eno9,leaf-02,dcim.rearport,Ethernet1,cat6,connected,\n"
    )

    report = import_netbox_csv(amsterdam(cables=cables), by=sam)

    assert messages(report) == [
        "cables.csv line 5: side_a_device: no device named 'spine-09' (not in Lockstep nor in the devices file)",
        "cables.csv line 5: side B: device 'leaf-01' has no interface 'Ethernet2' (not in Lockstep nor in this import)",
        "cables.csv line 6: side A: device 'web-01' has no interface 'eno9' (not in Lockstep nor in this import)",
        "cables.csv line 6: side B: device 'leaf-02' has no rear port 'Ethernet1' (not in Lockstep nor in this import)",
    ]


def test_a_side_type_that_is_not_a_port_is_refused(sam):
    cables = CABLES.replace("dcim.frontport", "dcim.consoleport")

    report = import_netbox_csv(amsterdam(cables=cables), by=sam)

    assert messages(report) == [
        "cables.csv line 3: side_b_type 'dcim.consoleport' is not one of dcim.interface, dcim.frontport, "
        "dcim.rearport, dcim.powerport, dcim.poweroutlet, dcim.powerfeed, circuits.circuittermination"
    ]


def test_a_port_cabled_twice_in_one_file_is_refused(sam):
    cables = CABLES + "web-01,dcim.interface,eno1,leaf-02,dcim.interface,Ethernet1,cat6,connected,C-004\n"

    report = import_netbox_csv(amsterdam(cables=cables), by=sam)

    assert messages(report) == [
        "cables.csv line 5: web-01 interface eno1 is also cabled on line 2",
        "cables.csv line 5: leaf-02 interface Ethernet1 is also cabled on line 4",
    ]
    assert nothing_written()


def test_a_port_already_cabled_elsewhere_in_lockstep_is_refused(sam):
    import_netbox_csv(amsterdam(), by=sam)
    # In the field web-01's eno1 was moved to leaf-02, but Lockstep still has it on leaf-01.
    moved = (
        CABLES.splitlines()[0]
        + "\nweb-01,dcim.interface,eno1,leaf-02,dcim.interface,Ethernet1,cat6,connected,\n"
    )

    report = import_netbox_csv({"cables": moved}, by=sam)

    assert messages(report) == [
        "cables.csv line 2: web-01 interface eno1 is already cabled to leaf-01 interface Ethernet1 in Lockstep; "
        "remove that cable first if it was moved",
        "cables.csv line 2: leaf-02 interface Ethernet1 is already cabled to pp-01 rear port R1 in Lockstep; "
        "remove that cable first if it was moved",
    ]
    assert Port.objects.get(name="eno1").cable.label == "C-001"


def test_semicolon_delimited_files_import(sam):
    files = {kind: data.replace(",", ";") for kind, data in amsterdam().items()}

    report = import_netbox_csv(files, by=sam)

    assert report.ok, report.summary()
    assert (Device.objects.count(), Port.objects.count(), Cable.objects.count()) == (4, 6, 3)


def test_tab_delimited_files_import(sam):
    files = {kind: data.replace(",", "\t") for kind, data in amsterdam().items()}

    report = import_netbox_csv(files, by=sam)

    assert report.ok, report.summary()
    assert (Device.objects.count(), Port.objects.count(), Cable.objects.count()) == (4, 6, 3)


def test_a_utf8_byte_order_mark_is_ignored(sam):
    # Excel's "CSV UTF-8" starts with a BOM; it must not become part of the first column's name.
    files = {kind: b"\xef\xbb\xbf" + data.encode() for kind, data in amsterdam().items()}

    report = import_netbox_csv(files, by=sam)

    assert report.ok, report.summary()
    assert report.ignored_columns["devices.csv"] == []
    assert Device.objects.count() == 4


def test_unknown_columns_are_ignored_and_named(sam):
    devices = DEVICES.replace("asset_tag\n", "asset_tag,Tenant,platform\n", 1).replace(
        "A-1001\n", "A-1001,acme,eos\n"
    )
    devices = "\n".join(
        line if i == 0 or "A-1001" in line else line + ",," for i, line in enumerate(devices.splitlines())
    )

    report = import_netbox_csv({"devices": devices}, by=sam)

    assert report.ok, report.summary()
    assert report.ignored_columns == {"devices.csv": ["Tenant", "platform"]}
    assert "Ignored columns in devices.csv: Tenant, platform" in report.summary()


def test_errors_name_the_file_and_the_physical_line(sam):
    # A quoted description running over three lines: the next record starts on line 5, not line 3.
    interfaces = (
        "device,name,type,description\n"
        'leaf-01,Ethernet1,10gbase-x-sfpp,"to web-01\nfirst uplink\nsee ticket 4411"\n'
        "leaf-01,Ethernet2,,\n"
    )

    report = import_netbox_csv({"devices": DEVICES, "interfaces": interfaces}, by=sam)

    assert messages(report) == ["interfaces.csv line 5: type is empty; it is required"]
    assert report.errors[0].file == "interfaces.csv" and report.errors[0].line == 5


def test_an_error_in_cables_leaves_no_devices_written(sam):
    cables = CABLES.replace("connected,C-003", "on-fire,C-003")

    report = import_netbox_csv(amsterdam(cables=cables), by=sam)

    assert messages(report) == [
        "cables.csv line 4: status 'on-fire' is not one of connected, planned, decommissioning"
    ]
    assert nothing_written()
    assert report.counts() == {} and report.created_sites == []
    assert report.summary().startswith("Nothing was imported: 1 error.")


def test_over_long_values_are_row_errors_not_database_errors(sam):
    long_name = "x" * 101
    devices = DEVICES.replace("pp-01,Patch panel", f"{long_name},Patch panel").replace("SSJ001", "S" * 150)
    interfaces = INTERFACES.replace("Ethernet1,10gbase-x-sfpp,true", "E" * 65 + ",10gbase-x-sfpp,true")

    report = import_netbox_csv({"devices": devices, "interfaces": interfaces}, by=sam)

    assert messages(report) == [
        "devices.csv line 2: serial is 150 characters long; at most 100 fit",
        "devices.csv line 5: name is 101 characters long; at most 100 fit",
        "interfaces.csv line 2: name is 65 characters long; at most 64 fit",
    ]
    assert nothing_written()


def test_bytes_that_are_not_utf8_are_a_clear_error(sam):
    latin1 = DEVICES.replace("Hall 1", "Salle 1 étage").encode("latin-1")

    report = import_netbox_csv({"devices": latin1}, by=sam)

    assert messages(report) == [
        "devices.csv line 2: is not UTF-8 text (byte 0xe9); save it as CSV UTF-8 and upload again"
    ]
    assert nothing_written()


def test_a_spreadsheet_or_a_binary_file_is_a_clear_error(sam):
    report = import_netbox_csv(
        {"devices": b"PK\x03\x04\x14\x00", "interfaces.csv": b"device\x00name"}, by=sam
    )

    assert messages(report) == [
        "devices.csv: looks like a spreadsheet workbook, not CSV; save it as CSV UTF-8",
        "interfaces.csv line 1: contains NUL bytes, so it is not a CSV text file",
    ]


def test_invisible_characters_in_names_are_row_errors_but_a_description_may_break_lines(sam):
    devices = DEVICES.replace("leaf-02,", '"leaf-\n02",').replace("SSJ001", "SSJ\x07001")
    interfaces = INTERFACES.replace("uplink a", '"uplink a\nto leaf-01"').replace("uplink b", "uplink\x1bb")

    report = import_netbox_csv({"devices": devices, "interfaces": interfaces}, by=sam)

    assert messages(report) == [
        "devices.csv line 2: serial contains the invisible character U+0007 at character 4; names and codes "
        "are printed on labels and runbooks, so fix it at the source",
        "devices.csv line 3: name contains the invisible character U+000A at character 6; names and codes "
        "are printed on labels and runbooks, so fix it at the source",
        "interfaces.csv line 3: device: no device named 'leaf-02' (not in Lockstep nor in the devices file)",
        "interfaces.csv line 6: description contains the invisible character U+001B at character 7; names "
        "and codes are printed on labels and runbooks, so fix it at the source",
    ]
    assert nothing_written()


@pytest.mark.parametrize(
    ("hidden", "name"),
    [
        ("\u200b", "zero-width space"),
        ("\u202e", "right-to-left override"),
        ("\u2028", "line separator"),
        ("\u00ad", "soft hyphen"),
        ("\ufeff", "byte order mark inside a value"),
        ("\u3164", "Hangul filler"),
        ("\ufe0f", "variation selector"),
        ("\u00a0", "no-break space"),
    ],
)
def test_a_name_with_an_invisible_formatting_character_is_refused(sam, hidden, name):
    devices = DEVICES.replace("leaf-01,", f"leaf{hidden}-01,").replace("leaf-01,Ethernet1", "x,Ethernet1")
    report = import_netbox_csv({"devices": devices}, by=sam)
    assert messages(report) == [
        f"devices.csv line 2: name contains the invisible character U+{ord(hidden):04X} at character 5; names "
        "and codes are printed on labels and runbooks, so fix it at the source"
    ], name
    assert nothing_written()


def test_script_in_text_fields_is_stored_verbatim(sam):
    script = "<script>alert('pwned')</script>"
    interfaces = INTERFACES.replace("uplink a", f'"{script}"')

    report = import_netbox_csv({"devices": DEVICES, "interfaces": interfaces}, by=sam)

    assert report.ok
    assert Port.objects.get(name="eno1").description == script


def test_a_successful_import_writes_one_audit_event(sam):
    import_netbox_csv(amsterdam(), by=sam)

    event = AuditEvent.objects.get(action="inventory.imported", actor=sam)
    assert event.payload["source"] == "csv"
    assert event.payload["counts"]["interfaces"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert event.payload["created_sites"] == []
    assert event.payload["files"] == [
        "devices.csv",
        "interfaces.csv",
        "rear_ports.csv",
        "front_ports.csv",
        "cables.csv",
    ]
    assert AuditEvent.objects.filter(actor=sam).count() == 1


def test_a_refused_import_writes_nothing_but_its_refusal_to_the_audit_log(sam):
    report = import_netbox_csv(amsterdam(cables=CABLES.replace("eno2", "eno7")), by=sam)

    [event] = AuditEvent.objects.filter(actor=sam)
    assert event.action == "inventory.import_refused"
    assert event.payload["errors"] == len(report.errors) and event.payload["first_errors"] == messages(report)
    assert "cables" in str(event.payload["files"]) and nothing_written()


def test_an_asset_tag_used_twice_is_refused(sam):
    Site.objects.create(code="RTM1", name="Rotterdam")
    Device.objects.create(site=Site.objects.get(code="RTM1"), name="old-fw", asset_tag="A-2002")
    devices = DEVICES.replace("SSJ002,", "SSJ002,A-1001").replace(
        "web-01,Server,Dell,R650,active,AMS1,Hall 1,R01,10,front,,",
        "web-01,Server,Dell,R650,active,AMS1,Hall 1,R01,10,front,,A-2002",
    )

    report = import_netbox_csv({"devices": devices}, by=sam)

    assert messages(report) == [
        "devices.csv line 3: asset tag 'A-1001' is also on line 2",
        "devices.csv line 4: asset tag 'A-2002' already belongs to device 'old-fw' at RTM1",
    ]


def test_asset_tags_may_swap_between_devices_in_one_import(sam):
    import_netbox_csv({"devices": DEVICES.replace("SSJ002,", "SSJ002,A-1002")}, by=sam)
    swapped = DEVICES.replace("SSJ001,A-1001", "SSJ001,A-1002").replace("SSJ002,", "SSJ002,A-1001")

    report = import_netbox_csv({"devices": swapped}, by=sam)

    assert report.ok, report.summary()
    assert Device.objects.get(name="leaf-01").asset_tag == "A-1002"
    assert Device.objects.get(name="leaf-02").asset_tag == "A-1001"


def test_enabled_accepts_true_false_yes_no_one_zero(sam):
    interfaces = (
        "device,name,type,enabled\n"
        "leaf-01,e1,x,TRUE\nleaf-01,e2,x,no\nleaf-01,e3,x,0\nleaf-01,e4,x,Yes\nleaf-01,e5,x,\nleaf-01,e6,x,maybe\n"
    )

    report = import_netbox_csv({"devices": DEVICES, "interfaces": interfaces}, by=sam)
    assert messages(report) == ["interfaces.csv line 7: enabled 'maybe' is not true/false, yes/no or 1/0"]

    report = import_netbox_csv(
        {"devices": DEVICES, "interfaces": interfaces.replace("maybe", "false")}, by=sam
    )
    assert report.ok
    enabled = dict(Port.objects.values_list("name", "enabled"))
    assert enabled == {"e1": True, "e2": False, "e3": False, "e4": True, "e5": True, "e6": False}


def test_position_and_face_are_checked(sam):
    devices = (
        DEVICES.replace(",40,front,SSJ001", ",U40,front,SSJ001")
        .replace(",40,front,SSJ002", ",40.25,sideways,SSJ002")
        .replace("Hall 1,R01,10,front", "Hall 1,,10,front")
    )

    report = import_netbox_csv({"devices": devices}, by=sam)

    assert messages(report) == [
        "devices.csv line 2: position 'U40' is not a rack unit like 12 or 12.5 (0.5 to 999.9)",
        "devices.csv line 3: position '40.25' is not a rack unit like 12 or 12.5 (0.5 to 999.9)",
        "devices.csv line 3: face 'sideways' is not one of front, rear",
        "devices.csv line 4: position and face need a rack",
    ]


def test_a_front_port_needs_its_rear_port_on_the_same_device(sam):
    front_ports = FRONT_PORTS + "pp-01,F2,lc,R9,1\npp-01,F3,lc,R1,2\n"

    report = import_netbox_csv(amsterdam(front_ports=front_ports, cables=None), by=sam)

    assert messages(report) == [
        "front_ports.csv line 3: rear_port: device 'pp-01' has no rear port 'R9' (not in Lockstep nor in the rear ports file)",
        "front_ports.csv line 4: rear_port_position 2 is past rear port 'R1''s 1 position",
    ]


def test_a_device_name_at_two_sites_must_be_told_apart(sam):
    import_netbox_csv({"devices": DEVICES}, by=sam)
    import_netbox_csv({"devices": DEVICES.replace("AMS1", "AMS2").replace("A-1001", "")}, by=sam)

    ambiguous = import_netbox_csv({"interfaces": "device,name,type\nleaf-01,Ethernet9,x\n"}, by=sam)
    told_apart = import_netbox_csv(
        {"interfaces": "device,name,type,site\nleaf-01,Ethernet9,x,AMS2\n"}, by=sam
    )

    assert messages(ambiguous) == [
        "interfaces.csv line 2: device: more than one site has a device named 'leaf-01' (AMS1, AMS2)"
    ]
    assert told_apart.ok
    assert Port.objects.get(name="Ethernet9").device.site.code == "AMS2"


def test_a_row_with_more_values_than_columns_is_refused(sam):
    report = import_netbox_csv(
        {"devices": DEVICES + "sw-9,Switch,Arista,X,active,AMS1,,,,,,,extra\n"}, by=sam
    )

    assert messages(report) == ["devices.csv line 6: has 13 values but the header names 12 columns"]


def test_a_file_over_the_size_limit_is_refused(sam, settings):
    settings.LOCKSTEP_IMPORT_MAX_BYTES = 1000

    big = INTERFACES + "leaf-01,e,x,true,\n" * 100

    report = import_netbox_csv({"interfaces": big}, by=sam)

    assert messages(report) == [f"interfaces.csv: is {len(big):,} bytes; the limit is 1,000 bytes: split it"]
    assert nothing_written()


def test_a_file_over_the_row_limit_is_refused(sam):
    report = import_netbox_csv({"devices": DEVICES}, by=sam, max_rows=3)

    assert messages(report) == ["devices.csv line 5: has more than 3 rows; split it into smaller files"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("devices.csv", "devices"),
        ("netbox-devices-2024-05.csv", "devices"),
        ("Interfaces.CSV", "interfaces"),
        ("dcim_device-interfaces.csv", "interfaces"),
        ("front-ports.csv", "front_ports"),
        ("rear_ports.csv", "rear_ports"),
        ("ams1 cables.tsv", "cables"),
        ("inventory.csv", None),
    ],
)
def test_the_kind_comes_from_the_file_name(name, kind):
    assert kind_from_filename(name) == kind


def test_a_file_named_for_nothing_is_refused(sam):
    report = import_netbox_csv({"inventory.csv": DEVICES}, by=sam)

    assert messages(report) == [
        "inventory.csv: its name does not say what it holds; call it sites.csv, locations.csv, racks.csv, "
        "device_roles.csv, device_types.csv, devices.csv, power_panels.csv, "
        "interfaces.csv, rear_ports.csv, front_ports.csv, power_ports.csv, power_outlets.csv, "
        "power_feeds.csv, circuits.csv, circuit_terminations.csv or cables.csv"
    ]


def test_the_import_csv_command_prints_the_report(sam, tmp_path, capsys):
    for kind, data in amsterdam().items():
        (tmp_path / f"ams1-{kind}.csv").write_text(data)

    call_command("import_csv", *sorted(str(p) for p in tmp_path.iterdir()), "--as", "sam")

    out = capsys.readouterr().out
    assert "devices: 4 created, 0 updated, 0 unchanged" in out
    assert Cable.objects.count() == 3


def test_the_import_csv_command_fails_with_the_errors_and_writes_nothing(sam, tmp_path, capsys):
    path = tmp_path / "devices.csv"
    path.write_text(DEVICES.replace("Active", "running"))

    with pytest.raises(CommandError, match="import refused: 1 error"):
        call_command("import_csv", str(path), "--as", "sam")

    assert "devices.csv line 3: status 'running'" in capsys.readouterr().err
    assert nothing_written()


def test_a_device_moved_to_a_new_rack_follows_on_reimport(sam):
    import_netbox_csv({"devices": DEVICES}, by=sam)
    moved = DEVICES.replace("Hall 1,R01,10,front", "Hall 2,R77,12,rear").replace("Hall 1,R02,40,front", ",,,")

    report = import_netbox_csv({"devices": moved}, by=sam)

    assert report.ok, report.summary()
    web = Device.objects.get(name="web-01")
    assert (web.rack.name, web.rack.location.name, web.position, web.face) == (
        "R77",
        "Hall 2",
        Decimal("12.0"),
        "rear",
    )
    leaf2 = Device.objects.get(name="leaf-02")
    assert (leaf2.rack, leaf2.position, leaf2.face) == (None, None, "")
    assert report.counts()["devices"] == {"created": 0, "updated": 2, "unchanged": 2}


def test_a_rack_in_another_location_is_refused(sam):
    import_netbox_csv({"devices": DEVICES}, by=sam)

    report = import_netbox_csv({"devices": DEVICES.replace("Hall 1,R02", "Hall 3,R02")}, by=sam)

    assert messages(report) == [
        "devices.csv line 3: rack 'R02' at AMS1 is in location 'Hall 1', not 'Hall 3'"
    ]


def test_an_import_that_changes_the_inventory_marks_blast_radius_snapshots_stale(db, sam):
    from inventory.importers import import_netbox_csv
    from inventory.models import Site

    devices = "name,role,manufacturer,device_type,status,site,serial\nsw-z,access-switch,Cisco,N9K,active,LAX9,SN1\n"
    assert import_netbox_csv({"devices": devices, "sites": "name,slug\nLos Angeles 9,LAX9\n"}, by=sam).ok
    before = Site.objects.get(code="LAX9").revision
    changed = devices.replace("SN1", "SN2")
    assert import_netbox_csv({"devices": changed}, by=sam).ok
    assert Site.objects.get(code="LAX9").revision > before
    # Re-importing the same file changes nothing, so nothing goes stale.
    after = Site.objects.get(code="LAX9").revision
    assert import_netbox_csv({"devices": changed}, by=sam).ok
    assert Site.objects.get(code="LAX9").revision == after


def test_names_differing_only_in_case_are_one_name_as_in_netbox(sam):
    twice = DEVICES + "LEAF-01,Leaf switch,Arista,DCS-7050SX3,active,AMS1,Hall 1,R03,40,front,,\n"
    report = import_netbox_csv({"devices": twice}, by=sam)
    assert messages(report) == [
        "devices.csv line 6: device 'LEAF-01' at AMS1 differs only in case from 'leaf-01' (line 2); "
        "NetBox counts them as one name"
    ]
    assert nothing_written()
    assert import_netbox_csv({"devices": DEVICES}, by=sam).ok
    later = "name,role,manufacturer,device_type,status,site\nWeb-01,Server,Dell,R650,active,AMS1\n"
    report = import_netbox_csv({"devices": later}, by=sam)
    assert messages(report) == [
        "devices.csv line 2: device 'Web-01' at AMS1 differs only in case from 'web-01' (Lockstep); "
        "NetBox counts them as one name"
    ]


def test_one_device_per_rack_unit_and_face_but_two_may_swap_places(sam):
    crowded = DEVICES + "web-02,Server,Dell,R650,active,AMS1,Hall 1,R01,10,front,,\n"
    report = import_netbox_csv({"devices": crowded}, by=sam)
    assert messages(report) == ["devices.csv line 6: rack R01 unit 10 (front) is already taken by 'web-01'"]
    assert nothing_written()
    assert import_netbox_csv({"devices": DEVICES}, by=sam).ok
    # Already in Lockstep at unit 10: a newcomer there is refused; the same unit's rear is free.
    newcomer = "name,role,manufacturer,device_type,status,site,rack,position,face\n"
    report = import_netbox_csv(
        {"devices": newcomer + "web-09,Server,Dell,R650,active,AMS1,R01,10,front\n"}, by=sam
    )
    assert messages(report) == ["devices.csv line 2: rack R01 unit 10 (front) is already taken by 'web-01'"]
    assert import_netbox_csv(
        {"devices": newcomer + "web-09,Server,Dell,R650,active,AMS1,R01,10,rear\n"}, by=sam
    ).ok
    # leaf-01 (unit 40) and web-01 (unit 10) trade places in one file.
    swap = newcomer + (
        "leaf-01,Leaf switch,Arista,DCS-7050SX3,active,AMS1,R01,10,front\n"
        "web-01,Server,Dell,R650,active,AMS1,R01,40,front\n"
    )
    assert import_netbox_csv({"devices": swap}, by=sam).ok
    assert Device.objects.get(name="web-01").position == 40


def test_an_unnamed_device_with_its_netbox_id_is_named_as_netbox_shows_it(sam):
    devices = DEVICES.replace("name,role", "id,name,role").replace("\nleaf-01", "\n101,leaf-01")
    devices = devices.replace("\nleaf-02", "\n102,leaf-02").replace("\nweb-01", "\n103,web-01")
    devices = devices.replace("\npp-01,", "\n104,,")

    report = import_netbox_csv({"devices": devices}, by=sam)

    assert report.ok, report.summary()
    panel = Device.objects.get(netbox_id=104)
    assert panel.name == "Panduit CP48 (104)" and panel.kind == DeviceKind.PATCH_PANEL
    assert import_netbox_csv({"devices": devices}, by=sam).unchanged["devices"] == 4


def test_an_unnamed_device_without_an_id_is_refused_with_what_to_do(sam):
    report = import_netbox_csv({"devices": DEVICES.replace("\npp-01,", "\n,")}, by=sam)

    assert messages(report) == [
        "devices.csv line 5: name is empty: NetBox shows an unnamed device by its id, so give the id column "
        "(NetBox's export has it) or a name"
    ]


def test_a_device_renamed_in_netbox_is_renamed_by_its_id_keeping_its_ports(sam):
    with_ids = DEVICES.replace("name,role", "id,name,role").replace("\nleaf-01", "\n101,leaf-01")
    with_ids = with_ids.replace("\nleaf-02", "\n102,leaf-02").replace("\nweb-01", "\n103,web-01")
    with_ids = with_ids.replace("\npp-01", "\n104,pp-01")
    import_netbox_csv(amsterdam(devices=with_ids), by=sam)
    leaf = Device.objects.get(name="leaf-01")

    report = import_netbox_csv({"devices": with_ids.replace("101,leaf-01", "101,LEAF-01A")}, by=sam)

    assert report.ok, report.summary()
    leaf.refresh_from_db()
    assert leaf.name == "LEAF-01A" and leaf.ports.count() == 1
    assert Device.objects.count() == 4


def test_an_id_claimed_by_another_device_or_twice_is_refused(sam):
    with_ids = "id,name,role,manufacturer,device_type,status,site\n7,sw-a,Leaf,Arista,X,active,AMS1\n"
    import_netbox_csv({"devices": with_ids + "8,sw-b,Leaf,Arista,X,active,AMS1\n"}, by=sam)

    report = import_netbox_csv(
        {
            "devices": with_ids.replace("7,sw-a", "8,sw-a") + "9,sw-c,Leaf,Arista,X,active,AMS1\n9,sw-d,Leaf,"
            "Arista,X,active,AMS1\n"
        },
        by=sam,
    )

    assert messages(report) == [
        "devices.csv line 2: id 8 is device 'sw-b' at AMS1 in Lockstep, and 'sw-a' at AMS1 is another device there",
        "devices.csv line 4: id 9 is also on line 3",
    ]


RENAMES = "id,name,role,manufacturer,device_type,status,site\n"


def named(*rows: str) -> dict[str, str]:
    return {"devices": RENAMES + "".join(f"{row},Leaf,Arista,X,active,AMS1\n" for row in rows)}


def names_by_id() -> dict[int | None, str]:
    return dict(Device.objects.values_list("netbox_id", "name"))


def test_a_name_netbox_gave_to_a_new_device_after_renaming_the_old_one_imports(sam):
    import_netbox_csv(named("7,a"), by=sam)
    old = Device.objects.get(name="a")

    report = import_netbox_csv(named("8,a", "7,a-old"), by=sam)

    assert report.ok, report.summary()
    assert names_by_id() == {7: "a-old", 8: "a"}
    assert Device.objects.get(netbox_id=7) == old


def test_a_renamed_device_frees_its_old_name_for_a_new_unnumbered_row(sam):
    import_netbox_csv(named("7,a"), by=sam)

    report = import_netbox_csv(
        {"devices": named("7,b")["devices"] + ",a,Leaf,Arista,X,active,AMS1\n"}, by=sam
    )

    assert report.ok, report.summary()
    assert sorted(Device.objects.values_list("name", flat=True)) == ["a", "b"]


def test_names_may_pass_along_a_chain_of_renames_in_one_import(sam):
    import_netbox_csv(named("7,a", "8,b"), by=sam)

    report = import_netbox_csv(named("7,c", "8,a"), by=sam)

    assert report.ok, report.summary()
    assert names_by_id() == {7: "c", 8: "a"}


def test_after_a_rename_its_old_name_in_another_case_is_free(sam):
    import_netbox_csv(named("7,sw-a"), by=sam)

    report = import_netbox_csv(named("7,sw-b", "9,SW-A"), by=sam)

    assert report.ok, report.summary()
    assert names_by_id() == {7: "sw-b", 9: "SW-A"}


def test_a_role_or_type_lockstep_lacks_is_refused_naming_the_nearest(sam):
    devices = DEVICES.replace("leaf-02,Leaf switch,", "leaf-02,Leaf swich,").replace(
        "web-01,Server,Dell,R650", "web-01,Server,Dell,R605"
    )

    report = import_netbox_csv({"devices": devices}, by=sam)

    assert messages(report) == [
        "devices.csv line 3: role 'Leaf swich' is not in Lockstep nor in the device roles file; did you mean "
        "'Leaf switch'?",
        "devices.csv line 4: device type 'R605' by 'Dell' is not in Lockstep nor in the device types file; did "
        "you mean 'R650'?",
    ]
    assert nothing_written()


def test_a_role_and_a_type_may_be_named_by_slug_and_arrive_in_the_same_import(sam):
    roles = "name,slug\nEdge Router,edge-rtr\n"
    types = "manufacturer,model,slug\nJuniper,MX204,mx204\n"
    devices = "name,role,manufacturer,device_type,status,site\nedge-1,edge-rtr,Juniper,mx204,active,AMS1\n"

    report = import_netbox_csv({"device_roles": roles, "device_types": types, "devices": devices}, by=sam)

    assert report.ok, report.summary()
    edge = Device.objects.get(name="edge-1")
    assert (edge.role, edge.model, edge.kind) == ("Edge Router", "MX204", DeviceKind.ROUTER)
    again = import_netbox_csv({"device_roles": roles, "device_types": types, "devices": devices}, by=sam)
    assert again.ok and not any(again.created.values()) and not any(again.updated.values())


def test_the_roles_and_types_of_devices_imported_before_are_kept_by_the_migration(sam):
    import importlib

    from django.apps import apps

    from inventory.models import DeviceRole, DeviceType

    site = Site.objects.get(code="AMS1")
    Device.objects.create(
        site=site, name="old-1", role="Legacy Core", manufacturer="Foundry", model="BigIron"
    )
    migration = importlib.import_module("inventory.migrations.0009_device_roles_and_type_slugs")

    migration.roles_and_types_of_devices_already_here(apps, None)

    assert DeviceRole.objects.get(name="Legacy Core").slug == "legacy-core"
    assert DeviceType.objects.get(manufacturer="Foundry", model="BigIron").slug == "bigiron"
    devices = (
        "name,role,manufacturer,device_type,status,site\nold-1,Legacy Core,Foundry,BigIron,active,AMS1\n"
    )
    assert import_netbox_csv({"devices": devices}, by=sam).ok
