"""The evidence an approver reads before releasing a hold point or resolving a discrepancy: every scan of the
runbook that bears on it, in words (who, which asset the label belonged to, how, when, matched or not,
voided or not). Never a tag's code and never an expected serial: those come from the rack, not from Lockstep."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from accounts.roles import Role, has_role
from checklists.models import Step, StepScan
from inventory.models import Discrepancy, Port, TagStatus

_SCAN_RELATIONS = (
    "step",
    "user",
    "tag__device__site",
    "tag__port__device__site",
)


@dataclass(frozen=True)
class ScanEvidence:
    step: Step
    who: str
    role: str  # "performer" / "verifier", as a word in a sentence
    label_of: str  # the asset the scanned label belongs to
    label_state: str  # "" for an applied label; otherwise why it never verifies
    how: str  # "with the in-page camera", "with the phone's camera app", "by typing the code"
    at: datetime
    matched: bool
    voided: bool
    serial: str  # what the serial check said, in words, or "" when the step checks none
    problem: str  # why it did not match, in words


def describe_asset(asset) -> str:
    if isinstance(asset, Port):
        return f"port {asset.name} of {asset.device.name} ({asset.device.site.code})"
    return f"{asset.name} ({asset.site.code})"


def _label_state(scan: StepScan) -> str:
    if scan.tag.status == TagStatus.REVOKED:
        return "a revoked label"
    if scan.tag.status != TagStatus.ACTIVE:
        return "a label never applied"
    return ""


def _serial_words(scan: StepScan) -> str:
    if not scan.serial_given:
        return ""
    if scan.matched:
        return "the serial typed agreed with the inventory"
    if "serial" in scan.reason:
        return "the serial typed did not agree with the inventory"
    return "a serial was typed"


def describe(scans) -> list[ScanEvidence]:
    return [
        ScanEvidence(
            step=scan.step,
            who=scan.user.get_full_name() or scan.user.get_username(),
            role=StepScan.Role(scan.role).label.lower(),
            label_of=describe_asset(scan.tag.asset),
            label_state=_label_state(scan),
            how=scan.how,
            at=scan.scanned_at,
            matched=scan.matched,
            voided=scan.voided,
            serial=_serial_words(scan),
            problem=scan.reason if not scan.matched else "",
        )
        for scan in scans
    ]


def _scans() -> QuerySet[StepScan]:
    return StepScan.objects.select_related(*_SCAN_RELATIONS).order_by("scanned_at", "pk")


def before_hold_point(step: Step) -> list[ScanEvidence]:
    """Every scan of the runbook so far that a hold point stands on: those of the steps before it in the
    run's sequence (a rollback hold point: the rollback steps before it and every forward step)."""
    earlier = step.run.steps.filter(position__lt=step.position)
    if step.is_rollback:
        earlier = step.run.steps.exclude(is_rollback=True, position__gte=step.position)
    else:
        earlier = earlier.filter(is_rollback=False)
    return describe(_scans().filter(step__in=earlier))


def about_discrepancy(discrepancy: Discrepancy) -> list[ScanEvidence]:
    """The scan that raised it and every other scan of the same step(s), voided ones included."""
    steps = StepScan.objects.filter(discrepancy=discrepancy).values("step")
    return describe(_scans().filter(step__in=steps))


def discrepancy_facts(discrepancy: Discrepancy) -> list[tuple[str, str]]:
    """What was expected and what was found, as sentences: the stored dicts' keys are for the record."""
    expected, found = discrepancy.expected or {}, discrepancy.found or {}
    asset = expected.get("asset") or expected.get("device") or ""
    facts: list[tuple[str, str]] = []
    if discrepancy.kind == "scan_mismatch":
        facts.append(("Expected", f"the label of {asset}" if asset else "the step's own label"))
        if found.get("tag_asset"):
            facts.append(("Found", f"a label that belongs to {found['tag_asset']}"))
        if expected.get("serial"):
            facts.append(
                (
                    "Serial",
                    "none was typed"
                    if not found.get("serial")
                    else "checked too: the scans below say whether it agreed",
                )
            )
    elif discrepancy.kind == "serial_mismatch":
        facts.append(
            ("Expected", f"the serial the inventory holds for {asset}" if asset else "the inventory's serial")
        )
        if found.get("serial"):
            facts.append(("Found", f"the serial on the chassis read {found['serial']}, which does not agree"))
    elif discrepancy.kind == "live_check_disagrees":
        facts.append(("Expected", f"the switch to agree with the inventory about {asset}"))
        facts.append(("The switch said", "; ".join(str(p) for p in found.get("switch", []))))
    elif discrepancy.kind == "tryout_wrong_port":
        facts.append(("Expected to go down", ", ".join(expected.get("down", [])) or "the step's own link"))
        facts.append(("Went down too", ", ".join(found.get("went_down", []))))
    elif discrepancy.kind == "device_serial_disagrees":
        # The serial itself only through the recorded reveal, like every serial (rule 7).
        facts.append(("Expected", f"the serial the inventory holds for {asset}"))
        facts.append(
            (
                "The device reports",
                f"a serial that is not the one on record ({found.get('source', '')}): "
                "shown only when revealed, with a reason, on the record",
            )
        )
    else:  # a kind this page does not know yet: still words, key by key
        for key, value in {**expected, **found}.items():
            if value and key != "serial":  # never an expected serial
                facts.append((key.replace("_", " ").capitalize(), str(value)))
    return facts


def at_the_desk(user, step: Step) -> bool:
    """An approver who does not work on the run sees its steps on the desktop page, evidence first."""
    return has_role(user, Role.APPROVER) and not step.run.works_on(user)


def step_desk_context(step: Step) -> dict:
    """What the approver's desktop page of a step adds to the step page's context."""
    if step.kind == "hold_point":
        evidence = before_hold_point(step)
        no_scans = "Nothing in this runbook has been scanned before this hold point."
    else:
        evidence = describe(_scans().filter(step=step))
        no_scans = "Nobody has scanned this step yet."
    return {
        "evidence": evidence,
        "zone": step.run.site.time_zone,
        "no_scans": no_scans,
        "asset_words": describe_asset(step.asset) if step.asset else "",
        "matched_count": sum(1 for e in evidence if e.matched and not e.voided),
        "mismatched_count": sum(1 for e in evidence if not e.matched),
        "voided_count": sum(1 for e in evidence if e.matched and e.voided),
    }
