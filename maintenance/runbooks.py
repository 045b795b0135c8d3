"""A window's runbook: built from checklist templates when it is submitted, with the window's targets bound
to the template's target roles. The checklist engine runs it; the window opens and closes it."""

from __future__ import annotations

from checklists.models import Binding, ChecklistTemplate, Run, StepKind

STANDARD_SLUG = "standard-change"

STANDARD_STEPS = [
    {
        "kind": StepKind.INSTRUCTION,
        "title": "Check in at the rack",
        "instructions": "Confirm you are both at the site, at the right cage, and have the rollback parts at hand.",
    },
    {
        "kind": StepKind.CUSTOMER_UPDATE,
        "title": "Tell customers the work has started",
        "message": "Scheduled maintenance has started. We will post an update when it is complete.",
    },
    {
        "kind": StepKind.IDENTITY_CHECK,
        "title": "Find {asset} and scan its label",
        "instructions": "Scan the label on {asset}. If the label is missing or damaged, stop and tell the approver.",
        "target_role": "*",
        "show_neighbours": True,
    },
    {
        "kind": StepKind.HOLD_POINT,
        "title": "Approver's go-ahead before anything is touched",
        "instructions": "Every target has been found. The approver checks the board and releases this hold point.",
    },
    {
        "kind": StepKind.DESTRUCTIVE,
        "title": "{action}: {asset}",
        "instructions": "Both of you scan {asset} and type its chassis serial. Only when it says CLEARED: {action} it.",
        "target_role": "*",
        "show_neighbours": True,
    },
    {
        "kind": StepKind.INSTRUCTION,
        "title": "Check the result",
        "instructions": "Confirm the work is done and that the links and services that should be up are up.",
    },
    {
        "kind": StepKind.CUSTOMER_UPDATE,
        "title": "Tell customers the work is complete",
        "message": "Scheduled maintenance is complete. Thank you for your patience.",
    },
    {
        "kind": StepKind.INSTRUCTION,
        "title": "Put {asset} back as it was",
        "instructions": "Reverse the {action} on {asset}, following the window's rollback plan.",
        "target_role": "*",
        "is_rollback": True,
    },
    {
        "kind": StepKind.CUSTOMER_UPDATE,
        "title": "Tell customers the work was rolled back",
        "message": "Scheduled maintenance was stopped and rolled back. Services are being restored.",
        "is_rollback": True,
    },
]


def standard_template() -> ChecklistTemplate:
    """The standard change checklist, published the first time it is needed."""
    return ChecklistTemplate.latest(STANDARD_SLUG) or ChecklistTemplate.publish(
        slug=STANDARD_SLUG,
        title="Standard change",
        description="Find and identify every target, approver's go-ahead, two-person destructive steps.",
        steps=STANDARD_STEPS,
    )


def build_runbook(window, *, by) -> Run:
    targets = list(window.targets.select_related("device", "port__device"))
    return Run.build(
        title=f"{window.reference} {window.title}",
        site=window.site,
        templates=[standard_template()],
        bindings=[Binding(target.asset, target.action) for target in targets],
        people=list(window.assignees.all()),
        owner=window.requester,
        submitter=by,
        by=by,
    )
