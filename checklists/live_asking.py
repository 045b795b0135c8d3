"""What the network says about a step, compared with what the inventory says.

*Before* a destructive step (started by the performer's matching scan): for a port, its link state, its LLDP
neighbour against the far end of the inventory's cable (traced through patch panels) and its traffic; for a
device, the serial and hostname it reports. A disagreement blocks the step like a scan mismatch. The same visit
takes a baseline of the links of every watched device: the target's, those in the same racks, those in the
blast radius.

*After* the performer signs it done (the try-out): the watched links are read again for
`LOCKSTEP_TRYOUT_SECONDS`. The expected port must go down and no other may. Another port going down is the seed's
accident happening: STOP on the phone, the window held, the approvers and coordinators told at once.

Words here reach the tech's phone: they name devices and ports, never a serial or a tag code (rule 7).

The devices are asked through `live` (gear, readings), below this app; what the answers mean for the step,
the hold and the STOP alert are here. The tasks that run these checks are in `live_tasks.py`, above.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accounts.roles import Role
from audit.log import record
from checklists.holds import hold_for_discrepancy
from checklists.interlock import cut_of
from checklists.live_checks import CheckKind, CheckState, LiveCheck, port_of, target_device
from checklists.models import Step
from inventory.actions import Tryout, effect_of
from inventory.blast_radius import blast_radius
from inventory.models import Device, Port, PortKind, normalize_serial
from live.gear import Answer, NoAccess, ask
from live.models import DeviceAccess, Purpose, Reading
from live.ports import far_end, interface, link_states, same_name, same_port

log = logging.getLogger(__name__)

# --- the inventory's side ---------------------------------------------------------------------------------


def watched(step) -> list[DeviceAccess]:
    """The devices whose links the try-out watches, if Lockstep can ask them: the target's device, the device at
    the far end, every device in their racks, and every device the step's blast radius takes down."""
    target = target_device(step)
    ids = {target.pk}
    racks = {target.rack_id}
    port = port_of(step)
    if port is not None and (far := far_end(port)) is not None:
        ids.add(far.device_id)
        racks.add(far.device.rack_id)
    ids |= set(Device.objects.filter(rack_id__in={r for r in racks if r}).values_list("pk", flat=True))
    ids |= {lost.id for lost in blast_radius([cut_of(step)], step.run.site_id).devices}
    return list(
        DeviceAccess.objects.filter(device_id__in=ids, enabled=True)
        .select_related("device")
        .order_by("device__name")
    )


def expected_down(step) -> dict[int, list[str]]:
    """Which ports the step should take down, by device: the port and its far end; for a device powered off or
    removed, the far ends of all its cabled interfaces (the device itself will not be answering). None for an
    action that puts its asset back (inventory.actions): its try-out watches only that nothing else goes down."""
    if effect_of(step.action).tryout != Tryout.TARGET_DOWN:
        return {}
    port = port_of(step)
    expected: dict[int, list[str]] = {}
    ports = (
        [port]
        if port is not None
        else list(step.device.ports.filter(kind=PortKind.INTERFACE, cable__isnull=False))
    )
    for mine in ports:
        if port is not None:
            expected.setdefault(mine.device_id, []).append(mine.name)
        far = far_end(mine)
        if far is not None:
            expected.setdefault(far.device_id, []).append(far.name)
    return expected


# --- asking ---------------------------------------------------------------------------------------------------


@dataclass
class Visit:
    """What one check heard, as it goes: kept as readings, turned into words and a verdict at the end."""

    check: LiveCheck
    findings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    silent: list[str] = field(default_factory=list)

    def keep(self, access: DeviceAccess, answer: Answer, purpose: str, data: dict | None = None) -> Answer:
        Reading.objects.create(
            device=access.device,
            step=self.check.step,
            live_check=self.check,
            purpose=purpose,
            getter=answer.getter,
            source=answer.source,
            taken_at=answer.taken_at,
            answered=answer.ok,
            data=data if data is not None else {},
            failure="" if answer.ok else answer.failure,
        )
        if not answer.ok and not answer.unsupported:
            self.silent.append(f"{access.device.name} did not answer {answer.getter}: {answer.said()}")
        return answer


