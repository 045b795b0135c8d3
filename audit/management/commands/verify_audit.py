from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit.log import verify_chain, verify_printed


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain and hold it against the signed checkpoints; exit non-zero and name the "
        "first bad event if it was rewritten, wiped or cut short, if no key or checkpoint vouches for a log that "
        "has events, or if rights were given or taken away outside the app. --at HASH confirms a head printed on "
        "a PDF."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--at",
            metavar="HASH",
            help="the audit chain head printed on an as-run record or debrief: confirm the log still runs "
            "through it, unchanged",
        )
        parser.add_argument(
            "--since-checkpoint",
            action="store_true",
            help="check only what was appended since the latest checkpoint (quick; the full walk is the default)",
        )

    def handle(self, *args, **options) -> None:
        if options["at"]:
            report = verify_printed(options["at"])
        else:
            report = verify_chain(since_checkpoint=options["since_checkpoint"])
        if not report.ok:
            raise CommandError(f"audit chain BROKEN: {report.message}")
        self.stdout.write(self.style.SUCCESS(report.message))
        if report.checkpoint is None:
            # Only an empty log gets here (one with events and no checkpoint does not verify).
            self.stdout.write(
                "Write its first checkpoint now: manage.py audit_checkpoint (README, 'The audit log')."
            )
