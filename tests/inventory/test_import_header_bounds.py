"""A CSV header is read in time proportional to its length, and a header no NetBox export has (tens of
thousands of columns) is refused at once, naming the limit, before anything else is looked at."""

from __future__ import annotations

import time

from audit.models import AuditEvent
from inventory.importers import import_netbox_csv
from inventory.importers.columns import MAX_COLUMNS
from inventory.models import Device, Site

REQUIRED = "name,role,manufacturer,device_type,status,site"
ROW = "leaf-01,Leaf switch,Arista,DCS-7050SX3,active,AMS1"


def devices_with_extra_columns(extra: int) -> str:
    names = ",".join(f"custom_field_{n:05}" for n in range(extra))
    return f"{REQUIRED},{names}\n{ROW}{',' * extra}\n"


def test_a_header_of_forty_thousand_columns_is_refused_at_once_naming_the_limit(sam):
    devices = devices_with_extra_columns(40_000)
    assert len(devices) > 260_000  # the size of the header that took 18 s to check

    started = time.perf_counter()
    report = import_netbox_csv({"devices": devices}, by=sam)
    took = time.perf_counter() - started

    assert took < 2
    assert [str(error) for error in report.errors] == [
        f"devices.csv line 1: has 40,006 columns; the limit is {MAX_COLUMNS}. Export only the columns "
        "Lockstep reads (a devices file needs name, role, manufacturer, device_type, status, site)"
    ]
    assert not (Site.objects.exists() or Device.objects.exists())
    assert AuditEvent.objects.get(action="inventory.import_refused").actor_label == "sam"


def test_a_column_named_twice_is_still_named_in_a_header_at_the_limit(sam):
    devices = devices_with_extra_columns(MAX_COLUMNS - 7).replace("custom_field_00001", "Name", 1)

    report = import_netbox_csv({"devices": devices}, by=sam)

    assert [str(error) for error in report.errors] == [
        "devices.csv line 1: the column(s) name appear more than once"
    ]
    assert not Device.objects.exists()
