"""Labels proven before the change: the racks a window's targets sit in, whether their labels were proven by
a label audit recently enough (checklists' rule, asked here), and putting that audit in front of the runbook.

At approval this is information, not a refusal: the approver reads it in words and may still approve. An
approver, or the window's requester, may then put the audit first, so the techs prove the labels at the rack
before they touch anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from accounts.roles import Role, has_role
from audit.log import record
from checklists.label_audits import (
    MOST_RACKS,
    LabelProof,
    label_audit_steps,
    label_proofs,
    put_label_audit_first,
)
from checklists.models import RunStatus, Step, StepRefused
from inventory.models import Device, Rack
from maintenance.models import BlastSnapshot, Window, WindowRefused, WindowStatus


@dataclass(frozen=True)
class LabelCheck:
    """What a window's page and the approval queue say about the labels of its targets' racks."""

    racks: tuple[Rack, ...]
    doubts: tuple[LabelProof, ...]  # the racks whose labels are not trusted, with why
    audit_first: bool  # its runbook already starts with a label audit
    days: int  # how recent a proof must be (LOCKSTEP_LABEL_AUDIT_DAYS)

    @property
    def words(self) -> list[str]:
        return [proof.doubt for proof in self.doubts]


def target_racks(window: Window) -> list[Rack]:
    """The racks the window's targets sit in (a port's, its device's), each once. Reads the targets as loaded:
    the pages prefetch them with their racks."""
    found: dict[int, Rack] = {}
    for target in window.targets.all():
        device = target.port.device if target.port_id else target.device
        if device.rack_id:
            found.setdefault(device.rack_id, device.rack)
    return sorted(found.values(), key=lambda rack: rack.name)


def audit_racks(window: Window, snapshot: BlastSnapshot | None) -> list[Rack]:
    """What a label audit walked before the window covers: its targets' racks, then those of the devices its
    blast radius cuts off, at most MOST_RACKS."""
    found = [rack.pk for rack in target_racks(window)]
    lost = [device["id"] for device in (snapshot.result.get("devices", []) if snapshot else [])]
    for rack_id in (
        Device.objects.filter(pk__in=lost, rack__isnull=False).values_list("rack_id", flat=True).distinct()
    ):
        if rack_id not in found:
            found.append(rack_id)
    racks = Rack.objects.select_related("site").in_bulk(found[:MOST_RACKS])
    return [racks[pk] for pk in found[:MOST_RACKS] if pk in racks]


def label_checks(windows: list[Window]) -> dict[int, LabelCheck]:
    """Each window's LabelCheck, in a fixed number of queries however many windows."""
    racks = {window.pk: target_racks(window) for window in windows}
    # Once each, with their site (a rack is named "LAX1 rack A01"), however many windows share one.
    loaded = Rack.objects.select_related("site").in_bulk({r.pk for found in racks.values() for r in found})
    racks = {pk: [loaded[r.pk] for r in found] for pk, found in racks.items()}
    proofs = label_proofs(loaded.values())
    audited = set(
        Step.objects.filter(label_audit_steps(), run_id__in=[w.run_id for w in windows if w.run_id])
        .values_list("run_id", flat=True)
        .distinct()
    )
    return {
        window.pk: LabelCheck(
            racks=tuple(racks[window.pk]),
            doubts=tuple(proofs[r.pk] for r in racks[window.pk] if not proofs[r.pk].trusted),
            audit_first=window.run_id in audited,
            days=settings.LOCKSTEP_LABEL_AUDIT_DAYS,
        )
        for window in windows
    }


def audit_first_refusal(window: Window, user, check: LabelCheck) -> str:
    """May this user put a label audit of the targets' racks in front of the window's runbook now? Before the
    work starts (submitted or approved, its runbook not opened), once; the requester or an approver."""
    if window.status not in (WindowStatus.SUBMITTED, WindowStatus.APPROVED) or not window.run_id:
        return "A label audit goes in front of the runbook once the window is submitted, before it starts."
    if window.run.status != RunStatus.READY:
        return "The work has begun: the runbook can no longer change."
    if check.audit_first:
        return "The runbook already starts with a label audit."
    if not check.racks:
        return "None of the targets sits in a rack: there is no rack to audit."
    if user.pk != window.requester_id and not has_role(user, Role.APPROVER):
        return "Only the requester or an approver changes the runbook."
    return ""


def may_put_audit_first(window: Window, user, check: LabelCheck) -> bool:
    return not audit_first_refusal(window, user, check)


def put_audit_first(window: Window, *, by) -> int:
    """Put a label audit of the targets' racks first in the window's runbook; how many steps it added."""
    with transaction.atomic():
        window = window._locked()  # the window's row, then its runbook's: the order every change takes
        check = label_checks([window])[window.pk]
        if refusal := audit_first_refusal(window, by, check):
            raise WindowRefused(refusal)
        try:
            added = put_label_audit_first(window.run, racks=list(check.racks), by=by)
        except StepRefused as refusal:
            raise WindowRefused(refusal.reason) from None
        record(
            "window.label_audit_put_first",
            actor=by,
            obj=window,
            payload={"racks": [str(rack) for rack in check.racks], "steps": added, "doubts": check.words},
        )
    return added
