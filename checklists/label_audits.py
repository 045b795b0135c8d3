"""Label audits: walk a rack, scan every device's label and type the serial on its chassis. The seed's accident
began with two switches whose labels had been swapped; a label audit proves, before a change, that each label
is on the asset it names.

A label audit is a checklist run like any other (the tech works it on the phone, a mismatch holds it and
records a discrepancy), built from the `label-audit` template, or put in front of a window's runbook. A rack's
labels are proven by the last run whose label-audit steps for that rack are all complete; they are trusted
while that is no older than `LOCKSTEP_LABEL_AUDIT_DAYS` and no discrepancy about the rack's assets is open.
This module says when, by whom, and whether; pages (the rack's, a window's) ask it, never work it out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from checklists.models import (
    Binding,
    ChecklistTemplate,
    Run,
    RunStatus,
    Step,
    StepKind,
    StepRefused,
    StepStatus,
)
from inventory.models import Device, Discrepancy, DiscrepancyStatus, Rack, Tag
from lockstep.dates import in_zone

LABEL_AUDIT_SLUG = "label-audit"
# The binding's action: what a label audit does to each device is look at it.
AUDIT_ACTION = "audit"
# At most this many racks in one audit: a row, or a window's targets and blast radius, not a whole site.
MOST_RACKS = 20

LABEL_AUDIT_STEPS = [
    {
        "kind": StepKind.IDENTITY_CHECK,
        "title": "Scan the label on {asset}",
        "instructions": "Scan the label on {asset} and type the serial on its chassis. If it is missing, damaged "
        "or names another asset, stop.",
        "target_role": "*",
        "check_serial": True,
    },
]


def label_audit_template() -> ChecklistTemplate:
    """The label audit checklist: published the first time it is needed; an approver may revise it since."""
    latest = ChecklistTemplate.latest(LABEL_AUDIT_SLUG)
    if latest is not None:
        return latest
    try:
        with transaction.atomic():
            return ChecklistTemplate.publish(
                slug=LABEL_AUDIT_SLUG,
                title="Label audit",
                description="Scan every device's label in the rack and type the serial on its chassis.",
                steps=LABEL_AUDIT_STEPS,
            )
    except IntegrityError:  # two first audits at once: the other one published it
        return ChecklistTemplate.latest(LABEL_AUDIT_SLUG)


def label_audit_steps() -> Q:
    """The steps, in any run, that audit a label (a standalone audit's, or those put in front of a runbook)."""
    return Q(template__template__slug=LABEL_AUDIT_SLUG, action=AUDIT_ACTION)


# --- who may ---------------------------------------------------------------------------------------------------


def may_start_label_audit(user) -> bool:
    """Techs and approvers, who label the racks, start an audit of them (and walk it)."""
    return has_role(user, Role.TECH) or has_role(user, Role.APPROVER)


def walkers_for(user) -> list:
    """Whom this person may send to walk an audit: an approver, the active techs (themselves first); a tech,
    nobody (they walk it themselves)."""
    if not has_role(user, Role.APPROVER):
        return []
    techs = get_user_model().objects.filter(groups__name=Role.TECH, is_active=True).exclude(pk=user.pk)
    return [user, *techs.order_by("username")]


# --- what is audited -------------------------------------------------------------------------------------------


def audited_devices(racks: Iterable[Rack]) -> list[Device]:
    """Each rack's devices that carry a label (printed or applied), top of the rack first, as a tech walks it.
    A device with no label at all has nothing to scan: the rack's page says so, and its labels print first."""
    ids = [rack.pk for rack in racks]
    devices = Device.objects.filter(rack_id__in=ids, pk__in=Tag.objects.live().values("device_id"))
    order = {pk: n for n, pk in enumerate(ids)}
    return sorted(
        devices.select_related("rack"),
        key=lambda d: (order[d.rack_id], -(d.position or 0), d.position is None, d.name),
    )


def _describe(racks: list[Rack]) -> str:
    site = racks[0].site.code
    names = ", ".join(rack.name for rack in racks)
    return f"{site} rack{'s' if len(racks) > 1 else ''} {names}"


def start_label_audit(*, racks: list[Rack], walker, by) -> Run:
    """A label audit of these racks (one site), open for work at once, walked by `walker` on their phone."""
    if not may_start_label_audit(by):
        raise StepRefused("Only a tech or an approver starts a label audit.")
    if not may_start_label_audit(walker):
        raise StepRefused(
            f"{walker.get_username()} is not a tech or an approver: they cannot walk the audit."
        )
    if not racks or len({rack.site_id for rack in racks}) != 1 or len(racks) > MOST_RACKS:
        raise StepRefused(f"A label audit walks from 1 to {MOST_RACKS} racks of one site.")
    devices = audited_devices(racks)
    if not devices:
        raise StepRefused("No device here carries a label yet: print and apply the labels first.")
    with transaction.atomic():
        run = Run.build(
            title=f"Label audit, {_describe(racks)}",
            site=racks[0].site,
            templates=[label_audit_template()],
            bindings=[Binding(asset=device, action=AUDIT_ACTION) for device in devices],
            people=[walker],
            owner=by,
            by=by,
        )
        if not run.steps.filter(label_audit_steps()).exists():
            raise StepRefused(
                "The label audit checklist has no step about the devices: an approver fixes it first."
            )
        record(
            "label_audit.started",
            actor=by,
            obj=run,
            payload={"racks": [str(rack) for rack in racks], "walker": walker.get_username()},
        )
        run.open_for_work(by=by)
    return run


def put_label_audit_first(run: Run, *, racks: list[Rack], by) -> int:
    """The runbook starts with a label audit of these racks: its steps go in front of the others, which move
    down. Only before the work opens, and once. Who may ask is the caller's rule (a window's); returns how
    many steps were added."""
    devices = audited_devices(racks)
    if not devices:
        raise StepRefused("No device in these racks carries a label yet: there is nothing to audit.")
    template = label_audit_template()
    with transaction.atomic():
        run = Run.objects.select_for_update().get(pk=run.pk)
        if run.status != RunStatus.READY:
            raise StepRefused("The work has begun: a label audit goes in front of a runbook only before.")
        if run.steps.filter(label_audit_steps()).exists():
            raise StepRefused("This runbook already starts with a label audit.")
        # As Run.build binds them: a step with no target once, a step about the targets once per device.
        added = [
            Step.from_template(run, step_template, binding, 0)
            for step_template in template.steps.order_by("position")
            for binding in (
                [None]
                if not step_template.target_role
                else [Binding(device, AUDIT_ACTION) for device in devices]
                if step_template.target_role in ("*", AUDIT_ACTION)
                else []
            )
        ]
        # Two moves, so no two steps ever share a position (the database's unique rule holds at every row).
        shift = run.steps.aggregate(top=Max("position"))["top"] or 0
        run.steps.update(position=F("position") + shift + len(added))
        run.steps.update(position=F("position") - shift)
        for position, step in enumerate(added, start=1):
            step.position = position
        Step.objects.bulk_create(added)
        run.templates.add(template)
        record(
            "run.label_audit_put_first",
            actor=by,
            obj=run,
            payload={"racks": [str(rack) for rack in racks], "steps": len(added)},
        )
    return len(added)


def label_audits_walked_by(user) -> QuerySet[Run]:
    """The label audits (on their own, not a window's runbook) this person walks that still have steps to do
    and are being worked (open, held or paused): their phone's list of today's work shows them."""
    return (
        Run.objects.filter(people=user, window__isnull=True)
        .filter(status__in=[RunStatus.ACTIVE, RunStatus.HELD, RunStatus.PAUSED])
        .filter(
            pk__in=Step.objects.filter(label_audit_steps())
            .exclude(status=StepStatus.COMPLETE)
            .values("run_id")
        )
        .select_related("site", "owner")
        .order_by("created_at", "pk")
    )


def starts_with_label_audit(run: Run | None) -> bool:
    return run is not None and run.steps.filter(label_audit_steps()).exists()


# --- when a rack's labels were last proven ---------------------------------------------------------------------


@dataclass(frozen=True)
class LabelProof:
    """What is known of a rack's labels: when an audit last scanned them all, by whom, and what is still open."""

    rack: Rack
    proven_at: datetime | None
    proven_by: tuple[str, ...]
    open_discrepancies: int
    under_way: tuple[Run, ...]  # audits of it opened for work with steps still to do
    days: int

    @property
    def fresh(self) -> bool:
        return self.proven_at is not None and self.proven_at >= timezone.now() - timedelta(days=self.days)

    @property
    def trusted(self) -> bool:
        return self.fresh and not self.open_discrepancies

    @property
    def doubt(self) -> str:
        """Why this rack's labels are not to be trusted yet, in words; "" when they are."""
        reasons = []
        if self.proven_at is None:
            reasons.append(f"{self.rack} has never had a label audit")
        elif not self.fresh:
            reasons.append(
                f"the labels of {self.rack} were last proven "
                f"{in_zone(self.proven_at, self.rack.site.tz):%Y-%m-%d}, more than "
                f"{self.days} days ago"
            )
        if self.open_discrepancies:
            reasons.append(
                f"{self.rack} has {self.open_discrepancies} open discrepanc"
                f"{'y' if self.open_discrepancies == 1 else 'ies'} about its assets"
            )
        return "; ".join(reasons)


def label_proofs(racks: Iterable[Rack]) -> dict[int, LabelProof]:
    """Each rack's LabelProof, in four queries however many racks and audits."""
    racks = list(racks)
    ids = [rack.pk for rack in racks]
    per_run = (
        Step.objects.filter(label_audit_steps(), device__rack_id__in=ids)
        .values("run_id", "run__status", rack=F("device__rack_id"))
        .annotate(left=Count("pk", filter=~Q(status=StepStatus.COMPLETE)), last=Max("completed_at"))
        .order_by("rack", "-last", "-run_id")
    )
    proven: dict[int, tuple[int, datetime]] = {}
    under_way: dict[int, set[int]] = {}
    for row in per_run:
        if row["left"] == 0:
            proven.setdefault(row["rack"], (row["run_id"], row["last"]))
        elif row["run__status"] not in (RunStatus.READY, RunStatus.CLOSED):  # open for work, held, paused
            under_way.setdefault(row["rack"], set()).add(row["run_id"])
    people: dict[int, list[str]] = {}
    if proven:
        performers = (
            Step.objects.filter(label_audit_steps(), run_id__in={run for run, _ in proven.values()})
            .filter(device__rack_id__in=list(proven))
            .values_list("run_id", "device__rack_id", "performer__username")
            .distinct()
            .order_by("performer__username")
        )
        for run_id, rack_id, username in performers:
            if proven[rack_id][0] == run_id and username and username not in people.get(rack_id, []):
                people.setdefault(rack_id, []).append(username)
    discrepancies = dict(
        Discrepancy.objects.filter(status=DiscrepancyStatus.OPEN)
        .annotate(rack=Coalesce("device__rack_id", "port__device__rack_id"))
        .filter(rack__in=ids)
        .values("rack")
        .annotate(n=Count("pk"))
        .values_list("rack", "n")
    )
    runs = {
        run.pk: run
        for run in Run.objects.filter(pk__in={pk for pks in under_way.values() for pk in pks}).order_by("pk")
    }
    days = settings.LOCKSTEP_LABEL_AUDIT_DAYS
    return {
        rack.pk: LabelProof(
            rack=rack,
            proven_at=proven[rack.pk][1] if rack.pk in proven else None,
            proven_by=tuple(people.get(rack.pk, [])),
            open_discrepancies=discrepancies.get(rack.pk, 0),
            under_way=tuple(runs[pk] for pk in sorted(under_way.get(rack.pk, ())) if pk in runs),
            days=days,
        )
        for rack in racks
    }
