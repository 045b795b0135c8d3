"""The live checks of a step: each asking of the network about a destructive step, and the rules the step page,
the board and the signature ask of them (rule 10).

A `LiveCheck` is asked *before* a destructive step (identity: link state, LLDP neighbour and traffic of a port,
or serial and hostname of a device) and *after* it (the try-out: the expected port goes down, and no other
watched port does). What the device answered is kept below, in `live` (`Reading`), which knows devices but no
steps; the step-level verdict and what it lets the step do live here, above it.

This module sits under `checklists.models` (which asks `refusal_to_sign` for `Step.uncleared_because`), so it
imports nothing of checklists: a step is what it is given, and the `Step` model is named by its label.

The table keeps the name it had when the model lived in `live` (`live_livecheck`): moving the rules up moved
no row.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.roles import Role, has_role
from inventory.models import Device, Discrepancy, Port
from live.models import DeviceAccess, access_for, locate_command


class CheckKind(models.TextChoices):
    BEFORE = "before", "Before the step"
    TRYOUT = "tryout", "Try-out after the step"


class CheckState(models.TextChoices):
    WAITING = "waiting", "Asking the device"
    AGREED = "agreed", "The device agrees with the inventory"
    DISAGREED = "disagreed", "The device disagrees with the inventory"
    PASSED = "passed", "The expected link went down, and only it"
    STILL_UP = "still_up", "The expected link is still up"
    STOPPED = "stopped", "Another link went down"
    NO_ANSWER = "no_answer", "The device did not answer"
    SUPERSEDED = "superseded", "Superseded: asked again, or its scans were started again"


FINAL_STATES = frozenset(set(CheckState.values) - {CheckState.WAITING})
# Where the step may go on without a person's decision.
GOOD_STATES = frozenset({CheckState.AGREED, CheckState.PASSED})
# Where an approver may decide that it goes on anyway, with a reason: the device was silent, or it still saw
# the link up (a port it names differently, a link that stays up by design).
DECIDABLE_STATES = frozenset({CheckState.NO_ANSWER, CheckState.STILL_UP})


class LiveCheck(models.Model):
    """One asking of the network about one step: before it (identity) or after it (the try-out)."""

    step = models.ForeignKey("checklists.Step", on_delete=models.CASCADE, related_name="live_checks")
    round = models.PositiveSmallIntegerField(help_text="The step's scan round the check belongs to")
    kind = models.CharField(max_length=10, choices=CheckKind.choices)
    state = models.CharField(max_length=10, choices=CheckState.choices, default=CheckState.WAITING)
    # What was found, in words a tech reads on the phone (never a serial or a tag code: rule 7).
    findings = models.JSONField(default=list, blank=True)
    # For a try-out: the ports that went down that should not have ("device port").
    went_down = models.JSONField(default=list, blank=True)
    watched = models.JSONField(default=list, blank=True)
    # For a try-out: how many times the watched links have been read so far.
    polls = models.PositiveSmallIntegerField(default=0)
    discrepancy = models.ForeignKey(
        Discrepancy, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # After silence, an approver decides whether the step goes on without a live check (recorded).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        # The table it had in `live`, with its rows: the model moved up, the data did not move.
        db_table = "live_livecheck"
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CheckKind.values), name="live_check_kind_valid"),
            models.CheckConstraint(condition=Q(state__in=CheckState.values), name="live_check_state_valid"),
        ]
        indexes = [models.Index(fields=["step", "kind", "round"], name="live_check_step_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.step}: {self.get_state_display()}"

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def waived(self) -> bool:
        """No answer (or a link the switch still saw up), and an approver decided the step goes on anyway."""
        return self.state in DECIDABLE_STATES and self.decided_by_id is not None

    def lets_the_step_go_on(self) -> bool:
        return self.state in GOOD_STATES or self.waived


def target_device(step) -> Device | None:
    if step.port_id:
        return step.port.device
    return step.device


def port_of(step) -> Port | None:
    return step.port if step.port_id else None


# --- the rules the step page and the signature both ask (rule 10) ------------------------------------------


def latest(step, kind: str, *, round: int | None = None) -> LiveCheck | None:
    checks = LiveCheck.objects.filter(step=step, kind=kind)
    if round is not None:
        checks = checks.filter(round=round)
    found = checks.order_by("-pk").first()
    if found is not None:
        found.step = step  # the caller's step, with its run already loaded
    return found


def deciding_check(step) -> LiveCheck | None:
    """The check that decides the step now: the try-out once it is signed done, else this round's before-check."""
    if step.status == "done":
        return latest(step, "tryout")
    return latest(step, "before", round=step.scan_round)


