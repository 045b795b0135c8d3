"""What the window pages share: who plans, how a window is fetched for a page, and which of its buttons
a person gets."""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from accounts.roles import Role
from lockstep.http import HtmxHttpRequest
from maintenance.models import (
    BlastSnapshot,
    Target,
    Window,
    override_prefetches,
)

PLANNERS = (Role.TECH, Role.APPROVER, Role.COORDINATOR, Role.ADMIN)


def windows_for_pages():
    return Window.objects.select_related("site", "requester").prefetch_related(
        Prefetch("targets", queryset=Target.objects.select_related("device__rack", "port__device__rack")),
        "assignees",
        Prefetch(
            "snapshots",
            queryset=BlastSnapshot.objects.order_by("-computed_at", "-pk"),
            to_attr="snapshot_list",
        ),
        *override_prefetches(),
    )


def get_window(request: HtmxHttpRequest, pk: int) -> Window:
    """Every role can read every window: the whole team sees what is planned. Changing is per method."""
    return get_object_or_404(windows_for_pages().select_related("run"), pk=pk)


def offers(window: Window, user, *, steps_left: int | None = None) -> dict[str, bool]:
    """The window's buttons this user gets now: exactly what the window's own rules allow, asked of it.
    `steps_left`: the runbook's steps not done yet, if the page has counted them already."""
    return {
        "start": window.may_start(user),
        "complete": window.may_complete(user, steps_left=steps_left),
        "abort": window.may_abort(user),
        "pause": window.may_pause(user),
        "resume": window.may_resume(user),
        "finish_rollback": window.may_finish_rollback(user, steps_left=steps_left),
        "cancel": window.may_cancel(user),
        "recompute": window.may_recompute(user),
    }
