"""The worker's side of a step's live checks, and their asking: a check and its task are made inside the
caller's transaction (a scan, a signature, a tech asking again), and the worker runs it (`live_asking`), so
every call to a device happens in the worker, never in a request."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from audit.log import record
from checklists import live_asking
from checklists.live_checks import CheckKind, CheckState, LiveCheck, target_device
from live.models import Purpose, Reading, access_for

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
        done = (
            live_asking.run_before(check)
            if check.kind == CheckKind.BEFORE
            else live_asking.tryout_round(check)
        )
    except Exception:
        # Whatever went wrong, the step is not left waiting on a check that will never end: no answer, and
        # the approver decides. What went wrong goes to the server log (secrets masked), never to the record.
        log.exception("live check %s of step %s failed", check.pk, check.step_id)
        done = live_asking.finish(
            check, CheckState.NO_ANSWER, ["the check itself failed: the server log says why"], []
        )
    if not done.final and done.kind == CheckKind.TRYOUT:
        # The try-out reads the links again after the interval, as a task of its own: the worker is free for
        # customer notices between reads.
        due = timezone.now() + timedelta(seconds=settings.LOCKSTEP_TRYOUT_INTERVAL)
        run_check.using(run_after=due).enqueue(check.pk)
    return done.state


def start(step, kind: str, *, by) -> LiveCheck | None:
    """Ask the network about a step: a check and its task, made inside the caller's transaction, so the
    scan or signature and the asking commit together, or neither. None: there is nobody to ask."""
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
