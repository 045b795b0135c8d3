"""Maintenance windows (changes): plan, submit with a blast radius snapshot, approve or reject, run.

Every transition is one method: it checks who may make it and from which state, locks the row, changes it
and writes the audit event in one transaction. Views never set `status` themselves.

Approval is refused on a window's conflicts, and submission keeps its blast radius: both are asked here and
answered below, in conflicts.py and impact.py (which take the window as a parameter and never import it), on
the states of states.py. The models import nothing of maintenance above them: what follows a change in the
worker (reminders, a print) is queued by maintenance/tasks.py when the signals below say so.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from checklists.models import Run, RunMode, RunStatus, StepRefused
from inventory.actions import DEVICE_ACTIONS, PORT_ACTIONS
from inventory.models import Device, Port, Site
from lockstep.dates import in_zone, span_in_zone, zone_name
from maintenance import window_notices
from maintenance.models.conflicts import find_conflicts, needing_override
from maintenance.models.decisions import Override, RedundancyOverride, WindowDecision
from maintenance.models.impact import BlastSnapshot, Target, TargetAction
from maintenance.models.states import (
    ACTIVE_STATUSES,
    BEFORE_IT_RUNS,
    WORK_BEGAN,
    Risk,
    WindowStatus,
    WindowType,
)
from maintenance.runbooks import build_runbook

# Sent inside the approval's transaction (sender=Window, window=, by=): maintenance/tasks.py queues the
# reminders and the overrun check, committed with the approval or not at all.
window_approved = Signal()


class WindowRefused(Exception):
    """A refused window action, with a message written for the person who tried it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


WORKERS_ONLY = "Only a tech assigned to this window, or an approver, can do that."


# A runbook open for work: not yet opened (ready) nor closed.
WORKING_RUNS = (RunStatus.ACTIVE, RunStatus.HELD, RunStatus.PAUSED)


def _live() -> Q:
    """`Window.is_live` as a filter: in progress, or aborted and still rolling back, with its runbook open."""
    return Q(run__status__in=WORKING_RUNS) & (
        Q(status=WindowStatus.IN_PROGRESS) | Q(status=WindowStatus.ABORTED, run__mode=RunMode.ROLLBACK)
    )


def _under_way() -> Q:
    """Live, or in progress without a runbook: started and not yet completed or aborted."""
    return Q(status=WindowStatus.IN_PROGRESS) | _live()


class WindowQuerySet(models.QuerySet):
    """The sets of windows the pages list, each named once here so no view spells its own."""

    def active(self) -> WindowQuerySet:
        """Submitted, approved or in progress: planned and not yet over (`Window.is_active`)."""
        return self.filter(status__in=ACTIVE_STATUSES)

    def awaiting_decision(self) -> WindowQuerySet:
        """The approval queue: submitted, not yet approved or rejected."""
        return self.filter(status=WindowStatus.SUBMITTED)

    def live(self) -> WindowQuerySet:
        """Windows whose runbook is being worked: exactly those whose `is_live` is true."""
        return self.filter(_live())

    def on_board(self, *, now: datetime, days: int) -> WindowQuerySet:
        """What the approver's board shows: the live windows, any window in progress (one with no runbook
        is not live, there being no steps to work, yet it still waits to be completed or aborted from the
        board), and those submitted or approved that have not ended and start within `days`."""
        return self.filter(
            _under_way()
            | Q(
                status__in=[WindowStatus.SUBMITTED, WindowStatus.APPROVED],
                planned_end__gte=now,
                planned_start__lt=now + timedelta(days=days),
            )
        )

    def today_for(self, user, *, now: datetime) -> WindowQuerySet:
        """The windows a tech works today: assigned to them, and live, in progress (with or without a runbook,
        as on the board), or approved and planned within the next 24 hours and not yet ended."""
        return self.filter(assignees=user).filter(
            _under_way()
            | Q(
                status=WindowStatus.APPROVED,
                planned_start__lt=now + timedelta(hours=24),
                planned_end__gt=now,
            )
        )

    def public(self) -> WindowQuerySet:
        """Windows customers may have been told of: past submission. (A cancelled one was told only if it
        had been approved: the status page asks each.)"""
        return self.exclude(status__in=[WindowStatus.DRAFT, WindowStatus.SUBMITTED])


