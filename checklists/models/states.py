"""The checklists' vocabulary: the kinds and states of templates, runs, steps and scans, the refusal a
step action raises, and what binds a run to a real asset. Every other model module imports this one."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from inventory.models import Device, Discrepancy, Port

# The audit event of a tech saying "I have stopped" after a STOP on their phone.
STOP_ACKNOWLEDGED = "step.stop_acknowledged"


class StepRefused(Exception):
    """A refused step action, with a message written for the tech holding the phone."""

    def __init__(self, reason: str, *, discrepancy: Discrepancy | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.discrepancy = discrepancy


class StepKind(models.TextChoices):
    INSTRUCTION = "instruction", "Instruction"
    IDENTITY_CHECK = "identity_check", "Identity check"
    DESTRUCTIVE = "destructive", "Destructive action"
    HOLD_POINT = "hold_point", "Hold point"
    CUSTOMER_UPDATE = "customer_update", "Customer update"


SCANNED_KINDS = (StepKind.IDENTITY_CHECK, StepKind.DESTRUCTIVE)


@dataclass(frozen=True)
class Binding:
    """A real asset bound to a run, with what happens to it."""

    asset: Device | Port
    action: str


class RunStatus(models.TextChoices):
    READY = "ready", "Ready (not open for work)"
    ACTIVE = "active", "Open for work"
    PAUSED = "paused", "Paused by an approver"
    HELD = "held", "Held: a discrepancy must be resolved"
    CLOSED = "closed", "Closed"


class RunMode(models.TextChoices):
    NORMAL = "normal", "Normal"
    ROLLBACK = "rollback", "Rolling back"


class StepStatus(models.TextChoices):
    PENDING = "pending", "To do"
    SCANNED = "scanned", "Scanned by the performer; waiting for a second person"
    CLEARED = "cleared", "Cleared: both people checked the asset"
    DONE = "done", "Done by the performer; waiting for the verifier's signature"
    COMPLETE = "complete", "Complete"


class ScanMethod(models.TextChoices):
    CAMERA = "camera", "in-page camera"
    CAMERA_APP = "camera_app", "phone's camera app"
    TYPED = "typed", "typed"


CAMERA_METHODS = (ScanMethod.CAMERA, ScanMethod.CAMERA_APP)
