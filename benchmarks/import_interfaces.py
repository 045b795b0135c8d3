"""A real data center's NetBox export is large: the import must stay a coffee break, not an afternoon.

BENCH import_100k_interfaces: seconds to import 2,000 devices and their 100,000 interfaces (one devices file and
one interfaces file, into an empty inventory). BENCH reimport_100k_interfaces: seconds to import the same files
again, when every row is found unchanged.
"""

from __future__ import annotations

import time

import _django

_django.setup()

from django.contrib.auth.models import User  # noqa: E402

from inventory.importers import import_netbox_csv  # noqa: E402
from inventory.models import Port  # noqa: E402

DEVICES = _django.size(2_000, 40)
PER_DEVICE = _django.size(50, 5)
HALLS = -(-DEVICES // 400)  # 400 devices to a hall, in racks of 20
RACKS = -(-DEVICES // 20)

devices = ["name,role,manufacturer,device_type,status,site,location,rack,position,face,serial,asset_tag"]
interfaces = ["device,name,type,enabled,description"]
for d in range(DEVICES):
    name = f"leaf-{d:04d}"
    devices.append(
        f"{name},Leaf switch,Arista,DCS-7050SX3,active,AMS1,Hall {d // 400},R{d // 20:03d},{d % 20 * 2 + 1},front,SSJ{d:06d},"
    )
    interfaces += [f"{name},Ethernet{p},10gbase-x-sfpp,true,port {p}" for p in range(1, PER_DEVICE + 1)]
# NetBox refuses devices at places it does not have, and so does Lockstep: the places come first.
locations = ["site,name", *(f"AMS1,Hall {hall}" for hall in range(HALLS))]
racks = ["site,location,name", *(f"AMS1,Hall {r // 20},R{r:03d}" for r in range(RACKS))]
files = {
    "sites": "name,slug,time_zone\nAmsterdam 1,AMS1,Europe/Amsterdam\n",
    "locations": "\n".join(locations) + "\n",
    "racks": "\n".join(racks) + "\n",
    "device_roles": "name,slug\nLeaf switch,leaf-switch\n",
    "device_types": "manufacturer,model,slug\nArista,DCS-7050SX3,dcs-7050sx3\n",
    "devices": "\n".join(devices) + "\n",
    "interfaces": "\n".join(interfaces) + "\n",
}
sam = User.objects.create_user("sam")


def run(expect: str) -> float:
    start = time.perf_counter()
    report = import_netbox_csv(files, by=sam)
    elapsed = time.perf_counter() - start
    assert report.ok, report.summary()
    counts = getattr(report, expect)
    assert counts["interfaces"] == DEVICES * PER_DEVICE, report.summary()
    return elapsed


first = run("created")
assert Port.objects.count() == DEVICES * PER_DEVICE
_django.report("import_100k_interfaces", first, "s")
_django.report("reimport_100k_interfaces", run("unchanged"), "s")
