"""Maintenance's models: windows (plan, approve, run), and the print jobs of their runbooks."""

from maintenance.models.prints import (  # noqa: F401
    Document,
    PrintJob,
    PrintStatus,
    UnclearPrintRequest,
)
from maintenance.models.windows import (  # noqa: F401
    ACTIVE_STATUSES,
    BEFORE_IT_RUNS,
    DEVICE_ACTIONS,
    PORT_ACTIONS,
    WORK_BEGAN,
    WORKERS_ONLY,
    Blackout,
    BlastSnapshot,
    Override,
    RedundancyOverride,
    Risk,
    Target,
    TargetAction,
    Window,
    WindowDecision,
    WindowRefused,
    WindowStatus,
    WindowType,
    overlapping,
    override_prefetches,
)
