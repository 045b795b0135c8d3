"""At approval, a window says in words when its targets sit in a rack whose labels were not proven recently
(never audited, audited too long ago, or with open discrepancies), and not when they were. The approver may
still approve; the runbook can start with that label audit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from audit.models import AuditEvent
from checklists.label_audits import AUDIT_ACTION, label_proofs, start_label_audit
from checklists.models import Run, Step, StepKind, StepStatus
from inventory.models import Discrepancy, Rack
from maintenance.models import TargetAction, Window, WindowStatus
from tests.builders.people import make_user, phone
from tests.builders.sites import build_redundant_site, tag_everything
from tests.builders.windows import make_window

NOT_PROVEN = "Labels not proven"


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def submitted(db):
    """rex's window to unplug sw-a Eth1/1 (rack A01), submitted; tess and vic assigned; ada decides."""
    lax1 = build_redundant_site()
    people = {
        name: make_user(name, role)
        for name, role in [
            ("rex", Role.TECH),
            ("tess", Role.TECH),
            ("vic", Role.TECH),
            ("ada", Role.APPROVER),
            ("olive", None),
        ]
        if role
    } | {"olive": make_user("olive")}
    tags = tag_everything(lax1, people["ada"])
    window = make_window(people["rex"], lax1.site)
    window.assignees.add(people["tess"], people["vic"])
    window.add_target(by=people["rex"], action=TargetAction.UNPLUG, port=lax1.port(lax1.sw_a, "Eth1/1"))
    window.submit(by=people["rex"])
    return window, people, tags


def audit_a01(people, tags, *, days_ago: int = 0) -> None:
    """tess walks a label audit of rack A01, every label where it belongs."""
    from checklists.execution import scan

    run = start_label_audit(racks=[Rack.objects.get(name="A01")], walker=people["tess"], by=people["tess"])
    for step in run.sequence():
        assert scan(
            step, who=phone(people["tess"]), raw=tags[step.device.name].code, serial=step.device.serial
        ).matched
    if days_ago:
        run.steps.update(completed_at=timezone.now() - timedelta(days=days_ago))


def test_a_rack_never_audited_is_named_on_the_approval_page_and_in_the_queue(submitted):
    window, people, _ = submitted
    ada = logged_in(people["ada"])
    page = ada.get(window.get_absolute_url()).content.decode()
    assert NOT_PROVEN in page and "LAX1 rack A01 has never had a label audit" in page
    assert "It can still be approved" in page
    # Said again where the approver decides, next to the buttons.
    assert (
        "The labels of LAX1 rack A01 are not proven: see"
        in page.split('name="decision"')[0].split("<form")[-1]
    )
    queue = ada.get(reverse("maintenance:queue")).content.decode()
    assert NOT_PROVEN in queue and "LAX1 rack A01 has never had a label audit" in queue

    # Information, not a refusal: ada approves it as it is.
    ada.post(reverse("maintenance:window_action", args=[window.pk, "decide"]), {"decision": "approve"})
    window.refresh_from_db()
    assert window.status == WindowStatus.APPROVED


def test_a_rack_audited_too_long_ago_is_named(submitted):
    window, people, tags = submitted
    audit_a01(people, tags, days_ago=91)
    page = logged_in(people["ada"]).get(window.get_absolute_url()).content.decode()
    assert NOT_PROVEN in page and "the labels of LAX1 rack A01 were last proven" in page
    assert "more than 90 days ago" in page


def test_a_rack_with_an_open_discrepancy_is_named_even_when_freshly_audited(submitted):
    window, people, tags = submitted
    audit_a01(people, tags)
    Discrepancy.raise_for(
        kind="tag_mismatch",
        summary="label of sw-b found on sw-a",
        by=people["vic"],
        expected={},
        found={},
        device=window.site.devices.get(name="sw-b"),
    )
    page = logged_in(people["ada"]).get(window.get_absolute_url()).content.decode()
    assert NOT_PROVEN in page and "LAX1 rack A01 has 1 open discrepancy about its assets" in page


def test_a_freshly_proven_rack_raises_no_warning(submitted):
    window, people, tags = submitted
    audit_a01(people, tags, days_ago=89)
    ada = logged_in(people["ada"])
    page = ada.get(window.get_absolute_url()).content.decode()
    assert NOT_PROVEN not in page and "✓ Labels proven: LAX1 rack A01 audited within the last 90 days" in page
    assert NOT_PROVEN not in ada.get(reverse("maintenance:queue")).content.decode()


