from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from inventory.render_jobs import clear_old_files_of_every_kind
from inventory.tasks import keep_clearing


class Command(BaseCommand):
    help = (
        "Drop the PDFs the worker made (labels, runbooks, as-run records) more than LOCKSTEP_RENDER_JOB_DAYS days "
        "ago, one audit event each; the jobs stay. With --schedule, clear nothing now but make sure the daily "
        "clearing is waiting in the task queue (run at every start: it never queues a second copy)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="queue the daily clearing for the worker, unless it is waiting",
        )

    def handle(self, *args, schedule: bool, verbosity: int, **options) -> None:
        if schedule:
            queued = keep_clearing()
            said = ["The daily clearing is queued." if queued else "The daily clearing was already waiting."]
        else:
            days = settings.LOCKSTEP_RENDER_JOB_DAYS
            said = [
                f"{kind}: {count} file{'' if count == 1 else 's'} older than {days} days cleared."
                for kind, count in clear_old_files_of_every_kind().items()
            ]
        if verbosity:
            self.stdout.write("\n".join(said))
