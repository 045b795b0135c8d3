"""The background worker, run in the test's own process."""

from __future__ import annotations

from unittest import mock

from django.core.management import call_command


def run_worker() -> None:
    """The real worker command, in batch mode: everything due now, then exit. (Its connection housekeeping
    is switched off: inside a test's transaction it would drop the test's connection.)"""
    with mock.patch("django_tasks_db.management.commands.db_worker.close_old_connections"):
        call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)
