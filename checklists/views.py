"""The runbook on the phone: the current step in big type, scan, sign. Every tap is idempotent."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.views.decorators.vary import vary_on_headers

from accounts.roles import Role, has_role, role_required
from audit.log import record
from checklists import evidence, interlock, updates
from checklists.execution import (
    Who,
    acknowledge_stop,
    camera_needed,
    customer_update_answer,
    release,
    reset_scans,
    resolve,
    scan,
    sign,
)
from checklists.idempotency import tap
from checklists.live_decisions import ask_again, decide_without, locate_led
from checklists.live_panel import step_live
from checklists.models import (
    STEP_ASSET,
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
from comms.notices import notices_about
from inventory import codes
from inventory.models import DeviceType, Discrepancy, may_reveal_identity
from inventory.phones import Phone
from inventory.views import tag_landing as inventory_tag_landing
from lockstep.csp import qr_reader_page
from lockstep.dates import in_zone
from lockstep.http import HtmxHttpRequest

# An approver who does not work on the run: the desktop page, the evidence before the button.
DESK_STEP = "checklists/step_desk.html"


def _who(request: HtmxHttpRequest) -> Who:
    return Who.of(
        request.user,
        session_key=request.session.session_key,
        device_id=getattr(request, "device_id", ""),
        queued_at=request.POST.get("queued_at"),
    )


def _get_run(request: HtmxHttpRequest, pk: int) -> Run:
    """The run, if `Run.may_view` lets this user read it; anyone else gets a 404, not a hint that it exists."""
    run = get_object_or_404(Run.objects.select_related("site"), pk=pk)
    if not run.may_view(request.user):
        raise Http404("No such runbook for you.")
    return run


def _get_step(request: HtmxHttpRequest, run_pk: int, position: int) -> Step:
    """The step with its run and asset, in one query, seen as _get_run sees its run."""
    step = get_object_or_404(
        Step.objects.select_related("run__site", *STEP_ASSET), run_id=run_pk, position=position
    )
    if not step.run.may_view(request.user):
        raise Http404("No such runbook for you.")
    return step


def _step_context(request: HtmxHttpRequest, step: Step, **extra) -> dict:
    run = step.run
    me = request.user.pk
    # The step's own sequence, counted on its own: rollback steps are "rollback step 1 of 2".
    sequence = list(
        run.steps.filter(is_rollback=step.is_rollback).order_by("position").values_list("position", "status")
    )
    may_oversee = (
        has_role(request.user, Role.APPROVER)
        and step.status != StepStatus.COMPLETE
        and (step.kind == StepKind.HOLD_POINT or step.status in (StepStatus.SCANNED, StepStatus.CLEARED))
        and run.may_oversee(request.user)
    )
    phone = Phone.of(device_id=getattr(request, "device_id", ""), session_key=request.session.session_key)
    can_scan = step.awaits_scan_by(request.user, phone)
    # What the switch says (live checks), and whether the step is cleared: its own rule, asked with what was
    # read for the panel. Nothing on the page reads as go before it is.
    shown_live = step_live(step, request.user)
    cleared = bool(shown_live and shown_live.cleared)
    # The run-time interlock, asked of a cleared step before the sign button is offered (the sign asks again).
    blocked = interlock.check(step) if cleared else None
    live_refusal = shown_live.refusal if shown_live else None
    can_sign = blocked is None and live_refusal is None and step.awaits_signature_by(request.user)
    in_sequence = step.is_rollback == (run.mode == RunMode.ROLLBACK)
    offered = may_oversee or can_scan or can_sign
    next_position = next((position for position, _ in sequence if position > step.position), None)
    workable = run.status == RunStatus.ACTIVE and in_sequence
    on_run = step.status == StepStatus.COMPLETE and next_position is None and run.works_on(request.user)
    # A signed customer update: how many of its messages the worker has sent so far (the page polls).
    notice = (
        notices_about(step).first()
        if step.kind == StepKind.CUSTOMER_UPDATE and step.status == StepStatus.COMPLETE
        else None
    )
    tally = notice.tally() if notice else None
    return {
        "step": step,
        "run": run,
        "number": next((n for n, (position, _) in enumerate(sequence, 1) if position == step.position), 0),
        "done": sum(1 for _, status in sequence if status == StepStatus.COMPLETE),
        "total": len(sequence),
        "is_performer": step.performer_id == me,
        "is_verifier": step.verifier_id == me,
        "is_approver": has_role(request.user, Role.APPROVER),
        # Releasing a hold point or starting a step's checks again: the run's rule, asked only where offered.
        "may_oversee": may_oversee,
        # Starting a scanned step's two-person check again (a phone was lost): the step's rule.
        "may_reset_scans": step.may_reset_scans(request.user, oversees=may_oversee),
        "can_scan": can_scan,
        # A second tech logged in on the phone the first one scanned with: not offered the scan, and told why.
        "same_phone": step.status == StepStatus.SCANNED
        and step.performer_id != me
        and not can_scan
        and step.scanned_on(phone),
        "can_sign": can_sign,
        "next_position": next_position,
        # Whether the last step done leads its people on to ending the work (asked only there), and how: the
        # window's own rule says whether this person may complete it, or finish its rollback, from here.
        "on_run": on_run,
        "ending": _ending(run, request.user) if on_run and in_sequence else None,
        # After an abort the work is the rollback: a page on a step of the old sequence goes there by itself.
        "follow": reverse("checklists:run_current", args=[run.pk])
        if not in_sequence and run.mode == RunMode.ROLLBACK and run.status == RunStatus.ACTIVE
        else "",
        # Why nothing is offered on a step still to do: an earlier one comes first (asked only then).
        "earlier": step.first_open_earlier()
        if workable and not offered and step.status == StepStatus.PENDING and step.kind != StepKind.HOLD_POINT
        else None,
        "interlock": blocked,
        "cleared": cleared,
        "live": shown_live,
        "live_refusal": live_refusal,
        "tally": tally,
        "rollback": run.mode == RunMode.ROLLBACK,
        "in_sequence": in_sequence,
        # The work moves elsewhere at any moment (a partner's scan, a release, a pause, an abort): the panel asks
        # again every 3 s while the run is not closed. The page swaps it in only when `state` changed, so a
        # verdict or a half-typed code is never replaced by the same state in vaguer words.
        "poll": run.status != RunStatus.CLOSED,
        "state": "-".join(
            str(part)
            for part in (
                step.status,
                step.scan_round,
                run.status,
                run.mode,
                can_scan,
                can_sign,
                may_oversee,
                blocked is not None,
                next_position,
                tally and "/".join(str(tally[k]) for k in sorted(tally)),
                shown_live and shown_live.token,
            )
        ),
        **_evidence(step, request.user),
        **extra,
    }


def _ending(run: Run, user) -> str:
    """What ends the work from its last step, if this user may do it now: "complete" or "finish_rollback"."""
    window = getattr(run, "window", None)
    if window is None:
        return ""
    if run.mode == RunMode.ROLLBACK:
        return "finish_rollback" if window.may_finish_rollback(user) else ""
    return "complete" if window.may_complete(user) else ""


def _evidence(step: Step, user) -> dict:
    """What the page says about the evidence, never the evidence itself: where the serial is on this model
    of chassis (not its value), who scanned and how (not what), which scans a mismatch voided, and whether
    the next scan must be made with a camera."""
    if not step.needs_scan:
        return {}
    me = user.pk
    chassis = step.chassis
    where = DeviceType.serial_locations([chassis]).get(chassis.pk, "") if step.needs_serial else ""
    # A step nobody has scanned yet has nothing to show: no query for it (the page polls every 3 s).
    scans = (
        list(step.scans.select_related("user", "tag__device__site", "tag__port__device__site"))
        if step.status != StepStatus.PENDING or step.scan_round
        else []
    )
    tz = step.run.site.tz
    lines = [
        {
            "who": scan.user.get_username(),
            "how": scan.how,
            "at": f"{in_zone(scan.scanned_at, tz):%H:%M %Z}",
            "role": scan.role,
            "matched": scan.matched,
            "voided": scan.voided,
        }
        for scan in scans
    ]
    performer_scan = next(
        (s for s in scans if s.round == step.scan_round and s.role == StepScan.Role.PERFORMER and s.matched),
        None,
    )
    camera = (
        step.status == StepStatus.SCANNED
        and performer_scan is not None
        and camera_needed(step, step.run.site.camera_scan_required, performer_scan.method)
    )
    return {
        # A STOP stays on the phone of whoever scanned the wrong label until they say they stopped.
        "stop": step.stop_unacknowledged_by(user, scans),
        "serial_where": where,
        "scan_lines": lines,
        "camera_asked": step.needs_two and step.run.site.camera_scan_required,
        "camera_next": camera,  # the verifier's scan must be made with a camera
        "my_scan_typed": camera and performer_scan.user_id == me,
    }


@qr_reader_page
@login_required
@vary_on_headers("HX-Request")
def step_detail(request: HtmxHttpRequest, run_pk: int, position: int) -> HttpResponse:
    step = _get_step(request, run_pk, position)
    # A scan made with the phone's own camera app lands on /t/CODE; it goes to the step last opened here.
    if request.session.get("scan_step") != step.pk:  # the panel polls every 3 s: no write for each poll
        request.session["scan_step"] = step.pk
    if evidence.at_the_desk(request.user, step):
        return render(request, DESK_STEP, _step_context(request, step, **evidence.step_desk_context(step)))
    template = "checklists/step.html#step-panel" if request.htmx else "checklists/step.html"
    return render(request, template, _step_context(request, step))


@login_required
def run_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    run = _get_run(request, pk)
    steps, current = _numbered_steps(run)
    return render(request, "checklists/run.html", _run_context(request, run, steps=steps, current=current))


def _numbered_steps(run: Run) -> tuple[list[Step], Step | None]:
    current = run.current_step()
    steps = list(
        run.steps.select_related("performer", "verifier", "device", "port__device").order_by(
            "is_rollback", "position"
        )
    )
    # Each sequence is counted on its own: "rollback step 1", never "step 8" of a two-step rollback.
    counted = {False: 0, True: 0}
    for step in steps:
        counted[step.is_rollback] += 1
        step.number = counted[step.is_rollback]
        if current is not None and step.pk == current.pk:
            current.number = step.number
    return steps, current


def _run_context(request: HtmxHttpRequest, run: Run, **extra) -> dict:
    may_tell = run.may_tell_customers(request.user)
    return {
        "run": run,
        # One key per choice: each button is its own tap, and a retried tap of one is never taken for another.
        "updates": [(choice, label, uuid.uuid4().hex) for choice, label in updates.CHOICES.items()]
        if may_tell
        else [],
        **extra,
    }


@tap
def run_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A one-tap update to customers from the phone, answered with the runbook page and what was queued."""
    run = _get_run(request, pk)
    try:
        notice = updates.tell_customers(run, user=request.user, choice=request.POST.get("choice", "")[:20])
    except StepRefused as refusal:
        answer, status = {"refusal": refusal.reason}, 409
    else:
        told = customer_update_answer(notice, follow="The coordinator's outbox shows each one as it is sent.")
        answer, status = {"told": told}, 200
    run.refresh_from_db()
    steps, current = _numbered_steps(run)
    context = _run_context(request, run, steps=steps, current=current, **answer)
    return render(request, "checklists/run.html", context, status=status)


