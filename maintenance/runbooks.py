"""A window's runbook: built from checklist templates when it is submitted, with the window's targets bound
to the template's target roles. The checklist engine runs it; the window opens and closes it."""

from __future__ import annotations

import hashlib
import json

from checklists.models import Binding, ChecklistTemplate, Run, StepKind

STANDARD_SLUG = "standard-change"

STANDARD_STEPS = [
    {
        "kind": StepKind.INSTRUCTION,
        "title": "Check in at the rack",
        "instructions": "Confirm you are both at the site, at the right cage, and have the rollback parts at hand.",
    },
    # Customers hear that the work started, and that it is complete, from the window itself (comms); the
    # runbook's own updates say what only the people at the rack know.
    {
        "kind": StepKind.INSTRUCTION,
        "title": "Agree the rollback plan",
        "instructions": "Read the window's rollback plan to each other and agree who does what if a step fails.",
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
        # No order to act here: the step's text is on the phone while the switch is still being asked. The
        # phone says what to do once everything has answered.
        "instructions": "Both of you scan {asset} and type its chassis serial, each on your own phone. Touch "
        "nothing until every check has answered: the phone then tells the performer what to do. {afterwards}",
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
        "title": "Tell customers the disruptive part is over",
        "message": "The part of the maintenance that could interrupt your services is done, and they are "
        "running. We are finishing our checks and will tell you when the work is complete.",
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
        "title": "Tell customers all is as before",
        "message": "The changes have been put back as they were, and your services are running as they did "
        "before the maintenance.",
        "is_rollback": True,
    },
]

# The standard steps as earlier Lockstep versions published them, by fingerprint: a database whose latest
# standard is one of these, unedited, gets today's steps as a new version. One that an admin edited is theirs.
RETIRED_STANDARDS = {
    # v1 (until December 2026): customer updates "the work has started" and "is complete", which repeated the
    # window's own notices word for word, so every customer heard each twice.
    "e1e45c51e1eb86caffa15a593c785992fe72f152ee2cfea268bdd5710e453c7f",
    # v2 (until December 2026): the destructive step said "Only when it says CLEARED: {action} it", shown on
    # the phone while the switch was still being asked, and did not say whether its asset stays down once it
    # is done or must come back up, which is what the switch's try-out then expects.
    "884b556e453effb26c49377f57ce9b4ae66cb9070e9179fd6fd88b7e604c5e50",
}

_STEP_FIELDS = {
    "kind": "",
    "title": "",
    "instructions": "",
    "target_role": "",
    "show_neighbours": False,
    "check_serial": False,
    "is_rollback": False,
    "message": "",
}


def fingerprint(steps: list[dict]) -> str:
    """A digest of steps (as dicts, the missing fields at their defaults): equal steps, equal fingerprint."""
    rows = [[str(step.get(name, default)) for name, default in _STEP_FIELDS.items()] for step in steps]
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def standard_template() -> ChecklistTemplate:
    """The standard change checklist: published the first time it is needed, and again when the latest is an
    unedited earlier version of ours."""
    latest = ChecklistTemplate.latest(STANDARD_SLUG)
    if latest is not None and fingerprint(latest.as_steps()) not in RETIRED_STANDARDS:
        return latest
    return ChecklistTemplate.publish(
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
