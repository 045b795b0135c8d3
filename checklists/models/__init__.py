"""Checklists' models: versioned templates, runs built from them, steps bound to real assets, the scans and
refusals behind each signature, and idempotent taps.

The modules import one way: states (the vocabulary: kinds, statuses, StepRefused, Binding) at the bottom, then
templates, taps, scans (which names its step by label), steps (which names its run by label) and runs at the
top. checklists.live_checks sits below all of them."""

from checklists.models.runs import Run  # noqa: F401
from checklists.models.scans import CutRefusal, StepScan  # noqa: F401
from checklists.models.states import (  # noqa: F401
    CAMERA_METHODS,
    SCANNED_KINDS,
    STOP_ACKNOWLEDGED,
    Binding,
    RunMode,
    RunStatus,
    ScanMethod,
    StepKind,
    StepRefused,
    StepStatus,
)
from checklists.models.steps import STEP_ASSET, Step, neighbours  # noqa: F401
from checklists.models.taps import TapRecord  # noqa: F401
from checklists.models.templates import ChecklistTemplate, StepTemplate  # noqa: F401
