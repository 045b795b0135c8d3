"""Maintenance's models: windows (plan, approve, run) on their states, what they do to connectivity (impact),
their conflicts with each other, and the print jobs of their runbooks."""

from maintenance.models.conflicts import (  # noqa: F401
    Blackout,
    Conflict,
    conflicts_among,
    find_conflicts,
    needing_override,
    overlapping,
)
from maintenance.models.decisions import (  # noqa: F401
    Override,
    RedundancyOverride,
    WindowDecision,
    override_prefetches,
)
from maintenance.models.impact import BlastSnapshot, Target, TargetAction, cut_for  # noqa: F401
from maintenance.models.prints import (  # noqa: F401
    Document,
    PrintJob,
    PrintStatus,
    UnclearPrintRequest,
)
from maintenance.models.states import (  # noqa: F401
    ACTIVE_STATUSES,
    BEFORE_IT_RUNS,
    WORK_BEGAN,
    Risk,
    WindowStatus,
    WindowType,
)
from maintenance.models.windows import (  # noqa: F401
    DEVICE_ACTIONS,
    PORT_ACTIONS,
    WORKERS_ONLY,
    Window,
    WindowRefused,
    window_approved,
)