def _bytes(count) -> str:
    value = float(count or 0)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def _check_port(visit: Visit, access: DeviceAccess, port: Port) -> None:
    interfaces = ask(access, "get_interfaces")
    found = interface(interfaces.data, port.name) if interfaces.ok else None
    visit.keep(
        access, interfaces, Purpose.BEFORE, {"links": link_states(interfaces.data)} if interfaces.ok else None
    )
    if not interfaces.ok:
        return
    if found is None:
        visit.problems.append(f"{access.device.name} reports no interface called {port.name}")
        return
    _, facts = found
    if not facts.get("is_enabled", True):
        visit.findings.append(f"{port.name} is shut down on the switch")
    visit.findings.append(
        f"{port.name} is up"
        if facts.get("is_up")
        else f"{port.name} is already down: the try-out cannot see it go down"
    )
    lldp = ask(access, "get_lldp_neighbors")
    neighbours = []
    if lldp.ok:
        for name, seen in (lldp.data or {}).items():
            if same_port(name, port.name):
                neighbours = [n for n in seen or [] if isinstance(n, dict)]
    visit.keep(
        access, lldp, Purpose.BEFORE, {"port": port.name, "neighbours": neighbours} if lldp.ok else None
    )
    far = far_end(port)
    if lldp.ok:
        if not neighbours:
            visit.findings.append("no LLDP neighbour on it (the far end may not speak LLDP)")
        elif far is None:
            seen = neighbours[0]
            visit.problems.append(
                f"the switch sees {seen.get('hostname', '?')} {seen.get('port', '?')} on {port.name}, "
                "but the inventory has no cable there"
            )
        elif any(
            same_name(n.get("hostname", ""), far.device.name) and same_port(n.get("port", ""), far.name)
            for n in neighbours
        ):
            visit.findings.append(
                f"its LLDP neighbour is {far.device.name} {far.name}, as the inventory says"
            )
        else:
            seen = neighbours[0]
            visit.problems.append(
                f"the switch's LLDP neighbour on {port.name} is {seen.get('hostname', '?')} {seen.get('port', '?')}, "
                f"but the inventory's cable goes to {far.device.name} {far.name}"
            )
    counters = ask(access, "get_interfaces_counters")
    mine = interface(counters.data, port.name) if counters.ok else None
    visit.keep(
        access,
        counters,
        Purpose.BEFORE,
        {"port": port.name, "counters": mine[1] if mine else {}} if counters.ok else None,
    )
    if mine is not None:
        rx, tx = mine[1].get("rx_octets", 0), mine[1].get("tx_octets", 0)
        visit.findings.append(
            f"traffic counted on it: {_bytes(rx)} in, {_bytes(tx)} out"
            if (rx or tx)
            else "no traffic counted on it"
        )


def _check_device(visit: Visit, access: DeviceAccess, device: Device) -> None:
    facts = ask(access, "get_facts")
    if not facts.ok:
        visit.keep(access, facts, Purpose.BEFORE)
        return
    reported_serial = str((facts.data or {}).get("serial_number", ""))
    hostname = str((facts.data or {}).get("hostname", "") or (facts.data or {}).get("fqdn", ""))
    visit.keep(access, facts, Purpose.BEFORE, {"serial_number": reported_serial, "hostname": hostname})
    if hostname and not same_name(hostname, device.name):
        visit.problems.append(f"the device calls itself {hostname}, not {device.name}")
    elif hostname:
        visit.findings.append(f"the device calls itself {hostname}")
    # Compared, never shown: the phone learns only whether they agree (rule 7).
    if not normalize_serial(device.serial):
        visit.findings.append("the inventory has no serial to compare with the device's")
    elif normalize_serial(reported_serial) != normalize_serial(device.serial):
        visit.problems.append("the serial the device reports is not the one in the inventory")
    else:
        visit.findings.append("the serial the device reports is the one in the inventory")


