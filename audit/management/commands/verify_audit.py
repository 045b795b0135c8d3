from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from audit.log import verify_chain


class Command(BaseCommand):
    help = (
        "Walk the audit log's hash chain; exit non-zero and name the first bad event if it was tampered with."
    )

    def handle(self, *args, **options) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"audit chain BROKEN: {report.message}")
        self.stdout.write(self.style.SUCCESS(report.message))
