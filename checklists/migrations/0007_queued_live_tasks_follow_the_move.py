"""The live checks' tasks moved up from live into checklists (0006): a check or a STOP alert already waiting in
the queue when this version is deployed runs the task at its new path, instead of failing in the worker for a
path that no longer exists."""

from django.db import migrations

MOVED = {
    "live.tasks.run_check": "checklists.live_tasks.run_check",
    "live.tasks.alert": "checklists.live_asking.alert",
}


def follow(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        DBTaskResult.objects.filter(task_path=old).update(task_path=new)


def unfollow(apps, schema_editor):
    DBTaskResult = apps.get_model("django_tasks_database", "DBTaskResult")
    for old, new in MOVED.items():
        DBTaskResult.objects.filter(task_path=new).update(task_path=old)


class Migration(migrations.Migration):
    dependencies = [
        ("checklists", "0006_live_checks_move_up_from_live"),
        ("django_tasks_database", "0021_conditional_partial_index_ordering"),
    ]

    operations = [migrations.RunPython(follow, unfollow)]
