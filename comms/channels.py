"""What each channel carries: the e-mail and the webhook's JSON of one delivery, with the links in them.

The worker sends them (comms/tasks.py); the coordinator's preview shows them (comms/notices.py)."""

from __future__ import annotations

from django.core.mail import EmailMessage
from django.urls import reverse

from comms.models import Delivery, StatusLink, Subscriber
from lockstep.public import public_url


def unsubscribe_url(subscriber: Subscriber) -> str:
    return public_url(reverse("comms:unsubscribe", args=[subscriber.token]))


def confirm_url(subscriber: Subscriber) -> str:
    return public_url(reverse("comms:confirm", args=[subscriber.confirm_token]))


def mail_for(delivery: Delivery, *, placeholders: bool = False) -> EmailMessage:
    """The e-mail of one delivery, footer and one-click unsubscribe headers included. `placeholders`: for a
    preview, the recipient's own secret links are named, not shown (and nothing is written)."""
    notice, subscriber = delivery.notice, delivery.subscriber
    body = notice.body
    if delivery.their_services:
        body += f"\n\nYour services this concerns: {delivery.their_services}."
    headers = {}
    if subscriber is not None:
        link = "(their own unsubscribe link)" if placeholders else unsubscribe_url(subscriber)
        if subscriber.customer_id:
            page = (
                "(their private status page link)"
                if placeholders
                else StatusLink.current(subscriber.customer).url()
            )
            why = f"You receive this as a contact of {subscriber.customer}.\nYour status page: {page}"
        else:
            page = public_url(reverse("incidents:status_site", args=[subscriber.site.code]))
            why = (
                f"You receive this because you follow maintenance at {subscriber.site.name}.\nStatus: {page}"
            )
        body += f"\n\n--\n{why}\nUnsubscribe: {link}\n"
        # One-click unsubscribe from the mail program itself (RFC 8058).
        headers = {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    return EmailMessage(subject=notice.subject, body=body, to=[delivery.recipient], headers=headers)


def webhook_payload(delivery: Delivery) -> dict:
    notice = delivery.notice
    return {
        "notice": notice.pk,
        "kind": notice.kind,
        "subject": notice.subject,
        "body": notice.body,
        "reference": notice.reference,
        "site": notice.site.name if notice.site_id else "",
        "your_services": [name for name in delivery.their_services.split(", ") if name],
        "written_at": notice.created_at.isoformat(),
    }
