"""Importing NetBox's circuits and their terminations: what joins one site's blast radius to another's."""

from __future__ import annotations

from inventory.blast_radius import Cut, blast_radius
from inventory.importers import import_netbox_csv
from inventory.models import Circuit, CircuitTermination, Device, Site

DEVICES = """\
name,role,manufacturer,device_type,status,site
ams-core,Core,Arista,7280R3,active,AMS1
rtm-edge,Edge router,Juniper,MX204,active,RTM1
rtm-sw,Leaf switch,Arista,7050SX3,active,RTM1
rtm-web,Server,Dell,R650,active,RTM1
"""
INTERFACES = """\
device,name,type
ams-core,Eth1,10gbase-lr
rtm-edge,Eth1,10gbase-lr
rtm-edge,Eth2,10gbase-x-sfpp
rtm-sw,Eth49,10gbase-x-sfpp
rtm-sw,Eth1,10gbase-x-sfpp
rtm-web,eth0,10gbase-x-sfpp
"""
CIRCUITS = "cid,provider,type,status,description\nCID-1,Fibre Co,Transit,active,AMS-RTM dark fibre\n"
TERMINATIONS = "circuit,term_side,termination_type,site\nCID-1,A,dcim.site,AMS1\nCID-1,Z,dcim.site,RTM1\n"
CABLES = """\
side_a_device,side_a_type,side_a_name,side_a_circuit,side_b_device,side_b_type,side_b_name,side_b_circuit
ams-core,dcim.interface,Eth1,,,circuits.circuittermination,A,CID-1
,circuits.circuittermination,Z,CID-1,rtm-edge,dcim.interface,Eth1,
rtm-edge,dcim.interface,Eth2,,rtm-sw,dcim.interface,Eth49,
rtm-sw,dcim.interface,Eth1,,rtm-web,dcim.interface,eth0,
"""
TWO_SITES = {
    "sites": "name,slug\nAmsterdam 1,AMS1\nRotterdam 1,RTM1\n",
    "device_roles": "name,slug\nCore,core\nEdge router,edge-router\nLeaf switch,leaf-switch\nServer,server\n",
    "device_types": "manufacturer,model,slug\nArista,7280R3,7280r3\nJuniper,MX204,mx204\nArista,7050SX3,7050sx3\n"
    "Dell,R650,r650\n",
    "devices": DEVICES,
    "interfaces": INTERFACES,
    "circuits": CIRCUITS,
    "circuit_terminations": TERMINATIONS,
    "cables": CABLES,
}


def messages(report) -> list[str]:
    return [str(error) for error in report.errors]


def test_a_circuit_imports_with_its_ends_on_the_ports_they_are_cabled_to(sam):
    report = import_netbox_csv(TWO_SITES, by=sam)

    assert report.ok, report.summary()
    created = {kind: counts["created"] for kind, counts in report.counts().items()}
    assert created["circuits"] == 1 and created["circuit_terminations"] == 2 and created["cables"] == 4
    circuit = Circuit.objects.get()
    assert (circuit.provider, circuit.type, circuit.status) == ("Fibre Co", "Transit", "active")
    ends = {t.term_side: (t.site.code, t.port.device.name, t.port.name) for t in circuit.terminations.all()}
    assert ends == {"A": ("AMS1", "ams-core", "Eth1"), "Z": ("RTM1", "rtm-edge", "Eth1")}


def test_the_core_off_at_one_site_loses_the_other_site_over_the_imported_circuit(sam):
    import_netbox_csv(TWO_SITES, by=sam)
    ams = Site.objects.get(code="AMS1")

    result = blast_radius([Cut.power_off(Device.objects.get(name="ams-core"))], site=ams)

    assert [device.name for device in result.devices] == ["ams-core", "rtm-edge", "rtm-sw", "rtm-web"]


def test_reimporting_the_circuits_changes_nothing(sam):
    import_netbox_csv(TWO_SITES, by=sam)

    report = import_netbox_csv(TWO_SITES, by=sam)

    assert report.ok and not any(report.created.values()) and not any(report.updated.values())
    assert report.unchanged["cables"] == 4 and report.unchanged["circuit_terminations"] == 2


def test_a_circuit_whose_status_changes_is_updated(sam):
    import_netbox_csv(TWO_SITES, by=sam)

    report = import_netbox_csv({"circuits": CIRCUITS.replace(",active,", ",offline,")}, by=sam)

    assert report.ok and report.updated["circuits"] == 1
    assert Circuit.objects.get().status == "offline"


def test_terminations_of_unknown_circuits_or_at_unknown_sites_are_refused(sam):
    terminations = (
        TERMINATIONS + "CID-9,A,dcim.site,AMS1\nCID-1,A,dcim.site,Amsterdm 1\nCID-1,B,dcim.site,AMS1\n"
    )

    report = import_netbox_csv(TWO_SITES | {"circuit_terminations": terminations}, by=sam)

    assert messages(report) == [
        "circuit_terminations.csv line 4: circuit: no circuit 'CID-9' (not in Lockstep nor in the circuits file)",
        "circuit_terminations.csv line 5: site 'Amsterdm 1' is not in Lockstep nor in this import",
        "circuit_terminations.csv line 6: term_side 'B' is not one of a, z",
    ]
    assert not Site.objects.exists() and not Circuit.objects.exists()


def test_a_circuit_cabled_to_power_or_to_a_missing_end_is_refused(sam):
    cables = CABLES + (
        "rtm-web,dcim.powerport,PSU1,,,circuits.circuittermination,Z,CID-1\n"
        ",circuits.circuittermination,Z,CID-2,rtm-web,dcim.interface,eth1,\n"
    )
    files = TWO_SITES | {
        "cables": cables,
        "power_ports": "device,name\nrtm-web,PSU1\n",
        "interfaces": INTERFACES + "rtm-web,eth1,10gbase-x-sfpp\n",
    }

    report = import_netbox_csv(files, by=sam)

    assert messages(report) == [
        "cables.csv line 6: a circuit carries data: it is not cabled to a power port",
        "cables.csv line 7: side A: circuit 'CID-2' has no termination 'Z' (not in Lockstep nor in the circuit "
        "terminations file)",
    ]


def test_a_circuit_end_moved_to_another_port_is_refused_until_the_old_one_is_removed(sam):
    import_netbox_csv(TWO_SITES, by=sam)
    moved = CABLES.replace("rtm-edge,dcim.interface,Eth1,", "rtm-edge,dcim.interface,Eth3,")

    report = import_netbox_csv(
        {"interfaces": INTERFACES + "rtm-edge,Eth3,10gbase-lr\n", "cables": moved}, by=sam
    )

    assert messages(report) == [
        "cables.csv line 3: circuit CID-1 side Z is already cabled to another port in Lockstep; remove that "
        "first if it moved"
    ]
    assert CircuitTermination.objects.get(term_side="Z").port.name == "Eth1"


def test_a_port_on_a_circuit_cannot_also_take_a_cable(sam):
    import_netbox_csv(TWO_SITES, by=sam)
    cables = (
        "side_a_device,side_a_type,side_a_name,side_b_device,side_b_type,side_b_name\n"
        "ams-core,dcim.interface,Eth1,rtm-web,dcim.interface,eth0\n"
    )

    report = import_netbox_csv({"cables": cables}, by=sam)

    assert "ams-core interface Eth1 is cabled to circuit CID-1 side A in Lockstep" in messages(report)[0]
