"""Writing a notice and queueing its messages, in the caller's transaction.

The task queue lives in the same database (django-tasks-db), so a notice, its deliveries and the tasks that
send them commit together with the change that caused them (a window approved, a step signed), or not at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from string import Template

from django.db import models
from django.db.models import Q
from django.utils import timezone

from audit.log import record
from comms.channels import mail_for, webhook_payload
from comms.models import Channel, Delivery, Notice, NoticeKind, NoticeTemplate, Subscriber, Webhook
from comms.tasks import deliver
from inventory.models import Service, Site

# The placeholders a notice template may use, and what each holds.
PLACEHOLDERS = {
    "reference": "the change's reference, e.g. CHG-12",
    "title": "the change's title",
    "site": "the site's name",
    "start": "the planned start, in the site's time",
    "end": "the planned end, in the site's time",
    "summary": "the customer-facing summary of the change",
    # Each message ends with the recipient's own affected services (and no one else's): a template that names
    # `$services` gets a pointer to that list, never the list of every customer.
    "services": "a pointer to the recipient's own services, listed at the end of each message",
    "message": "the words of an update",
    "estimate": "a new estimated end, in the site's time",
    "state": "an incident's state (investigating, identified, monitoring, resolved)",
}

# What the admin's preview of a template fills in: believable, and plainly an example.
EXAMPLE_VALUES = {
    "reference": "CHG-12",
    "title": "Replace the top-of-rack switch in rack B4",
    "site": "Example DC 1",
    "start": "Sat 12 Dec 2026 02:00",
    "end": "Sat 12 Dec 2026 04:00",
    "summary": "One of two network links to your servers will be down for up to 20 minutes.",
    "services": "(the recipient's own services, listed below)",
    "message": "Step 5 of 12 is done; the work is on time.",
    "estimate": "Sat 12 Dec 2026 04:30",
    "state": "Identified",
}

DEFAULT_TEMPLATES: dict[str, tuple[str, str]] = {
    NoticeKind.SCHEDULED: (
        "Scheduled maintenance $reference at $site: $start to $end",
        "We will carry out maintenance at $site from $start to $end.\n\n$summary\n\n"
        "We will tell you when the work starts and when it ends.",
    ),
    NoticeKind.REMINDER: (
        "Reminder: maintenance $reference at $site starts $start",
        "A reminder: maintenance at $site is planned from $start to $end.\n\n$summary",
    ),
    NoticeKind.STARTED: (
        "Maintenance $reference at $site has started",
        "The maintenance at $site has started. It is planned to end by $end.",
    ),
    NoticeKind.UPDATE: ("Update on maintenance $reference at $site", "$message"),
    NoticeKind.OVERRUN: (
        "Maintenance $reference at $site is running late",
        "The maintenance at $site was planned to end at $end and is still under way. "
        "We will tell you as soon as it is complete.",
    ),
    NoticeKind.COMPLETED: (
        "Maintenance $reference at $site is complete",
        "The maintenance at $site is complete. If anything is not working as before, reply to this message.",
    ),
    NoticeKind.ROLLED_BACK: (
        "Maintenance $reference at $site was stopped",
        "The maintenance at $site was stopped and the changes are being put back as they were. "
        "We will tell you when it is done.",
    ),
    NoticeKind.INCIDENT: ("$title ($site): $state", "$state. $message"),
    NoticeKind.CANCELLED: (
        "Maintenance $reference at $site is cancelled",
        "The maintenance planned at $site from $start to $end will not take place.",
    ),
}


def words_for(kind: str) -> tuple[str, str]:
    """The subject and body templates of a kind: the admin's, or the defaults above."""
    row = NoticeTemplate.objects.filter(kind=kind).first()
    return (row.subject, row.body) if row else DEFAULT_TEMPLATES[kind]


def fill(text: str, values: dict[str, str]) -> str:
    """Placeholders filled as plain text; an unknown `$name` stays as written (never an error)."""
    return Template(text).safe_substitute({name: str(values.get(name, "")) for name in PLACEHOLDERS})


