"""A checklist changes by publishing a new version from the desk: a step added or taken out, by an approver,
with the reason; runbooks already built keep their steps, the next ones follow the new version."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from checklists.models import ChecklistTemplate, StepKind, StepRefused
from maintenance.runbooks import STANDARD_SLUG
from tests.builders.people import users

pytestmark = pytest.mark.django_db


def standard() -> ChecklistTemplate:
    return ChecklistTemplate.latest(STANDARD_SLUG)


def test_an_approver_adds_a_label_audit_and_the_next_runbook_has_it(scene):
    before = list(scene.run.steps.values_list("title", flat=True))
    ada = Client()
    ada.force_login(users()["ada"])
    v1 = standard()
    response = ada.post(
        reverse("checklists:template", args=[v1.pk]),
        {
            "form": "add",
            "kind": StepKind.IDENTITY_CHECK,
            "title": "Audit the label on {asset}",
            "instructions": "Scan it and type the chassis serial.",
            "check_serial": "on",
            "after": "1",
            "why": "Debrief of INC-1: audit labels before any switch work",
        },
    )
    v2 = standard()
    assert response.status_code == 302 and v2.version == v1.version + 1
    second = v2.steps.get(position=2)
    assert (second.kind, second.target_role, second.check_serial) == (StepKind.IDENTITY_CHECK, "*", True)
    assert v2.steps.count() == v1.steps.count() + 1
    event = AuditEvent.objects.get(action="checklist_template.revised")
    assert event.payload["why"].startswith("Debrief of INC-1") and event.payload["from"] == v1.version
    # The runbook already built keeps its steps.
    assert list(scene.run.steps.values_list("title", flat=True)) == before
    page = ada.get(reverse("checklists:template", args=[v1.pk])).content.decode()
    assert "This is an earlier version" in page and "Publish with this step" not in page


def test_only_an_approver_changes_a_checklist_and_bad_changes_are_refused_in_words(scene):
    v1 = standard()
    url = reverse("checklists:template", args=[v1.pk])
    tess = Client()
    tess.force_login(users()["tess"])
    assert "Publish with this step" not in tess.get(url).content.decode()
    response = tess.post(url, {"form": "remove", "position": "2", "why": "x"})
    assert response.status_code == 403
    ada = Client()
    ada.force_login(users()["ada"])
    for data in (
        {"form": "add", "kind": StepKind.DESTRUCTIVE, "title": "Cut", "after": "1", "why": "x"},
        {"form": "add", "kind": StepKind.INSTRUCTION, "title": "", "after": "1", "why": "x"},
        {"form": "add", "kind": StepKind.INSTRUCTION, "title": "x", "after": "999", "why": "x"},
        {"form": "add", "kind": StepKind.INSTRUCTION, "title": "x", "after": "abc", "why": "x"},
        {"form": "add", "kind": StepKind.INSTRUCTION, "title": "x", "after": "1", "why": ""},
        {"form": "remove", "position": "5", "why": "the destructive step"},
        {"form": "remove", "position": "99", "why": "x"},
    ):
        response = ada.post(url, data)
        assert response.status_code == 400, data
    assert standard() == v1
    with pytest.raises(StepRefused, match="destructive step stays"):
        v1.revise(by=users()["ada"], why="x", remove=5)
    v2 = v1.revise(by=users()["ada"], why="Not needed", remove=2)
    with pytest.raises(StepRefused, match="revise the latest version"):
        v1.revise(by=users()["ada"], why="x", remove=2)
    assert v2.steps.count() == v1.steps.count() - 1


def test_a_revision_keeps_a_way_back_and_never_sends_customers_nothing(scene):
    v1 = standard()
    ada = users()["ada"]
    put_back = next(s.position for s in v1.steps.all() if s.is_rollback and s.target_role)
    with pytest.raises(StepRefused, match="no way back"):
        v1.revise(by=ada, why="x", remove=put_back)
    with pytest.raises(StepRefused, match="never sends nothing"):
        v1.revise(by=ada, why="x", add={"kind": StepKind.CUSTOMER_UPDATE, "title": "Tell them"}, after=1)
    assert standard() == v1