class Window(models.Model):
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="windows")
    title = models.CharField(max_length=200)
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    type = models.CharField(max_length=20, choices=WindowType.choices, default=WindowType.NORMAL)
    risk = models.CharField(max_length=10, choices=Risk.choices, default=Risk.MEDIUM)
    description = models.TextField(blank=True)
    rollback_plan = models.TextField(blank=True)
    customer_summary = models.TextField(blank=True, help_text="What customers are told; no internal detail")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="requested_windows"
    )
    assignees = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="assigned_windows")
    status = models.CharField(max_length=20, choices=WindowStatus.choices, default=WindowStatus.DRAFT)
    # Each submission is a round; one decision per round is what makes two approvers at once safe.
    submission = models.PositiveIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Who submitted the current submission: like the requester, never its approver.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the status last changed (each transition sets it): what the feeds give as "updated".
    status_changed_at = models.DateTimeField(default=timezone.now)
    # The runbook, built from the checklist templates at each submission.
    run = models.OneToOneField(
        "checklists.Run", null=True, blank=True, on_delete=models.PROTECT, related_name="window"
    )

    objects = WindowQuerySet.as_manager()

    class Meta:
        ordering = ["planned_start", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=WindowStatus.values), name="window_status_valid"),
            models.CheckConstraint(condition=Q(type__in=WindowType.values), name="window_type_valid"),
            models.CheckConstraint(condition=Q(risk__in=Risk.values), name="window_risk_valid"),
            models.CheckConstraint(
                condition=Q(planned_end__gt=models.F("planned_start")), name="window_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["status", "planned_start"], name="window_status_start_idx")]

    def __str__(self) -> str:
        return f"CHG-{self.pk}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("maintenance:window", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"CHG-{self.pk}"

    @property
    def is_overrunning(self) -> bool:
        return self.status == WindowStatus.IN_PROGRESS and timezone.now() > self.planned_end

    def local(self, moment: datetime | None) -> datetime | None:
        """A stored UTC time on the site's clocks, for showing (in UTC when beyond the calendar there)."""
        return in_zone(moment, self.site.tz) if moment else None

    @property
    def local_start(self) -> datetime:
        return span_in_zone(self.planned_start, self.planned_end, self.site.tz)[0]

    @property
    def local_end(self) -> datetime:
        return span_in_zone(self.planned_start, self.planned_end, self.site.tz)[1]

    # --- transitions -------------------------------------------------------------------------------------

    def _locked(self) -> Window:
        """The window's row locked, and its run's row after it, before anything is written or recorded. Every
        transaction that touches a run takes its locks in one order (window, step, run, tag, device, then
        the audit head inside `record`), so two of them never wait for each other in a circle."""
        window = Window.objects.select_for_update(of=("self",)).select_related("site").get(pk=self.pk)
        if window.run_id:
            window.run = Run.objects.select_for_update().get(pk=window.run_id)
        return window

    def _refresh_from(self, fresh: Window) -> None:
        for field in (
            "status",
            "submission",
            "submitted_at",
            "submitted_by_id",
            "started_at",
            "ended_at",
            "status_changed_at",
            "run_id",
        ):
            setattr(self, field, getattr(fresh, field))

    def _require(self, window: Window, allowed: tuple[str, ...], verb: str) -> None:
        if window.status not in allowed:
            raise WindowRefused(window._wrong_status(verb))

    def submit(self, *, by) -> BlastSnapshot:
        """Draft → submitted: computes the blast radius snapshot and the conflicts the approver reviews."""
        with transaction.atomic():
            window = self._locked()
            self._require(window, (WindowStatus.DRAFT,), "submitted")
            if by.pk != window.requester_id and not has_role(by, Role.APPROVER):
                raise WindowRefused("Only the requester submits their window.")
            if not window.targets.exists():
                raise WindowRefused(
                    "Add at least one target (a device or port and what happens to it) first."
                )
            snapshot = BlastSnapshot.compute_for(window)
            window.status = WindowStatus.SUBMITTED
            window.submission += 1
            window.submitted_at = window.status_changed_at = timezone.now()
            window.submitted_by = by
            window.run = build_runbook(window, by=by)
            window.save(
                update_fields=[
                    "status",
                    "status_changed_at",
                    "submission",
                    "submitted_at",
                    "submitted_by",
                    "run",
                ]
            )
            conflicts = find_conflicts(window)
            record(
                "window.submitted",
                actor=by,
                obj=window,
                payload={
                    "submission": window.submission,
                    "services_affected": snapshot.service_count,
                    "conflicts": [c.reason for c in conflicts],
                },
            )
        self._refresh_from(window)
        return snapshot

    # --- who may ----------------------------------------------------------------------------------------

    # Each rule below is written once, as the reason it refuses ("" when it allows). The method that acts
    # raises that reason; the pages ask the `may_…` predicate for which buttons to offer, and show the reason
    # in words where a button is missing. They ask it of the window as loaded, the method of the locked row.

    def may_approve(self, user) -> bool:
        return not self.approval_refusal(user)

    def may_decide(self, user) -> bool:
        """Whether the page offers this user the approve and reject buttons: submitted, and theirs to decide."""
        return self.status == WindowStatus.SUBMITTED and self.may_approve(user)

    def next_step_refusal(self, user) -> str:
        """Why the window's next step (deciding, starting, completing, finishing the rollback) is not this
        user's now, in words ("" when it is, or when there is none). Deciding is said only to approvers."""
        if self.status == WindowStatus.SUBMITTED:
            return self.approval_refusal(user) if has_role(user, Role.APPROVER) else ""
        if self.status == WindowStatus.APPROVED:
            return self.start_refusal(user)
        if self.status == WindowStatus.IN_PROGRESS:
            return self.complete_refusal(user)
        if self.status == WindowStatus.ABORTED and self.is_live:
            return self.finish_rollback_refusal(user)
        return ""

    def approval_refusal(self, user) -> str:
        """Approving or rejecting is an approver's call, and never one of the people who asked for the change,
        submitted it or work on it: the same person never both plans and passes a change."""
        if not has_role(user, Role.APPROVER):
            return "Only an approver can approve or reject a window."
        if user.pk == self.requester_id:
            return "You requested this window; another approver must decide on it."
        if user.pk == self.submitted_by_id:
            return "You submitted this window; another approver must decide on it."
        if self._is_assigned(user):
            return "You are assigned to work on this window; another approver must decide on it."
        return ""

    def is_party(self, user) -> bool:
        """The requester, whoever submitted the current submission, and every tech assigned to it."""
        return user.pk in (self.requester_id, self.submitted_by_id) or self._is_assigned(user)

    def _is_assigned(self, user) -> bool:
        # Read through `all()`, so a page that prefetched the assignees (the queue, the board) asks no query.
        return any(assignee.pk == user.pk for assignee in self.assignees.all())

    def _is_worker(self, user) -> bool:
        return has_role(user, Role.APPROVER) or self._is_assigned(user)

    def _wrong_status(self, verb: str) -> str:
        return f"A window that is {self.get_status_display().lower()} cannot be {verb}."

    @property
    def is_live(self) -> bool:
        """Its runbook is being worked: in progress, or aborted and still rolling back (as a filter:
        `Window.objects.live()`)."""
        if not self.run_id or self.run.status not in WORKING_RUNS:
            return False
        return self.status == WindowStatus.IN_PROGRESS or (
            self.status == WindowStatus.ABORTED and self.run.mode == RunMode.ROLLBACK
        )

    @property
    def is_under_way(self) -> bool:
        """Started and not yet over: in progress (with a runbook or without), or live while rolling back.
        What the board shows as a card with progress (as a filter: part of `Window.objects.on_board`)."""
        return self.status == WindowStatus.IN_PROGRESS or self.is_live

    @property
    def has_ended(self) -> bool:
        """Completed or aborted: its as-run record is the final one."""
        return self.status in (WindowStatus.COMPLETED, WindowStatus.ABORTED)

    @property
    def is_active(self) -> bool:
        """Submitted, approved or in progress (as a filter: `Window.objects.active()`)."""
        return self.status in ACTIVE_STATUSES

    # The statuses the pages name in words, asked by name so no template spells a status.
    @property
    def is_draft(self) -> bool:
        return self.status == WindowStatus.DRAFT

    @property
    def is_approved(self) -> bool:
        return self.status == WindowStatus.APPROVED

    @property
    def is_in_progress(self) -> bool:
        return self.status == WindowStatus.IN_PROGRESS

    @property
    def is_cancelled(self) -> bool:
        return self.status == WindowStatus.CANCELLED

    def start_refusal(self, user, now: datetime | None = None) -> str:
        if self.status != WindowStatus.APPROVED:
            return self._wrong_status("started")
        if not self._is_worker(user):
            return WORKERS_ONLY
        now = now or timezone.now()
        if now < self.planned_start and self.type != WindowType.EMERGENCY:
            local = self.local(self.planned_start)
            return (
                f"This window may not start before its planned start, {local:%Y-%m-%d %H:%M} "
                f"{zone_name(local)}. Only emergency windows start early."
            )
        return ""

    def may_start(self, user, now: datetime | None = None) -> bool:
        return not self.start_refusal(user, now)

    def complete_refusal(self, user, *, steps_left: int | None = None) -> str:
        """`steps_left`: the runbook's steps not done yet, when the caller has already counted them (the
        board counts every running window's in one query)."""
        if self.status != WindowStatus.IN_PROGRESS:
            return self._wrong_status("completed")
        if not self._is_worker(user):
            return WORKERS_ONLY
        if steps_left is None:
            steps_left = self.run.steps_left() if self.run_id else 0
        if steps_left:
            return f"{steps_left} runbook step(s) are not complete yet. Finish them, or abort and roll back."
        return ""

    def may_complete(self, user, *, steps_left: int | None = None) -> bool:
        return not self.complete_refusal(user, steps_left=steps_left)

    def abort_refusal(self, user) -> str:
        if self.status != WindowStatus.IN_PROGRESS:
            return self._wrong_status("aborted")
        if not self._is_worker(user):
            return WORKERS_ONLY
        return ""

    def may_abort(self, user) -> bool:
        return not self.abort_refusal(user)

    def finish_rollback_refusal(self, user, *, steps_left: int | None = None) -> str:
        if not (self.status == WindowStatus.ABORTED and self.is_live):
            return "Only a window that is rolling back finishes its rollback."
        if not self._is_worker(user):
            return WORKERS_ONLY
        if self.run.status == RunStatus.HELD:
            return "A discrepancy holds this work: an approver resolves it first."
        if self.run.status == RunStatus.PAUSED:
            return "An approver paused this work: it is resumed first."
        if steps_left is None:
            steps_left = self.run.steps_left()
        if steps_left:
            return f"{steps_left} rollback step(s) are not complete yet."
        return ""

    def may_finish_rollback(self, user, *, steps_left: int | None = None) -> bool:
        return not self.finish_rollback_refusal(user, steps_left=steps_left)

    def pause_refusal(self, user) -> str:
        if not has_role(user, Role.APPROVER):
            return "Only an approver pauses a running window."
        if not self.is_live:
            return self._wrong_status("paused")
        if not self.run.pausable:
            return "This window is already paused."
        return ""

    def may_pause(self, user) -> bool:
        return not self.pause_refusal(user)

    def resume_refusal(self, user) -> str:
        if not has_role(user, Role.APPROVER):
            return "Only an approver resumes a paused window."
        if not self.is_live:
            return self._wrong_status("resumed")
        if self.run.status != RunStatus.PAUSED:
            return "This window is not paused."
        return ""

    def may_resume(self, user) -> bool:
        return not self.resume_refusal(user)

    def cancel_refusal(self, user) -> str:
        if self.status not in BEFORE_IT_RUNS:
            return self._wrong_status("cancelled")
        if user.pk != self.requester_id and not has_role(user, Role.APPROVER):
            return "Only the requester or an approver can cancel a window."
        return ""

    def may_read_runbook(self, user) -> bool:
        """The printed runbook and the as-run record follow the run's own rule (`Run.may_view`), which its
        pages follow too. A window with no runbook yet hides nothing: its PDF says in words why there is none."""
        return self.run_id is None or self.run.may_view(user)

    def require_printable(self, *, as_run: bool) -> None:
        """WindowRefused, with the reason in words, for a document there is nothing honest to print for."""
        if self.run_id is None:
            raise WindowRefused(
                f"{self.reference} has no runbook yet: it is built when the window is submitted for approval. "
                "Submit it, then print the runbook."
            )
        if as_run and self.status not in WORK_BEGAN:
            raise WindowRefused(
                f"{self.reference} is {self.get_status_display().lower()}: the as-run record exists once "
                "the window has started. Print the runbook instead."
            )

    def may_tell_customers(self, user) -> bool:
        """A coordinator writes to the customers of a window they have been told of, before, during and after."""
        return has_role(user, Role.COORDINATOR) and self.status in (
            WindowStatus.APPROVED,
            WindowStatus.IN_PROGRESS,
            WindowStatus.ABORTED,
            WindowStatus.COMPLETED,
        )

    def may_cancel(self, user) -> bool:
        return not self.cancel_refusal(user)

    def recompute_refusal(self, user) -> str:
        if self.status not in BEFORE_IT_RUNS:
            return "The blast radius is recomputed only before the window runs."
        if user.pk != self.requester_id and not has_role(user, Role.APPROVER):
            return "Only the requester or an approver recomputes the blast radius."
        return ""

    def may_recompute(self, user) -> bool:
        return not self.recompute_refusal(user)

    def _refuse_unless_may_approve(self, window: Window, by) -> None:
        if refusal := window.approval_refusal(by):
            raise WindowRefused(refusal)

    def approve(self, *, by, comment: str = "", override: Override | None = None) -> WindowDecision:
        """Submitted → approved. Refused while, together with a window already approved or in progress at an
        overlapping time, it takes down services neither takes down alone, unless `override` names every one
        of them and says why."""
        return self._decide(by=by, approve=True, comment=comment, override=override)

    def reject(self, *, by, comment: str) -> WindowDecision:
        """Submitted → back to draft, with the reason for the requester."""
        if not (comment or "").strip() and has_role(by, Role.APPROVER):
            raise WindowRefused("Say why it is rejected, so the requester knows what to change.")
        return self._decide(by=by, approve=False, comment=comment, override=None)

    def _decide(self, *, by, approve: bool, comment: str, override: Override | None) -> WindowDecision:
        """One decision per submission counts: the row lock and the database's unique rule both say so."""
        comment = (comment or "").strip()
        if not has_role(by, Role.APPROVER):
            raise WindowRefused("Only an approver can approve or reject a window.")
        try:
            with transaction.atomic():
                window = self._locked()
                self._refuse_unless_may_approve(window, by)
                if window.status != WindowStatus.SUBMITTED:
                    decided = (
                        window.decisions.filter(submission=window.submission).select_related("by").first()
                    )
                    if decided is not None:
                        raise WindowRefused(
                            f"Already {decided.get_decision_display().lower()} by {decided.by.get_username()}."
                        )
                    self._require(window, (WindowStatus.SUBMITTED,), "approved or rejected")
                recorded_overrides: list[RedundancyOverride] = []
                if approve:
                    snapshot = window.latest_snapshot
                    if snapshot is None or snapshot.is_stale:
                        raise WindowRefused(
                            "The inventory changed since this blast radius was computed. Recompute it and "
                            "review the new one before approving."
                        )
                    # Two approvals over the two halves of a pair at once: the second waits, then sees the first.
                    Site.lock_joined(window.site_id)
                    recorded_overrides = self._check_pairs(window, by=by, override=override)
                decision = WindowDecision.objects.create(
                    window=window,
                    submission=window.submission,
                    decision=WindowDecision.Decision.APPROVED
                    if approve
                    else WindowDecision.Decision.REJECTED,
                    by=by,
                    comment=comment[:2000],
                )
                window.status = WindowStatus.APPROVED if approve else WindowStatus.DRAFT
                window.status_changed_at = timezone.now()
                window.save(update_fields=["status", "status_changed_at"])
                if approve and window.run_id:
                    # What the run-time interlock allows this window's cuts to take down: its own blast
                    # radius alone. An override never widens it: both halves are never cut at once.
                    window.run.approved_services = sorted(
                        service["id"] for service in snapshot.result.get("services", [])
                    )
                    window.run.save(update_fields=["approved_services"])
                if approve:
                    window_notices.scheduled(window, by=by)
                    window_approved.send(sender=Window, window=window, by=by)
                record(
                    "window.approved" if approve else "window.rejected",
                    actor=by,
                    obj=window,
                    payload={
                        "submission": window.submission,
                        "comment": comment[:2000],
                        "overrides": [
                            {"other": o.other.reference, "services": o.service_names, "reason": o.reason}
                            for o in recorded_overrides
                        ],
                    },
                )
        except IntegrityError:
            # The database's one-decision-per-submission rule caught a race the row lock did not see.
            raise WindowRefused("Another approver decided on this window at the same moment.") from None
        self._refresh_from(window)
        return decision

    def pair_outages(self) -> list[tuple[Window, dict[int, str]]]:
        """The windows already approved or in progress at an overlapping time that, together with this one,
        take down services neither takes down alone. Approving over one of them needs an override."""
        return needing_override(find_conflicts(self))

    def _check_pairs(self, window: Window, *, by, override: Override | None) -> list[RedundancyOverride]:
        """Refuse approval over a redundant pair unless the override names every service and says why; record
        the override, one per other window, when it does."""
        outages = window.pair_outages()
        if not outages:
            return []
        named = set(override.services) if override else set()
        reason = (override.reason or "").strip() if override else ""
        missing = [(other, services) for other, services in outages if not services.keys() <= named]
        if missing or not reason:
            other, services = (missing or outages)[0]
            names = ", ".join(list(services.values())[:10]) + (
                f" and {len(services) - 10} more" if len(services) > 10 else ""
            )
            raise WindowRefused(
                f"Together with {other.reference} ({other.get_status_display().lower()}, at an overlapping "
                f"time), this window takes down {len(services)} service(s) that neither takes down alone: "
                f"{names}. Both halves of a redundant pair would be cut. Move one of the windows, or approve "
                "with an override that names each of these services and gives a reason."
            )
        recorded = []
        for other, services in outages:
            override_row = RedundancyOverride.objects.create(
                window=window,
                other=other,
                submission=window.submission,
                services=[{"id": pk, "name": name} for pk, name in services.items()],
                reason=reason[:2000],
                by=by,
            )
            record(
                "window.redundancy_override",
                actor=by,
                obj=window,
                payload={
                    "other": other.reference,
                    "services": list(services.values()),
                    "reason": reason[:2000],
                },
            )
            recorded.append(override_row)
        return recorded

    def start(self, *, by, now: datetime | None = None) -> None:
        now = now or timezone.now()
        with transaction.atomic():
            window = self._locked()
            if refusal := window.start_refusal(by, now):
                raise WindowRefused(refusal)
            window.status = WindowStatus.IN_PROGRESS
            window.started_at = window.status_changed_at = now
            window.save(update_fields=["status", "status_changed_at", "started_at"])
            record("window.started", actor=by, obj=window, payload={"early": now < window.planned_start})
            if window.run_id:
                window.run.open_for_work(by=by)
            window_notices.started(window, by=by)
        self._refresh_from(window)

    def complete(self, *, by) -> None:
        self._finish(by=by, status=WindowStatus.COMPLETED, action="window.completed", reason="")

    def abort(self, *, by, reason: str) -> None:
        """In progress → aborted: its runbook switches to the rollback steps, workable at once (an approver's
        pause is lifted; an open discrepancy still holds it until resolved)."""
        reason = (reason or "").strip()
        if not reason:
            raise WindowRefused("Say why the window is aborted and rolled back.")
        self._finish(by=by, status=WindowStatus.ABORTED, action="window.aborted", reason=reason)

    def _finish(self, *, by, status: str, action: str, reason: str) -> None:
        with transaction.atomic():
            window = self._locked()
            refusal = (
                window.complete_refusal(by) if status == WindowStatus.COMPLETED else window.abort_refusal(by)
            )
            if refusal:
                raise WindowRefused(refusal)
            window.status = status
            window.ended_at = window.status_changed_at = timezone.now()
            window.save(update_fields=["status", "status_changed_at", "ended_at"])
            overran = window.ended_at > window.planned_end
            record(action, actor=by, obj=window, payload={"reason": reason[:2000], "overran": overran})
            if window.run_id:
                if status == WindowStatus.ABORTED:
                    window.run.begin_rollback(by=by, reason=reason)
                else:
                    window.run.close(by=by)
            finished = window_notices.aborted if status == WindowStatus.ABORTED else window_notices.completed
            finished(window, by=by)
        self._refresh_from(window)

    def finish_rollback(self, *, by) -> None:
        """An aborted window whose rollback steps are all done: its runbook is closed and the window leaves the
        board. It stays aborted, which is what happened; the as-run record shows the rollback signed off."""
        with transaction.atomic():
            window = self._locked()
            if refusal := window.finish_rollback_refusal(by):
                raise WindowRefused(refusal)
            record("window.rolled_back", actor=by, obj=window, payload={})
            window.run.close(by=by)
        self._refresh_from(window)

    def cancel(self, *, by, reason: str) -> None:
        reason = (reason or "").strip()
        with transaction.atomic():
            window = self._locked()
            if refusal := window.cancel_refusal(by):
                raise WindowRefused(refusal)
            window.status = WindowStatus.CANCELLED
            window.status_changed_at = timezone.now()
            window.save(update_fields=["status", "status_changed_at"])
            record("window.cancelled", actor=by, obj=window, payload={"reason": reason[:2000]})
            window_notices.cancelled(window, by=by)
        self._refresh_from(window)

    def pause(self, *, by, reason: str) -> None:
        """An approver stops the work where it is (a rollback too): no step can be acted on until resumed."""
        with transaction.atomic():
            window = self._locked()
            if refusal := window.pause_refusal(by):
                raise WindowRefused(refusal)
            try:
                window.run.pause(by=by, reason=(reason or "").strip() or f"Paused by {by.get_username()}")
            except StepRefused as refusal:
                raise WindowRefused(refusal.reason) from None
            record("window.paused", actor=by, obj=window, payload={"reason": (reason or "")[:2000]})

    def resume(self, *, by) -> None:
        with transaction.atomic():
            window = self._locked()
            if refusal := window.resume_refusal(by):
                raise WindowRefused(refusal)
            try:
                window.run.resume(by=by)
            except StepRefused as refusal:
                raise WindowRefused(refusal.reason) from None
            record("window.resumed", actor=by, obj=window, payload={})

    # --- editing while a draft -----------------------------------------------------------------------------

    def edit_refusal(self, user) -> str:
        """Why this user may not change the window (its fields, its targets) now; "" when they may."""
        if self.status != WindowStatus.DRAFT:
            return "Only a draft can be changed. A submitted window goes back to draft when rejected."
        if user.pk != self.requester_id:
            return "Only the requester changes their window."
        return ""

    def may_edit(self, user) -> bool:
        return not self.edit_refusal(user)

    def require_editable(self, by) -> None:
        if refusal := self.edit_refusal(by):
            raise WindowRefused(refusal)

    def add_target(
        self, *, by, action: str, device: Device | None = None, port: Port | None = None
    ) -> Target:
        self.require_editable(by)
        if (device is None) == (port is None):
            raise WindowRefused("A target is one device or one port.")
        asset = device or port
        site_id = device.site_id if device else port.device.site_id
        if site_id != self.site_id:
            raise WindowRefused(f"{asset} is not at {self.site.code}; a window works on one site.")
        allowed = PORT_ACTIONS if port else DEVICE_ACTIONS
        if action not in allowed:
            words = ", ".join(TargetAction(a).label.lower() for a in sorted(allowed))
            raise WindowRefused(f"A {'port' if port else 'device'} can be: {words}.")
        with transaction.atomic():
            if self.targets.filter(device=device, port=port).exists():
                raise WindowRefused(f"{asset} is already a target of this window.")
            target = Target.objects.create(window=self, device=device, port=port, action=action)
            record(
                "window.target_added", actor=by, obj=self, payload={"target": str(target), "action": action}
            )
        return target

    def remove_target(self, *, by, target: Target) -> None:
        self.require_editable(by)
        with transaction.atomic():
            self._locked().require_editable(by)
            description = str(target)
            target.delete()
            record("window.target_removed", actor=by, obj=self, payload={"target": description})

    def recompute_blast_radius(self, *, by) -> BlastSnapshot:
        if refusal := self.recompute_refusal(by):
            raise WindowRefused(refusal)
        with transaction.atomic():
            window = self._locked()
            snapshot = BlastSnapshot.compute_for(window)
            record(
                "window.blast_radius_computed",
                actor=by,
                obj=window,
                payload={
                    "services_affected": snapshot.service_count,
                    "devices_affected": snapshot.device_count,
                },
            )
        return snapshot

    # --- what it puts at risk, overrides included -------------------------------------------------------

    @property
    def override_list(self) -> list[RedundancyOverride]:
        """Overrides this window is part of, either side: approved over another window, or another approved
        over it. Prefetched as `overrides_made` and `overrides_against` by the pages that list windows."""
        if hasattr(self, "overrides_made") and hasattr(self, "overrides_against"):
            found = [*self.overrides_made, *self.overrides_against]
        else:
            found = list(
                RedundancyOverride.objects.filter(Q(window=self) | Q(other=self)).select_related(
                    "window", "other", "by"
                )
            )
        # An override speaks for the submission it was given with, while that window still stands.
        live = [
            o
            for o in found
            if o.window.status != WindowStatus.CANCELLED and o.submission == o.window.submission
        ]
        return sorted(live, key=lambda o: (o.at, o.pk))

    @property
    def effective_risk(self) -> str:
        """High whenever the window was approved over a redundant pair, whatever risk its requester chose."""
        return Risk.HIGH if self.override_list else self.risk

    def get_effective_risk_display(self) -> str:
        label = Risk(self.effective_risk).label
        return f"{label} (approved over a redundant pair)" if self.override_list else label

    def services_at_risk(self, snapshot: BlastSnapshot | None = None) -> dict[int, str]:
        """The services this window may take down: its own blast radius, and those named in its overrides
        (they lose both halves of their pair if the two windows' cuts meet)."""
        snapshot = snapshot if snapshot is not None else self.latest_snapshot
        found = {
            s["id"]: f"{s['customer']}: {s['name']}"
            for s in (snapshot.result.get("services", []) if snapshot else [])
        }
        for override in self.override_list:
            for service in override.services:
                found.setdefault(service["id"], service["name"])
        return found

    @property
    def latest_snapshot(self) -> BlastSnapshot | None:
        return self.snapshots.select_related("window__site").order_by("-computed_at", "-pk").first()
