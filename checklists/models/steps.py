"""The checklist engine: versioned templates, runs built from them, steps bound to real assets, scans and
two-person sign-off.

It knows the inventory but not maintenance windows: whoever builds a run (a window, a label audit) opens it
for work and closes it again. The rules that keep the wrong switch plugged in live here, each enforced in
Python for the message and by the database for the race:

- a step is acted on only while its run is open for work, after every earlier step is complete;
- a destructive step needs a performer's matching scan and then a different person's matching scan, from
  another session on another device, before anything can be signed ("cleared");
- a scan that does not match blocks: it records a discrepancy and holds the run until an approver resolves it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from accounts.roles import Role, has_role
from audit.log import pending
from audit.models import AuditEvent
from checklists.live_checks import refusal_to_sign
from checklists.models.scans import StepScan
from checklists.models.states import (
    SCANNED_KINDS,
    STOP_ACKNOWLEDGED,
    Binding,
    RunMode,
    RunStatus,
    StepKind,
    StepStatus,
)
from checklists.models.templates import StepTemplate
from inventory.actions import Effect, effect_of
from inventory.models import Device, Port
from inventory.phones import Phone

STEP_ASSET = (
    "device__rack",
    "device__site",
    "port__device__rack",
    "port__device__site",
    "performer",
    "verifier",
)


class Step(models.Model):
    run = models.ForeignKey("checklists.Run", on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    template = models.ForeignKey(StepTemplate, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=StepKind.choices)
    title = models.CharField(max_length=300)
    instructions = models.TextField(blank=True)
    message = models.TextField(blank=True)
    is_rollback = models.BooleanField(default=False)
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    port = models.ForeignKey(Port, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, blank=True)
    do_not_touch = models.JSONField(default=list, blank=True)
    check_serial = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=StepStatus.choices, default=StepStatus.PENDING)
    # The two people. Each is set by their own matching scan (or, for a one-person step, by signing).
    performer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    performer_session = models.CharField(max_length=64, blank=True)
    performer_device = models.CharField(max_length=64, blank=True)
    performed_at = models.DateTimeField(null=True, blank=True)
    verifier = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verifier_session = models.CharField(max_length=64, blank=True)
    verifier_device = models.CharField(max_length=64, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    # Goes up when an approver starts the two-person check again (a phone that scanned was lost): the scans
    # of earlier rounds stay, and each round has its own performer and verifier.
    scan_round = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["run", "position"]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="step_position_unique"),
            models.CheckConstraint(condition=Q(kind__in=StepKind.values), name="step_kind_valid"),
            models.CheckConstraint(condition=Q(status__in=StepStatus.values), name="step_status_valid"),
            # Two different people, on two sessions, on two devices: the database says so too.
            models.CheckConstraint(
                condition=Q(verifier__isnull=True) | ~Q(verifier=F("performer")),
                name="verifier_is_not_performer",
            ),
            models.CheckConstraint(
                condition=Q(verifier__isnull=True) | ~Q(verifier_session=F("performer_session")),
                name="verifier_on_another_session",
            ),
            models.CheckConstraint(
                condition=Q(verifier__isnull=True) | ~Q(verifier_device=F("performer_device")),
                name="verifier_on_another_device",
            ),
            # A destructive step is never complete without a verifier.
            models.CheckConstraint(
                condition=~Q(kind=StepKind.DESTRUCTIVE, status=StepStatus.COMPLETE)
                | Q(verifier__isnull=False, verified_at__isnull=False, performed_at__isnull=False),
                name="destructive_complete_needs_two",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("checklists:step", args=[self.run_id, self.position])

    @classmethod
    def from_template(
        cls, run: models.Model, template: StepTemplate, binding: Binding | None, position: int
    ) -> Step:
        """A step of `run` (a Run: runs.py imports this module, so the hint cannot name it) for one bound
        asset, worded from its template."""
        asset = binding.asset if binding else None
        device = asset if isinstance(asset, Device) else None
        port = asset if isinstance(asset, Port) else None
        effect = effect_of(binding.action) if binding else None
        name = (f"{port.device.name} {port.name}" if port else device.name) if asset else ""
        return cls(
            run=run,
            position=position,
            template=template,
            kind=template.kind,
            title=_words(template.title, name, effect)[:300],
            instructions=_words(template.instructions, name, effect),
            message=template.message.replace("{asset}", name),
            is_rollback=template.is_rollback,
            device=device,
            port=port,
            action=binding.action if binding else "",
            do_not_touch=neighbours(asset) if (asset and template.show_neighbours) else [],
            check_serial=template.check_serial,
        )

    @property
    def asset(self) -> Device | Port | None:
        return self.port if self.port_id else self.device

    @property
    def chassis(self) -> Device | None:
        return self.port.device if self.port_id else self.device

    @property
    def performer_phone(self) -> Phone:
        """The phone the performer scanned with (see inventory.phones: the one rule about phones)."""
        return Phone(device=self.performer_device, session=self.performer_session)

    @property
    def verifier_phone(self) -> Phone:
        return Phone(device=self.verifier_device, session=self.verifier_session)

    @property
    def needs_two(self) -> bool:
        return self.kind == StepKind.DESTRUCTIVE

    # Its status and kind as the pages say them, asked by name so no template spells one. (`is_cleared()` is
    # the whole rule; `is_checked_by_both` only the status that both scans matched.)
    @property
    def is_pending(self) -> bool:
        return self.status == StepStatus.PENDING

    @property
    def is_scanned(self) -> bool:
        return self.status == StepStatus.SCANNED

    @property
    def is_checked_by_both(self) -> bool:
        return self.status == StepStatus.CLEARED

    @property
    def is_done(self) -> bool:
        return self.status == StepStatus.DONE

    @property
    def is_complete(self) -> bool:
        return self.status == StepStatus.COMPLETE

    @property
    def is_hold_point(self) -> bool:
        return self.kind == StepKind.HOLD_POINT

    @property
    def is_customer_update(self) -> bool:
        return self.kind == StepKind.CUSTOMER_UPDATE

    @property
    def needs_scan(self) -> bool:
        return self.kind in SCANNED_KINDS

    def first_open_earlier(self) -> tuple[int, str] | None:
        """The first earlier step of the same sequence not yet complete (position, title): steps run in order."""
        return (
            Step.objects.filter(
                run_id=self.run_id,
                is_rollback=self.is_rollback,
                position__lt=self.position,
                status__in=[status for status in StepStatus if status != StepStatus.COMPLETE],
            )
            .order_by("position")
            .values_list("position", "title")
            .first()
        )

    def awaits_scan_by(self, user, phone: Phone | None = None) -> bool:
        """May this user scan this step now, from `phone`? Its run is open for work in this step's sequence,
        the user works on it, every earlier step is complete, and the step waits for a first scan, or for a
        second scan by someone other than the performer on a phone other than the performer's (the rule of
        `Phone.made`, which the scan itself asks too)."""
        run = self.run
        if not self.needs_scan or run.status != RunStatus.ACTIVE:
            return False
        if self.is_rollback != (run.mode == RunMode.ROLLBACK):
            return False
        waiting = self.status == StepStatus.PENDING or (
            self.status == StepStatus.SCANNED
            and self.needs_two
            and self.performer_id != user.pk
            and not self.scanned_on(phone)
        )
        return waiting and run.works_on(user) and self.first_open_earlier() is None

    def reset_scans_refusal(self, user, *, oversees: bool | None = None) -> str:
        """Why this user may not start this step's two-person check again now ("" when they may): an approver
        who neither asked for nor works on the change, of a step scanned but not yet signed done, while its run
        is open for work in the step's sequence (a phone that scanned is lost or broke). `oversees`: the run's
        `may_oversee(user)`, when the caller has asked it already."""
        if not has_role(user, Role.APPROVER):
            return "Only an approver starts a step's checks again."
        run = self.run
        if run.status != RunStatus.ACTIVE or self.is_rollback != (run.mode == RunMode.ROLLBACK):
            return "This step's work is not open now, so its checks are not started again."
        if not (run.may_oversee(user) if oversees is None else oversees):
            return "You asked for or work on this change; another approver starts its checks again."
        if self.status not in (StepStatus.SCANNED, StepStatus.CLEARED):
            return (
                "Only a step scanned but not yet done has its scans started again. Once the performer has "
                "signed it done, the verifier signs from the phone they scanned with."
            )
        return ""

    def may_reset_scans(self, user, *, oversees: bool | None = None) -> bool:
        return not self.reset_scans_refusal(user, oversees=oversees)

    @property
    def needs_serial(self) -> bool:
        """The chassis serial as a second identity: always for destructive steps, and where the step asks."""
        return self.needs_two or (self.check_serial and self.needs_scan)

    @property
    def action_words(self) -> str:
        """The action as people say it: "power off", not "power_off"."""
        return effect_of(self.action).verb if self.action else ""

    def scanned_on(self, phone: Phone | None) -> bool:
        """Did the performer scan this step on `phone`? A colleague on that phone is the same phone twice."""
        return phone is not None and self.performer_id is not None and phone.made(self.performer_phone)

    def awaits_signature_by(self, user) -> bool:
        """May this user sign this step now? Its run is open for work in this step's sequence, and: a one-person
        step not yet done, every earlier step complete, the user on the work; or a cleared destructive step
        and its performer; or a done one and its verifier. (The signature itself checks the phone too.)"""
        run = self.run
        if run.status != RunStatus.ACTIVE or self.is_rollback != (run.mode == RunMode.ROLLBACK):
            return False
        if self.kind in (StepKind.INSTRUCTION, StepKind.CUSTOMER_UPDATE):
            return (
                self.status == StepStatus.PENDING and run.works_on(user) and self.first_open_earlier() is None
            )
        if self.kind == StepKind.DESTRUCTIVE:
            return (self.status == StepStatus.CLEARED and self.performer_id == user.pk) or (
                self.status == StepStatus.DONE and self.verifier_id == user.pk
            )
        return False

    # --- cleared: the one rule the phones, the board, the runbook page and the signature ask ------------------

    def uncleared_because(self, **loaded) -> str | None:
        """Why this destructive step is not cleared for its action now, in words for the phone; None when it
        is. Cleared only when everything has answered: both people's scans matched, the work is open for it
        (not paused, held or rolling back), and, where Lockstep can ask the device, the switch said yes before
        the hands move (or an approver who does not work on the change decided it goes on without). A step
        done or complete is past clearing. `loaded`: the device's `access` and the deciding `check`, if the
        caller already read them (the step page, the board)."""
        if self.kind != StepKind.DESTRUCTIVE:
            return "Only a destructive step is cleared: this one is not."
        if self.status in (StepStatus.PENDING, StepStatus.SCANNED):
            return "Not cleared yet: the performer and a second tech must both scan the asset first."
        if self.status != StepStatus.CLEARED:
            return "This step is done already."
        run = self.run
        if run.status != RunStatus.ACTIVE or run.mode != RunMode.NORMAL:
            return f"The work is not open for it now: {run.get_status_display().lower()}."
        return refusal_to_sign(self, **loaded)

    def is_cleared(self, **loaded) -> bool:
        """Cleared for its action now: see `uncleared_because`."""
        return self.uncleared_because(**loaded) is None

    @property
    def status_words(self) -> str:
        """The step's status as the runbook page and the desk say it: a step both people scanned reads as
        cleared only once everything has answered (the switch too)."""
        if self.status != StepStatus.CLEARED:
            return self.get_status_display()
        if self.is_cleared():
            return "Cleared: both scans matched and every check has answered"
        return "Both scans matched; waiting: touch nothing yet"

    def stop_unacknowledged_by(self, user, scans: list[StepScan] | None = None) -> StepScan | None:
        """The user's latest mismatching scan of this step that they have not yet said they stopped for: the
        STOP stays on their phone until they do. `scans`: the step's scans, if the caller loaded them."""
        mine = [s for s in (scans if scans is not None else self.scans.all()) if s.user_id == user.pk]
        latest = max((s for s in mine if not s.matched), key=lambda s: s.pk, default=None)
        if latest is None:
            return None
        acknowledged = AuditEvent.objects.for_object(self).filter(action=STOP_ACKNOWLEDGED, actor=user)
        said = list(acknowledged.values_list("payload", flat=True)) + [
            # Said in this very tap: its answer must not show the STOP again.
            e.payload
            for e in pending(action=STOP_ACKNOWLEDGED, obj=self)
            if e.actor_id == user.pk
        ]
        if any(p.get("scan", 0) >= latest.pk for p in said):
            return None
        return latest


