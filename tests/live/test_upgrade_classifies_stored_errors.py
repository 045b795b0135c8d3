"""Readings kept before failures were classified held the driver's words, credentials and all: the upgrade
keeps only the reason, and rewrites the findings the step page and the as-run PDF show. (Audit events are
append-only: the debrief tells theirs in classified words.)"""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from checklists.live_checks import LiveCheck
from live.failures import Failure
from live.models import Reading
from tests.live.conftest import DESTRUCTIVE

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("live", "0001_live_checks")]
LEAKED = "ConnectAuthError: login lockstep / pa55-never-shown refused (b'pa55-never-shown')"


def migrate(to):
    executor = MigrationExecutor(connection)
    executor.migrate(to)
    return executor.loader.project_state(to).apps


def test_a_stored_error_becomes_its_reason_and_the_findings_say_only_that(scene):
    step, device = scene.step(DESTRUCTIVE), scene.site.sw_a
    old = migrate(BEFORE)
    OldReading, OldCheck = old.get_model("live", "Reading"), old.get_model("live", "LiveCheck")
    now = timezone.now()
    check = OldCheck.objects.create(
        step_id=step.pk,
        round=1,
        kind="before",
        state="no_answer",
        findings=[f"sw-a did not answer get_interfaces ({LEAKED})", "sw-b is not watched: no credentials"],
    )
    common = {"device_id": device.pk, "source": "napalm eos 10.0.0.5", "taken_at": now}
    OldReading.objects.create(
        **common,
        live_check_id=check.pk,
        purpose="before",
        getter="get_interfaces",
        answered=False,
        error=LEAKED,
    )
    OldReading.objects.create(
        **common,
        purpose="serial",
        getter="get_facts",
        answered=False,
        error="TimeoutError: no answer within 10 s",
    )
    OldReading.objects.create(
        **common,
        purpose="locate",
        getter="cli",
        answered=False,
        error="no credentials for sw-a in the device secrets",
    )
    OldReading.objects.create(**common, purpose="serial", getter="get_facts", answered=True, data={})

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert sorted(Reading.objects.values_list("purpose", "answered", "failure")) == [
        ("before", False, Failure.LOGIN_REFUSED),
        ("locate", False, Failure.NO_ACCESS),
        ("serial", False, Failure.TIMED_OUT),
        ("serial", True, ""),
    ]
    assert LiveCheck.objects.get(pk=check.pk).findings == [
        "sw-a did not answer get_interfaces: refused the login",
        "sw-b is not watched: no credentials",
    ]
    assert "pa55" not in str(list(Reading.objects.values())) + str(list(LiveCheck.objects.values()))


def test_an_audit_event_that_quoted_a_driver_is_told_in_its_reason_by_the_debrief(scene):
    from audit.log import record
    from debriefs.models import Debrief
    from debriefs.reports import timeline
    from tests.checklists.conftest import users

    # Written by an earlier Lockstep: the chain is append-only, so the event stays as it was.
    record(
        "live.before_no_answer",
        obj=scene.step(DESTRUCTIVE),
        payload={
            "check": 1,
            "run": scene.run.pk,
            "findings": [f"sw-a did not answer get_interfaces ({LEAKED})"],
        },
    )

    debrief = Debrief.open_for(scene.window, by=users()["ada"])

    details = [e.detail for e in timeline(debrief) if e.what == "The switch did not answer"]
    assert details == ["sw-a did not answer get_interfaces: refused the login"]
