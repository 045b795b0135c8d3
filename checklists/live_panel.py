"""What the step page shows of live checks, and what it offers (templates/checklists/_step_live.html): asked of
the rules in live_checks.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from checklists.live_checks import (
    CheckKind,
    CheckState,
    LiveCheck,
    deciding_check,
    latest,
    may_ask_again,
    may_decide_without,
    may_locate,
    overdue,
    refusal_to_sign,
    target_device,
)
from checklists.models import StepKind
from live.models import access_for
from lockstep.dates import in_zone

_HEADLINES = {
    (CheckKind.BEFORE, CheckState.WAITING): ("warn", "… Asking {device}"),
    (CheckKind.BEFORE, CheckState.AGREED): ("good", "✓ {device} agrees with the inventory"),
    (CheckKind.BEFORE, CheckState.DISAGREED): ("stop", "✕ STOP: {device} disagrees with the inventory"),
    (CheckKind.BEFORE, CheckState.NO_ANSWER): ("warn", "■ No live check: {device} did not answer"),
    (CheckKind.TRYOUT, CheckState.WAITING): ("warn", "… Watching the links"),
    (CheckKind.TRYOUT, CheckState.PASSED): ("good", "✓ Try-out: nothing else went down"),
    (CheckKind.TRYOUT, CheckState.STILL_UP): ("bad", "✕ Not done: the switch still sees the link up"),
    (CheckKind.TRYOUT, CheckState.STOPPED): ("stop", "✕ STOP: {went_down} went down"),
    (CheckKind.TRYOUT, CheckState.NO_ANSWER): ("warn", "■ No try-out: the switches did not answer"),
    (CheckKind.BEFORE, CheckState.SUPERSEDED): ("muted", "{device} is asked again"),
    (CheckKind.TRYOUT, CheckState.SUPERSEDED): ("muted", "The links are watched again"),
}


@dataclass
class StepLive:
    device: str
    check: LiveCheck | None = None
    tone: str = "muted"
    headline: str = ""
    findings: list[str] = field(default_factory=list)
    decided: str = ""
    may_ask_again: bool = False
    may_decide: bool = False
    may_locate: bool = False
    # Why the next signature waits on the switch (None: it does not): the page offers no sign button then.
    refusal: str | None = None
    # In the page's state: the panel is swapped when this changes.
    token: str = "none"
    # When the device answered (site time), for a check that has: what it said stays dated on the phone.
    answered_at: str = ""
    # The step's own rule (`Step.is_cleared`, `uncleared_because`), asked with what was read here: the page
    # says go only then.
    cleared: bool = False
    # Both scans matched and the switch is still being asked (or nothing was asked yet): "Wait: asking".
    asking: bool = False
    # Why the step is not cleared yet, once both scans matched (None: it is, or it is not at that point).
    waits_for: str | None = None

    @property
    def alarming(self) -> bool:
        return self.tone in ("stop", "bad")


def step_live(step, user) -> StepLive | None:
    """None: the step is not one a switch is asked about (not destructive, or no device)."""
    if step.kind != StepKind.DESTRUCTIVE or (device := target_device(step)) is None:
        return None
    access = access_for(device)
    shown = StepLive(device=device.name)
    if access is None:
        _clearance(shown, step, access=None, check=None)
        shown.headline = (
            f"No live check: {device.name} has no driver and management address set up in Lockstep."
        )
        return shown
    if step.status == "complete":
        check = latest(step, CheckKind.TRYOUT) or latest(step, CheckKind.BEFORE)
    else:
        check = deciding_check(step)
    _clearance(shown, step, access=access, check=check)
    shown.refusal = refusal_to_sign(step, access=access, check=check)
    shown.may_locate = may_locate(step, user, access)
    shown.may_ask_again = may_ask_again(step, check, user, access)
    if check is None:
        # The switch disagreed and the step's scans were voided: while the work is held for it, the step
        # keeps showing what the switch said, not that it will be asked.
        check = _disagreement_still_open(step)
    shown.check = check
    if check is None:
        shown.headline = f"{device.name} is asked when the first tech's scan matches."
        shown.token = f"none-{step.scan_round}"
        return shown
    state = CheckState.NO_ANSWER if overdue(check) else check.state
    tone, words = _HEADLINES[(check.kind, state)]
    shown.tone = tone
    shown.headline = words.format(device=device.name, went_down=", ".join(check.went_down) or "another link")
    shown.findings = list(check.findings)
    if check.decided_by_id:
        shown.decided = f"{check.decided_by.get_username()} decided the step goes on without it: “{check.decision_reason}”"
        shown.tone = "warn"
    if check.finished_at is not None and state != CheckState.SUPERSEDED:
        when = f"{in_zone(check.finished_at, step.run.site.tz):%H:%M:%S %Z}"
        shown.answered_at = (
            f"No answer by {when}." if state == CheckState.NO_ANSWER else f"Answered at {when}."
        )
    shown.may_decide = may_decide_without(check, user)
    shown.token = f"{check.pk}-{state}-{check.decided_by_id or 0}"
    return shown


def _clearance(shown: StepLive, step, *, access, check) -> None:
    """What the step's own rule says, asked with the access and check already read (no query more)."""
    why = step.uncleared_because(access=access, check=check)
    shown.cleared = why is None
    if step.status == "cleared" and not shown.cleared:
        shown.waits_for = why
        shown.asking = access is not None and (
            check is None or (check.state == CheckState.WAITING and not overdue(check))
        )


def _disagreement_still_open(step) -> LiveCheck | None:
    """The latest before-check of an earlier round, if it disagreed and its discrepancy is still open."""
    if step.scan_round == 0 or step.status != "pending":
        return None
    earlier = latest(step, CheckKind.BEFORE)
    if earlier is None or earlier.state != CheckState.DISAGREED or earlier.discrepancy_id is None:
        return None
    return earlier if earlier.discrepancy.status == "open" else None
