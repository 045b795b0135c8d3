"""The worker's side of live checks: every call to a device happens here, never in a request."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from accounts.roles import Role
from audit.log import record
from inventory.models import Device, Discrepancy, normalize_serial
from live import checks
from live.failures import Failure
from live.gear import NoAccess, ask, run_command
from live.models import CheckKind, CheckState, DeviceAccess, LiveCheck, Purpose, Reading, locate_command

log = logging.getLogger(__name__)


@task()
def run_check(check_id: int) -> str:
    check = (
        LiveCheck.objects.select_related("step__run__site", "step__port__device", "step__device", "asked_by")
        .filter(pk=check_id)
        .first()
    )
    if check is None or check.final:
        return "nothing to do"
    try:
        done = checks.run_before(check) if check.kind == CheckKind.BEFORE else checks.tryout_round(check)
    except Exception:
        # Whatever went wrong, the step is not left waiting on a check that will never end: no answer, and
        # the approver decides. What went wrong goes to the server log (secrets masked), never to the record.
        log.exception("live check %s of step %s failed", check.pk, check.step_id)
        done = checks.finish(
            check, CheckState.NO_ANSWER, ["the check itself failed: the server log says why"], []
        )
    if not done.final and done.kind == CheckKind.TRYOUT:
        # The try-out reads the links again after the interval, as a task of its own: the worker is free for
        # customer notices between reads.
        due = timezone.now() + timedelta(seconds=settings.LOCKSTEP_TRYOUT_INTERVAL)
        run_check.using(run_after=due).enqueue(check.pk)
    return done.state


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


@task()
def read_serial(device_id: int, by_id: int) -> str:
    """The chassis serial as the device reports it: kept as a reading of its own (beside the imported serial
    and one read at the rack). A serial that disagrees with the inventory is a discrepancy, never an overwrite."""
    device = Device.objects.get(pk=device_id)
    by = get_user_model().objects.get(pk=by_id)
    access = DeviceAccess.objects.filter(device=device, enabled=True).first()
    if access is None:
        return "no live checks set up"
    try:
        answer = ask(access, "get_facts")
    except NoAccess as missing:
        record("device.serial_not_reported", actor=by, obj=device, payload={"why": str(missing)})
        return f"not asked: {missing}"
    reported = str((answer.data or {}).get("serial_number", "")).strip() if answer.ok else ""
    with transaction.atomic():
        Reading.objects.create(
            device=device,
            purpose=Purpose.SERIAL,
            getter=answer.getter,
            source=answer.source,
            taken_at=answer.taken_at,
            answered=answer.ok,
            data={"serial_number": reported} if answer.ok else {},
            failure="" if answer.ok else answer.failure,
        )
        if not answer.ok:
            record("device.serial_not_reported", actor=by, obj=device, payload={"why": answer.said()})
            return f"no answer: {answer.said()}"
        on_record = normalize_serial(device.serial)
        agrees = bool(on_record) and normalize_serial(reported) == on_record
        record(
            "device.serial_reported",
            actor=by,
            obj=device,
            payload={"source": answer.source, "agrees_with_inventory": agrees if on_record else None},
        )
        if on_record and not agrees:
            Discrepancy.raise_for(
                kind="device_serial_disagrees",
                summary=f"{device} reports a serial that is not the one in the inventory",
                by=by,
                expected={"device": device.name, "serial": device.serial},
                found={"reported_by_device": reported, "source": answer.source},
                device=device,
            )
            return "disagrees with the inventory: a discrepancy was raised"
    return "agrees with the inventory" if agrees else "reported; the inventory has no serial to compare"


@task()
def locate(device_id: int, on: bool, by_id: int, step_id: int | None = None) -> str:
    device = Device.objects.get(pk=device_id)
    by = get_user_model().objects.get(pk=by_id)
    access = DeviceAccess.objects.filter(device=device, enabled=True).first()
    command = locate_command(access, on=on) if access else None
    if command is None:
        return "no locate LED"
    try:
        answer = run_command(access, command)
    except NoAccess as missing:
        answer, failure, error = None, Failure.NO_ACCESS, str(missing)
    else:
        failure = "" if answer.ok else answer.failure
        error = "" if answer.ok else answer.said()
    Reading.objects.create(
        device=device,
        step_id=step_id,
        purpose=Purpose.LOCATE,
        getter="cli",
        source=access.source,
        taken_at=answer.taken_at if answer else timezone.now(),
        answered=bool(answer and answer.ok),
        data={"command": command},
        failure=failure,
    )
    record(
        "device.locate_led_on" if on else "device.locate_led_off",
        actor=by,
        obj=device,
        payload={"step": step_id, "command": command, "answered": not error, "error": error},
    )
    return error or "done"


def start(step, kind: str, *, by) -> LiveCheck | None:
    """Ask the network about a step: a check and its task, made inside the caller's transaction, so the
    scan or signature and the asking commit together, or neither. None: there is nobody to ask."""
    from live.models import access_for, target_device

    if kind == CheckKind.BEFORE and access_for(target_device(step)) is None:
        return None
    if kind == CheckKind.TRYOUT:
        read_before = Reading.objects.filter(
            step=step, purpose=Purpose.BEFORE, getter="get_interfaces", answered=True
        ).exists()
        if not read_before and access_for(target_device(step)) is not None:
            # Nothing was read before the step, so nothing to compare after it: said on the record, so the
            # as-run shows that no try-out was made, and why.
            record(
                "live.tryout_not_made",
                actor=by,
                obj=step,
                payload={"run": step.run_id, "why": "no link was read before the step to compare with"},
            )
        if not read_before:
            return None
    check = LiveCheck.objects.create(step=step, round=step.scan_round, kind=kind, asked_by=by)
    run_check.enqueue(check.pk)
    record("live.asked", actor=by, obj=step, payload={"check": check.pk, "kind": kind, "run": step.run_id})
    return check
