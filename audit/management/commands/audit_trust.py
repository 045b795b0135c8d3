from __future__ import annotations

import getpass
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit import checkpoints
from audit.log import record, verify_chain
from audit.tasks import mail_checkpoint


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        return f"uid {os.getuid()}"


class Command(BaseCommand):
    help = (
        "Take the audit log on trust as it stands, when it does not verify only because no checkpoint vouches "
        "for it (the checkpoint file was lost) or because rights were changed outside the app. Every event is "
        "still checked against the audit key: a broken chain is never trusted. Writes an event naming what is "
        "trusted (count, head, what did not verify), the reason and who ran it, then a checkpoint after it."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--reason",
            required=True,
            help="why the log may be trusted as it stands (kept on the log with the trust)",
        )

    def handle(self, *args, reason: str, **options) -> None:
        reason = reason.strip()
        if len(reason) < 10:
            raise CommandError(
                "say why the log may be trusted (--reason, at least 10 characters): it goes on the log"
            )
        report = verify_chain(trusting=True)
        if not report.ok:
            raise CommandError(
                f"audit chain BROKEN, nothing trusted: {report.message}. Trust covers a lost checkpoint file or "
                "rights changed outside the app, never a chain that does not verify on its own"
            )
        if not report.no_checkpoint and not report.unexplained:
            raise CommandError(f"nothing to trust: {report.message}. Run manage.py audit_checkpoint instead")
        trusted = list(report.unexplained)
        if report.no_checkpoint:
            trusted.insert(0, f"no checkpoint vouched for the log ({checkpoints.path()})")
        trust = record(
            "audit.chain_trusted",
            payload={
                "events": report.events,
                "head": report.head_hash,
                "trusted": trusted,
                "reason": reason[:1000],
                "by": _os_user(),
            },
        )
        after = verify_chain(since_checkpoint=True, trusting=True)
        if not after.ok or not set(after.unexplained) <= set(report.unexplained):
            raise CommandError(
                "the log changed while it was being trusted, no checkpoint written: "
                + (
                    after.message
                    if not after.ok
                    else "; ".join(sorted(set(after.unexplained) - set(report.unexplained)))
                )
            )
        mark = checkpoints.append(
            after.people_seq, after.people_hash, after.people, key_id=after.people_key_id
        )
        if settings.LOCKSTEP_AUDIT_CHECKPOINT_EMAIL:
            mail_checkpoint.enqueue(mark.text())
        self.stdout.write(
            self.style.WARNING(
                f"trusted as it stood: {report.events} events, head {report.head_hash[:16]}…, "
                f"despite: {'; '.join(trusted)}. The trust is event #{trust.seq} on the log; "
                f"checkpoint written to {checkpoints.path()}"
            )
        )
