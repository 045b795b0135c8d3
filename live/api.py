"""What the rest of Lockstep asks of live checks: one import for the runbook's execution and pages."""

from live.models import (  # noqa: F401
    CheckKind,
    CheckState,
    LiveCheck,
    refusal_to_sign,
)
from live.tasks import start  # noqa: F401
