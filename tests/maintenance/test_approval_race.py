"""Two approvers deciding at the same instant: exactly one decision counts (PostgreSQL row locks)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.roles import Role
from maintenance.models import TargetAction, Window, WindowDecision, WindowRefused, WindowStatus
from tests.builders.databases import postgres_only
from tests.builders.people import make_user
from tests.builders.sites import build_redundant_site
from tests.builders.windows import make_window


@postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second_approves", [True, False])
def test_two_approvers_at_once_leave_exactly_one_decision(second_approves):
    lax1 = build_redundant_site()
    rex = make_user("rex", Role.TECH)
    ada = make_user("ada", Role.APPROVER)
    abe = make_user("abe", Role.APPROVER)
    window = make_window(rex, lax1.site)
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.sw_a)
    window.submit(by=rex)

    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def decide(user, approve: bool) -> None:
        try:
            mine = Window.objects.get(pk=window.pk)
            start.wait(timeout=10)
            (mine.approve(by=user, comment="go") if approve else mine.reject(by=user, comment="not now"))
            outcomes[user.username] = "decided"
        except WindowRefused as refusal:
            outcomes[user.username] = f"refused: {refusal.reason}"
        except BaseException as exc:  # reported below
            outcomes[user.username] = f"error: {exc!r}"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=(ada, True)),
        threading.Thread(target=decide, args=(abe, second_approves)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["decided", "refused"], outcomes
    assert WindowDecision.objects.filter(window=window).count() == 1
    decision = WindowDecision.objects.get(window=window)
    window.refresh_from_db()
    expected = WindowStatus.APPROVED if decision.decision == "approved" else WindowStatus.DRAFT
    assert window.status == expected
    loser = next(v for v in outcomes.values() if v.startswith("refused"))
    assert f"by {decision.by.username}" in loser