def read_for(steps) -> dict[int, dict]:
    """For many steps at once (the board): each one's device access and the before-check of its round, as
    the step's own rule (`is_cleared`) takes them, in two queries however many steps. Load the steps with
    their port's device."""
    steps = list(steps)
    if not steps:
        return {}
    devices = {step.pk: target_device(step) for step in steps}
    accesses = {
        access.device_id: access
        for access in DeviceAccess.objects.filter(
            device_id__in={d.pk for d in devices.values() if d is not None}, enabled=True
        )
    }
    checks: dict[int, LiveCheck] = {}
    rounds = {step.pk: step.scan_round for step in steps}
    for check in LiveCheck.objects.filter(step_id__in=rounds, kind=CheckKind.BEFORE).order_by("pk"):
        if check.round == rounds[check.step_id]:
            checks[check.step_id] = check  # the latest of the round wins
    read = {}
    for step in steps:
        device = devices[step.pk]
        check = checks.get(step.pk)
        if check is not None:
            check.step = step
        read[step.pk] = {"access": accesses.get(device.pk) if device else None, "check": check}
    return read


def overdue(check: LiveCheck) -> bool:
    """A check still waiting past the deadline counts as no answer: a worker that died never holds a step."""
    deadline = timezone.now() - timedelta(seconds=settings.LOCKSTEP_LIVE_CHECK_DEADLINE)
    return check.state == CheckState.WAITING and check.created_at < deadline


_NOT_LOADED = object()


def refusal_to_sign(step, *, access=_NOT_LOADED, check=_NOT_LOADED) -> str | None:
    """Why the next signature of a destructive step may not be given yet, on the switch's word; None if it may.
    The performer's (cleared → done) waits for the before-check of this round to agree; the verifier's (done →
    complete) for the try-out to see the expected link go down, and only it. A device without live checks
    never holds a step; a silent one holds it until an approver decides. `access` and `check`: the step's,
    if the caller loaded them (the step page)."""
    if step.kind != "destructive" or step.status not in ("cleared", "done"):
        return None
    device = target_device(step)
    if access is _NOT_LOADED:
        access = access_for(device)
    if check is _NOT_LOADED:
        check = deciding_check(step)
    if step.status == "cleared":
        if access is None:
            return None
        if check is None:
            return f"Ask {device.name} first: Lockstep checks with the switch before anything is unplugged."
        return _refusal(check, device.name)
    return None if check is None else _refusal(check, "the switches")


def _refusal(check: LiveCheck, who: str) -> str | None:
    if check.lets_the_step_go_on():
        return None
    if check.state == CheckState.WAITING and not overdue(check):
        return (
            f"Asking {who}: wait a few seconds."
            if check.kind == CheckKind.BEFORE
            else "Watching the links after the step: wait a few seconds."
        )
    if check.state in (CheckState.NO_ANSWER, CheckState.WAITING):
        return (
            f"No live check: {who} did not answer. An approver decides whether the step goes on without one."
        )
    if check.state == CheckState.STILL_UP:
        return (
            "The switch still sees the link up: it is not unplugged. Do it, then ask the switch again (or an "
            "approver decides it goes on)."
        )
    if check.discrepancy_id and check.discrepancy.status != "open":
        return "The approver resolved what the switch saw: ask the switch again before signing."
    return "The switch disagrees with the inventory: the work is held until an approver resolves it."


def may_decide_without(check: LiveCheck | None, user) -> bool:
    """May `user` let the step go on without the switch's word? An approver who may oversee the run, once the
    device stayed silent (or the check outlived its deadline) or still saw the link up, and nobody decided yet."""
    if check is None or check.decided_by_id is not None or check.step.status == "complete":
        return False
    open_to_it = check.state in DECIDABLE_STATES or overdue(check)
    return open_to_it and has_role(user, Role.APPROVER) and check.step.run.may_oversee(user)


def may_ask_again(step, check: LiveCheck | None, user, access=_NOT_LOADED) -> bool:
    """The people on the step ask the switch again, while the work runs and the step is not done: when nothing
    was asked this round, it stayed silent, it still saw the link up, or an approver resolved what it saw.
    `access`: the device's, if the caller loaded it."""
    if step.status == "complete" or step.run.status != "active" or not step.run.works_on(user):
        return False
    if access is _NOT_LOADED:
        access = access_for(target_device(step))
    if access is None:
        return False
    if check is None:
        return step.status in ("scanned", "cleared")
    if overdue(check) or check.state in DECIDABLE_STATES:
        return True
    return check.discrepancy_id is not None and check.discrepancy.status != "open"


def may_locate(step, user, access=_NOT_LOADED) -> bool:
    """The people on the step light the chassis's locate LED, while the work runs, where the platform has one."""
    if step.status == "complete" or step.run.status == "closed" or not step.run.works_on(user):
        return False
    if access is _NOT_LOADED:
        access = access_for(target_device(step))
    return locate_command(access) is not None
