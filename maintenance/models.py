"""Maintenance windows (changes): plan, submit with a blast radius snapshot, approve or reject, run.

Every transition is one method: it checks who may make it and from which state, locks the row, changes it
and writes the audit event in one transaction. Views never set `status` themselves.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from checklists.models import Run, StepRefused
from inventory.models import Device, Port, Site


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
    ABORTED = "aborted", "Aborted (rolled back)"
    CANCELLED = "cancelled", "Cancelled"


# Windows that hold their time, targets and people: the ones a new window can conflict with.
ACTIVE_STATUSES = (WindowStatus.SUBMITTED, WindowStatus.APPROVED, WindowStatus.IN_PROGRESS)


class WindowType(models.TextChoices):
    STANDARD = "standard", "Standard (pre-approved template)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class TargetAction(models.TextChoices):
    UNPLUG = "unplug", "Unplug"
    POWER_OFF = "power_off", "Power off"
    REPLACE = "replace", "Replace"
    MOVE = "move", "Move"
    RECONNECT = "reconnect", "Reconnect"


PORT_ACTIONS = {TargetAction.UNPLUG, TargetAction.MOVE, TargetAction.RECONNECT}
DEVICE_ACTIONS = {TargetAction.POWER_OFF, TargetAction.REPLACE, TargetAction.MOVE}


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
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The runbook, built from the checklist templates at each submission.
    run = models.OneToOneField(
        "checklists.Run", null=True, blank=True, on_delete=models.PROTECT, related_name="window"
    )

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
        """A stored UTC time in the site's own time zone, for showing."""
        return moment.astimezone(self.site.tz) if moment else None

    @property
    def local_start(self) -> datetime:
        return self.local(self.planned_start)

    @property
    def local_end(self) -> datetime:
        return self.local(self.planned_end)

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
        for field in ("status", "submission", "submitted_at", "started_at", "ended_at", "run_id"):
            setattr(self, field, getattr(fresh, field))

    def _require(self, window: Window, allowed: tuple[str, ...], verb: str) -> None:
        if window.status not in allowed:
            raise WindowRefused(f"A window that is {window.get_status_display().lower()} cannot be {verb}.")

    def submit(self, *, by) -> BlastSnapshot:
        """Draft → submitted: computes the blast radius snapshot and the conflicts the approver reviews."""
        from maintenance.conflicts import find_conflicts
        from maintenance.runbooks import build_runbook

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
            window.submitted_at = timezone.now()
            window.run = build_runbook(window, by=by)
            window.save(update_fields=["status", "submission", "submitted_at", "run"])
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

    def decide(self, *, by, approve: bool, comment: str) -> WindowDecision:
        """Submitted → approved, or back to draft with the reason. One decision per submission counts."""
        comment = (comment or "").strip()
        if not has_role(by, Role.APPROVER):
            raise WindowRefused("Only an approver can approve or reject a window.")
        if not approve and not comment:
            raise WindowRefused("Say why it is rejected, so the requester knows what to change.")
        try:
            with transaction.atomic():
                window = self._locked()
                if window.requester_id == by.pk:
                    raise WindowRefused("You requested this window; another approver must decide on it.")
                if approve and window.status == WindowStatus.SUBMITTED:
                    snapshot = window.latest_snapshot
                    if snapshot is None or snapshot.is_stale:
                        raise WindowRefused(
                            "The inventory changed since this blast radius was computed. Recompute it and "
                            "review the new one before approving."
                        )
                if window.status != WindowStatus.SUBMITTED:
                    decided = (
                        window.decisions.filter(submission=window.submission).select_related("by").first()
                    )
                    if decided is not None:
                        raise WindowRefused(
                            f"Already {decided.get_decision_display().lower()} by {decided.by.get_username()}."
                        )
                    self._require(window, (WindowStatus.SUBMITTED,), "approved or rejected")
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
                window.save(update_fields=["status"])
                record(
                    "window.approved" if approve else "window.rejected",
                    actor=by,
                    obj=window,
                    payload={"submission": window.submission, "comment": comment[:2000]},
                )
        except IntegrityError:
            # The database's one-decision-per-submission rule caught a race the row lock did not see.
            raise WindowRefused("Another approver decided on this window at the same moment.") from None
        self._refresh_from(window)
        return decision

    def start(self, *, by, now: datetime | None = None) -> None:
        now = now or timezone.now()
        with transaction.atomic():
            window = self._locked()
            self._require(window, (WindowStatus.APPROVED,), "started")
            self._require_worker(window, by)
            if now < window.planned_start and window.type != WindowType.EMERGENCY:
                local = window.local(window.planned_start)
                raise WindowRefused(
                    f"This window may not start before its planned start, {local:%Y-%m-%d %H:%M} "
                    f"{window.site.time_zone}. Only emergency windows start early."
                )
            window.status = WindowStatus.IN_PROGRESS
            window.started_at = now
            window.save(update_fields=["status", "started_at"])
            record("window.started", actor=by, obj=window, payload={"early": now < window.planned_start})
            if window.run_id:
                window.run.open_for_work(by=by)
        self._refresh_from(window)

    def complete(self, *, by) -> None:
        self._finish(by=by, status=WindowStatus.COMPLETED, action="window.completed", reason="")

    def abort(self, *, by, reason: str) -> None:
        reason = (reason or "").strip()
        if not reason:
            raise WindowRefused("Say why the window is aborted and rolled back.")
        self._finish(by=by, status=WindowStatus.ABORTED, action="window.aborted", reason=reason)

    def _finish(self, *, by, status: str, action: str, reason: str) -> None:
        with transaction.atomic():
            window = self._locked()
            self._require(
                window, (WindowStatus.IN_PROGRESS,), "completed" if status == "completed" else "aborted"
            )
            self._require_worker(window, by)
            if status == WindowStatus.COMPLETED and window.run_id and (left := window.run.outstanding()):
                raise WindowRefused(
                    f"{left} runbook step(s) are not complete yet. Finish them, or abort and roll back."
                )
            window.status = status
            window.ended_at = timezone.now()
            window.save(update_fields=["status", "ended_at"])
            overran = window.ended_at > window.planned_end
            record(action, actor=by, obj=window, payload={"reason": reason[:2000], "overran": overran})
            if window.run_id:
                if status == WindowStatus.ABORTED:
                    window.run.begin_rollback(by=by, reason=reason)
                else:
                    window.run.close(by=by)
        self._refresh_from(window)

    def cancel(self, *, by, reason: str) -> None:
        reason = (reason or "").strip()
        with transaction.atomic():
            window = self._locked()
            self._require(
                window, (WindowStatus.DRAFT, WindowStatus.SUBMITTED, WindowStatus.APPROVED), "cancelled"
            )
            if by.pk != window.requester_id and not has_role(by, Role.APPROVER):
                raise WindowRefused("Only the requester or an approver can cancel a window.")
            window.status = WindowStatus.CANCELLED
            window.save(update_fields=["status"])
            record("window.cancelled", actor=by, obj=window, payload={"reason": reason[:2000]})
        self._refresh_from(window)

    def pause(self, *, by, reason: str) -> None:
        """An approver stops the work where it is: no step can be acted on until it is resumed."""
        if not has_role(by, Role.APPROVER):
            raise WindowRefused("Only an approver pauses a running window.")
        with transaction.atomic():
            window = self._locked()
            self._require(window, (WindowStatus.IN_PROGRESS,), "paused")
            try:
                window.run.pause(by=by, reason=(reason or "").strip() or f"Paused by {by.get_username()}")
            except StepRefused as refusal:
                raise WindowRefused(refusal.reason) from None
            record("window.paused", actor=by, obj=window, payload={"reason": (reason or "")[:2000]})

    def resume(self, *, by) -> None:
        if not has_role(by, Role.APPROVER):
            raise WindowRefused("Only an approver resumes a paused window.")
        with transaction.atomic():
            window = self._locked()
            self._require(window, (WindowStatus.IN_PROGRESS,), "resumed")
            try:
                window.run.resume(by=by)
            except StepRefused as refusal:
                raise WindowRefused(refusal.reason) from None
            record("window.resumed", actor=by, obj=window, payload={})

    def _require_worker(self, window: Window, by) -> None:
        if has_role(by, Role.APPROVER) or window.assignees.filter(pk=by.pk).exists():
            return
        raise WindowRefused("Only a tech assigned to this window, or an approver, can do that.")

    # --- editing while a draft -----------------------------------------------------------------------------

    def require_editable(self, by) -> None:
        if self.status != WindowStatus.DRAFT:
            raise WindowRefused(
                "Only a draft can be changed. A submitted window goes back to draft when rejected."
            )
        if by.pk != self.requester_id:
            raise WindowRefused("Only the requester changes their window.")

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
        if self.status not in (WindowStatus.DRAFT, WindowStatus.SUBMITTED, WindowStatus.APPROVED):
            raise WindowRefused("The blast radius is recomputed only before the window runs.")
        if by.pk != self.requester_id and not has_role(by, Role.APPROVER):
            raise WindowRefused("Only the requester or an approver recomputes the blast radius.")
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

    @property
    def latest_snapshot(self) -> BlastSnapshot | None:
        return self.snapshots.select_related("window__site").order_by("-computed_at", "-pk").first()


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
        from maintenance.impact import compute_window_blast_radius

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
