from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.roles import Role, role_required, roles_of
from lockstep.http import HtmxHttpRequest

# Where each role works. Later issues put the real pages behind these names.
WORK_AREAS: dict[Role, tuple[str, str, str]] = {
    Role.TECH: (
        "maintenance:tech_today",
        "Today's work",
        "The windows you are assigned to today and their current steps.",
    ),
    Role.APPROVER: (
        "maintenance:queue",
        "Approvals",
        "Changes waiting for approval, hold points and live windows.",
    ),
    Role.COORDINATOR: (
        "coordinator_home",
        "Coordination",
        "Customer updates, incidents, credits and debriefs.",
    ),
    Role.ADMIN: ("admin:index", "Administration", "People, roles, inventory and the audit log."),
}


@login_required
def home(request: HtmxHttpRequest):
    roles = sorted(roles_of(request.user), key=list(Role).index)
    if len(roles) == 1:
        return redirect(WORK_AREAS[roles[0]][0])
    areas = [
        {"url": reverse(WORK_AREAS[role][0]), "title": WORK_AREAS[role][1], "blurb": WORK_AREAS[role][2]}
        for role in roles
    ]
    return render(request, "accounts/home.html", {"areas": areas})


def _work_area(request: HtmxHttpRequest, role: Role, layout: str):
    _, title, blurb = WORK_AREAS[role]
    return render(
        request,
        "accounts/work_area.html",
        # The coordinator's area lists its pages; the others have none of their own yet.
        {"layout": layout, "role": role, "title": title, "blurb": blurb, "tiles": role is Role.COORDINATOR},
    )


@role_required(Role.COORDINATOR)
def coordinator_home(request: HtmxHttpRequest):
    return _work_area(request, Role.COORDINATOR, "layouts/desktop.html")