def run_before(check: LiveCheck) -> LiveCheck:
    step = check.step
    target = target_device(step)
    visit = Visit(check)
    accesses = watched(step)
    mine = next((a for a in accesses if a.device_id == target.pk), None)
    if mine is None:
        return finish(check, CheckState.NO_ANSWER, [f"{target.name} has no live checks set up"], [])
    try:
        if port_of(step) is not None:
            _check_port(visit, mine, step.port)
        else:
            _check_device(visit, mine, target)
    except NoAccess as missing:
        return finish(check, CheckState.NO_ANSWER, [str(missing)], [])
    # The baseline the try-out compares with: every other watched device's links now. One that cannot be
    # asked (no credentials, say) is only left out of the watch, and the record says so.
    for access in accesses:
        if access.device_id == target.pk:
            continue
        try:
            answer = ask(access, "get_interfaces")
        except NoAccess as missing:
            visit.findings.append(f"{access.device.name} is not watched: {missing}")
            continue
        visit.keep(access, answer, Purpose.BEFORE, {"links": link_states(answer.data)} if answer.ok else None)
    target_silent = [s for s in visit.silent if s.startswith(target.name + " ")]
    if visit.problems:
        return _disagree(check, visit)
    if target_silent:
        return finish(check, CheckState.NO_ANSWER, target_silent, [])
    return finish(check, CheckState.AGREED, visit.findings + visit.silent, [a.device.name for a in accesses])


def _baseline(step) -> dict[int, dict[str, bool]]:
    before = (
        LiveCheck.objects.filter(step=step, kind=CheckKind.BEFORE, state=CheckState.AGREED)
        .order_by("-pk")
        .first()
        or LiveCheck.objects.filter(step=step, kind=CheckKind.BEFORE).order_by("-pk").first()
    )
    if before is None:
        return {}
    links: dict[int, dict[str, bool]] = {}
    for reading in before.readings.filter(getter="get_interfaces", answered=True):
        links[reading.device_id] = dict(reading.data.get("links", {}))
    return links


