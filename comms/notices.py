"""Writing a notice and queueing its messages, in the caller's transaction.

The task queue lives in the same database (django-tasks-db), so a notice, its deliveries and the tasks that
send them commit together with the change that caused them (a window approved, a step signed), or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from string import Template

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from audit.log import record
from comms.models import Channel, Delivery, Notice, NoticeKind, NoticeTemplate, Subscriber, Webhook
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
    from comms.tasks import deliver

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
    messages = [
        Delivery(
            notice=notice,
            subscriber=subscriber,
            recipient=subscriber.email,
            their_services=", ".join(theirs.get(subscriber.customer_id, []))[:1000],
        )
        for subscriber in audience(service_ids, site)
    ]
    posted: set[str] = set()
    for hook in Webhook.objects.filter(customer_id__in=list(theirs), active=True).order_by("pk"):
        if hook.url in posted:  # two customers' hooks at one address: one post
            continue
        posted.add(hook.url)
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


def public_url(path: str) -> str:
    """An address outside the app's own pages can reach: in mail, in feeds, in QR codes."""
    return f"{settings.LOCKSTEP_PUBLIC_SCHEME}://{settings.LOCKSTEP_PUBLIC_HOST}{path}"


def unsubscribe_url(subscriber: Subscriber) -> str:
    return public_url(reverse("comms:unsubscribe", args=[subscriber.token]))


def confirm_url(subscriber: Subscriber) -> str:
    return public_url(reverse("comms:confirm", args=[subscriber.confirm_token]))
