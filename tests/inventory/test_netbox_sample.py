"""The NetBox-shaped sample inventory (tests/inventory/netbox_sample), imported through CSV and through the
API, and the blast radius on it: power, patch panels, trunks and a circuit between sites."""

from __future__ import annotations

import pytest

from inventory.blast_radius import Cut, blast_radius
from inventory.importers import import_netbox_csv
from inventory.models import Cable, Circuit, CircuitTermination, Device, Location, Port, Rack, Site
from inventory.names import pick_assets
from inventory.netbox_api import import_netbox_api
from tests.inventory import netbox_sample
from tests.inventory.fake_netbox import TOKEN, FakeNetBox

COUNTS = {
    "sites": 3,
    "locations": 2,
    "racks": 4,
    "device_roles": 7,
    "device_types": 8,
    "devices": 16,
    "power_panels": 1,
    "interfaces": 22,
    "rear_ports": 2,
    "front_ports": 4,
    "power_ports": 11,
    "power_outlets": 9,
    "power_feeds": 2,
    "circuits": 1,
    "circuit_terminations": 2,
    "cables": 26,
}


def snapshot() -> dict[str, list[tuple]]:
    """Lockstep's inventory in plain values, to compare two imports of the same NetBox."""
    cables = sorted(
        (*sorted(f"{end.device.name} {end.name}" for end in cable.ends.all()), cable.label, cable.type)
        for cable in Cable.objects.prefetch_related("ends__device")
    )
    circuit_ends = sorted(
        CircuitTermination.objects.values_list(
            "circuit__cid", "circuit__status", "term_side", "site__code", "port__device__name", "port__name"
        )
    )
    return {
        "sites": sorted(Site.objects.values_list("code", "name", "time_zone")),
        "devices": sorted(
            Device.objects.values_list(
                "site__code", "name", "kind", "role", "model", "rack__name", "netbox_id", "is_upstream_root"
            ),
            key=str,
        ),
        "ports": sorted(
            Port.objects.values_list(
                "device__name",
                "kind",
                "name",
                "positions",
                "rear_port_position",
                "enabled",
                "power_port__name",
            ),
            key=str,
        ),
        "cables": cables,
        "circuits": circuit_ends,
    }


def lost(*cuts: Cut, site: str = "ams1") -> list[str]:
    return [device.name for device in blast_radius(cuts, site=Site.objects.get(code=site)).devices]


def device(name: str) -> Device:
    return Device.objects.get(name=name)


def port(device_name: str, name: str) -> Port:
    return Port.objects.get(device__name=device_name, name=name)


@pytest.fixture
def imported(sam):
    report = import_netbox_csv(netbox_sample.files(), by=sam)
    assert report.ok, report.summary()
    return report


def test_the_sample_imports_whole_from_its_csv_files(imported):
    assert {kind: counts["created"] for kind, counts in imported.counts().items()} == COUNTS
    assert imported.upstream_roots == ["ams-core-01 (ams1)", "utr-core-01 (utr1)"]
    # Rotterdam has no root of its own: it is told, and its blast radius comes over the circuit.
    assert imported.sites_without_roots == ["rtm1"]
    panel = Device.objects.get(netbox_id=9001)
    assert (panel.name, panel.rack.name) == ("Panduit CP48 (9001)", "R01")
    assert port("Panduit CP48 (9001)", "Rear Splice").positions == 2


def test_reimporting_the_sample_changes_nothing(imported, sam):
    before = snapshot()

    again = import_netbox_csv(netbox_sample.files(), by=sam)

    assert again.ok and not any(again.created.values()) and not any(again.updated.values())
    assert {kind: counts["unchanged"] for kind, counts in again.counts().items()} == COUNTS
    assert snapshot() == before


def test_the_sample_through_the_api_is_the_same_inventory_as_through_csv(sam):
    import_netbox_csv(netbox_sample.files(), by=sam)
    through_csv = snapshot()
    for model in (CircuitTermination, Circuit, Port, Cable, Device, Rack, Location, Site):
        model.objects.all().delete()

    with FakeNetBox() as netbox:
        netbox_sample.fake_netbox_from(netbox_sample.files(), netbox)
        report = import_netbox_api(netbox.url, TOKEN, by=sam)
        again = import_netbox_api(netbox.url, TOKEN, by=sam)

    assert report.ok, report.summary()
    assert snapshot() == through_csv
    assert again.ok and not any(again.created.values()) and not any(again.updated.values())


def test_the_broken_sample_is_refused_whole_naming_each_mistake(sam):
    report = import_netbox_csv(netbox_sample.files(broken=True), by=sam)

    assert [str(error) for error in report.errors] == [
        "devices.csv line 18: device 'AMS-LEAF-01' at ams1 differs only in case from 'ams-leaf-01' (line 3); "
        "NetBox counts them as one name",
        "devices.csv line 19: site 'Amsterdamm 1' is not in Lockstep nor in the sites file; did you mean "
        "'Amsterdam 1'?",
    ]
    assert not Site.objects.exists() and not Device.objects.exists()


def test_a_pdu_off_loses_the_single_supply_server_and_not_the_dual_supply_gear(imported):
    assert lost(Cut.power_off(device("ams-pdu-a"))) == ["ams-pdu-a", "ams-web-02"]


def test_a_feed_off_is_its_pdu_off(imported):
    assert lost(Cut.unplug(port("MDB-1", "Feed B"))) == ["ams-pdu-b"]


def test_the_unnamed_patch_panel_off_loses_both_storage_servers_behind_it(imported):
    panel = Device.objects.get(netbox_id=9002)

    result = blast_radius([Cut.power_off(panel)], site=panel.site)

    assert [d.name for d in result.devices] == ["ams-stor-01", "ams-stor-02", "Panduit CP48 (9002)"]


def test_one_of_the_two_trunk_positions_cut_loses_only_its_own_server(imported):
    assert lost(Cut.unplug(port("ams-core-01", "Ethernet1/3"))) == ["ams-stor-01"]
    assert lost(Cut.unplug(port("Panduit CP48 (9002)", "Port 2"))) == ["ams-stor-02"]


def test_the_core_off_takes_amsterdam_and_rotterdam_over_the_circuit_not_utrecht(imported):
    result = lost(Cut.power_off(device("ams-core-01")))

    assert result == [
        "ams-core-01",
        "ams-leaf-01",
        "ams-leaf-02",
        "ams-stor-01",
        "ams-stor-02",
        "ams-web-01",
        "ams-web-02",
        "Panduit CP48 (9001)",
        "Panduit CP48 (9002)",
        "rtm-db-01",
        "rtm-edge-01",
        "rtm-leaf-01",
    ]
    # From Rotterdam's side the same circuit is its only way out.
    assert lost(Cut.unplug(port("rtm-edge-01", "et-0/0/0")), site="rtm1") == [
        "rtm-db-01",
        "rtm-edge-01",
        "rtm-leaf-01",
    ]


def test_names_with_spaces_are_found_whole_by_the_target_picker(imported):
    utrecht = Site.objects.get(code="utr1")

    assert pick_assets(utrecht, "utr-core-01 GigabitEthernet 1/0/1")[0] == [
        port("utr-core-01", "GigabitEthernet 1/0/1")
    ]
    assert pick_assets(utrecht, "utr-web-01 NIC 1")[0] == [port("utr-web-01", "NIC 1")]
    panel = Device.objects.get(netbox_id=9001)
    assert pick_assets(panel.site, "Panduit CP48 (9001) Rear Splice")[0] == [
        port("Panduit CP48 (9001)", "Rear Splice")
    ]
