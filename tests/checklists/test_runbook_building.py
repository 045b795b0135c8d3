"""A window's runbook is built from versioned templates with its targets bound to the steps."""

from __future__ import annotations

from django.contrib.auth.models import User

from checklists.models import ChecklistTemplate, Run, StepKind
from maintenance.models import TargetAction
from maintenance.runbooks import STANDARD_SLUG
from tests.builders.scenes import build_scene


def test_submitting_builds_the_runbook_with_the_targets_bound(scene):
    steps = list(scene.run.steps.order_by("position"))
    assert [s.title for s in steps if not s.is_rollback] == [
        "Check in at the rack",
        "Agree the rollback plan",
        "Find sw-a Eth1/1 and scan its label",
        "Approver's go-ahead before anything is touched",
        "unplug: sw-a Eth1/1",
        "Check the result",
        "Tell customers the disruptive part is over",
    ]
    destructive = next(s for s in steps if s.kind == StepKind.DESTRUCTIVE)
    assert destructive.port == scene.site.port(scene.site.sw_a, "Eth1/1") and destructive.action == "unplug"
    assert [s.title for s in steps if s.is_rollback] == [
        "Put sw-a Eth1/1 back as it was",
        "Tell customers all is as before",
    ]
    assert set(scene.run.people.values_list("username", flat=True)) == {"tess", "vic"}


def test_one_step_per_target_where_the_template_asks(db):
    scene = build_scene(
        targets=lambda site: [
            (TargetAction.UNPLUG, site.port(site.sw_a, "Eth1/1")),
            (TargetAction.POWER_OFF, site.web02),
        ]
    )
    kinds = list(scene.run.steps.filter(is_rollback=False).values_list("kind", flat=True))
    assert kinds.count(StepKind.IDENTITY_CHECK) == 2 and kinds.count(StepKind.DESTRUCTIVE) == 2
    assert scene.run.steps.filter(title="power off: web02").exists()


def test_dangerous_neighbours_are_listed_as_do_not_touch(scene):
    destructive = scene.run.steps.get(kind=StepKind.DESTRUCTIVE)
    assert "sw-a Eth1/2" in destructive.do_not_touch
    assert any(name.startswith("sw-b") for name in destructive.do_not_touch)  # the other half of the pair


def test_editing_a_template_never_changes_a_runbook_already_built(scene):
    before = list(scene.run.steps.values_list("title", flat=True))
    latest = ChecklistTemplate.latest(STANDARD_SLUG)
    ChecklistTemplate.publish(
        slug=STANDARD_SLUG,
        title="Standard change",
        steps=[{"kind": StepKind.INSTRUCTION, "title": "New first step"}],
    )
    assert ChecklistTemplate.latest(STANDARD_SLUG).version == latest.version + 1
    assert list(Run.objects.get(pk=scene.run.pk).steps.values_list("title", flat=True)) == before
    assert latest.steps.count() == 9  # the old version is still whole


def test_a_rejected_and_resubmitted_window_gets_a_fresh_runbook(db):
    from accounts.roles import Role
    from tests.builders.people import make_user
    from tests.builders.sites import build_redundant_site
    from tests.builders.windows import make_window

    site = build_redundant_site()
    rex, ada = make_user("rex", Role.TECH), make_user("ada", Role.APPROVER)
    window = make_window(rex, site.site)
    window.add_target(by=rex, action=TargetAction.UNPLUG, port=site.port(site.sw_a, "Eth1/1"))
    window.submit(by=rex)
    first = window.run_id
    window.reject(by=ada, comment="Add the other port")
    window.add_target(by=rex, action=TargetAction.UNPLUG, port=site.port(site.sw_a, "Eth1/2"))
    window.submit(by=rex)
    assert window.run_id != first
    assert window.run.steps.filter(kind=StepKind.DESTRUCTIVE).count() == 2
    assert User.objects.filter(username="rex").exists()


def test_an_unedited_earlier_standard_is_replaced_and_an_edited_one_is_kept(db, monkeypatch):
    """Customers heard "started" and "complete" twice while the standard runbook repeated the window's own
    notices: a database still on that version gets today's; one whose admin wrote their own keeps it."""
    from maintenance import runbooks

    ours_before = [{"kind": StepKind.CUSTOMER_UPDATE, "title": "Tell customers", "message": "Started."}]
    monkeypatch.setattr(runbooks, "RETIRED_STANDARDS", {runbooks.fingerprint(ours_before)})
    retired = ChecklistTemplate.publish(slug=STANDARD_SLUG, title="Standard change", steps=ours_before)
    current = runbooks.standard_template()
    assert current.version == retired.version + 1
    assert [s.title for s in current.steps.all()] == [step["title"] for step in runbooks.STANDARD_STEPS]
    assert runbooks.standard_template() == current  # once

    edited = ChecklistTemplate.publish(
        slug=STANDARD_SLUG, title="Standard change", steps=[{**ours_before[0], "message": "Started, folks."}]
    )
    assert runbooks.standard_template() == edited
