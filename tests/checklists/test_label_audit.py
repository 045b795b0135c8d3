"""The checklist engine knows the inventory but not maintenance windows: a label audit (walk a rack, scan
every tag, confirm each is on the asset it names) is a checklist too, built, opened and closed with no
window at all."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from audit.models import AuditEvent
from checklists.execution import resolve, scan
from checklists.label_audits import LABEL_AUDIT_SLUG, LABEL_AUDIT_STEPS
from checklists.models import (
    Binding,
    ChecklistTemplate,
    Run,
    RunStatus,
    StepRefused,
    StepScan,
    StepStatus,
)
from inventory.models import Device, Discrepancy, DiscrepancyStatus, Tag
from maintenance.models import Window
from tests.builders.people import phone
from tests.builders.sites import build_redundant_site


@dataclass
class LabelAudit:
    run: Run
    devices: list[Device]  # rack A01 top down, the order the audit walks it
    tags: dict[str, Tag]

    def label_of(self, name: str) -> str:
        return self.tags[name].code


@pytest.fixture
def rack_audit(tess, ada) -> LabelAudit:
    lax1 = build_redundant_site()
    devices = list(Device.objects.filter(rack__name="A01").order_by("-position"))
    tags = {}
    for device in devices:
        tags[device.name] = Tag.issue(device, by=ada)
        tags[device.name].commission(serial=device.serial, by=ada)
    template = ChecklistTemplate.publish(slug=LABEL_AUDIT_SLUG, title="Label audit", steps=LABEL_AUDIT_STEPS)
    run = Run.build(
        title="Label audit, LAX1 rack A01",
        site=lax1.site,
        templates=[template],
        bindings=[Binding(asset=device, action="audit") for device in devices],
        people=[tess],
        by=ada,
    )
    run.open_for_work(by=ada)
    return LabelAudit(run, devices, tags)


def test_a_label_audit_is_a_checklist_run_without_any_window(rack_audit, tess, ada):
    steps = list(rack_audit.run.sequence())
    assert [s.title for s in steps] == [
        "Scan the label on sw-a",
        "Scan the label on sw-b",
        "Scan the label on web02",
        "Scan the label on web01",
    ]

    for step in steps:
        result = scan(
            step, who=phone(tess), raw=rack_audit.label_of(step.device.name), serial=step.device.serial
        )
        assert result.matched, result.message

    assert rack_audit.run.outstanding() == 0 and rack_audit.run.current_step() is None
    assert set(rack_audit.run.steps.values_list("status", flat=True)) == {StepStatus.COMPLETE}
    assert [
        (s.step.device.name, s.user, s.matched) for s in StepScan.objects.select_related("step__device")
    ] == [(device.name, tess, True) for device in rack_audit.devices]
    rack_audit.run.close(by=ada)
    rack_audit.run.refresh_from_db()
    assert rack_audit.run.status == RunStatus.CLOSED
    assert Window.objects.count() == 0
    assert list(AuditEvent.objects.for_object(rack_audit.run).values_list("action", flat=True)) == [
        "run.built",
        "run.opened",
        "run.closed",
    ]


def test_a_swapped_label_in_the_rack_is_caught_and_holds_the_audit(rack_audit, tess, ada):
    """Someone swapped the labels of sw-a and sw-b: at sw-a, the label tess scans is sw-b's."""
    first = rack_audit.run.sequence().first()
    result = scan(first, who=phone(tess), raw=rack_audit.label_of("sw-b"), serial=first.device.serial)

    assert not result.matched
    assert "belongs to sw-b (LAX1), not to sw-a (LAX1)" in result.message
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.status == DiscrepancyStatus.OPEN and discrepancy.reported_by == tess
    assert discrepancy.device.name == "sw-a" and discrepancy.tag == rack_audit.tags["sw-b"]
    assert discrepancy.found["tag_asset"] == "sw-b (LAX1)"
    rack_audit.run.refresh_from_db()
    assert rack_audit.run.status == RunStatus.HELD
    assert StepScan.objects.get().matched is False
    first.refresh_from_db()
    assert first.status == StepStatus.PENDING

    # Held: not even the right label moves the audit on until an approver resolves it.
    with pytest.raises(StepRefused, match="held until an approver resolves"):
        scan(first, who=phone(tess), raw=rack_audit.label_of("sw-a"), serial=first.device.serial)

    resolve(discrepancy, who=phone(ada), resolution="Labels of sw-a and sw-b swapped back; rack re-audited")
    for step in rack_audit.run.sequence():
        assert scan(
            step, who=phone(tess), raw=rack_audit.label_of(step.device.name), serial=step.device.serial
        ).matched
    assert rack_audit.run.outstanding() == 0
    assert Window.objects.count() == 0


def test_a_label_never_applied_is_caught(rack_audit, tess, ada):
    """A label printed for web02 but never commissioned at the rack does not verify, even on web02."""
    web02 = Device.objects.get(name="web02")
    rack_audit.tags["web02"].revoke(reason="label damaged", by=ada)
    reprinted = Tag.issue(web02, by=ada)  # printed, never applied
    steps = list(rack_audit.run.sequence())
    for step in steps[:2]:
        scan(step, who=phone(tess), raw=rack_audit.label_of(step.device.name), serial=step.device.serial)

    result = scan(steps[2], who=phone(tess), raw=reprinted.code, serial=steps[2].device.serial)

    assert not result.matched and "was never applied" in result.message
    rack_audit.run.refresh_from_db()
    assert rack_audit.run.status == RunStatus.HELD


def test_the_serial_typed_at_the_rack_is_kept_with_the_scan(rack_audit, tess):
    first = rack_audit.run.sequence().first()
    assert scan(first, who=phone(tess), raw=rack_audit.label_of("sw-a"), serial="SN-sw-a").matched
    assert StepScan.objects.get().serial_given == "SN-sw-a"


def test_a_label_on_the_wrong_chassis_is_caught_by_its_serial(rack_audit, tess):
    """The audit confirms each serial too: sw-a's label stuck on sw-b is caught by the serial on sw-b."""
    first = rack_audit.run.sequence().first()
    result = scan(first, who=phone(tess), raw=rack_audit.label_of("sw-a"), serial="SN-sw-b")
    assert not result.matched


def test_the_audits_words_never_mention_a_window(rack_audit, tess):
    first = rack_audit.run.sequence().first()
    result = scan(first, who=phone(tess), raw=rack_audit.label_of("sw-b"), serial=first.device.serial)
    assert "window" not in result.message.lower()
