"""Holding the work: a step's row locked and brought up to date, and a run held for an approver with the step's
scans voided, whether a scan at the rack disagreed (execution) or the switch did (live_asking).

Below both of them, so the worker that hears the switch and the actions a tech takes hold the work the same way
without importing each other.
"""

from __future__ import annotations

from django.db import transaction

from audit.log import record
from checklists.models import Run, RunStatus, Step, StepStatus
from inventory.models import Discrepancy

# What an action on a step may change: saved by name, so a tap never rewrites the rest of the row.
STEP_STATE = [
    "status",
    "performer",
    "performer_session",
    "performer_device",
    "performed_at",
    "verifier",
    "verifier_session",
    "verifier_device",
    "verified_at",
    "released_by",
    "completed_at",
    "scan_round",
]

# The columns an action reads under the row lock. Everything else about a step (its run, kind, asset and
# words) is fixed when the runbook is built, so what the caller loaded of it stays true.
_STEP_STATE_COLUMNS = [Step._meta.get_field(name).attname for name in STEP_STATE]

# A mismatch voids the scans before it while the step is not yet done: the performer's match may have been
# made at the same wrong chassis. Once done, the action has happened; the hold is what matters then.
_VOIDABLE = (StepStatus.PENDING, StepStatus.SCANNED, StepStatus.CLEARED)


def bring_up_to_date(instance, state: dict) -> None:
    for name, value in state.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)  # a changed foreign key id drops its stale cached object


def lock_step(step: Step) -> Step:
    """Lock the step's row and bring its state up to date in place, keeping the asset the caller loaded:
    one narrow query instead of reloading the step with its asset, rack and site under the lock."""
    state = Step.objects.select_for_update().filter(pk=step.pk).values(*_STEP_STATE_COLUMNS).get()
    bring_up_to_date(step, state)
    return step


def void_and_hold(step: Step, run: Run, summary: str, *, void_scans: bool) -> bool:
    """Hold the run for an approver; and, if the step is not yet done, void its scans, so both people scan
    again, in order, once it is resolved. Returns whether scans were voided."""
    voided = void_scans and step.status in _VOIDABLE
    if voided:
        step.performer, step.performer_session, step.performer_device = None, "", ""
        step.verifier, step.verifier_session, step.verifier_device = None, "", ""
        step.status = StepStatus.PENDING
        step.scan_round += 1
        step.save(update_fields=STEP_STATE)
    run.status = RunStatus.HELD
    run.hold_reason = summary[:300]
    run.save(update_fields=["status", "hold_reason"])
    return voided


def hold_for_discrepancy(
    step: Step, *, kind: str, summary: str, by, expected: dict, found: dict, void_scans: bool
) -> Discrepancy:
    """What the network said disagrees (live_asking.py): the same as a mismatch at the rack, without a scan. A
    discrepancy for the approver, the run held, and the step's scans voided if it is not yet done."""
    with transaction.atomic():
        step = lock_step(step)
        run = Run.objects.select_for_update().get(pk=step.run_id)
        if run.status == RunStatus.CLOSED:
            void_scans = False  # the work has ended: what the switch said is kept, and nothing reopens
        discrepancy = Discrepancy.raise_for(
            kind=kind,
            summary=summary,
            by=by,
            expected=expected,
            found=found,
            device=step.chassis,
            port=step.port,
        )
        voided = run.status != RunStatus.CLOSED and void_and_hold(step, run, summary, void_scans=void_scans)
        record(
            "step.live_mismatch",
            actor=by,
            obj=step,
            payload={
                "run": run.pk,
                "discrepancy": discrepancy.pk,
                "found": found,
                "earlier_scans_voided": voided,
            },
        )
    return discrepancy