@login_required
def run_current(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    run = _get_run(request, pk)
    current = run.current_step()
    return redirect(current) if current else redirect(run)


def _answer(request: HtmxHttpRequest, step: Step, *, status: int = 200, **extra) -> HttpResponse:
    """The step as the action left it: the actions lock its row and bring it up to date in place."""
    # The page's own script (taps.js) swaps in just the step panel; a plain form post gets the whole page.
    partial = request.headers.get("X-Requested-With") == "fetch" or request.htmx
    if evidence.at_the_desk(request.user, step):  # the desk page's forms are plain posts
        context = _step_context(request, step, **extra, **evidence.step_desk_context(step))
        return render(request, DESK_STEP + ("#step-panel" if partial else ""), context, status=status)
    template = "checklists/step.html#step-panel" if partial else "checklists/step.html"
    return render(request, template, _step_context(request, step, **extra), status=status)


def _refused(
    request: HtmxHttpRequest, step: Step, action: str, refusal: StepRefused, kept: dict | None = None, **said
) -> HttpResponse:
    """A refused tap changes nothing on the step, but the attempt is kept: the same person trying to verify
    their own scan, a second phone, a step out of order are what an auditor looks for afterwards."""
    record(
        "step.refused",
        actor=request.user,
        obj=step,
        payload={"run": step.run_id, "action": action, "reason": refusal.reason, **said},
    )
    # `kept`: what the tech typed, put back in the form, so a typo is corrected rather than typed anew.
    return _answer(request, step, status=409, refusal=refusal.reason, kept=kept or {})


# The session remembers the code /t/ handed to a step (as a keyed hash, never the code): only a scan of that
# same code, for that step, from that session, counts as made with the phone's camera app.
HANDOFF_KEY = "scan_handoff"


def _handoff_mark(step_pk: int, code: str) -> str:
    return salted_hmac("lockstep.scan_handoff", f"{step_pk}:{code}").hexdigest()


def _scan_method(request: HtmxHttpRequest, step: Step, raw: str) -> str:
    """How the posted code was read. "camera" is the in-page scanner's word, kept as its claim; "camera_app"
    is believed only for the code /t/ handed to this step in this session (used once); anything else was
    typed."""
    claimed = request.POST.get("method", "")
    if claimed != ScanMethod.CAMERA_APP:
        return claimed if claimed in ScanMethod.values else ScanMethod.TYPED
    mark = request.session.pop(HANDOFF_KEY, None)
    try:
        kind, code = codes.parse_any(raw)
    except codes.BadCode:
        return ScanMethod.TYPED
    # Only the QR's long code: the short one is printed for anyone to type.
    if kind == "code" and isinstance(mark, str) and constant_time_compare(mark, _handoff_mark(step.pk, code)):
        return ScanMethod.CAMERA_APP
    return ScanMethod.TYPED


@qr_reader_page
@tap
def step_scan(request: HtmxHttpRequest, run_pk: int, position: int) -> HttpResponse:
    step = _get_step(request, run_pk, position)
    raw = request.POST.get("code", "")[:400]
    try:
        result = scan(
            step,
            who=_who(request),
            raw=raw,
            serial=request.POST.get("serial", "")[:200],
            method=_scan_method(request, step, raw),
        )
    except StepRefused as refusal:
        kept = {"code": raw[:100], "serial": request.POST.get("serial", "")[:100]}
        return _refused(request, step, "scan", refusal, kept, code=request.POST.get("code", "")[:100])
    return _answer(request, step, status=200 if result.matched else 409, result=result)


def _act_on_step(request: HtmxHttpRequest, run_pk: int, position: int, name: str, act) -> HttpResponse:
    """A tap that signs, releases or restarts a step: `act(step, who)` says what it did, or refuses."""
    step = _get_step(request, run_pk, position)
    try:
        message = act(step, _who(request))
    except StepRefused as refusal:
        return _refused(request, step, name, refusal)
    return _answer(request, step, signed=message)


@qr_reader_page
@tap
def step_sign(request: HtmxHttpRequest, run_pk: int, position: int) -> HttpResponse:
    return _act_on_step(request, run_pk, position, "sign", lambda step, who: sign(step, who=who))


@qr_reader_page
@tap
def step_stopped(request: HtmxHttpRequest, run_pk: int, position: int) -> HttpResponse:
    """ "I have stopped": the tech answers the STOP on their phone; recorded, and the STOP leaves it."""
    return _act_on_step(
        request, run_pk, position, "stopped", lambda step, who: acknowledge_stop(step, who=who)
    )


# Approver-only taps check the role first, inside the tap (so a phone's queue gets a kept answer): anyone
# else gets the same 403 whether or not the step or discrepancy exists, and learns nothing about it.
@qr_reader_page
@tap
@role_required(Role.APPROVER)
def step_release(request: HtmxHttpRequest, run_pk: int, position: int) -> HttpResponse:
    return _act_on_step(request, run_pk, position, "release", lambda step, who: release(step, who=who))


@qr_reader_page
@tap
@role_required(Role.APPROVER)
def step_reset(request: HtmxHttpRequest, run_pk: int, position: int) -> HttpResponse:
    reason = request.POST.get("reason", "")[:500]
    return _act_on_step(
        request, run_pk, position, "reset", lambda step, who: reset_scans(step, who=who, reason=reason)
    )


@qr_reader_page
@tap
def step_ask_switch(request: HtmxHttpRequest, run_pk: int, position: int) -> HttpResponse:
    """Ask the switch again: after silence, or when the try-out still saw the link up."""
    return _act_on_step(request, run_pk, position, "ask", lambda step, who: ask_again(step, by=who.user))


@qr_reader_page
@tap
@role_required(Role.APPROVER)
def step_without_switch(request: HtmxHttpRequest, run_pk: int, position: int) -> HttpResponse:
    """The switch stayed silent: an approver lets the step go on without its answer, and says why."""
    reason = request.POST.get("reason", "")[:500]
    return _act_on_step(
        request,
        run_pk,
        position,
        "without",
        lambda step, who: decide_without(step, by=who.user, reason=reason),
    )


@qr_reader_page
@tap
def step_locate(request: HtmxHttpRequest, run_pk: int, position: int) -> HttpResponse:
    """Turn the chassis's locate LED on, to find it in the row: the worker asks the device."""
    return _act_on_step(request, run_pk, position, "locate", lambda step, who: locate_led(step, by=who.user))


@role_required(Role.APPROVER)
def discrepancy_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    discrepancy = get_object_or_404(
        Discrepancy.objects.select_related(
            "reported_by", "resolved_by", "device__site", "port__device__site"
        ),
        pk=pk,
    )
    chassis = discrepancy.port.device if discrepancy.port_id else discrepancy.device
    context = {
        "discrepancy": discrepancy,
        "facts": evidence.discrepancy_facts(discrepancy),
        "evidence": evidence.about_discrepancy(discrepancy),
        "zone": chassis.site.time_zone if chassis else "UTC",
        "from_the_switch": discrepancy.kind in ("live_check_disagrees", "tryout_wrong_port"),
        # A serial the device reported is shown only through the recorded reveal, offered here for its device.
        "may_reveal": discrepancy.kind == "device_serial_disagrees" and may_reveal_identity(request.user),
    }
    return render(request, "checklists/discrepancy.html", context)


@tap
@role_required(Role.APPROVER)
def discrepancy_resolve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    discrepancy = get_object_or_404(Discrepancy, pk=pk)
    try:
        resumed = resolve(
            discrepancy, who=_who(request), resolution=request.POST.get("resolution", "")[:2000]
        )
    except StepRefused as refusal:
        record(
            "discrepancy.resolve_refused",
            actor=request.user,
            obj=discrepancy,
            payload={"reason": refusal.reason},
        )
        return render(
            request,
            "checklists/resolved.html",
            {"refusal": refusal.reason, "discrepancy": discrepancy},
            status=409,
        )
    return render(request, "checklists/resolved.html", {"discrepancy": discrepancy, "resumed": resumed})


@login_required
def tag_landing(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """/t/CODE: if this tech has a step open that waits for their scan, offer the scan to that step;
    otherwise show the tag's asset (the inventory's page)."""
    step_pk = request.session.get("scan_step")
    step = (
        Step.objects.select_related("run", "device", "port__device").filter(pk=step_pk).first()
        if isinstance(step_pk, int)
        else None
    )
    waiting = step is not None and step.needs_scan and step.status in (StepStatus.PENDING, StepStatus.SCANNED)
    if (
        waiting
        and step.performer_id != request.user.pk
        and step.run.people.filter(pk=request.user.pk).exists()
    ):
        try:
            kind, value = codes.parse_any(code)
        except codes.BadCode:
            kind = ""
        if kind == "code":
            request.session[HANDOFF_KEY] = _handoff_mark(step.pk, value)
        where = (
            DeviceType.serial_locations([step.chassis]).get(step.chassis.pk, "") if step.needs_serial else ""
        )
        context = {"step": step, "code": code[:100], "serial_where": where}
        # taps.js writes the step page's answer over this one, which keeps this page's policy: the scanner
        # on it needs the QR reader's allowance from here.
        return qr_reader_page(render)(request, "checklists/scan_handoff.html", context)
    return inventory_tag_landing(request, code)
