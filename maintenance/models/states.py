"""A window's states, types and risk levels, and the groups of states the rules ask about. At the bottom of
maintenance's models: windows, their impact and their conflicts all read them."""

from django.db import models


class WindowStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for approval"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    ABORTED = "aborted", "Aborted"  # the run says whether its rollback is still being worked
    CANCELLED = "cancelled", "Cancelled"


# Windows that hold their time, targets and people: the ones a new window can conflict with.
ACTIVE_STATUSES = (WindowStatus.SUBMITTED, WindowStatus.APPROVED, WindowStatus.IN_PROGRESS)
# Windows that can still be cancelled, and whose blast radius is still worth recomputing.
BEFORE_IT_RUNS = (WindowStatus.DRAFT, WindowStatus.SUBMITTED, WindowStatus.APPROVED)
# Windows whose work began: there is a record of what was done (an as-run record, downtime, a debrief).
WORK_BEGAN = (WindowStatus.IN_PROGRESS, WindowStatus.COMPLETED, WindowStatus.ABORTED)


class WindowType(models.TextChoices):
    STANDARD = "standard", "Standard (pre-approved template)"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class Risk(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


UNDER_WAY = (WindowStatus.IN_PROGRESS, WindowStatus.ABORTED)
