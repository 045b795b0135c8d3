"""The worker's side of the audit log: a checkpoint mailed to an auditor's mailbox, off the database's reach."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.mail import EmailMessage
from django_tasks import task


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
    sent = message.send()
    return f"checkpoint #{mark['seq']} mailed to {', '.join(message.to)}" if sent else "not sent"
