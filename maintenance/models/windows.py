"""Maintenance windows (changes): plan, submit with a blast radius snapshot, approve or reject, run.

Every transition is one method: it checks who may make it and from which state, locks the row, changes it
and writes the audit event in one transaction. Views never set `status` themselves.

What a window does to connectivity (its targets as blast-radius cuts) and its conflicts with other windows
are here too, at the end: approval is refused on them, so they are the window's own rules. The models import
nothing of maintenance above them: what follows a change in the worker (reminders, a print) is queued by
maintenance/tasks.py when the signals below say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch, Q
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from checklists.models import Run, RunMode, RunStatus, StepRefused
from inventory.actions import DEVICE_ACTIONS, PORT_ACTIONS, Action
from inventory.blast_radius import Cut, InventoryGraph, build_graph, compute
from inventory.models import Device, Port, Site, circuits_between_sites, sites_reached
from lockstep.dates import in_zone, span_in_zone, zone_name
from maintenance import window_notices
from maintenance.runbooks import build_runbook

# Sent inside the approval's transaction (sender=Window, window=, by=): maintenance/tasks.py queues the
# reminders and the overrun check, committed with the approval or not at all.
window_approved = Signal()


class WindowRefused(Exception):
    """A refused window action, with a message written for the person who tried it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WindowStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for approval"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    ABORTED = "aborted", "Aborted"  # the run says whether its rollback is still being worked
    CANCELLED = "cancelled", "Cancelled"


# Windows that hold their time, targets and people: the ones a new window can conflict with.
ACTIVE_STATUSES = (WindowStatus.SUBMITTED, WindowStatus.APPROVED, WindowStatus.IN_PROGRESS)
# Windows that can still be cancelled, and whose blast radius is still worth recomputing.
BEFORE_IT_RUNS = (WindowStatus.DRAFT, WindowStatus.SUBMITTED, WindowStatus.APPROVED)
# Windows whose work began: there is a record of what was done (an as-run record, downtime, a debrief).
WORK_BEGAN = (WindowStatus.IN_PROGRESS, WindowStatus.COMPLETED, WindowStatus.ABORTED)
WORKERS_ONLY = "Only a tech assigned to this window, or an approver, can do that."


class WindowType(models.TextChoices):
    STANDARD = "standard", "Standard (pre-approved template)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


# What a window may do to a target, and to which: the inventory's one vocabulary of actions.
TargetAction = Action


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


def override_prefetches() -> list[models.Prefetch]:
    """What `Window.override_list` reads, fetched with a list of windows: two queries for them all."""
    overrides = RedundancyOverride.objects.select_related("window__site", "other", "by")
    return [
        models.Prefetch("overrides", queryset=overrides, to_attr="overrides_made"),
        models.Prefetch("overridden_by", queryset=overrides, to_attr="overrides_against"),
    ]


@dataclass(frozen=True)
class Override:
    """What an approver says to approve a window over a redundancy conflict: the services they accept will
    lose both halves of their pair (by id), and why."""

    services: tuple[int, ...]
    reason: str


class Target(models.Model):
    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="targets")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    port = models.ForeignKey(Port, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=TargetAction.choices)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(device__isnull=False) & Q(port__isnull=True))
                | (Q(device__isnull=True) & Q(port__isnull=False)),
                name="target_is_one_device_or_port",
            ),
            models.CheckConstraint(condition=Q(action__in=TargetAction.values), name="target_action_valid"),
            models.UniqueConstraint(fields=["window", "device"], name="target_device_once_per_window"),
            models.UniqueConstraint(fields=["window", "port"], name="target_port_once_per_window"),
        ]

    def __str__(self) -> str:
        asset = f"{self.port.device.name} {self.port.name}" if self.port_id else self.device.name
        return f"{self.get_action_display().lower()} {asset}"

    @property
    def asset(self) -> Device | Port:
        return self.port if self.port_id else self.device


# --- what a window does to connectivity ---------------------------------------------------------------


def cut_for(target: Target) -> Cut:
    """The target's action as a blast-radius cut (the one mapping, in `Cut.for_work`)."""
    verb = target.get_action_display().lower()
    if target.port_id:
        return Cut.for_work(
            target.action, port=target.port, label=f"{verb} {target.port.device.name} {target.port.name}"
        )
    return Cut.for_work(target.action, device=target.device, label=f"{verb} {target.device.name}")


def cuts_for(targets: Iterable[Target]) -> list[Cut]:
    return [cut_for(target) for target in targets]


def window_targets(window: Window) -> list[Target]:
    return list(window.targets.select_related("device", "port__device"))


def compute_window_blast_radius(window: Window, graph: InventoryGraph | None = None) -> dict[str, Any]:
    graph = graph or build_graph(window.site_id)
    return compute(graph, cuts_for(window_targets(window))).to_dict()