def _words(text: str, asset: str, effect: Effect | None) -> str:
    """A step template's words for one bound asset: {asset}, {action} (the verb, as people say it) and
    {afterwards} (what the techs should see once it is done), as the vocabulary of actions says."""
    return (
        text.replace("{asset}", asset)
        .replace("{action}", effect.verb if effect else "")
        .replace("{afterwards}", effect.afterwards if effect else "")
    )


def neighbours(asset: Device | Port) -> list[str]:
    """What sits next to the asset and must not be touched: the ports beside it, and the devices just above
    and below it in the rack (where a switch of the other half of a pair usually is)."""
    found: list[str] = []
    device = asset.device if isinstance(asset, Port) else asset
    if isinstance(asset, Port):
        siblings = list(device.ports.filter(kind=asset.kind).order_by("pk").values_list("pk", "name"))
        index = next((i for i, (pk, _) in enumerate(siblings) if pk == asset.pk), None)
        if index is not None:
            for pk, name in siblings[max(0, index - 1) : index + 2]:
                if pk != asset.pk:
                    found.append(f"{device.name} {name}")
    if device.rack_id and device.position is not None:
        nearby = Device.objects.filter(
            rack_id=device.rack_id, position__gte=device.position - 2, position__lte=device.position + 2
        ).exclude(pk=device.pk)
        found += [f"{other.name} (U{other.position.normalize():f})" for other in nearby.order_by("-position")]
    return found
