"""A tech's scan is answered while they stand at the rack; it must feel as quick as any page.

BENCH scan_check: median milliseconds for one scan POST, through the whole stack (middleware, login, the
idempotency record, the step and run row locks, the tag lookup, the StepScan row, the audit event and the
re-rendered step panel, asked for as the phone's script asks: X-Requested-With: fetch), each a real matching
scan of an identity check that records its scan and completes its step, on an inventory of 100,000 tagged
ports. BASELINE: a view behind the same middleware and login that does one indexed tag lookup and answers a
few bytes. Aim: within 3x of the baseline.

Where the rest goes (measured on SQLite, 2026-11-27): Django compiling SQL, not the database running it.
The step read with its run, asset, rack, site and people costs ~0.9 ms to compile and ~0.09 ms to run; each
of the ~20 statements a scan must make (locks, checks, three rows written, the audit chain, the tap's
answer) costs 0.1-0.35 ms of ORM work; the panel's template ~0.4 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import types
import uuid

import _django

# Rendered from the source files: the manifest that production's collectstatic writes does not exist here.
os.environ.setdefault("STATIC_MANIFEST", "0")
_django.setup()

from django.contrib.auth.decorators import login_required  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import path, reverse  # noqa: E402
from django.views.decorators.http import require_POST  # noqa: E402

import lockstep.urls  # noqa: E402
from accounts.roles import Role  # noqa: E402
from checklists.models import Binding, ChecklistTemplate, Run, StepKind, StepStatus  # noqa: E402
from inventory import codes  # noqa: E402
from inventory.models import Device, DeviceKind, Port, Rack, Site, Tag, TagStatus  # noqa: E402

# 100 racks x 20 switches x 50 ports = 100,000 ports, each with an active tag
RACKS = _django.size(100, 2)
SWITCHES_PER_RACK = _django.size(20, 5)
PORTS_PER_SWITCH = _django.size(50, 10)
N = _django.size(200, 10)  # timed requests of each kind
WARMUP = _django.size(10, 3)

site = Site.objects.create(code="BENCH1", name="Benchmark hall")
racks = Rack.objects.bulk_create(Rack(site=site, name=f"R{n:03d}") for n in range(RACKS))
devices = Device.objects.bulk_create(
    (
        Device(
            site=site,
            rack=rack,
            position=42 - 2 * n,
            name=f"{rack.name}-sw{n:02d}",
            kind=DeviceKind.SWITCH,
            serial=f"SN{rack.name}{n:02d}",
        )
        for rack in racks
        for n in range(SWITCHES_PER_RACK)
    ),
    batch_size=5000,
)
ports = Port.objects.bulk_create(
    (Port(device=device, name=f"Eth1/{n}") for device in devices for n in range(1, PORTS_PER_SWITCH + 1)),
    batch_size=5000,
)
tags = Tag.objects.bulk_create(
    (
        Tag(code=codes.new_code(), short_code=codes.new_short_code(), port=port, status=TagStatus.ACTIVE)
        for port in ports
    ),
    batch_size=5000,
)

tess = User.objects.create_user("tess", password="bench-only-password")
# A login without a role reads no run at all (Run.may_view): the tech works the run as the tech role.
tess.groups.add(Group.objects.get(name=Role.TECH))
template = ChecklistTemplate.publish(
    slug="bench-identity",
    title="Find and identify",
    steps=[
        {
            "kind": StepKind.IDENTITY_CHECK,
            "title": "Find {asset} and scan its label",
            "target_role": "*",
            "show_neighbours": True,
        }
    ],
)
# One port on each of WARMUP + N switches spread over the hall: a step each, scanned in order.
stride = len(ports) // (WARMUP + N)
targets = [(ports[i * stride], tags[i * stride]) for i in range(WARMUP + N)]
run = Run.build(
    title=f"Bench: identify {WARMUP + N} ports",
    site=site,
    templates=[template],
    bindings=[Binding(port, "identify") for port, _ in targets],
    people=[tess],
)
run.open_for_work(by=tess)
steps = list(run.sequence())
assert [s.port_id for s in steps] == [port.pk for port, _ in targets]


@login_required
@require_POST
def one_lookup(request: HttpRequest) -> HttpResponse:
    found = Tag.objects.filter(code=request.POST.get("code", "")).values_list("pk", flat=True).first()
    return HttpResponse(f"tag {found}", content_type="text/plain")


bench_urls = types.ModuleType("scan_check_urls")
bench_urls.urlpatterns = [path("bench/lookup/", one_lookup, name="bench_lookup"), *lockstep.urls.urlpatterns]

# As in production behind its TLS proxy: https, a host it serves, DEBUG off; as the step page's script posts.
client = Client(HTTP_HOST="localhost", HTTP_X_REQUESTED_WITH="fetch")
client.force_login(tess)


def post(url: str, data: dict[str, str]) -> float:
    start = time.perf_counter()
    response = client.post(url, data, secure=True)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code, response.content.decode()[:2000])
    return elapsed


with override_settings(ROOT_URLCONF=bench_urls):
    lookup_url = reverse("bench_lookup")
    scan_times: list[float] = []
    lookup_times: list[float] = []
    # Interleaved, so both see the same machine at the same moment.
    for index, (step, (_, tag)) in enumerate(zip(steps, targets, strict=True)):
        lookup_s = post(lookup_url, {"code": tag.code})
        scan_url = reverse("checklists:step_scan", args=[run.pk, step.position])
        if index == WARMUP - 1:  # counted on a warm-up request: counting slows it down
            with CaptureQueriesContext(connection) as queries:
                scan_s = post(scan_url, {"code": tag.code, "idem": uuid.uuid4().hex})
            print(f"# one scan request: {len(queries)} queries", file=sys.stderr)
        else:
            scan_s = post(scan_url, {"code": tag.code, "idem": uuid.uuid4().hex})
        if index >= WARMUP:
            lookup_times.append(lookup_s)
            scan_times.append(scan_s)

assert not run.steps.exclude(status=StepStatus.COMPLETE).exists()
assert run.steps.filter(scans__matched=True).count() == WARMUP + N

bench_ms = statistics.median(scan_times) * 1000
baseline_ms = statistics.median(lookup_times) * 1000
print(
    f"# {len(ports):,} ports and tags; {N} requests each; scan is {bench_ms / baseline_ms:.1f}x the baseline",
    file=sys.stderr,
)
_django.report("scan_check", bench_ms, "ms", baseline=baseline_ms)
