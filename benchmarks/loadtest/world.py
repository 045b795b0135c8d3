"""The load test's world, made through the models as the app makes it, and what is checked after the traffic.

A data hall of racks, each with a pair of top-of-rack switches and servers hosting customers' sites (two in
three dual-homed), every switch port labelled with an active tag. One window per pair of techs, each
unplugging 10 to 18 ports of its own rack's switch "a": planned, submitted (blast radius, runbook), approved
and started, so its runbook is open for work on the phones. And, not yet open, the runs of identity checks
that the throughput phase scans through as fast as the server answers.

Runs inside Django: run.py sets it up on the fresh database first.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from audit.log import record
from audit.models import AuditEvent
from checklists.models import (
    STOP_ACKNOWLEDGED,
    Binding,
    ChecklistTemplate,
    Run,
    Step,
    StepKind,
    StepScan,
    TapRecord,
)
from inventory import codes
from inventory.models import (
    Cable,
    Customer,
    Device,
    DeviceKind,
    Port,
    Rack,
    Service,
    Site,
    Tag,
    TagStatus,
    bump_sites,
)
from maintenance.models import Window

PASSWORD = "loadtest-lockstep"
SWITCH_PORTS = 24  # Eth1/1-24 face the servers (or nothing); Eth1/49-50 go up to the core pair
SERVERS_PER_RACK = 8
SCANNER_RUN_STEPS = 60  # every scanner's runs alike, so one scanner and fifty do the same work per scan

# What each kind of tap leaves in the audit log when it is acted on: the check after the traffic counts them.
TAP_ACTIONS = {
    "scan": {"step.scanned", "step.scan_mismatch"},
    "sign": {"step.signed", "step.verified", "customer_update.queued"},
    "stopped": {STOP_ACKNOWLEDGED},
    "release": {"step.released"},
    "resolve": {"discrepancy.resolved"},
}


def window_sizes(pairs: int) -> list[int]:
    """Targets per window: 10 to 18, mixed, so the board carries runbooks of many sizes (36 to 60 steps)."""
    return [10 + (i * 7) % 9 for i in range(pairs)]


@transaction.atomic
def build(*, pairs: int, approvers: int, scanner_levels: list[int], scanner_runs: dict[int, int]) -> dict:
    """Everything the traffic needs, and the plan it follows: who logs in, which run each pair works, and
    what is printed on each label (the code a phone's camera reads, the serial on the chassis)."""
    people = _people(techs=2 * pairs, approvers=approvers)
    hall = _hall(racks=max(pairs, 1), by=people["requester"])
    pairs_plan = []
    for i, size in enumerate(window_sizes(pairs)):
        techs = people["techs"][2 * i : 2 * i + 2]
        window = _running_window(i, hall, size, requester=people["requester"], techs=techs, people=people)
        pairs_plan.append(
            {
                "window": window.pk,
                "run": window.run_id,
                "techs": [t.username for t in techs],
                "labels": _labels(window.run),
            }
        )
    return {
        "password": PASSWORD,
        "techs": [t.username for t in people["techs"]],
        "approvers": [a.username for a in people["approvers"]],
        "pairs": pairs_plan,
        "scanners": {
            str(level): _scanner_runs(level, scanner_runs[level], hall, people) for level in scanner_levels
        },
    }


def _people(*, techs: int, approvers: int) -> dict:
    # One hash for everyone: a million PBKDF2 rounds per user would make building slower than the test.
    password = make_password(PASSWORD)
    groups = {g.name: g for g in Group.objects.all()}

    def person(username: str, role: str) -> User:
        user = User.objects.create(username=username, password=password, first_name=username.title())
        user.groups.add(groups[role])
        return user

    return {
        "techs": [person(f"tech{n:02d}", "tech") for n in range(1, techs + 1)],
        "approvers": [person(f"approver{n}", "approver") for n in range(1, approvers + 1)],
        "requester": person("planner", "tech"),
    }


def _hall(*, racks: int, by) -> dict:
    site = Site.objects.create(code="LT1", name="Load test hall", time_zone="America/Los_Angeles")
    cores = [
        Device.objects.create(
            site=site,
            name=f"lt1-core-{n}",
            kind=DeviceKind.ROUTER,
            is_upstream_root=True,
            serial=f"JN-LT-{n}",
        )
        for n in (1, 2)
    ]
    core_ports = {core.pk: [] for core in cores}
    for core in cores:
        core_ports[core.pk] = Port.objects.bulk_create(
            Port(device=core, name=f"et-0/0/{n}") for n in range(2 * racks)
        )
    links: list[tuple[Port, Port]] = []
    switches: list[tuple[Device, Device]] = []
    customers = [Customer.objects.create(name=f"Customer {n:02d}") for n in range(1, 21)]
    for r in range(racks):
        rack = Rack.objects.create(site=site, name=f"R{r + 1:02d}")
        pair = []
        for i, side in enumerate("ab"):
            switch = Device.objects.create(
                site=site,
                rack=rack,
                name=f"lt1-r{r + 1:02d}-tor-{side}",
                kind=DeviceKind.SWITCH,
                position=42 - i,
                serial=f"FDO{r + 1:03d}{side.upper()}{r * 7919 % 1000:03d}",
                manufacturer="Cisco",
                model="Nexus 93180YC-FX",
            )
            ports = Port.objects.bulk_create(
                Port(device=switch, name=f"Eth1/{n}") for n in [*range(1, SWITCH_PORTS + 1), 49, 50]
            )
            for c, core in enumerate(cores):
                links.append((ports[SWITCH_PORTS + c], core_ports[core.pk][2 * r + i]))
            pair.append(switch)
        switches.append((pair[0], pair[1]))
        for s in range(SERVERS_PER_RACK):
            server = Device.objects.create(
                site=site,
                rack=rack,
                name=f"lt1-r{r + 1:02d}-web{s + 1:02d}",
                kind=DeviceKind.SERVER,
                position=2 + 2 * s,
                serial=f"CZ{r:02d}{s:02d}",
            )
            eth0, eth1 = Port.objects.bulk_create(
                [Port(device=server, name="eth0"), Port(device=server, name="eth1")]
            )
            links.append((eth0, Port.objects.get(device=pair[0], name=f"Eth1/{s + 1}")))
            if s % 3 != 2:  # two in three dual-homed: a pair the blast radius and the interlock must see
                links.append((eth1, Port.objects.get(device=pair[1], name=f"Eth1/{s + 1}")))
            service = Service.objects.create(
                customer=customers[(r * SERVERS_PER_RACK + s) % len(customers)],
                name=f"lt1-site-{r + 1:02d}-{s + 1:02d}",
                public_name=f"Website {r + 1}.{s + 1}",
            )
            service.devices.add(server)
    cables = Cable.objects.bulk_create(Cable(label=f"lt1-{n}") for n in range(len(links)))
    for cable, (a, b) in zip(cables, links, strict=True):
        a.cable, a.cable_end, b.cable, b.cable_end = cable, "A", cable, "B"
    Port.objects.bulk_update([p for link in links for p in link], ["cable", "cable_end"])
    bump_sites([site.pk])  # bulk writes send no signals: the blast radius must see the new cables
    # Every switch port carries an active label. Made in bulk, as a label audit would have left them.
    now = timezone.now()
    Tag.objects.bulk_create(
        Tag(
            code=codes.new_code(),
            short_code=codes.new_short_code(),
            port=port,
            status=TagStatus.ACTIVE,
            issued_by=by,
            commissioned_at=now,
            commissioned_by=by,
        )
        for port in Port.objects.filter(device__site=site, device__kind=DeviceKind.SWITCH)
    )
    record("loadtest.hall_built", actor=by, obj=site, payload={"racks": racks})
    return {"site": site, "switches": switches}


def _running_window(i: int, hall: dict, size: int, *, requester, techs, people) -> Window:
    switch_a = hall["switches"][i][0]
    now = timezone.now()
    window = Window.objects.create(
        site=hall["site"],
        title=f"Re-cable {switch_a.name} ({size} ports)",
        planned_start=now - timedelta(minutes=30),
        planned_end=now + timedelta(hours=6),
        requester=requester,
        risk="medium",
        rollback_plan="Plug every cable back into the port it came from.",
    )
    window.assignees.add(*techs)
    for port in Port.objects.filter(device=switch_a, name__in=[f"Eth1/{n}" for n in range(1, size + 1)]):
        window.add_target(by=requester, action="unplug", port=port)
    window.submit(by=requester)
    approver = people["approvers"][i % len(people["approvers"])]
    window.approve(by=approver, comment="Load test: reviewed the blast radius.")
    window.start(by=techs[0])
    # The pairs are at different points of their runbooks when the traffic begins: finding the targets,
    # waiting for the go-ahead, or in the middle of the two-person cuts (what the board's interlock asks about).
    identity, hold = 2 + size // 2, 3 + size
    _work_through(window.run, [0, identity, hold, hold + size // 2][i % 4], techs, approver)
    return window


def _work_through(run: Run, last: int, techs: list[User], approver: User) -> None:
    """Work the runbook as its two techs would, up to and including position `last`: every step whole, so the
    phones pick up at a step nobody has touched yet (a half-scanned step would wait for a phone that is not
    in the test)."""
    from checklists.execution import Who, release, scan, sign

    def phone(user: User) -> Who:
        return Who.of(
            user, session_key=f"before-{user.username}", device_id=f"before{user.username}0123456789"
        )

    performer, verifier = (phone(t) for t in techs)
    tags = {t.port_id: t.code for t in Tag.objects.live().filter(port__in=run.steps.values("port"))}
    for step in run.sequence().filter(position__lte=last).select_related("port__device"):
        if step.kind == StepKind.IDENTITY_CHECK:
            scan(step, who=performer, raw=tags[step.port_id], method="camera")
        elif step.kind == StepKind.HOLD_POINT:
            release(step, who=phone(approver))
        elif step.kind == StepKind.DESTRUCTIVE:
            serial = step.port.device.serial
            scan(step, who=performer, raw=tags[step.port_id], serial=serial, method="camera")
            scan(Step.objects.get(pk=step.pk), who=verifier, raw=tags[step.port_id], serial=serial)
            sign(Step.objects.get(pk=step.pk), who=performer)
            sign(Step.objects.get(pk=step.pk), who=verifier)
        else:
            sign(step, who=performer)


def _labels(run: Run) -> dict[str, dict[str, str]]:
    """For each scanned step: the URL in its asset's QR, the chassis serial, and a wrong label next to it
    (the port beside it on the same switch), by position."""
    steps = Step.objects.filter(run=run, kind__in=[StepKind.IDENTITY_CHECK, StepKind.DESTRUCTIVE])
    labels = {}
    for step in steps.select_related("port__device"):
        port = step.port
        number = int(port.name.split("/")[1])
        wrong = Port.objects.get(device=port.device, name=f"Eth1/{number + 1}")
        labels[str(step.position)] = {
            "code": Tag.objects.live().get(port=port).url(),
            "wrong": Tag.objects.live().get(port=wrong).url(),
            "serial": port.device.serial,
        }
    return labels


def _identity_template() -> ChecklistTemplate:
    return ChecklistTemplate.latest("loadtest-identity") or ChecklistTemplate.publish(
        slug="loadtest-identity",
        title="Identity checks",
        steps=[{"kind": StepKind.IDENTITY_CHECK, "title": "Scan {asset}", "target_role": "*"}],
    )


def _scanner_runs(level: int, runs_each: int, hall: dict, people: dict) -> list[list[dict]]:
    """For each of `level` scanners (the first `level` techs), `runs_each` runs of identity checks on switch
    "b" ports of their rack, built and left ready: opened only when their phase begins."""
    template = _identity_template()
    planner = people["requester"]
    plan = []
    for n in range(level):
        tech = people["techs"][n]
        switch_b = hall["switches"][n % len(hall["switches"])][1]
        ports = list(Port.objects.filter(device=switch_b, name__startswith="Eth1/").order_by("pk"))
        codes_by_port = {t.port_id: t.url() for t in Tag.objects.live().filter(port__in=ports)}
        mine = []
        for r in range(runs_each):
            bound = [Binding(ports[k % len(ports)], "unplug") for k in range(SCANNER_RUN_STEPS)]
            run = Run.build(
                title=f"Scanner {level}.{n + 1}.{r + 1}",
                site=hall["site"],
                templates=[template],
                bindings=bound,
                people=[tech],
                owner=planner,
                by=planner,
            )
            steps = run.steps.order_by("position").values_list("position", "port_id")
            mine.append({"run": run.pk, "steps": [[pos, codes_by_port[port]] for pos, port in steps]})
        plan.append({"tech": tech.username, "runs": mine})
    return plan


def open_runs(run_ids: list[int]) -> None:
    opener = User.objects.get(username="planner")
    for run in Run.objects.filter(pk__in=run_ids):
        run.open_for_work(by=opener)


def audit_seq() -> int:
    """The audit log's last sequence number: the check counts only the events after it."""
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def check(ledger: list[dict], *, since_seq: int) -> list[str]:
    """What the database says after the traffic, against what the phones were told. Returns the problems
    found (none, when all is well):

    - no step signed twice: at most one performer's and one verifier's signature event per step;
    - every tap answered with a 2xx (and every scan answered with a STOP) acted exactly once: its key is
      kept with that answer, and the audit log holds exactly one event of its kind, by its person, on its
      object, per tap so answered; and no such event exists that no phone was told of (unless a tap went
      unanswered: an error, counted elsewhere).
    """
    problems: list[str] = []
    signed_twice = (
        AuditEvent.objects.filter(
            object_type="checklists.step",
            action__in=["step.signed", "step.verified", "customer_update.queued", "step.released"],
        )
        .values("object_id", "action")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
    )
    for row in signed_twice:
        problems.append(f"step {row['object_id']} has {row['n']} '{row['action']}' events")

    step_pks = {
        (run, position): pk for pk, run, position in Step.objects.values_list("pk", "run_id", "position")
    }
    users = dict(User.objects.values_list("username", "pk"))
    kept = {t.key: t for t in TapRecord.objects.only("key", "status_code", "user_id")}
    told: Counter = Counter()
    answered_keys = 0
    for tap in ledger:
        acted = 200 <= tap["status"] < 300 or (tap["kind"] == "scan" and tap.get("verdict") == "stop")
        if not acted:
            continue
        answered_keys += 1
        record_row = kept.get(tap["key"])
        if record_row is None:
            problems.append(
                f"{tap['kind']} tap {tap['key']} was answered {tap['status']} but its key is not kept"
            )
            continue
        if record_row.status_code != tap["status"] or record_row.user_id != users[tap["user"]]:
            problems.append(
                f"{tap['kind']} tap {tap['key']}: kept as {record_row.status_code}, answered {tap['status']}"
            )
        if tap["kind"] == "resolve":
            obj = ("inventory.discrepancy", str(tap["object"]))
        else:
            obj = ("checklists.step", str(step_pks[(tap["run"], tap["position"])]))
        told[(tap["kind"], users[tap["user"]], *obj)] += 1
    actions = {action: kind for kind, names in TAP_ACTIONS.items() for action in names}
    phones = [tap["user"] for tap in ledger]
    in_log: Counter = Counter()
    for actor, action, object_type, object_id in AuditEvent.objects.filter(
        action__in=list(actions), actor__username__in=set(phones), seq__gt=since_seq
    ).values_list("actor_id", "action", "object_type", "object_id"):
        in_log[(actions[action], actor, object_type, object_id)] += 1
    for key in told.keys() | in_log.keys():
        if told[key] != in_log[key]:
            kind, actor, object_type, object_id = key
            problems.append(
                f"{kind} by user {actor} on {object_type} {object_id}: the phones were told {told[key]}, "
                f"the audit log has {in_log[key]}"
            )
    # The database's own rules, asked again: two people on every completed two-person step, one matched
    # scan per role and round.
    scans = StepScan.objects.filter(matched=True).values("step", "role", "round").annotate(n=Count("pk"))
    problems += [
        f"step {row['step']} has {row['n']} matched {row['role']} scans" for row in scans.filter(n__gt=1)
    ]
    return problems


def tally() -> dict[str, int]:
    """What the traffic left, in rows: for the report."""
    return {
        "audit_events": AuditEvent.objects.count(),
        "taps_kept": TapRecord.objects.count(),
        "scans": StepScan.objects.count(),
        "steps_complete": Step.objects.filter(status="complete").count(),
    }
