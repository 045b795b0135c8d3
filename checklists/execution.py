"""Acting on a step: scan, sign, release a hold point, and resolve the discrepancy a mismatch raised.

Each action locks the step's row, checks every rule, changes it and writes the audit event in one
transaction. A refusal changes nothing, except a mismatch: that is recorded (scan, discrepancy, hold) and
committed, because a mismatch that vanished on refusal would be a warning, and a warning is not enough.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from checklists import interlock, live_tasks
from checklists.holds import STEP_STATE, bring_up_to_date, lock_step, void_and_hold
from checklists.live_checks import CheckKind, LiveCheck, refusal_to_sign
from checklists.models import (
    CAMERA_METHODS,
    STOP_ACKNOWLEDGED,
    CutRefusal,
    Run,
    RunMode,
    RunStatus,
    ScanMethod,
    Step,
    StepKind,
    StepRefused,
    StepScan,
    StepStatus,
)
from checklists.updates import public_values
from comms.models import NoticeKind
from comms.notices import announce
from inventory import codes
from inventory.models import (
    Device,
    Discrepancy,
    DiscrepancyStatus,
    Port,
    Site,
    Tag,
    TagStatus,
    normalize_serial,
)
from inventory.phones import Phone

_RUN_CLOSED_WORDS = {
    RunStatus.READY: "This runbook is not open for work yet: the work has not been started.",
    RunStatus.PAUSED: "An approver paused this work. Wait for them to resume it.",
    RunStatus.HELD: "This work is held until an approver resolves the discrepancy.",
    RunStatus.CLOSED: "This runbook is closed: the work has ended.",
}


# How far a phone's own clock is believed about when a queued tap was made.
QUEUED_AT_MOST = timedelta(days=7)
CLOCK_AHEAD_AT_MOST = timedelta(minutes=2)


@dataclass(frozen=True)
class Who:
    """The person acting and where from: their session and their phone (a long-lived cookie), both hashed.
    `queued_at`: for a tap that waited on the phone for a connection, when the phone says it was made (its
    own clock: recorded beside the server's time, never instead of it)."""

    user: object
    session: str
    device: str
    queued_at: str = ""

    @classmethod
    def of(cls, user, *, session_key: str | None, device_id: str | None, queued_at: str | None = None) -> Who:
        if not session_key:
            raise StepRefused("Your session has expired. Log in again; nothing was signed.")
        if not device_id:
            # Two people must be two phones, and a phone is told by this cookie: without it, it cannot be.
            raise StepRefused("Your phone sent no Lockstep cookie. Allow cookies for this site and reload.")
        phone = Phone.of(device_id=device_id, session_key=session_key)
        return cls(user, phone.session, phone.device, _phone_time(queued_at))

    @property
    def phone(self) -> Phone:
        return Phone(device=self.device, session=self.session)

    def noted(self) -> dict[str, str]:
        """What the audit event keeps about how the tap arrived."""
        return {"queued_on_phone_at": self.queued_at} if self.queued_at else {}


def _phone_time(value: str | None) -> str:
    """An ISO time from the phone, in UTC, if it is one and is plausible; otherwise nothing (a tap is never
    refused for its phone's clock)."""
    if not value or len(value) > 40:
        return ""
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return ""
    if when.tzinfo is None:
        return ""
    now = timezone.now()
    if not now - QUEUED_AT_MOST <= when <= now + CLOCK_AHEAD_AT_MOST:
        return ""
    return when.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ScanResult:
    matched: bool
    message: str
    role: str = ""
    discrepancy: Discrepancy | None = None
    step: Step | None = None  # as the scan left it, with its asset loaded: the answer page needs nothing more
    # Both scans matched, but the step is not cleared yet (the switch is still being asked): nothing reads as go.
    waiting: bool = False


# The run's columns an action reads under the row lock (the step's: holds.lock_step).
_RUN_STATE_COLUMNS = ["status", "mode", "hold_reason"]


def _require_workable(step: Step, who: Who, *, approver_may: bool = False) -> Run:
    if Step.run.is_cached(step):
        run = step.run
        state = Run.objects.select_for_update().filter(pk=run.pk).values(*_RUN_STATE_COLUMNS).get()
        bring_up_to_date(run, state)
    else:
        run = Run.objects.select_for_update().get(pk=step.run_id)
        step.run = run
    if run.status != RunStatus.ACTIVE:
        raise StepRefused(
            _RUN_CLOSED_WORDS[run.status] + (f" ({run.hold_reason})" if run.hold_reason else "")
        )
    if step.is_rollback != (run.mode == RunMode.ROLLBACK):
        raise StepRefused(
            "This is a rollback step; it is done only when rolling back."
            if step.is_rollback
            else "This runbook is rolling back: only the rollback steps are done now."
        )
    if not (run.works_on(who.user) or (approver_may and has_role(who.user, Role.APPROVER))):
        raise StepRefused("You are not assigned to this work, so you cannot act on its steps.")
    if (earlier := step.first_open_earlier()) is not None:
        raise StepRefused(f"Step {earlier[0]} ({earlier[1]}) comes first; steps run in order.")
    if step.status == StepStatus.COMPLETE:
        raise StepRefused("This step is already complete.")
    return run


def _serial_agrees(given: str, expected: str) -> bool:
    """The whole chassis serial, or its last six characters, as people read them off a sticker."""
    given, expected = normalize_serial(given), normalize_serial(expected)
    return bool(expected) and (given == expected or (len(given) == 6 and expected.endswith(given)))


def scan(step: Step, *, who: Who, raw: str, serial: str = "", method: str = ScanMethod.TYPED) -> ScanResult:
    """Check a scanned (or typed) tag against the step's expected asset; for a destructive step, the chassis
    serial too. The first matching scan makes its scanner the performer; a destructive step then needs a
    different person's own matching scan (the verifier) before it is cleared, and, where the site asks for
    it, one of the two made with a camera. `method` says how the code was read (anything unknown: typed)."""
    method = method if method in ScanMethod.values else ScanMethod.TYPED
    raw = (raw or "").strip()
    try:
        kind, value = codes.parse_any(raw)
    except codes.BadCode as exc:
        raise StepRefused(str(exc)) from None
    if kind != "code":
        # Only the QR holds the long code (the label prints the short one under it, and no page shows
        # either): a short code was read by a person and typed, whatever the request says.
        method = ScanMethod.TYPED
    with transaction.atomic():
        step = lock_step(step)
        if not step.needs_scan:
            raise StepRefused("This step has nothing to scan.")
        run = _require_workable(step, who)
        # Locked: a revocation (which locks the tag too) lands either before this reads the tag or after this
        # scan has committed, never in between. Ids and status decide a match; the asset a wrong label
        # belongs to is read only to describe it.
        tag = Tag.objects.select_for_update(no_key=True).by_code(kind, value)
        if tag is None:
            raise StepRefused("No Lockstep tag has this code. Check the label; nothing was recorded.")
        problems = _tag_mismatches(step, tag)
        if step.needs_serial and normalize_serial(serial):
            step.chassis.serial = _chassis_serial(step)
            if not _serial_agrees(serial, step.chassis.serial):
                problems.append(
                    f"the serial typed does not match {step.chassis.name}'s serial in the inventory"
                )
        if problems:
            # A wrong label (or serial) at the rack is a discrepancy whoever scanned it, even someone who
            # may not scan this step now: it is compared before who may scan.
            role = _mismatch_role(step, who)
        else:
            role = _scan_role(step, who)
            if step.needs_serial and not normalize_serial(serial):
                raise StepRefused(
                    "Also type the serial number on the chassis (or its last 6 characters): "
                    "this step checks two identities."
                )
            if role == StepScan.Role.VERIFIER:
                _require_a_camera(step, run, method)
        scan_row = StepScan(
            step=step,
            round=step.scan_round,
            user=who.user,
            role=role,
            session_hash=who.session,
            device_hash=who.device,
            raw=raw[:300],
            tag=tag,
            serial_given=serial.strip()[:100],
            matched=not problems,
            reason="; ".join(problems)[:300],
            method=method,
        )
        if problems:
            return _block(step, run, scan_row, tag, who, problems)
        scan_row.save()
        now = timezone.now()
        if role == StepScan.Role.PERFORMER:
            step.performer, step.performer_session, step.performer_device = who.user, who.session, who.device
            if step.needs_two:
                step.status = StepStatus.SCANNED
            else:
                step.performed_at = step.completed_at = now
                step.status = StepStatus.COMPLETE
        else:
            step.verifier, step.verifier_session, step.verifier_device = who.user, who.session, who.device
            step.status = StepStatus.CLEARED
        step.save(update_fields=STEP_STATE)
        if role == StepScan.Role.PERFORMER and step.needs_two:
            # The switch is asked while the second tech scans: its answer is usually there before they are.
            live_tasks.start(step, CheckKind.BEFORE, by=who.user)
        record(
            "step.scanned",
            actor=who.user,
            obj=step,
            payload={
                **who.noted(),
                "run": run.pk,
                "role": role,
                "tag": tag.short_code,
                "matched": True,
                "status": step.status,
                "method": method,
            },
        )
        # Asked inside the scan's transaction: the switch's answer may already be in (or no switch is asked).
        waits_for = step.uncleared_because() if step.status == StepStatus.CLEARED else None
    messages = {
        StepStatus.SCANNED: "Match. Now a second tech scans this asset on their own phone.",
        StepStatus.CLEARED: "Match. Cleared by two people: the performer does it now.",
        StepStatus.COMPLETE: "Match. Identity confirmed; step complete.",
    }
    if waits_for is not None:
        return ScanResult(
            True, f"Match: both scans agree. Touch nothing yet. {waits_for}", role, step=step, waiting=True
        )
    return ScanResult(True, messages[step.status], role, step=step)


def _chassis_serial(step: Step) -> str:
    """The chassis serial as the inventory holds it now, locked until this scan commits: an edit or an import
    made since the page was loaded counts, and none lands while the scan is checked against it."""
    # FOR NO KEY UPDATE: it still waits for (and holds off) an edit of the device, but not the foreign-key
    # check of a tag being inserted for it, which a reissue makes after recording its revocation.
    return (
        Device.objects.select_for_update(no_key=True)
        .filter(pk=step.chassis.pk)
        .values_list("serial", flat=True)
        .get()
    )


CAMERA_NEEDED = (
    "At least one of the two scans must be made with a camera: scan the label with the camera button or "
    "your phone's camera app."
)


def camera_needed(step: Step, site_requires: bool, performer_method: str | None) -> bool:
    """Whether the verifier's scan of `step` must be made with a camera: the site asks for one camera scan of
    the two on a destructive step, and the performer's matching scan of this round (`performer_method`) was
    not. The scan refuses without it; the step page says so before anyone tries."""
    return step.needs_two and site_requires and performer_method not in CAMERA_METHODS


def _require_a_camera(step: Step, run: Run, method: str) -> None:
    """The verifier's scan would clear the step: refused if neither it nor the performer's matching scan of
    this round was made with a camera, where the site asks for one."""
    if not step.needs_two or method in CAMERA_METHODS:
        return
    site_requires = Site.objects.filter(pk=run.site_id).values_list("camera_scan_required", flat=True).get()
    performer_method = (
        StepScan.objects.filter(step=step, round=step.scan_round, role=StepScan.Role.PERFORMER, matched=True)
        .values_list("method", flat=True)
        .first()
    )
    if camera_needed(step, site_requires, performer_method):
        raise StepRefused(CAMERA_NEEDED)


def _mismatch_role(step: Step, who: Who) -> str:
    if step.performer_id is None or step.performer_id == who.user.pk:
        return StepScan.Role.PERFORMER
    return StepScan.Role.VERIFIER


def _scan_role(step: Step, who: Who) -> str:
    if step.performer_id is None:
        return StepScan.Role.PERFORMER
    if not step.needs_two or step.verifier_id is not None:
        raise StepRefused("This step has already been scanned.")
    if step.performer_id == who.user.pk:
        raise StepRefused(
            "You already scanned this as the performer. A different tech must verify it on their own phone."
        )
    if who.phone.made(step.performer_phone):
        raise StepRefused(
            "This phone already scanned as the performer. The verifier scans on their own phone, "
            "not by logging in on this one."
        )
    return StepScan.Role.VERIFIER


def _tag_mismatches(step: Step, tag: Tag) -> list[str]:
    problems: list[str] = []
    expected = step.asset
    # Never the label's code: the words go back to the phone, and a code is read off the label, not off Lockstep.
    if tag.status == TagStatus.REVOKED:
        problems.append("the label is a revoked tag and never verifies")
    elif tag.status != TagStatus.ACTIVE:
        problems.append("the label was never applied (commissioned)")
    if tag.device_id != step.device_id or tag.port_id != step.port_id:
        problems.append(f"the label belongs to {_describe(tag.asset)}, not to {_describe(expected)}")
    return problems


def _describe(asset: Device | Port) -> str:
    if isinstance(asset, Port):
        return f"{asset.device.name} {asset.name} ({asset.device.site.code})"
    return f"{asset.name} ({asset.site.code})"


def _block(step: Step, run: Run, scan_row: StepScan, tag: Tag, who: Who, problems: list[str]) -> ScanResult:
    """A mismatch: keep the scan, raise a discrepancy for the approver, hold the run, and void the step's
    earlier scans, so that once it is resolved both people scan again, in order. Then say so."""
    summary = f"Step {step.position} of “{run.title}”: scan did not match {_describe(step.asset)}"
    discrepancy = Discrepancy.raise_for(
        kind="scan_mismatch",
        summary=summary,
        by=who.user,
        expected={"asset": _describe(step.asset), "serial": step.chassis.serial if step.needs_serial else ""},
        found={"tag_asset": _describe(tag.asset), "serial": scan_row.serial_given},
        device=step.chassis,
        port=step.port,
        tag=tag,
    )
    scan_row.discrepancy = discrepancy
    scan_row.save()  # in the round it was made in: the voiding below starts the next one
    had_a_match = step.performer_id is not None
    voided = void_and_hold(step, run, summary, void_scans=True)
    record(
        "step.scan_mismatch",
        actor=who.user,
        obj=step,
        payload={
            **who.noted(),
            "run": run.pk,
            "problems": problems,
            "discrepancy": discrepancy.pk,
            "role": scan_row.role,
            "method": scan_row.method,
            "earlier_scans_voided": voided,
            "round": step.scan_round,
        },
    )
    said = "; ".join(problems)
    again = (
        " The earlier scan of this step no longer counts: once it is resolved, both people scan again."
        if voided and had_a_match
        else ""
    )
    return ScanResult(
        False,
        f"STOP. {said[:1].upper()}{said[1:]}. Do not touch anything. The work is held and the approver has "
        f"been told.{again}",
        scan_row.role,
        discrepancy,
        step,
    )


def customer_update_answer(notice, *, follow: str = "This step shows each one as it is sent.") -> str:
    """What a customer update answers: queued (the worker sends), how many by which channel, never "sent"."""
    reach = notice.reach()
    if not reach:
        return (
            "Signed. Nobody was sent this update: no customer of the services this work affects has a "
            "confirmed contact."
        )
    return f"Update queued: {reach} to customers. {follow}"


def sign(step: Step, *, who: Who) -> str:
    """Sign the step: done (performer), or verified (the verifier, after the performer)."""
    try:
        return _sign(step, who=who)
    except _CutRefused as refused:
        # Kept, not rolled back with the refusal: the approver's board shows what the interlock stopped.
        with transaction.atomic():
            CutRefusal.objects.create(
                step=step,
                blocking_step=refused.blocked.blocking[0],
                services=refused.blocked.services[:200],
                by=who.user,
                reason=refused.reason[:500],
            )
            record(
                "step.cut_refused",
                actor=who.user,
                obj=step,
                payload={
                    **who.noted(),
                    "run": step.run_id,
                    "blocking": [
                        {"run": other.run_id, "step": other.position, "title": other.title}
                        for other in refused.blocked.blocking
                    ],
                    "services": refused.blocked.services[:200],
                },
            )
        raise StepRefused(refused.reason) from None


class _CutRefused(Exception):
    def __init__(self, blocked: interlock.Blocked) -> None:
        super().__init__(blocked.reason())
        self.blocked = blocked
        self.reason = blocked.reason()


def _sign(step: Step, *, who: Who) -> str:
    with transaction.atomic():
        step = lock_step(step)
        run = _require_workable(step, who)
        now = timezone.now()
        if step.kind == StepKind.HOLD_POINT:
            raise StepRefused("A hold point is released by an approver, not signed.")
        if step.kind == StepKind.IDENTITY_CHECK:
            raise StepRefused("Scan the tag to complete this identity check.")
        if step.kind in (StepKind.INSTRUCTION, StepKind.CUSTOMER_UPDATE):
            step.performer, step.performer_session, step.performer_device = who.user, who.session, who.device
            step.performed_at = step.completed_at = now
            step.status = StepStatus.COMPLETE
            step.save(update_fields=STEP_STATE)
            if step.kind == StepKind.INSTRUCTION:
                record(
                    "step.signed",
                    actor=who.user,
                    obj=step,
                    payload={**who.noted(), "run": run.pk, "role": "performer", "message": step.message},
                )
                return "Signed: done."
            # The update goes to the customers of the services the work was approved to touch, queued in this
            # transaction: signed and queued together, or neither.
            said = public_values(run, step.message)
            notice = announce(
                NoticeKind.UPDATE,
                services=run.approved_services,
                values=said,
                about=step,
                site=run.site,
                reference=said["reference"],
                by=who.user,
            )
            messages = notice.deliveries.count()
            record(
                "customer_update.queued",
                actor=who.user,
                obj=step,
                payload={
                    **who.noted(),
                    "run": run.pk,
                    "role": "performer",
                    "message": step.message,
                    "notice": notice.pk,
                    "messages": messages,
                },
            )
            return customer_update_answer(notice)
        # Destructive: only after both scans matched, the performer first, then the verifier.
        if run.mode == RunMode.ROLLBACK:
            raise StepRefused("Destructive steps are not done while rolling back.")
        if step.status in (StepStatus.PENDING, StepStatus.SCANNED):
            raise StepRefused(step.uncleared_because())
        if step.status == StepStatus.CLEARED:
            if who.user.pk != step.performer_id:
                if who.user.pk == step.verifier_id:
                    raise StepRefused(
                        "Wait for the performer to do it and sign; then you sign that it was done."
                    )
                raise StepRefused("Only the performer and the verifier who scanned this asset sign it.")
            _require_scanning_phone(who, step.performer_phone)
            # Cleared only once everything has answered: the scans, and the switch where it can be asked.
            if (why := step.uncleared_because()) is not None:
                raise StepRefused(why)
            # The moment of the cut: refused while another run's open cut would make it the second half
            # of a redundant pair. One decision at a time per site, under its lock.
            interlock.lock_site(run.site_id)
            if (blocked := interlock.check(step)) is not None:
                raise _CutRefused(blocked)
            step.performed_at = now
            step.status = StepStatus.DONE
            step.save(update_fields=STEP_STATE)
            record(
                "step.signed",
                actor=who.user,
                obj=step,
                payload={**who.noted(), "run": run.pk, "role": "performer"},
            )
            if live_tasks.start(step, CheckKind.TRYOUT, by=who.user) is not None:
                return (
                    "Signed: done. Lockstep watches the links now; the verifier signs once the switch agrees."
                )
            return "Signed: done. Now the verifier signs that it was done on this asset."
        # DONE: the verifier's turn.
        if who.user.pk != step.verifier_id:
            if who.user.pk == step.performer_id:
                raise StepRefused("You signed as the performer; the verifier signs now, on their own phone.")
            raise StepRefused("Only the verifier who scanned this asset signs it as verified.")
        if who.phone.made(step.performer_phone):
            raise StepRefused("The verifier signs on their own phone and session.")
        _require_scanning_phone(who, step.verifier_phone)
        if (why := refusal_to_sign(step)) is not None:
            raise StepRefused(why)
        step.verified_at = step.completed_at = now
        step.status = StepStatus.COMPLETE
        step.save(update_fields=STEP_STATE)
        record(
            "step.verified",
            actor=who.user,
            obj=step,
            payload={**who.noted(), "run": run.pk, "role": "verifier"},
        )
        return "Verified. Step complete."


def _require_scanning_phone(who: Who, scanned_on: Phone) -> None:
    """Each signature comes from the phone its signer scanned with, so the two signatures are made on two
    phones, as the two scans were."""
    if not who.phone.made(scanned_on):
        raise StepRefused(
            "Sign on the phone you scanned this asset with: your signature goes with that scan. "
            "If that phone is lost, tell the approver."
        )


def reset_scans(step: Step, *, who: Who, reason: str) -> str:
    """An approver starts a step's two-person check again, before anything was done: a phone that scanned was
    lost or broke, so its owner can no longer sign from it. The scans made stay in the record; the step
    waits for a performer's scan and a verifier's scan of a new round, on the phones they will sign from."""
    reason = (reason or "").strip()
    with transaction.atomic():
        step = lock_step(step)
        run = _require_workable(step, who, approver_may=True)
        # The step's own rule, the one its pages ask before they offer the form.
        if refusal := step.reset_scans_refusal(who.user):
            raise StepRefused(refusal)
        if not reason:
            raise StepRefused(
                "Say why the scans are started again (for example: the performer's phone broke)."
            )
        before = {"performer": _name(step.performer), "verifier": _name(step.verifier)}
        step.performer, step.performer_session, step.performer_device = None, "", ""
        step.verifier, step.verifier_session, step.verifier_device = None, "", ""
        step.status = StepStatus.PENDING
        step.scan_round += 1
        step.save(update_fields=STEP_STATE)
        record(
            "step.scans_reset",
            actor=who.user,
            obj=step,
            payload={"run": run.pk, "reason": reason[:500], "round": step.scan_round, **before},
        )
    return "The checks start again: the performer scans first, then a second tech."


def acknowledge_stop(step: Step, *, who: Who) -> str:
    """The tech says "I have stopped" after a STOP on their phone: recorded, and the STOP leaves their phone.
    Allowed whatever the run's state (a mismatch holds it): it records what a person did, and changes no step."""
    with transaction.atomic():
        step = lock_step(step)
        if not step.run.works_on(who.user):
            raise StepRefused("You are not assigned to this work, so there is no STOP of yours to answer.")
        scans = list(step.scans.select_related("tag__device__site", "tag__port__device__site"))
        stop = step.stop_unacknowledged_by(who.user, scans)
        if stop is None:
            raise StepRefused(
                "There is no STOP of yours on this step to answer: nothing was recorded."
                if not any(s.user_id == who.user.pk and not s.matched for s in scans)
                else "You already said you stopped after this STOP: nothing more was recorded."
            )
        record(
            STOP_ACKNOWLEDGED,
            actor=who.user,
            obj=step,
            payload={
                **who.noted(),
                "run": step.run_id,
                "scan": stop.pk,
                "discrepancy": stop.discrepancy_id,
                "found": stop.stop_words(),
            },
        )
    return "Recorded: you stopped. Touch nothing; this page moves on when the approver has resolved it."


def _name(user) -> str:
    return user.get_username() if user is not None else ""


def release(step: Step, *, who: Who) -> str:
    if not has_role(who.user, Role.APPROVER):
        raise StepRefused("Only an approver releases a hold point.")
    with transaction.atomic():
        step = lock_step(step)
        if step.kind != StepKind.HOLD_POINT:
            raise StepRefused("Only hold points are released.")
        run = _require_workable(step, who, approver_may=True)
        if not run.may_oversee(who.user):
            raise StepRefused(
                "You asked for or work on this change; another approver releases its hold points."
            )
        step.released_by = who.user
        step.performer, step.performer_session, step.performer_device = who.user, who.session, who.device
        step.performed_at = step.completed_at = timezone.now()
        step.status = StepStatus.COMPLETE
        step.save(update_fields=STEP_STATE)
        record("step.released", actor=who.user, obj=step, payload={**who.noted(), "run": run.pk})
    return "Hold point released."


def resolve(discrepancy: Discrepancy, *, who: Who, resolution: str) -> list[Run]:
    """An approver closes a discrepancy with a reason; each run it held goes back to work if nothing else holds it."""
    resolution = (resolution or "").strip()
    if not has_role(who.user, Role.APPROVER):
        raise StepRefused("Only an approver resolves a discrepancy.")
    if not resolution:
        raise StepRefused("Say how it was resolved (for example: labels corrected and re-audited).")
    resumed: list[Run] = []
    with transaction.atomic():
        locked = Discrepancy.objects.select_for_update().get(pk=discrepancy.pk)
        if locked.status != DiscrepancyStatus.OPEN:
            raise StepRefused("This discrepancy is already resolved.")
        if locked.reported_by_id == who.user.pk:
            raise StepRefused("You reported this discrepancy; another approver resolves it.")
        run_ids = list(
            StepScan.objects.filter(discrepancy=locked).values_list("step__run_id", flat=True)
        ) + list(LiveCheck.objects.filter(discrepancy=locked).values_list("step__run_id", flat=True))
        # The runs are locked before anything is recorded: the audit head is always the last lock taken.
        runs = list(Run.objects.select_for_update().filter(pk__in=run_ids).order_by("pk"))
        for run in runs:
            if not run.may_oversee(who.user):
                raise StepRefused(
                    "You asked for or work on this change; another approver resolves its discrepancies."
                )
        locked.status = DiscrepancyStatus.RESOLVED
        locked.resolved_by = who.user
        locked.resolved_at = timezone.now()
        locked.resolution = resolution[:2000]
        locked.save()
        record("discrepancy.resolved", actor=who.user, obj=locked, payload={"resolution": resolution[:2000]})
        for run in (run for run in runs if run.status == RunStatus.HELD):
            if not run.open_discrepancies().exists():
                run.status = RunStatus.ACTIVE
                run.hold_reason = ""
                run.save(update_fields=["status", "hold_reason"])
                record("run.resumed", actor=who.user, obj=run, payload={"after": f"discrepancy {locked.pk}"})
                resumed.append(run)
    return resumed
