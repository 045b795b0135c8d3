"""The pages ask a model's state by name (`run.is_held`, `step.is_hold_point`, `tag.is_revoked`) instead of
spelling its value: each such predicate is true for its own value of the choice and for no other."""

from __future__ import annotations

import pytest

from checklists.live_checks import CheckState, LiveCheck
from checklists.models import Run, RunMode, RunStatus, Step, StepKind, StepStatus
from comms.models import Channel, Delivery, DeliveryState
from debriefs.models import ActionItem, ActionState
from inventory.models import Discrepancy, DiscrepancyStatus, LabelJob, LabelJobStatus, Tag, TagStatus
from maintenance.models import (
    PrintJob,
    PrintStatus,
    Window,
    WindowDecision,
    WindowStatus,
)
from maintenance.runbook_pdf import StepLine

CASES = [
    (
        Window,
        "status",
        WindowStatus,
        {
            "is_draft": WindowStatus.DRAFT,
            "is_approved": WindowStatus.APPROVED,
            "is_in_progress": WindowStatus.IN_PROGRESS,
            "is_cancelled": WindowStatus.CANCELLED,
        },
    ),
    (WindowDecision, "decision", WindowDecision.Decision, {"is_rejection": WindowDecision.Decision.REJECTED}),
    (
        Run,
        "status",
        RunStatus,
        {
            "is_active": RunStatus.ACTIVE,
            "is_paused": RunStatus.PAUSED,
            "is_held": RunStatus.HELD,
            "is_closed": RunStatus.CLOSED,
        },
    ),
    (Run, "mode", RunMode, {"is_rolling_back": RunMode.ROLLBACK}),
    (
        Step,
        "status",
        StepStatus,
        {
            "is_pending": StepStatus.PENDING,
            "is_scanned": StepStatus.SCANNED,
            "is_checked_by_both": StepStatus.CLEARED,
            "is_done": StepStatus.DONE,
            "is_complete": StepStatus.COMPLETE,
        },
    ),
    (
        Step,
        "kind",
        StepKind,
        {"is_hold_point": StepKind.HOLD_POINT, "is_customer_update": StepKind.CUSTOMER_UPDATE},
    ),
    (
        Tag,
        "status",
        TagStatus,
        {
            "is_issued": TagStatus.ISSUED,
            "is_active": TagStatus.ACTIVE,
            "is_revoked": TagStatus.REVOKED,
        },
    ),
    (Discrepancy, "status", DiscrepancyStatus, {"is_open": DiscrepancyStatus.OPEN}),
    (
        LabelJob,
        "status",
        LabelJobStatus,
        {
            "is_queued": LabelJobStatus.QUEUED,
            "is_ready": LabelJobStatus.READY,
            "is_failed": LabelJobStatus.FAILED,
            "is_cleared": LabelJobStatus.CLEARED,
        },
    ),
    (
        PrintJob,
        "status",
        PrintStatus,
        {
            "is_queued": PrintStatus.QUEUED,
            "is_ready": PrintStatus.READY,
            "is_failed": PrintStatus.FAILED,
            "is_cleared": PrintStatus.CLEARED,
        },
    ),
    (Delivery, "state", DeliveryState, {"is_sent": DeliveryState.SENT, "is_failed": DeliveryState.FAILED}),
    (Delivery, "channel", Channel, {"is_webhook": Channel.WEBHOOK}),
    (LiveCheck, "state", CheckState, {"agreed": CheckState.AGREED, "unanswered": CheckState.NO_ANSWER}),
    (ActionItem, "state", ActionState, {"is_open": ActionState.OPEN}),
]


@pytest.mark.parametrize(
    ("model", "field", "choices", "predicates"),
    CASES,
    ids=[f"{case[0].__name__}.{case[1]}" for case in CASES],
)
def test_each_predicate_is_true_for_its_own_value_only(model, field, choices, predicates):
    for value in choices:
        thing = model(**{field: value})
        for predicate, its_value in predicates.items():
            assert getattr(thing, predicate) is (value == its_value), (model.__name__, predicate, value)


@pytest.mark.parametrize(
    ("kind", "predicate"),
    [
        (StepKind.DESTRUCTIVE, "is_destructive"),
        (StepKind.IDENTITY_CHECK, "is_identity_check"),
        (StepKind.HOLD_POINT, "is_hold_point"),
    ],
)
def test_a_printed_step_says_its_kind_by_name(kind, predicate):
    line = StepLine(
        position=1,
        kind=kind,
        kind_label=kind.label,
        title="t",
        instructions="",
        message="",
        is_rollback=False,
        asset=None,
        do_not_touch=[],
        url="",
        qr="",
        needs_two=False,
    )
    assert getattr(line, predicate)
    others = {"is_destructive", "is_identity_check", "is_hold_point"} - {predicate}
    assert not any(getattr(line, other) for other in others)


def test_the_discrepancies_a_page_describes_are_named_by_kind():
    assert Discrepancy(kind="scan_mismatch").is_scan_mismatch
    assert Discrepancy(kind="tryout_wrong_port").is_tryout_wrong_port
    assert not Discrepancy(kind="serial_mismatch").is_scan_mismatch
