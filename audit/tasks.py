"""The worker's side of the audit log: a checkpoint mailed to an auditor's mailbox, off the database's reach."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task

from lockstep.failures import mail_failure

logger = logging.getLogger(__name__)


class CheckpointNotMailed(Exception):
    """The mail server did not take a checkpoint: said in our words, so the task's stored result quotes no
    server's (an SMTP error can echo the login)."""


@task()
def mail_checkpoint(line: str) -> str:
    mark = json.loads(line)
    message = EmailMessage(
        subject=f"Lockstep audit checkpoint: event #{mark['seq']} at {mark['at']}",
        body=(
            "A signed checkpoint of Lockstep's audit log. Keep this message: `manage.py verify_audit` holds the\n"
            "log against the checkpoint file, and this copy proves what the file said if the file is lost.\n\n"
            f"{line}\n"
        ),
        to=list(settings.LOCKSTEP_AUDIT_CHECKPOINT_EMAIL),
    )
    try:
        sent = message.send()
    except Exception as problem:  # the task still fails, as before; the server's words go to the log only
        logger.exception("audit checkpoint #%s was not mailed", mark["seq"])
        raise CheckpointNotMailed(f"checkpoint #{mark['seq']} not mailed: {mail_failure(problem)}") from None
    return f"checkpoint #{mark['seq']} mailed to {', '.join(message.to)}" if sent else "not sent"
