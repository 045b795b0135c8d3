"""Subscribing by e-mail, with double opt-in: a request sends a confirmation link, and only the click on it
(then a button: link scanners only open pages) starts notices. The answer to a request is always the same,
so the form never tells anyone whether an address is already subscribed."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from audit.context import current_request_meta
from audit.log import clean_ip, record
from audit.models import AuditEvent
from comms.channels import confirm_url
from comms.models import Subscriber
from inventory.models import Customer, Site

# A confirmation is not sent again for the same address sooner than this (a double click, a form resent).
RESEND_AFTER = timedelta(minutes=10)


def over_limit() -> bool:
    """Requests from this address in the last hour, counted from the audit log (indexed on action, ip, time).
    Requests whose address cannot be read share one count (the log keeps their address empty): never none."""
    ip = clean_ip(current_request_meta().ip)
    since = timezone.now() - timedelta(hours=1)
    asked = AuditEvent.objects.filter(action="subscriber.requested", ip=ip, created_at__gte=since).count()
    return asked >= settings.LOCKSTEP_SUBSCRIBE_PER_HOUR


def request(email: str, *, customer: Customer | None = None, site: Site | None = None) -> None:
    """Ask for notices at `email`. Sends a confirmation link when one is due; otherwise nothing. Either way the
    caller answers the same words."""
    email = email.strip().lower()
    with transaction.atomic():
        subscriber, _ = Subscriber.objects.select_for_update().get_or_create(
            email=email, customer=customer, site=site
        )
        record(
            "subscriber.requested",
            obj=subscriber,
            payload={"customer": subscriber.customer_id, "site": subscriber.site_id},
        )
        if subscriber.confirmed_at is not None and subscriber.unsubscribed_at is None:
            return  # already receiving: nothing to confirm, and the answer does not say so
        sent = subscriber.confirm_sent_at
        if sent is not None and timezone.now() - sent < RESEND_AFTER:
            return
        subscriber.confirm_sent_at = timezone.now()
        subscriber.save(update_fields=["confirm_sent_at"])
        send_confirmation.enqueue(subscriber.pk)


@task()
def send_confirmation(subscriber_id: int) -> str:
    subscriber = Subscriber.objects.select_related("customer", "site").filter(pk=subscriber_id).first()
    if subscriber is None or (subscriber.confirmed_at is not None and subscriber.unsubscribed_at is None):
        return "nothing to do"
    link = confirm_url(subscriber)
    EmailMessage(
        subject=f"Confirm: maintenance notices ({subscriber.follows})",
        body=(
            f"Someone, probably you, asked for maintenance notices ({subscriber.follows}) at this address.\n\n"
            f"To start receiving them, open this link and press the button:\n{link}\n\n"
            "If it was not you, ignore this message: nothing will be sent to you."
        ),
        to=[subscriber.email],
    ).send(fail_silently=False)
    record(
        "subscriber.confirmation_sent",
        obj=subscriber,
        payload={"customer": subscriber.customer_id, "site": subscriber.site_id},
    )
    return "sent"
