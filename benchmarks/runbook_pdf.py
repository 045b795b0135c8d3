"""Printing the runbook of a big window: 200 steps, each with its QR code, asset and signature boxes.

BENCH runbook_200_steps: seconds to make the PDF of an approved 200-step runbook (fetch, QR codes, HTML,
WeasyPrint). BASELINE: WeasyPrint alone, rendering the same HTML. The difference is our own overhead; aim:
under 20 % of the baseline. BENCH runbook_html_200_steps: that overhead measured directly.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from datetime import timedelta

import _django

# A production-length host: the URL's length decides the QR version, and with it the cost of a symbol.
os.environ.setdefault("LOCKSTEP_PUBLIC_HOST", "lockstep.example.net")
_django.setup()
# WeasyPrint reports each step of each render at INFO; a 200-step runbook would bury the figures.
logging.getLogger("weasyprint").setLevel(logging.ERROR)

import weasyprint  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.roles import Role  # noqa: E402
from checklists.models import ChecklistTemplate, StepKind  # noqa: E402
from inventory.models import Cable, Customer, Device, DeviceKind, Port, Rack, Service, Site  # noqa: E402
from maintenance.models import TargetAction, Window  # noqa: E402
from maintenance.runbook_pdf import render_runbook_pdf, runbook_html  # noqa: E402
from maintenance.runbooks import STANDARD_SLUG  # noqa: E402

TARGETS = _django.size(65, 3)  # 5 steps for the whole window and 3 for each target: 5 + 3 x 65 = 200 steps
STEPS = 5 + 3 * TARGETS
RUNS = _django.size(3, 1)


def person(username: str, role: Role) -> User:
    user = User.objects.create_user(username=username, email=f"{username}@example.net")
    user.groups.add(Group.objects.get_or_create(name=role.value)[0])
    return user


site = Site.objects.create(code="BENCH1", name="Benchmark hall", time_zone="Europe/Berlin")
core_rack = Rack.objects.create(site=site, name="C01")
core = Device.objects.create(
    site=site, rack=core_rack, position=40, name="core", kind=DeviceKind.ROUTER, is_upstream_root=True
)
racks = Rack.objects.bulk_create(Rack(site=site, name=f"A{n:02d}") for n in range(1, 4))
switches = Device.objects.bulk_create(
    Device(
        site=site,
        rack=rack,
        position=42 - n,
        name=f"{rack.name}-sw{n}",
        kind=DeviceKind.SWITCH,
        serial=f"SN{rack.name}{n}",
    )
    for rack in racks
    for n in range(2)
)
Port.objects.bulk_create(
    Port(device=switch, name=f"Ethernet1/{n}") for switch in switches for n in range(1, 25)
)
uplinks = Port.objects.bulk_create(Port(device=core, name=f"et-0/0/{n}") for n in range(len(switches)))
for switch, uplink in zip(switches, uplinks, strict=True):
    cable = Cable.objects.create(label=f"uplink {switch.name}")
    Port.objects.filter(pk=uplink.pk).update(cable=cable, cable_end="A")
    Port.objects.filter(device=switch, name="Ethernet1/24").update(cable=cable, cable_end="B")
customer = Customer.objects.create(name="Acme")
for switch in switches[:3]:
    Service.objects.create(customer=customer, name=f"acme-{switch.name}").devices.add(switch)

# The standard change, shaped to 200 steps: find every target, the approver's go-ahead, unplug each with
# two people, and a rollback step for each.
ChecklistTemplate.publish(
    slug=STANDARD_SLUG,
    title="Standard change",
    steps=[
        {
            "kind": StepKind.INSTRUCTION,
            "title": "Check in at the rack",
            "instructions": "Both of you, right cage.",
        },
        {"kind": StepKind.CUSTOMER_UPDATE, "title": "Tell customers", "message": "Maintenance has started."},
        {
            "kind": StepKind.IDENTITY_CHECK,
            "title": "Find {asset} and scan its label",
            "instructions": "Scan the label on {asset}.",
            "target_role": "*",
            "show_neighbours": True,
        },
        {"kind": StepKind.HOLD_POINT, "title": "Approver's go-ahead", "instructions": "Every target found."},
        {
            "kind": StepKind.DESTRUCTIVE,
            "title": "{action}: {asset}",
            "instructions": "Both of you scan {asset} and type its chassis serial, then {action} it.",
            "target_role": "*",
            "show_neighbours": True,
        },
        {
            "kind": StepKind.INSTRUCTION,
            "title": "Check the result",
            "instructions": "Links that should be up are up.",
        },
        {"kind": StepKind.CUSTOMER_UPDATE, "title": "Tell customers", "message": "Maintenance is complete."},
        {
            "kind": StepKind.INSTRUCTION,
            "title": "Put {asset} back as it was",
            "instructions": "Reverse the {action} on {asset}.",
            "target_role": "*",
            "is_rollback": True,
        },
    ],
)

rex, ada = person("rex", Role.TECH), person("ada", Role.APPROVER)
start = timezone.now() + timedelta(days=1)
window = Window.objects.create(
    site=site,
    title="Re-cable the A row",
    planned_start=start,
    planned_end=start + timedelta(hours=6),
    requester=rex,
    rollback_plan="Plug every cable back where it was.",
)
window.assignees.add(person("tess", Role.TECH), person("vic", Role.TECH))
ports = Port.objects.filter(device__in=switches).exclude(name="Ethernet1/24").order_by("device_id", "pk")
for port in ports[:TARGETS]:
    window.add_target(by=rex, action=TargetAction.UNPLUG, port=port)
window.submit(by=rex)
window.approve(by=ada, comment="go")
assert window.run.steps.count() == STEPS, window.run.steps.count()

with CaptureQueriesContext(connection) as queries:
    html = runbook_html(window)
print(f"# runbook_html: {len(queries)} queries, {len(html) // 1024} KiB of HTML", flush=True)


def weasyprint_alone() -> bytes:
    return weasyprint.HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one call. On a shared machine the CPU time is the steadier figure:
    it leaves out the time other processes had the processor."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


# Interleaved, best of 3 each: a machine whose load changes during the run slows both sides alike.
best: dict[str, tuple[float, float]] = {}
for _ in range(RUNS):
    for name, fn in (
        ("baseline", weasyprint_alone),
        ("ours", lambda: render_runbook_pdf(window)),
        ("html", lambda: runbook_html(window)),
    ):
        wall, cpu = timed(fn)
        previous = best.get(name, (float("inf"), float("inf")))
        best[name] = (min(previous[0], wall), min(previous[1], cpu))

_django.report("runbook_html_200_steps", best["html"][0], "s")
_django.report("runbook_200_steps", best["ours"][0], "s", baseline=best["baseline"][0])
for label, index in (("wall-clock", 0), ("CPU", 1)):
    ours, baseline, html_only = best["ours"][index], best["baseline"][index], best["html"][index]
    print(
        f"# {label}: ours {ours:.2f} s, WeasyPrint alone {baseline:.2f} s, overhead "
        f"{100 * (ours - baseline) / baseline:.1f} %; the HTML alone {html_only:.2f} s = "
        f"{100 * html_only / baseline:.1f} % (aim: under 20 %)",
        flush=True,
    )
