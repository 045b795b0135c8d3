"""The worker's side: sending one message. Run by `manage.py db_worker`, never in a request."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from audit.log import record
from comms import webhooks
from comms.channels import mail_for, webhook_payload
from comms.models import Channel, Delivery, DeliveryAttempt, DeliveryState
from lockstep.failures import mail_failure

logger = logging.getLogger(__name__)

# Attempt n waits 30 s * 4^(n-1) before the next: 30 s, 2 min, 8 min, 32 min.
FIRST_RETRY = timedelta(seconds=30)


def backoff(attempts: int) -> timedelta:
    return FIRST_RETRY * 4 ** max(attempts - 1, 0)


def _claim(delivery_id: int) -> Delivery | None:
    """Queued → sending, under the row's lock: of two workers handed the same message, one sends it."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notice__site", "subscriber__customer", "subscriber__site", "webhook")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != DeliveryState.QUEUED:
            return None
        delivery.state, delivery.claimed_at = DeliveryState.SENDING, timezone.now()
        delivery.attempts += 1
        delivery.save(update_fields=["state", "claimed_at", "attempts"])
    return delivery


def _send(delivery: Delivery) -> tuple[bool, int | None, str]:
    """One attempt over the delivery's channel: (sent, HTTP status for a webhook, what went wrong)."""
    if delivery.channel == Channel.WEBHOOK:
        if delivery.webhook is None or not delivery.webhook.active:
            return False, None, "The webhook was removed or switched off."
        answer = webhooks.post(
            delivery.recipient,
            secret=delivery.webhook.secret,
            delivery_id=delivery.pk,
            payload=webhook_payload(delivery),
        )
        return answer.ok, answer.status_code, answer.error
    if delivery.subscriber is None or not delivery.subscriber.receives:
        return False, None, "Not sent: the address unsubscribed, or was removed, after this was written."
    try:
        mail_for(delivery).send(fail_silently=False)
    except Exception as problem:  # any failure of the mail backend is this message's failure
        # The backend's words can quote the login or the server's banner: they go to the log only.
        logger.warning("delivery %s to %s was not sent", delivery.pk, delivery.recipient, exc_info=problem)
        return False, None, mail_failure(problem)
    return True, None, ""


@task()
def deliver(delivery_id: int) -> str:
    delivery = _claim(delivery_id)
    if delivery is None:
        return "nothing to do"
    began = time.monotonic()
    ok, status_code, error = _send(delivery)
    took = int((time.monotonic() - began) * 1000)
    with transaction.atomic():
        row = Delivery.objects.select_for_update().get(pk=delivery.pk)
        DeliveryAttempt.objects.create(
            delivery=row, ok=ok, status_code=status_code, error=error, duration_ms=took
        )
        if ok:
            row.state, row.sent_at, row.last_error, row.next_attempt_at = (
                DeliveryState.SENT,
                timezone.now(),
                "",
                None,
            )
            record(
                "notice.sent",
                obj=row,
                payload={
                    "notice": row.notice_id,
                    "recipient": row.recipient,
                    "channel": row.channel,
                    "attempt": row.attempts,
                },
            )
        elif row.attempts >= settings.LOCKSTEP_DELIVERY_ATTEMPTS or error.startswith("Not sent: the address"):
            row.state, row.next_attempt_at, row.last_error = DeliveryState.FAILED, None, error
            record(
                "notice.failed",
                obj=row,
                payload={"notice": row.notice_id, "channel": row.channel, "error": error},
            )
        else:
            row.state, row.last_error = DeliveryState.QUEUED, error
            row.next_attempt_at = timezone.now() + backoff(row.attempts)
            deliver.using(run_after=row.next_attempt_at).enqueue(row.pk)
            record(
                "notice.retry_scheduled",
                obj=row,
                payload={
                    "notice": row.notice_id,
                    "channel": row.channel,
                    "attempt": row.attempts,
                    "error": error,
                    "next_attempt_at": row.next_attempt_at.isoformat(),
                },
            )
        row.save(update_fields=["state", "sent_at", "next_attempt_at", "last_error"])
    return row.state


def resend(delivery: Delivery, *, by) -> None:
    """A failed message (or one stuck while sending) queued again and handed to a worker, together or not at
    all. Refused with PermissionError as `Delivery.requeue` says."""
    with transaction.atomic():
        delivery.requeue(by=by)
        deliver.enqueue(delivery.pk)
