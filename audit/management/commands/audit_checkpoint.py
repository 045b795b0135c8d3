from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit import checkpoints
from audit.log import verify_chain
from audit.tasks import mail_checkpoint


class Command(BaseCommand):
    help = (
        "Verify the audit chain since the last checkpoint, then append a signed checkpoint (count, head hash, "
        "time) to LOCKSTEP_AUDIT_CHECKPOINT_FILE, and mail it to LOCKSTEP_AUDIT_CHECKPOINT_EMAIL if set. "
        "Run it on a schedule."
    )

    def handle(self, *args, **options) -> None:
        report = verify_chain(since_checkpoint=True)
        if not report.ok:
            # A broken chain is never vouched for: the checkpoint would bless the rewrite.
            raise CommandError(f"audit chain BROKEN, no checkpoint written: {report.message}")
        mark = checkpoints.append(report.head_seq, report.head_hash)
        if settings.LOCKSTEP_AUDIT_CHECKPOINT_EMAIL:
            mail_checkpoint.enqueue(mark.text())
        self.stdout.write(
            self.style.SUCCESS(
                f"checkpoint written to {checkpoints.path()}: {mark.seq} events, head {mark.hash[:16]}…, "
                f"at {mark.at} (checked #{report.from_seq} to #{report.head_seq})"
            )
        )
