"""Windows submitted or approved before the interlock and the submitter rule existed: fill in what those
rules read, from what was already recorded, so an upgrade neither refuses a running window its own approved
outage nor lets whoever submitted a window approve it.

- Run.approved_services of an approved (or running) window: its latest blast radius, as it was approved.
- Window.submitted_by and Run.submitter: the actor of the window's last `window.submitted` audit event.
The audit log is read, never written.
"""

from django.db import migrations

LIVE = ("submitted", "approved", "in_progress", "aborted")


def backfill(apps, schema_editor):
    Window = apps.get_model("maintenance", "Window")
    Run = apps.get_model("checklists", "Run")
    BlastSnapshot = apps.get_model("maintenance", "BlastSnapshot")
    AuditEvent = apps.get_model("audit", "AuditEvent")
    for window in Window.objects.filter(status__in=LIVE).exclude(run=None):
        run = Run.objects.get(pk=window.run_id)
        changed = []
        if window.status != "submitted" and not run.approved_services:
            snapshot = BlastSnapshot.objects.filter(window=window).order_by("-computed_at", "-pk").first()
            if snapshot is not None:
                run.approved_services = sorted(s["id"] for s in snapshot.result.get("services", []))
                changed.append("approved_services")
        if window.submitted_by_id is None:
            event = (
                AuditEvent.objects.filter(
                    object_type="maintenance.window", object_id=str(window.pk), action="window.submitted"
                )
                .order_by("-seq")
                .first()
            )
            if event is not None and event.actor_id is not None:
                window.submitted_by_id = event.actor_id
                window.save(update_fields=["submitted_by"])
                if run.submitter_id is None:
                    run.submitter_id = event.actor_id
                    changed.append("submitter")
        if changed:
            run.save(update_fields=changed)


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0003_submitted_by_and_overrides"),
        ("checklists", "0005_scan_methods_interlock_submitter"),
        ("audit", "0003_action_ip_index"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
