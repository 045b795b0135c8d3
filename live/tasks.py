"""The worker's side of asking a device about itself (its serial, its locate LED): every call to a device
happens in the worker, never in a request. The checks of a step are run by `checklists.live_tasks`."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from audit.log import record
from inventory.models import Device, Discrepancy, normalize_serial
from live.failures import Failure
from live.gear import NoAccess, ask, run_command
from live.models import DeviceAccess, Purpose, Reading, locate_command

log = logging.getLogger(__name__)


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