def tryout_polls() -> int:
    """How many times the watched links are read: every `LOCKSTEP_TRYOUT_INTERVAL` seconds for
    `LOCKSTEP_TRYOUT_SECONDS`, at least once."""
    interval = max(settings.LOCKSTEP_TRYOUT_INTERVAL, 0.001)
    return max(1, int(settings.LOCKSTEP_TRYOUT_SECONDS // interval))


def tryout_round(check: LiveCheck) -> LiveCheck:
    """One reading of every watched device's links, then the verdict on everything read so far. Until the last
    round, the check stays waiting and the task is queued again (the worker is never held for the whole watch),
    except that another link going down stops it at once: the accident is happening."""
    step = check.step
    baseline = _baseline(step)
    expected = expected_down(step)
    gone = step.device_id if port_of(step) is None else None  # powered off or removed: it will not answer
    # The devices read before the step (its watched set, worked out once then: the blast radius is not
    # recomputed on every read).
    accesses = list(
        DeviceAccess.objects.filter(device_id__in=baseline, enabled=True)
        .exclude(device_id=gone)
        .select_related("device")
        .order_by("device__name")
    )
    names = [a.device.name for a in accesses]
    if not accesses:
        return finish(
            check, CheckState.NO_ANSWER, ["no watched device has a reading from before the step"], []
        )
    # A device that did not answer the last read is not asked again in this try-out: its silence is its answer.
    silent_before = set(
        check.readings.filter(purpose=Purpose.TRYOUT, answered=False).values_list("device_id", flat=True)
    )
    visit = Visit(check)
    for access in accesses:
        if access.device_id in silent_before:
            continue
        try:
            answer = ask(access, "get_interfaces")
        except NoAccess as missing:
            visit.silent.append(f"{access.device.name} cannot be asked: {missing}")
            continue
        visit.keep(access, answer, Purpose.TRYOUT, {"links": link_states(answer.data)} if answer.ok else None)
    check.polls += 1
    check.save(update_fields=["polls"])

    def was(device_id: int, port: str) -> bool | None:
        """The port's link before the step; None if the device did not name it (it cannot be seen)."""
        return next((up for n, up in baseline.get(device_id, {}).items() if same_port(n, port)), None)

    seen_down: set[tuple[int, str]] = set()
    wrong_ports: list[tuple[int, str]] = []
    answered: set[int] = set()
    by_pk = {a.device_id: a.device.name for a in accesses}
    for reading in check.readings.filter(purpose=Purpose.TRYOUT, answered=True).order_by("taken_at", "pk"):
        answered.add(reading.device_id)
        links = reading.data.get("links", {})
        ours = expected.get(reading.device_id, [])
        for name, was_up in baseline.get(reading.device_id, {}).items():
            now_up = links.get(name, was_up)
            if any(same_port(name, e) for e in ours):
                if not now_up:
                    seen_down.add((reading.device_id, name))
            elif was_up and not now_up and (reading.device_id, name) not in wrong_ports:
                wrong_ports.append((reading.device_id, name))
    wrong = _as_labelled(wrong_ports, by_pk)
    if wrong:
        visit.problems = [f"{w} went down, which this step must not touch" for w in wrong]
        check.went_down = wrong
        return _stop(check, visit, names, expected)
    if check.polls < tryout_polls():
        return check  # watched again after the interval
    # The devices that should see the step's own link go down: one that stayed silent leaves the step unproven.
    watching = [d for d in expected if d in by_pk]
    silent = [by_pk[d] for d in watching if d not in answered]
    if silent or not answered:
        return finish(
            check,
            CheckState.NO_ANSWER,
            visit.silent or [f"{name} did not answer during the try-out" for name in silent or names],
            names,
        )
    still_up, unseen, already = [], [], []
    for device_id in watching:
        for name in expected[device_id]:
            before = was(device_id, name)
            went = any(d == device_id and same_port(n, name) for d, n in seen_down)
            if before is None:
                unseen.append(f"{by_pk[device_id]} {name}")
            elif not before:
                already.append(f"{by_pk[device_id]} {name}")
            elif not went:
                still_up.append(f"{by_pk[device_id]} {name}")
    if still_up:
        return finish(
            check,
            CheckState.STILL_UP,
            [f"{s} is still up: on the switch's word, the step is not done" for s in still_up],
            names,
        )
    words = [f"no other link on the {len(names)} watched device(s) went down"]
    if seen_down:
        words.insert(0, "the expected link went down")
    words += [f"{a} was already down before the step" for a in already]
    words += [f"{u} is not named by its switch: it could not be watched" for u in unseen]
    if not watching:
        words.append("no watched switch sees the step's own link")
    return finish(check, CheckState.PASSED, words, names)


def _as_labelled(ports: list[tuple[int, str]], names: dict[int, str]) -> list[str]:
    """Ports as the switches named them ("Ethernet1/1"), said as the inventory and the labels name them
    ("sw-b Eth1/1"), with the switch's own name beside it where it differs: the tech finds the port by its
    label, and the approver checks the switch by its own word."""
    if not ports:
        return []
    inventory: dict[int, list[str]] = {}
    for device_id, name in Port.objects.filter(device_id__in={d for d, _ in ports}).values_list(
        "device_id", "name"
    ):
        inventory.setdefault(device_id, []).append(name)
    said = []
    for device_id, reported in ports:
        ours = next((n for n in inventory.get(device_id, []) if same_port(reported, n)), None)
        if ours is None or ours == reported:
            said.append(f"{names[device_id]} {ours or reported}")
        else:
            said.append(f"{names[device_id]} {ours} ({reported} on the switch)")
    return said


# --- verdicts -------------------------------------------------------------------------------------------------


def _settle(check: LiveCheck):
    """Lock the step, then the check (the order a signature and an approver's decision lock them in), and say
    whether this verdict still decides anything: not if the check was settled meanwhile (an approver decided
    on its silence), a newer check of its kind was asked, its round's scans were voided, or the step is done."""
    step = Step.objects.select_for_update().get(pk=check.step_id)
    locked = LiveCheck.objects.select_for_update().get(pk=check.pk)
    stale = (
        locked.state != CheckState.WAITING
        or LiveCheck.objects.filter(step_id=check.step_id, kind=check.kind, pk__gt=check.pk).exists()
        or (check.kind == CheckKind.BEFORE and locked.round != step.scan_round)
        or step.status == "complete"
    )
    return None if stale else locked


def finish(check: LiveCheck, state: str, findings: list[str], names: list[str]) -> LiveCheck:
    """Say the verdict, if it still decides anything; else keep it on the record as superseded."""
    with transaction.atomic():
        if _settle(check) is None:
            # Ended, so nothing asks or waits on it again; a state an approver decided on stays as it is.
            LiveCheck.objects.filter(pk=check.pk, state=CheckState.WAITING).update(
                state=CheckState.SUPERSEDED, finished_at=timezone.now()
            )
            record(
                "live.superseded",
                obj=check.step,
                payload={
                    "check": check.pk,
                    "kind": check.kind,
                    "would_have_said": state,
                    "findings": findings[:40],
                },
            )
            check.refresh_from_db()
            return check
        return _settled(check, state, findings, names)


def _settled(check: LiveCheck, state: str, findings: list[str], names: list[str]) -> LiveCheck:
    check.state, check.findings, check.watched = state, findings[:40], names[:200]
    check.finished_at = timezone.now()
    check.save(update_fields=["state", "findings", "watched", "finished_at", "went_down", "discrepancy"])
    record(
        f"live.{check.kind}_{state}",
        actor=None,
        obj=check.step,
        payload={
            "check": check.pk,
            "run": check.step.run_id,
            "findings": findings[:40],
            "watched": names[:200],
        },
    )
    return check


def _disagree(check: LiveCheck, visit: Visit) -> LiveCheck:
    step = check.step
    summary = f"Step {step.position} of “{step.run.title}”: the switch disagrees with the inventory"
    with transaction.atomic():
        if _settle(check) is None:
            return finish(check, CheckState.DISAGREED, visit.problems, [])
        check.discrepancy = hold_for_discrepancy(
            step,
            kind="live_check_disagrees",
            summary=summary,
            by=check.asked_by,
            expected={"asset": str(step.asset)},
            found={"switch": visit.problems},
            void_scans=True,
        )
        return _settled(check, CheckState.DISAGREED, visit.problems + visit.findings, [])


def _stop(check: LiveCheck, visit: Visit, names: list[str], expected: dict[int, list[str]]) -> LiveCheck:
    step = check.step
    summary = f"Step {step.position} of “{step.run.title}”: {visit.problems[0]}"
    named = dict(Device.objects.filter(pk__in=expected).values_list("pk", "name"))
    with transaction.atomic():
        if _settle(check) is None:
            return finish(check, CheckState.STOPPED, visit.problems, names)
        check.discrepancy = hold_for_discrepancy(
            step,
            kind="tryout_wrong_port",
            summary=summary,
            by=check.asked_by,
            expected={"down": [f"{named[d]} {p}" for d, ports in expected.items() for p in ports]},
            found={"went_down": check.went_down},
            void_scans=False,
        )
        _settled(check, CheckState.STOPPED, visit.problems, names)
        # Told at once, by the worker: the approvers and the coordinators (queued with the hold, or neither).
        alert.enqueue(check.pk)
    return check


@task()
def alert(check_id: int) -> str:
    """Another link went down in a try-out: every approver and coordinator is told by mail at once (the board
    shows it too), and the record says who was told, or why not."""
    check = LiveCheck.objects.select_related("step__run__site").get(pk=check_id)
    step, run = check.step, check.step.run
    people = list(
        get_user_model()
        .objects.filter(groups__name__in=[Role.APPROVER.value, Role.COORDINATOR.value], is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    failed = ""
    if people:
        try:
            send_mail(
                subject=f"STOP: {', '.join(check.went_down)} went down during {run.title}",
                message=(
                    f"During step {step.position} of “{run.title}” ({run.site.code}), the try-out saw "
                    f"{', '.join(check.went_down)} go down, which the step must not touch. The work is held.\n\n"
                    "Open the board and the discrepancy: the other half of a redundant pair may be down."
                ),
                from_email=None,
                recipient_list=sorted(people),
            )
        except Exception as problem:  # the board still shows it; the mail server's words go to the log only
            log.exception("the STOP mail for live check %s was not sent", check.pk)
            failed = f"the mail server did not take it ({type(problem).__name__})"
    record(
        "live.alert_sent" if people and not failed else "live.alert_not_sent",
        obj=step,
        payload={"check": check.pk, "told": [] if failed else sorted(people), "mail_failed": failed},
    )
    return "told" if people and not failed else "nobody told by mail"
