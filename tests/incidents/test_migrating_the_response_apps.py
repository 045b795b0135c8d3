"""A database from before incidents, credits and debriefs had apps of their own: its rows are written through
the models as they were then (all in maintenance), the upgrade runs, and every row reads back through the new
apps' models, with its links intact. The tables never move, so nothing is copied and nothing is lost."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comms.models import Notice
from credits.models import Credit, SlaPlan
from debriefs.models import ActionItem, Debrief
from incidents.models import Incident, IncidentService, IncidentUpdate
from maintenance.models import Window

BEFORE = [("maintenance", "0011_print_jobs")]  # the last migration before the response apps left maintenance
MOVED_BY_IT = {"maintenance", "incidents", "credits", "debriefs"}


def _migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()  # what was applied, as the database says now
    executor.migrate(targets)
    return executor


def _latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_read_back_through_the_new_apps():
    executor = _migrate(BEFORE)
    try:
        # The other apps as they are now: only maintenance went back.
        others = [node for node in executor.loader.graph.leaf_nodes() if node[0] not in MOVED_BY_IT]
        old = executor.loader.project_state(BEFORE + others).apps
        User = old.get_model("auth", "User")
        Site = old.get_model("inventory", "Site")
        Customer = old.get_model("inventory", "Customer")
        Service = old.get_model("inventory", "Service")
        OldWindow = old.get_model("maintenance", "Window")
        OldIncident = old.get_model("maintenance", "Incident")
        OldIncidentService = old.get_model("maintenance", "IncidentService")
        OldIncidentUpdate = old.get_model("maintenance", "IncidentUpdate")
        OldSlaPlan = old.get_model("maintenance", "SlaPlan")
        OldCredit = old.get_model("maintenance", "Credit")
        OldDebrief = old.get_model("maintenance", "Debrief")
        OldActionItem = old.get_model("maintenance", "ActionItem")
        OldNotice = old.get_model("comms", "Notice")

        cora = User.objects.create(username="cora")
        site = Site.objects.create(code="LAX1", name="Los Angeles 1")
        acme = Service.objects.create(customer=Customer.objects.create(name="Acme"), name="Acme web")
        now = timezone.now()
        window = OldWindow.objects.create(
            site=site,
            title="Swap optics",
            planned_start=now - timedelta(hours=3),
            planned_end=now - timedelta(hours=1),
            requester=cora,
            status="completed",
        )
        incident = OldIncident.objects.create(
            site=site,
            title="Acme web is down",
            window=window,
            started_at=now - timedelta(hours=2),
            declared_by=cora,
            last_update_at=now - timedelta(hours=2),
        )
        OldIncidentService.objects.create(incident=incident, service=acme, impact="major_outage")
        OldIncidentUpdate.objects.create(
            incident=incident, state="investigating", message="Looking.", by=cora
        )
        plan = OldSlaPlan.objects.create(name="business", monthly_fee=Decimal("450.00"))
        credit = OldCredit.objects.create(
            service=acme,
            month=date(2026, 12, 1),
            plan=plan,
            incident=incident,
            down_seconds=3600,
            percent=Decimal("10.00"),
            computed=Decimal("45.00"),
            already=Decimal("0.00"),
            amount=Decimal("45.00"),
            currency="USD",
            working="One hour down: two blocks of 5%.",
            proposed_by=cora,
        )
        debrief = OldDebrief.objects.create(
            incident=incident, summary="The optic was the wrong one.", created_by=cora
        )
        action = OldActionItem.objects.create(
            debrief=debrief, what="Label the optics drawer", owner=cora, due=date(2027, 1, 15)
        )
        notice = OldNotice.objects.create(
            kind="incident",
            about_type="maintenance.incident",
            about_id=str(incident.pk),
            subject="Acme web",
            body="Looking.",
        )
        check = DBTaskResult.objects.create(
            task_path="maintenance.tasks.check_incident_silence",
            args_kwargs={"args": [incident.pk, now.isoformat()], "kwargs": {}},
            queue_name="default",
            backend_name="default",
            priority=0,
            run_after=now,
            exception_class_path="",
            traceback="",
        )
        ContentType.objects.filter(app_label__in=["incidents", "credits", "debriefs"]).delete()
        ContentType.objects.get_or_create(app_label="maintenance", model="incident")
    finally:
        _migrate(_latest())

    moved = Incident.objects.get(pk=incident.pk)
    assert moved.title == "Acme web is down" and moved.window == Window.objects.get(pk=window.pk)
    assert [row.service_id for row in IncidentService.objects.filter(incident=moved)] == [acme.pk]
    assert IncidentUpdate.objects.get(incident=moved).message == "Looking."
    kept = Credit.objects.get(pk=credit.pk)
    assert (kept.incident, kept.plan, kept.amount) == (
        moved,
        SlaPlan.objects.get(pk=plan.pk),
        Decimal("45.00"),
    )
    held = Debrief.objects.get(pk=debrief.pk)
    assert held.subject == moved and held.summary == "The optic was the wrong one."
    assert ActionItem.objects.get(pk=action.pk).debrief == held
    # What names the old app by label follows: the content type (admin links, permissions), the notices about
    # the incident, and the silence check already queued.
    assert ContentType.objects.get_for_model(Incident).app_label == "incidents"
    assert not ContentType.objects.filter(app_label="maintenance", model="incident").exists()
    assert Notice.objects.get(pk=notice.pk).about_type == "incidents.incident"
    assert DBTaskResult.objects.get(pk=check.pk).task_path == "incidents.tasks.check_incident_silence"
