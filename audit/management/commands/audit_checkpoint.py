from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit import checkpoints
from audit.log import verify_chain
from audit.tasks import mail_checkpoint


class Command(BaseCommand):
    help = (
        "Verify the audit chain since the last checkpoint, then append a signed checkpoint (count, head hash, "
        "time, who holds which rights) to LOCKSTEP_AUDIT_CHECKPOINT_FILE, and mail it to "
        "LOCKSTEP_AUDIT_CHECKPOINT_EMAIL if set. Run it on a schedule. The first checkpoint is written only for an "
        "empty log: a log with events and no checkpoint is taken on trust only by audit_trust."
    )

    def handle(self, *args, **options) -> None:
        report = verify_chain(since_checkpoint=True)
        if not report.ok:
            # A chain that does not verify is never vouched for: the checkpoint would bless the rewrite, the cut
            # or the right given behind the app's back.
            raise CommandError(f"audit chain BROKEN, no checkpoint written: {report.message}")
        mark = checkpoints.append(
            report.people_seq, report.people_hash, report.people, key_id=report.people_key_id
        )
        if settings.LOCKSTEP_AUDIT_CHECKPOINT_EMAIL:
            mail_checkpoint.enqueue(mark.text())
        if mark.seq == 0:
            said = f"the first checkpoint, of the empty log, written to {checkpoints.path()} at {mark.at}"
        else:
            said = (
                f"checkpoint written to {checkpoints.path()}: {mark.seq} events, head {mark.hash[:16]}…, "
                f"at {mark.at} "
                + (
                    f"(checked #{report.from_seq} to #{report.head_seq})"
                    if report.from_seq <= report.head_seq
                    else "(nothing new since the last one)"
                )
            )
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(said))