def audience(service_ids: Iterable[int], site: Site | None = None) -> models.QuerySet[Subscriber]:
    """Who hears: the confirmed, still subscribed contacts of the customers owning these services, and the
    followers of the site on the public page."""
    follows = Q(customer__services__in=list(service_ids))
    if site is not None:
        follows |= Q(site=site)
    return (
        Subscriber.objects.filter(follows, confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .distinct()
        .order_by("email", "pk")
    )


def announce(
    kind: str,
    *,
    services: Iterable[int],
    values: dict[str, str],
    about: models.Model,
    site: Site | None = None,
    reference: str = "",
    by=None,
) -> Notice:
    """Write the notice from its kind's template and queue one message per subscriber and per webhook of the
    affected customers. Call inside the transaction of the change it reports."""
    service_ids = sorted(set(services))
    subject, body = words_for(kind)
    notice = Notice.objects.create(
        kind=kind,
        subject=fill(subject, values)[:300],
        body=fill(body, values),
        reference=reference[:50],
        site=site,
        about_type=about._meta.label_lower,
        about_id=str(about.pk),
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )
    notice.services.set(service_ids)
    theirs: dict[int, list[str]] = {}
    for service in Service.objects.filter(pk__in=service_ids).order_by("name"):
        theirs.setdefault(service.customer_id, []).append(str(service))
    # One message per address, however many of its subscriptions match (a contact of two affected customers,
    # or a contact who also follows the site): the first subscription's footer, every matching customer's
    # services.
    by_address: dict[str, Delivery] = {}
    for subscriber in audience(service_ids, site):
        address = subscriber.email.strip().lower()
        names = theirs.get(subscriber.customer_id, [])
        if address in by_address:
            merged = [n for n in by_address[address].their_services.split(", ") if n] + names
            by_address[address].their_services = ", ".join(dict.fromkeys(merged))[:1000]
            continue
        by_address[address] = Delivery(
            notice=notice,
            subscriber=subscriber,
            recipient=subscriber.email,
            their_services=", ".join(names)[:1000],
        )
    messages = list(by_address.values())
    posted: set[tuple[str, str]] = set()
    for hook in Webhook.objects.filter(customer_id__in=list(theirs), active=True).order_by("pk"):
        if (hook.url, hook.secret) in posted:
            continue
        posted.add((hook.url, hook.secret))
        messages.append(
            Delivery(
                notice=notice,
                channel=Channel.WEBHOOK,
                webhook=hook,
                recipient=hook.url,
                their_services=", ".join(theirs.get(hook.customer_id, []))[:1000],
            )
        )
    deliveries = Delivery.objects.bulk_create(messages)
    for delivery in deliveries:
        deliver.enqueue(delivery.pk)
    record(
        "notice.queued",
        actor=by,
        obj=notice,
        payload={
            "kind": kind,
            "reference": notice.reference,
            "services": service_ids,
            "messages": len(deliveries),
        },
    )
    return notice


def notices_about(obj: models.Model) -> models.QuerySet[Notice]:
    return Notice.objects.filter(about_type=obj._meta.label_lower, about_id=str(obj.pk))


@dataclass(frozen=True)
class Preview:
    subject: str
    body: str
    emails: int
    webhooks: int
    sample_mail: str
    sample_json: str


def preview(
    kind: str,
    *,
    services: Iterable[int],
    values: dict[str, str],
    site: Site | None = None,
    reference: str = "",
) -> Preview:
    """What `announce` would send, per channel, writing nothing: the words, how many would get them, one
    recipient's e-mail as it would arrive, and the webhook's JSON."""
    service_ids = sorted(set(services))
    subject, body = (fill(text, values) for text in words_for(kind))
    notice = Notice(
        kind=kind,
        subject=subject[:300],
        body=body,
        site=site,
        reference=reference[:50],
        created_at=timezone.now(),
    )
    theirs: dict[int, list[str]] = {}
    for service in Service.objects.filter(pk__in=service_ids).order_by("name"):
        theirs.setdefault(service.customer_id, []).append(str(service))
    people = list(audience(service_ids, site).select_related("customer", "site"))
    hooks = Webhook.objects.filter(customer_id__in=list(theirs), active=True)
    sample = people[0] if people else None
    delivery = Delivery(
        notice=notice,
        subscriber=sample,
        recipient=sample.email if sample else "(nobody)",
        their_services=", ".join(theirs.get(sample.customer_id, [])) if sample and sample.customer_id else "",
    )
    message = mail_for(delivery, placeholders=True)
    mail_text = f"To: {delivery.recipient}\nSubject: {message.subject}\n\n{message.body}"
    first_customer = next(iter(theirs), None)
    hook_delivery = Delivery(notice=notice, their_services=", ".join(theirs.get(first_customer, [])))
    return Preview(
        subject=notice.subject,
        body=notice.body,
        emails=len(people),
        webhooks=hooks.values("url").distinct().count(),
        sample_mail=mail_text,
        sample_json=json.dumps(webhook_payload(hook_delivery), indent=2, ensure_ascii=False),
    )