class WindowDecision(models.Model):
    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="decisions")
    submission = models.PositiveIntegerField()
    decision = models.CharField(max_length=10, choices=Decision.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(blank=True)
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["window", "submission"], name="one_decision_per_submission"),
            models.CheckConstraint(condition=Q(decision__in=["approved", "rejected"]), name="decision_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.window.reference} {self.decision} by {self.by}"


class BlastSnapshot(models.Model):
    """The blast radius as it was computed at submission, kept so the approver reviews what was submitted."""

    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="snapshots")
    computed_at = models.DateTimeField(default=timezone.now)
    inventory_revision = models.PositiveBigIntegerField()
    result = models.JSONField()
    service_count = models.PositiveIntegerField(default=0)
    device_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-computed_at"]

    def __str__(self) -> str:
        return f"blast radius of {self.window.reference} at {self.computed_at:%Y-%m-%d %H:%M}"

    @classmethod
    def compute_for(cls, window: Window) -> BlastSnapshot:
        revision = Site.objects.values_list("revision", flat=True).get(pk=window.site_id)
        result = compute_window_blast_radius(window)
        return cls.objects.create(
            window=window,
            inventory_revision=revision,
            result=result,
            service_count=len(result.get("services", [])),
            device_count=len(result.get("devices", [])),
        )

    @property
    def is_stale(self) -> bool:
        return self.window.site.revision != self.inventory_revision


class RedundancyOverride(models.Model):
    """An approver approved `window` although, together with `other` (approved or in progress at an
    overlapping time), it takes down services that neither takes down alone: both halves of a redundant pair.
    Named services and a reason, recorded; shown on both windows. It never lets both cuts happen at once at
    run time: the interlock refuses the second cut whatever was approved."""

    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="overrides")
    other = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="overridden_by")
    submission = models.PositiveIntegerField()
    services = models.JSONField(default=list)  # [{"id": …, "name": …}] as the approver saw them
    reason = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="override_has_reason"),
            models.UniqueConstraint(
                fields=["window", "other", "submission"], name="one_override_per_pair_per_submission"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.window.reference} approved over {self.other.reference}"

    @property
    def service_names(self) -> list[str]:
        return [service["name"] for service in self.services]


