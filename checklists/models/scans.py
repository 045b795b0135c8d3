"""Every scan of a step (matching or not) and every refusal of the run-time interlock: the evidence behind a
signature. They name the step by label (`checklists.Step`), so this module sits below steps.py."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from checklists.models.states import ScanMethod
from inventory.models import Device, Discrepancy, Port, Tag, TagStatus


class StepScan(models.Model):
    """Every scan, matching or not, kept: the as-run record shows what was scanned, by whom and how."""

    class Role(models.TextChoices):
        PERFORMER = "performer", "Performer"
        VERIFIER = "verifier", "Verifier"

    step = models.ForeignKey("checklists.Step", on_delete=models.CASCADE, related_name="scans")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=Role.choices)
    session_hash = models.CharField(max_length=64)
    device_hash = models.CharField(max_length=64, blank=True)
    raw = models.CharField(max_length=300)
    tag = models.ForeignKey(Tag, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    serial_given = models.CharField(max_length=100, blank=True)
    matched = models.BooleanField()
    reason = models.CharField(max_length=300, blank=True)
    discrepancy = models.ForeignKey(
        Discrepancy, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    scanned_at = models.DateTimeField(default=timezone.now)
    round = models.PositiveSmallIntegerField(default=0)  # the step's scan_round when this scan was made
    method = models.CharField(max_length=12, choices=ScanMethod.choices, default=ScanMethod.TYPED)

    class Meta:
        ordering = ["scanned_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(method__in=ScanMethod.values), name="scan_method_valid"),
            # One performer and one verifier per step (and round), whatever a race between two phones does.
            models.UniqueConstraint(
                fields=["step", "role", "round"],
                condition=Q(matched=True),
                name="one_matched_scan_per_role_per_step_round",
            ),
        ]

    def __str__(self) -> str:
        return f"{'match' if self.matched else 'MISMATCH'} by {self.user} on {self.step}"

    @property
    def how(self) -> str:
        """How the code was read, in words for a sentence: 'tess scanned with the in-page camera'."""
        return _SCANNED_HOW.get(self.method, "by typing the code")

    def stop_words(self) -> str:
        """What a mismatching scan found, in the names on the labels: never a tag's code or a serial. Load
        the scan with its tag's asset and its step's."""
        step, words = self.step, []
        tag = self.tag
        if tag is not None and (tag.device_id, tag.port_id) != (step.device_id, step.port_id):
            theirs, ours = _asset_name(tag.asset), _asset_name(step.asset)
            there, here = _chassis_of(tag.asset), step.chassis
            if there is not None and there.site_id != here.site_id:
                # Another site's label, perhaps on a device of the same name: both sites named, or the two
                # names would read the same.
                theirs, ours = f"{theirs} at {there.site.code}", f"{ours} at {here.site.code}"
            words.append(f"You scanned the label of {theirs}; this step is {ours}.")
        elif tag is not None and tag.status != TagStatus.ACTIVE:
            words.append(
                f"The label you scanned on {_asset_name(step.asset)} is not a working tag "
                "(revoked, or never applied)."
            )
        if "serial" in self.reason:
            words.append(f"The serial typed is not {step.chassis.name}'s serial.")
        return " ".join(words) or f"Your scan did not match {_asset_name(step.asset)}."

    @property
    def voided(self) -> bool:
        """A match made in an earlier round of the step's checks (a mismatch or an approver started them
        again): kept in the record, no longer counted. A mismatch is never voided: it is what stopped the
        work. Reads the step, so load it with the scan."""
        return self.matched and self.round < self.step.scan_round


def _chassis_of(asset: Device | Port | None) -> Device | None:
    return asset.device if isinstance(asset, Port) else asset


def _asset_name(asset: Device | Port | None) -> str:
    if isinstance(asset, Port):
        return f"{asset.device.name} {asset.name}"
    return asset.name if asset is not None else "nothing Lockstep knows"


_SCANNED_HOW = {
    ScanMethod.CAMERA: "with the in-page camera",
    ScanMethod.CAMERA_APP: "with the phone's camera app",
    ScanMethod.TYPED: "by typing the code",
}


class CutRefusal(models.Model):
    """The run-time interlock refused a destructive step: another run's cut, not yet restored, together with
    this one would take down services this run was not approved to take down. Kept for the approver's board
    and the as-run record; the step itself is unchanged."""

    step = models.ForeignKey("checklists.Step", on_delete=models.CASCADE, related_name="cut_refusals")
    blocking_step = models.ForeignKey("checklists.Step", on_delete=models.PROTECT, related_name="+")
    services = models.JSONField(default=list)  # names, as the refusal said them
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return self.reason