def test_the_runbook_can_start_with_the_label_audit(submitted):
    window, people, tags = submitted
    ada = logged_in(people["ada"])
    before = list(window.run.steps.order_by("position").values_list("title", flat=True))
    assert (
        "Put a label audit of A01 first in the runbook" in ada.get(window.get_absolute_url()).content.decode()
    )

    ada.post(reverse("maintenance:window_action", args=[window.pk, "audit_first"]))

    steps = list(window.run.steps.order_by("position"))
    # The labelled devices of rack A01, top down (web01 and web02 carry no label here), then the runbook as it was.
    assert [s.title for s in steps] == ["Scan the label on sw-a", "Scan the label on sw-b", *before]
    assert [s.position for s in steps] == list(range(1, len(steps) + 1))
    assert all(s.kind == StepKind.IDENTITY_CHECK and s.check_serial for s in steps[:2])
    assert AuditEvent.objects.filter(action="window.label_audit_put_first").count() == 1
    page = ada.get(window.get_absolute_url()).content.decode()
    assert (
        "Its runbook starts with a label audit of A01" in page and "first in the runbook</button>" not in page
    )

    # Asked again (a retried tap): refused in words, nothing added twice.
    again = ada.post(reverse("maintenance:window_action", args=[window.pk, "audit_first"]), follow=True)
    assert "already starts with a label audit" in again.content.decode()
    assert window.run.steps.count() == len(steps)

    # Approved and started: tess proves the labels first, and that proves the rack.
    ada.post(reverse("maintenance:window_action", args=[window.pk, "decide"]), {"decision": "approve"})
    window.refresh_from_db()
    window.start(by=people["tess"], now=window.planned_start)
    tess = logged_in(people["tess"])
    for step in window.run.sequence().filter(action=AUDIT_ACTION):
        url = reverse("checklists:step_scan", args=[window.run.pk, step.position])
        short = tags[step.device.name].display_short_code
        answer = tess.post(url, {"idem": uuid.uuid4().hex, "code": short, "serial": step.device.serial})
        assert answer.status_code == 200
    assert not Step.objects.filter(run=window.run, action=AUDIT_ACTION).exclude(status=StepStatus.COMPLETE)
    a01 = Rack.objects.get(name="A01")
    proof = label_proofs([a01])[a01.pk]
    assert proof.trusted and proof.proven_by == ("tess",)


def test_only_the_requester_or_an_approver_puts_the_audit_first_and_only_before_the_work(submitted):
    window, people, _ = submitted
    url = reverse("maintenance:window_action", args=[window.pk, "audit_first"])
    assert (
        "first in the runbook</button>"
        not in logged_in(people["tess"]).get(window.get_absolute_url()).content.decode()
    )
    refused = logged_in(people["tess"]).post(url, follow=True)
    assert "Only the requester or an approver" in refused.content.decode()
    assert logged_in(people["olive"]).post(url).status_code == 403
    assert not window.run.steps.filter(action=AUDIT_ACTION).exists()

    logged_in(people["ada"]).post(
        reverse("maintenance:window_action", args=[window.pk, "decide"]), {"decision": "approve"}
    )
    window.refresh_from_db()
    window.start(by=people["tess"], now=window.planned_start)
    late = logged_in(people["rex"]).post(url, follow=True)
    assert "before it starts" in late.content.decode()
    assert not window.run.steps.filter(action=AUDIT_ACTION).exists()
    assert Window.objects.get().run.steps.count() == window.run.steps.count()


def test_the_audit_put_first_is_the_audit_checklist_as_an_approver_last_revised_it(submitted):
    from checklists.label_audits import label_audit_template
    from maintenance.label_checks import put_audit_first

    window, people, _ = submitted
    label_audit_template().revise(
        by=people["ada"],
        why="the cage is dark",
        add={"kind": StepKind.INSTRUCTION, "title": "Bring a torch"},
        after=0,
    )

    assert put_audit_first(window, by=people["ada"]) == 3

    titles = list(window.run.steps.order_by("position").values_list("title", flat=True))
    assert titles[:4] == [
        "Bring a torch",
        "Scan the label on sw-a",
        "Scan the label on sw-b",
        "Check in at the rack",
    ]


def test_an_audit_of_the_targets_and_blast_radius_racks_is_started_from_the_window(submitted):
    """Powering off the core (rack B01) cuts off rack A01's devices too: ada sends tess to audit both now."""
    from checklists.execution import scan

    _, people, tags = submitted
    core = Rack.objects.get(name="B01").devices.get(name="core")
    window = make_window(people["rex"], core.site, title="Core reboot")
    window.add_target(by=people["rex"], action=TargetAction.POWER_OFF, device=core)
    window.submit(by=people["rex"])
    ada = logged_in(people["ada"])
    page = ada.get(window.get_absolute_url()).content.decode()
    assert "Start a label audit of B01, A01 now" in page

    racks = [Rack.objects.get(name="B01").pk, Rack.objects.get(name="A01").pk]
    start = reverse("checklists:label_audit_start")
    key = uuid.uuid4().hex
    data = {"idem": key, "rack": racks, "walker": people["tess"].pk, "next": window.get_absolute_url()}
    started = ada.post(start, data)
    again = ada.post(start, data)

    run = Run.objects.get(window__isnull=True)
    assert started.status_code == 302 and again["Location"] == started["Location"] == run.get_absolute_url()
    assert run.title == "Label audit, LAX1 racks A01, B01"
    # Rack by rack, by name, each top down: A01 (sw-a, sw-b; its servers carry no label here), then B01.
    assert [s.device.name for s in run.sequence()] == ["sw-a", "sw-b", "core", "sw-c"]
    for step in run.sequence():
        assert scan(
            step, who=phone(people["tess"]), raw=tags[step.device.name].code, serial=step.device.serial
        ).matched
    page = ada.get(window.get_absolute_url()).content.decode()
    assert NOT_PROVEN not in page and "✓ Labels proven: LAX1 rack B01" in page


def test_a_forged_list_of_racks_starts_nothing(submitted):
    _, people, _ = submitted
    start = reverse("checklists:label_audit_start")
    a01 = Rack.objects.get(name="A01").pk
    tess = logged_in(people["tess"])
    for racks in (["abc"], [a01, a01], [], [str(a01), "99999"], [str(a01)] * 30):
        refused = tess.post(start, {"idem": uuid.uuid4().hex, "rack": racks, "next": "https://evil.example/"})
        assert refused.status_code == 409, racks
        assert "evil.example" not in refused.content.decode()
    assert (
        logged_in(people["olive"]).post(start, {"idem": uuid.uuid4().hex, "rack": [a01]}).status_code == 403
    )
    assert not Run.objects.filter(window__isnull=True).exists()
