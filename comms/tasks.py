"""The worker's side: sending one message. Run by `manage.py db_worker`, never in a request."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from audit.log import record
from comms.models import Delivery, DeliveryState, StatusLink
from comms.notices import unsubscribe_url

# Attempt n waits 30 s * 4^(n-1) before the next: 30 s, 2 min, 8 min, 32 min.
FIRST_RETRY = timedelta(seconds=30)


def backoff(attempts: int) -> timedelta:
    return FIRST_RETRY * 4 ** max(attempts - 1, 0)


def _claim(delivery_id: int) -> Delivery | None:
    """Queued → sending, under the row's lock: of two workers handed the same message, one sends it."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notice", "subscriber")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.state != DeliveryState.QUEUED:
            return None
        delivery.state, delivery.claimed_at = DeliveryState.SENDING, timezone.now()
        delivery.attempts += 1
        delivery.save(update_fields=["state", "claimed_at", "attempts"])
    return delivery


def _message(delivery: Delivery) -> EmailMessage:
    notice = delivery.notice
    body = notice.body
    if delivery.their_services:
        body += f"\n\nYour services this concerns: {delivery.their_services}."
    headers = {}
    if delivery.subscriber is not None:
        link = unsubscribe_url(delivery.subscriber)
        page = StatusLink.current(delivery.subscriber.customer).url()
        body += (
            f"\n\n--\nYou receive this as a contact of {delivery.subscriber.customer}.\n"
            f"Your status page: {page}\nUnsubscribe: {link}\n"
        )
        # One-click unsubscribe from the mail program itself (RFC 8058).
        headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return EmailMessage(subject=notice.subject, body=body, to=[delivery.recipient], headers=headers)


@task()
def deliver(delivery_id: int) -> str:
    delivery = _claim(delivery_id)
    if delivery is None:
        return "nothing to do"
    try:
        _message(delivery).send(fail_silently=False)
    except Exception as problem:
        error = f"{type(problem).__name__}: {problem}"[:500]
        with transaction.atomic():
            row = Delivery.objects.select_for_update().get(pk=delivery.pk)
            row.last_error = error
            if row.attempts >= settings.LOCKSTEP_DELIVERY_ATTEMPTS:
                row.state, row.next_attempt_at = DeliveryState.FAILED, None
                record("notice.failed", obj=row, payload={"notice": row.notice_id, "error": error})
            else:
                row.state, row.next_attempt_at = DeliveryState.QUEUED, timezone.now() + backoff(row.attempts)
                deliver.using(run_after=row.next_attempt_at).enqueue(row.pk)
            row.save(update_fields=["state", "next_attempt_at", "last_error"])
        return row.state
    with transaction.atomic():
        row = Delivery.objects.select_for_update().get(pk=delivery.pk)
        row.state, row.sent_at, row.last_error = DeliveryState.SENT, timezone.now(), ""
        row.save(update_fields=["state", "sent_at", "last_error"])
        record(
            "notice.sent",
            obj=row,
            payload={"notice": row.notice_id, "recipient": row.recipient, "attempt": row.attempts},
        )
    return "sent"
