"""Maintenance's models: windows (plan, approve, run) and incidents (when it goes wrong)."""

from maintenance.models.credits import (  # noqa: F401
    Credit,
    CreditRefused,
    CreditRule,
    CreditState,
    SlaPlan,
)
from maintenance.models.debriefs import (  # noqa: F401
    QUESTIONS,
    REPORT_PARTS,
    ActionItem,
    ActionState,
    Debrief,
    DebriefRefused,
    Report,
    ReportAudience,
)
from maintenance.models.incidents import (  # noqa: F401
    Impact,
    Incident,
    IncidentImpact,
    IncidentRefused,
    IncidentService,
    IncidentState,
    IncidentTemplate,
    IncidentUpdate,
    worst_impact,
)
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
    Conflict,
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
    conflicts_among,
    cut_for,
    find_conflicts,
    needing_override,
    overlapping,
    override_prefetches,
    window_approved,
)