class Blackout(models.Model):
    """A period when a site takes no normal changes (peak season, a customer's launch)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="blackouts")
    starts = models.DateTimeField()
    ends = models.DateTimeField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["starts"]
        constraints = [
            models.CheckConstraint(condition=Q(ends__gt=models.F("starts")), name="blackout_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.site.code} blackout: {self.reason}"


def overlapping(start: datetime, end: datetime) -> Q:
    return Q(planned_start__lt=end, planned_end__gt=start)


# --- conflicts between windows ------------------------------------------------------------------------
# At one site (and, for a redundant pair, at the sites its active circuits join it to: their cuts meet in one
# blast radius). Two windows conflict when their times overlap and they touch the same port, device or rack;
# when their cuts together take down a service that neither takes down alone (each works on one switch of a
# redundant pair); when a normal change falls in a blackout; or when one tech is booked on both.


@dataclass(frozen=True)
class Conflict:
    kind: str  # same_port, same_device, same_rack, combined_outage, blackout, double_booked
    reason: str
    other: Window | None = None
    services: dict[int, str] | None = None  # combined_outage: lost together, neither alone (id → name)

    @property
    def needs_override(self) -> bool:
        """Both halves of a pair, with a window already approved or running: approving needs an override.
        (With one still waiting, the conflict is shown, and decided when that one comes up.)"""
        return self.kind == "combined_outage" and self.other.status in (WindowStatus.APPROVED, *UNDER_WAY)


def needing_override(conflicts: Sequence[Conflict]) -> list[tuple[Window, dict[int, str]]]:
    return [(c.other, c.services) for c in conflicts if c.needs_override]


def _with_targets(queryset):
    return queryset.select_related("site").prefetch_related(
        Prefetch("targets", queryset=Target.objects.select_related("device__rack", "port__device__rack")),
        "assignees",
    )


@dataclass
class _Touch:
    ports: dict[int, str]
    devices: dict[int, str]
    racks: dict[int, str]


def _touch(window: Window) -> _Touch:
    touch = _Touch({}, {}, {})
    for target in window.targets.all():
        device = target.port.device if target.port_id else target.device
        if target.port_id:
            touch.ports[target.port_id] = f"{device.name} {target.port.name}"
        touch.devices[device.pk] = device.name
        if device.rack_id:
            touch.racks[device.rack_id] = device.rack.name
    return touch


UNDER_WAY = (WindowStatus.IN_PROGRESS, WindowStatus.ABORTED)


_OPEN_ENDED = datetime.max.replace(tzinfo=UTC)


def _ends(window: Window, now: datetime) -> datetime:
    """When a window stops holding its assets: its planned end; or, if it is still under way past it (it
    overran, or it is being rolled back), not until it ends, whenever that is."""
    if window.status in UNDER_WAY and (window.planned_end <= now or window.status == WindowStatus.ABORTED):
        return _OPEN_ENDED
    return window.planned_end


class _Outages:
    """Services lost by windows' cuts made together, with one inventory graph per site and each window's own
    blast radius computed once."""

    def __init__(self) -> None:
        self.graphs: dict[int, InventoryGraph] = {}
        self.alone: dict[int, dict[int, str]] = {}

    def lost(self, *members: Window) -> dict[int, str]:
        site_id = members[0].site_id
        if site_id not in self.graphs:
            self.graphs[site_id] = build_graph(site_id)
        cuts = [cut for member in members for cut in cuts_for(member.targets.all())]
        return {
            service.id: f"{service.customer}: {service.name}"
            for service in compute(self.graphs[site_id], cuts).services
        }

    def lost_alone(self, member: Window) -> dict[int, str]:
        if member.pk not in self.alone:
            self.alone[member.pk] = self.lost(member)
        return self.alone[member.pk]

    def together(self, window: Window, other: Window) -> dict[int, str]:
        """What the two take down together that neither takes down alone: both halves of a redundant pair."""
        both = self.lost(window, other)
        return {
            pk: both[pk]
            for pk in sorted(both.keys() - self.lost_alone(window).keys() - self.lost_alone(other).keys())
        }


def find_conflicts(window: Window) -> list[Conflict]:
    """Conflicts of one window with every other active window at its site."""
    window = _with_targets(Window.objects.filter(pk=window.pk)).get()
    return conflicts_among([window])[window.pk]


def conflicts_among(windows: Sequence[Window]) -> dict[int, list[Conflict]]:
    """Conflicts for each of `windows` against every active window overlapping it, in a fixed number of
    queries and one inventory graph per site, so a queue of 200 windows costs the same queries as one."""
    result: dict[int, list[Conflict]] = {w.pk: [] for w in windows}
    if not windows:
        return result
    # A window's redundancy reaches every site its circuits join it to: other windows there count too.
    _ports, neighbours = circuits_between_sites()
    joined = {w.site_id: sites_reached(w.site_id, neighbours) for w in windows}
    sites = set().union(*joined.values())
    start = min(w.planned_start for w in windows)
    end = max(w.planned_end for w in windows)
    # Work under way holds its assets until it ends, whatever its plan said: a window that overran, or was
    # aborted and is still being rolled back, is counted as running until now at least.
    now = timezone.now()
    others = list(
        _with_targets(
            Window.objects.filter(site_id__in=sites).filter(
                Q(status__in=ACTIVE_STATUSES, planned_start__lt=end, planned_end__gt=start)
                | Q(status__in=UNDER_WAY, planned_start__lt=end) & ~Q(run__status=RunStatus.CLOSED)
            )
        )
    )
    by_pk = {w.pk: w for w in others} | {w.pk: w for w in windows}
    blackouts = list(Blackout.objects.filter(site_id__in=sites).filter(starts__lt=end, ends__gt=start))
    touches = {pk: _touch(w) for pk, w in by_pk.items()}
    outages = _Outages()
    for window in windows:
        found = result[window.pk]
        mine = touches[window.pk]
        for other in others:
            if other.pk == window.pk or other.site_id not in joined[window.site_id]:
                continue
            if not (other.planned_start < window.planned_end and _ends(other, now) > window.planned_start):
                continue
            theirs = touches[other.pk]
            shared_ports = mine.ports.keys() & theirs.ports.keys()
            shared_devices = mine.devices.keys() & theirs.devices.keys()
            shared_racks = mine.racks.keys() & theirs.racks.keys()
            if shared_ports:
                names = ", ".join(sorted(mine.ports[p] for p in shared_ports))
                found.append(
                    Conflict(
                        "same_port",
                        f"{other.reference} works on the same port at the same time: {names}",
                        other,
                    )
                )
            elif shared_devices:
                names = ", ".join(sorted(mine.devices[d] for d in shared_devices))
                found.append(
                    Conflict(
                        "same_device",
                        f"{other.reference} works on the same device at the same time: {names}",
                        other,
                    )
                )
            elif shared_racks:
                names = ", ".join(sorted(mine.racks[r] for r in shared_racks))
                found.append(
                    Conflict(
                        "same_rack",
                        f"{other.reference} works in the same rack at the same time: rack {names}",
                        other,
                    )
                )
            together = outages.together(window, other)
            if together:
                names = list(together.values())[:5]
                more = f" and {len(together) - 5} more" if len(together) > 5 else ""
                found.append(
                    Conflict(
                        "combined_outage",
                        f"Together with {other.reference}, {len(together)} service(s) lose every path that neither "
                        f"window takes down alone (a redundant pair cut on both sides): {', '.join(names)}{more}",
                        other,
                        together,
                    )
                )
            for person in {u.pk: u for u in window.assignees.all()}.keys() & {
                u.pk for u in other.assignees.all()
            }:
                name = next(u.get_username() for u in window.assignees.all() if u.pk == person)
                found.append(
                    Conflict(
                        "double_booked", f"{name} is also booked on {other.reference} at the same time", other
                    )
                )
        if window.type == WindowType.NORMAL:
            for blackout in blackouts:
                if (
                    blackout.site_id == window.site_id
                    and blackout.starts < window.planned_end
                    and blackout.ends > window.planned_start
                ):
                    found.append(
                        Conflict(
                            "blackout", f"Falls in the blackout “{blackout.reason}”: no normal changes then"
                        )
                    )
    return result
