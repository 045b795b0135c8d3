"""Windows approved before the interlock existed: the upgrade fills in what the new rules read, from the
records already kept, so a running window is not refused its own approved outage and whoever submitted a
window cannot approve it."""

from __future__ import annotations

import importlib

from django.apps import apps

from checklists.models import Run
from maintenance.models import TargetAction, Window
from tests.builders.windows import make_window

backfill = importlib.import_module("maintenance.migrations.0004_backfill_approvals_and_submitters").backfill


def test_approved_services_and_submitters_are_filled_in_from_the_records(lax1, rex, ada, tess):
    window = make_window(rex, lax1.site)
    window.assignees.add(tess)
    window.add_target(by=rex, action=TargetAction.UNPLUG, port=lax1.port(lax1.sw_a, "Eth1/2"))
    window.submit(by=rex)
    window.approve(by=ada, comment="Beta told")
    # As the rows were before the upgrade: none of the new fields set.
    Run.objects.filter(pk=window.run_id).update(approved_services=[], submitter=None)
    Window.objects.filter(pk=window.pk).update(submitted_by=None)

    backfill(apps, None)

    window.refresh_from_db()
    run = Run.objects.get(pk=window.run_id)
    assert run.approved_services == [lax1.beta.pk]
    assert window.submitted_by == rex and run.submitter == rex
