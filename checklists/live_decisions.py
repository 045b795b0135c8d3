"""What people do about a live check: ask the switch again, or, after silence, an approver lets the step go on
without its answer. Each locks, checks the rule the page asked (live_checks.py), acts and records, together."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from audit.log import record
from checklists.live_checks import (
    CheckKind,
    CheckState,
    LiveCheck,
    deciding_check,
    may_ask_again,
    may_decide_without,
    may_locate,
    target_device,
)
from checklists.live_tasks import start
from checklists.models import Step, StepRefused
from live.tasks import locate


def decide_without(step: Step, *, by, reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise StepRefused(
            "Say why the step may go on without the switch's answer (for example: console checked)."
        )
    with transaction.atomic():
        locked = Step.objects.select_for_update().select_related("run").get(pk=step.pk)
        check = deciding_check(locked)
        if check is None or not may_decide_without(check, by):
            raise StepRefused(
                "There is no unanswered live check here for you to decide on: an approver who does not work on "
                "this change decides, once the switch stayed silent."
            )
        check = LiveCheck.objects.select_for_update().get(pk=check.pk)
        if check.state == CheckState.WAITING:
            # Past its deadline (the worker died, or is stuck on a device): it is silence, said as such. A
            # verdict the worker reaches later is kept as superseded.
            check.state, check.finished_at = CheckState.NO_ANSWER, timezone.now()
            check.findings = [*check.findings, "no answer within the deadline"]
        check.decided_by, check.decided_at, check.decision_reason = by, timezone.now(), reason[:500]
        check.save(
            update_fields=["state", "finished_at", "findings", "decided_by", "decided_at", "decision_reason"]
        )
        record(
            "live.decided_without_answer",
            actor=by,
            obj=locked,
            payload={"check": check.pk, "kind": check.kind, "run": locked.run_id, "reason": reason[:500]},
        )
    return "Recorded: the step goes on without the switch's answer."


def ask_again(step: Step, *, by) -> str:
    with transaction.atomic():
        locked = (
            Step.objects.select_for_update(of=("self",))
            .select_related("run", "port__device", "device")
            .get(pk=step.pk)
        )
        check = deciding_check(locked)
        if not may_ask_again(locked, check, by):
            raise StepRefused("The switch is not asked again now: it is being asked, or it has answered.")
        kind = CheckKind.TRYOUT if locked.status == "done" else CheckKind.BEFORE
        if start(locked, kind, by=by) is None:
            raise StepRefused("Nothing to ask: no switch with live checks sees this step.")
    return "Asking the switch again: its answer shows here in a few seconds."


def locate_led(step: Step, *, by) -> str:
    """The people on the step turn the chassis's locate LED on; the worker asks the device."""
    device = target_device(step)
    if not may_locate(step, by):
        raise StepRefused("There is no locate LED to turn on here now.")
    with transaction.atomic():
        locate.enqueue(device.pk, True, by.pk, step.pk)
        record("live.locate_asked", actor=by, obj=step, payload={"device": device.name, "run": step.run_id})
    return f"Asking {device.name} to light its locate LED: look for the blinking light."
