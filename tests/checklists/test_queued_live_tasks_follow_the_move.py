"""A live check or a STOP alert waiting in the queue when the live checks moved up from live into checklists
runs at its task's new path after the upgrade (checklists 0007), and each new path is a task that exists."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils.module_loading import import_string
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

MIGRATION = importlib.import_module("checklists.migrations.0007_queued_live_tasks_follow_the_move")
BEFORE = [("checklists", "0006_live_checks_move_up_from_live")]


def _migrate(targets) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()  # what was applied, as the database says now
    executor.migrate(targets)


def test_each_new_path_is_a_task():
    for new in MIGRATION.MOVED.values():
        assert isinstance(import_string(new), Task)


@pytest.mark.django_db(transaction=True)
def test_checks_and_alerts_queued_before_the_move_run_at_the_new_paths():
    _migrate(BEFORE)
    try:
        waiting = {
            old: DBTaskResult.objects.create(
                task_path=old,
                args_kwargs={"args": [1], "kwargs": {}},
                queue_name="default",
                backend_name="default",
                priority=0,
                exception_class_path="",
                traceback="",
            )
            for old in MIGRATION.MOVED
        }
    finally:
        _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    for old, row in waiting.items():
        assert DBTaskResult.objects.get(pk=row.pk).task_path == MIGRATION.MOVED[old]
