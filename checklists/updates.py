"""One-tap updates to customers from the tech's phone. The engineers at the rack never compose a message:
each choice is worded here, from the run's real progress and the site's time."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateformat import format as date_format

from audit.log import record
from checklists.models import Run, RunMode, StepRefused, StepStatus
from comms.models import Notice, NoticeKind
from comms.notices import announce

# The choices the phone offers, in order: the late ones each carry a new estimate, in minutes from now.
LATE = {"late-30": 30, "late-60": 60, "late-120": 120}
CHOICES = {
    "started": "Work has started",
    "progress": "Progress: steps done so far",
    **{key: f"Running late: about {minutes} min more" for key, minutes in LATE.items()},
}


def public_values(run: Run, message: str) -> dict[str, str]:
    """What a runbook's update may say of its work: the change's reference and site, never the run's title
    (device names and racks are internal)."""
    window = getattr(run, "window", None)
    return {
        "reference": window.reference if window is not None else "",
        "title": f"Maintenance at {run.site.name}",
        "site": run.site.name,
        "message": message,
    }


def wording(run: Run, choice: str) -> str:
    if choice == "started":
        return "Our engineers have started the work on site."
    if choice == "progress":
        steps = list(
            run.steps.filter(is_rollback=run.mode == RunMode.ROLLBACK).values_list("status", flat=True)
        )
        done = sum(1 for status in steps if status == StepStatus.COMPLETE)
        doing = (
            "putting things back as they were" if run.mode == RunMode.ROLLBACK else "working through the plan"
        )
        return f"Our engineers are {doing}: {done} of {len(steps)} steps are done."
    if choice in LATE:
        estimate = timezone.localtime(timezone.now() + timedelta(minutes=LATE[choice]), run.site.tz)
        return (
            "The work is taking longer than planned. New estimated end: "
            f"{date_format(estimate, 'D j M Y, H:i')} ({run.site.time_zone}). We will tell you when it is done."
        )
    raise StepRefused("That update is not one of the choices. Nothing was sent.")


def tell_customers(run: Run, *, user, choice: str) -> Notice:
    """Queue the chosen update to the customers of the services the work was approved to touch; the notice."""
    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("site").get(pk=run.pk)
        if not run.may_tell_customers(user):
            raise StepRefused("Only the people doing the work send updates, while it is under way.")
        message = wording(run, choice)
        notice = announce(
            NoticeKind.UPDATE,
            services=run.approved_services,
            values=public_values(run, message),
            about=run,
            site=run.site,
            reference=public_values(run, message)["reference"],
            by=user,
        )
        messages = notice.deliveries.count()
        record(
            "customer_update.queued_from_phone",
            actor=user,
            obj=run,
            payload={"choice": choice, "message": message, "notice": notice.pk, "messages": messages},
        )
    return notice
