"""What Lockstep says to customers, to whom, and what became of each message.

A notice is written once and never edited; each of its deliveries is one message to one address, queued in the
same transaction as the notice and sent by a worker (comms/tasks.py). Nothing here says "sent" unless the mail
backend took the message, and the delivery keeps when."""

from __future__ import annotations

import base64
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, has_role
from audit.log import record
from comms.webhooks import UnsafeURL, check_url
from inventory.models import Customer, Service, Site
from lockstep.public import public_url


def _token() -> str:
    return secrets.token_urlsafe(32)


# What a link's secret can look like (token_urlsafe(32) is 43 characters): anything else is not looked up.
TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


class Subscriber(models.Model):
    """An address that receives notices: a customer's contact (notices about the customer's services) or a
    follower of one site on the public page (notices about maintenance there, with no customer's services
    named). Notices go to it once it is confirmed (double opt-in), and never after it is unsubscribed."""

    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="subscribers"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="subscribers"
    )
    email = models.EmailField(max_length=254)
    # The secret in the unsubscribe link of every message: knowing it is what proves the right to use it.
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    # The secret of the confirmation link (double opt-in): a different one from the unsubscribe link's.
    confirm_token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    confirm_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["customer", "site", "email"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "email"], name="subscriber_unique_per_customer"),
            models.UniqueConstraint(fields=["site", "email"], name="subscriber_unique_per_site"),
            models.CheckConstraint(
                condition=Q(customer__isnull=False, site__isnull=True)
                | Q(customer__isnull=True, site__isnull=False),
                name="subscriber_follows_a_customer_or_a_site",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.follows})"

    @property
    def follows(self) -> str:
        return str(self.customer) if self.customer_id else f"maintenance at {self.site.name}"

    def confirm(self) -> bool:
        """The address proved it is theirs: notices go to it from now on. True if this call confirmed it."""
        with transaction.atomic():
            row = Subscriber.objects.select_for_update().get(pk=self.pk)
            if row.confirmed_at is not None and row.unsubscribed_at is None:
                return False
            row.confirmed_at, row.unsubscribed_at = timezone.now(), None
            row.save(update_fields=["confirmed_at", "unsubscribed_at"])
            record(
                "subscriber.confirmed", obj=row, payload={"customer": row.customer_id, "site": row.site_id}
            )
        self.confirmed_at, self.unsubscribed_at = row.confirmed_at, None
        return True

    @property
    def receives(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None

    def unsubscribe(self) -> bool:
        """Stop every notice to this address. True if this call stopped them (a second click changes nothing)."""
        with transaction.atomic():
            row = Subscriber.objects.select_for_update().get(pk=self.pk)
            if row.unsubscribed_at is not None:
                return False
            row.unsubscribed_at = timezone.now()
            row.save(update_fields=["unsubscribed_at"])
            record(
                "subscriber.unsubscribed", obj=row, payload={"customer": row.customer_id, "site": row.site_id}
            )
        self.unsubscribed_at = row.unsubscribed_at
        return True


class NoticeKind(models.TextChoices):
    SCHEDULED = "scheduled", "Maintenance scheduled"
    REMINDER = "reminder", "Maintenance reminder"
    STARTED = "started", "Maintenance started"
    UPDATE = "update", "Maintenance update"
    OVERRUN = "overrun", "Maintenance running late"
    COMPLETED = "completed", "Maintenance completed"
    ROLLED_BACK = "rolled_back", "Maintenance stopped"
    CANCELLED = "cancelled", "Maintenance cancelled"
    INCIDENT = "incident", "Incident update"


class NoticeTemplate(models.Model):
    """The words for one kind of notice, editable by an admin. `$name` placeholders are filled in plain text
    (comms/notices.py lists them); nothing else in the text is interpreted."""

    kind = models.CharField(max_length=20, choices=NoticeKind.choices, unique=True)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NoticeKind.values), name="notice_template_kind_valid")
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class NoticeQuerySet(models.QuerySet):
    def with_fates(self) -> NoticeQuerySet:
        """Each notice with how many messages it has (`total`), how many were sent (`sent`) and when the last
        went out (`last_sent`): what a record of what customers were told shows."""
        return self.annotate(
            total=models.Count("deliveries"),
            sent=models.Count("deliveries", filter=Q(deliveries__state=DeliveryState.SENT)),
            last_sent=models.Max("deliveries__sent_at"),
        )


class Notice(models.Model):
    """One thing said to the customers of `services`, about one window or runbook (`about_type`/`about_id`,
    the audit log's way of naming an object), exactly as it was sent."""

    kind = models.CharField(max_length=20, choices=NoticeKind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    reference = models.CharField(max_length=50, blank=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="notices")
    services = models.ManyToManyField(Service, blank=True, related_name="notices")
    about_type = models.CharField(max_length=100, blank=True)
    about_id = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=NoticeKind.values), name="notice_kind_valid")
        ]
        indexes = [models.Index(fields=["about_type", "about_id"], name="notice_about_idx")]

    def __str__(self) -> str:
        return self.subject

    @property
    def time_zone(self) -> str:
        return self.site.time_zone if self.site_id else "UTC"

    def tally(self) -> dict[str, int]:
        """How many of its deliveries are in each state, and in all."""
        counts = {state: 0 for state in DeliveryState.values}
        for row in self.deliveries.values("state").annotate(n=models.Count("pk")):
            counts[row["state"]] = row["n"]
        counts["total"] = sum(counts[state] for state in DeliveryState.values)
        return counts

    def reach(self) -> str:
        """Its messages in words, by channel: "2 e-mails and 1 webhook call" ("" for none)."""
        by_channel = dict(self.deliveries.values_list("channel").annotate(n=models.Count("pk")))
        parts = [
            f"{n} {word}{'s' if n != 1 else ''}"
            for channel, word in ((Channel.EMAIL, "e-mail"), (Channel.WEBHOOK, "webhook call"))
            if (n := by_channel.get(channel, 0))
        ]
        return " and ".join(parts)


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    WEBHOOK = "webhook", "Webhook"


class Webhook(models.Model):
    """A customer's endpoint: every notice about their services is POSTed to it as JSON, signed with
    HMAC-SHA256 under this secret (comms/webhooks.py)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=64, default=_token, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["customer", "url"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "url"], name="webhook_unique_per_customer")
        ]

    def __str__(self) -> str:
        return f"{self.url} ({self.customer})"

    @property
    def standard_secret(self) -> str:
        """The same secret as Standard Webhooks' libraries take it: `whsec_` and the base64 of its bytes, which
        are the signing key. Derived, never stored: a customer holding `secret` already holds this."""
        return "whsec_" + base64.b64encode(self.secret.encode()).decode()

    def clean(self) -> None:
        try:
            check_url(self.url)
        except UnsafeURL as refused:
            raise ValidationError({"url": str(refused)}) from None


class DeliveryState(models.TextChoices):
    QUEUED = "queued", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Delivery(models.Model):
    """One message of a notice to one address. A worker claims it (queued → sending) under a row lock, so two
    workers never send it twice; the mail backend's answer makes it sent, or queued again for a later attempt,
    or failed after the last."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="deliveries")
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    webhook = models.ForeignKey(
        Webhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    recipient = models.CharField(max_length=500)
    # The recipient's own services among the notice's, named in their message only: one customer's mail never
    # names another customer's services.
    their_services = models.CharField(max_length=1000, blank=True)
    state = models.CharField(max_length=20, choices=DeliveryState.choices, default=DeliveryState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["notice", "recipient"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice", "recipient"],
                condition=Q(channel="email"),
                name="delivery_one_mail_per_address",
            ),
            models.UniqueConstraint(
                fields=["notice", "webhook"],
                condition=Q(channel="webhook"),
                name="delivery_one_post_per_webhook",
            ),
            models.CheckConstraint(condition=Q(state__in=DeliveryState.values), name="delivery_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=DeliveryState.SENT) | Q(sent_at__isnull=False),
                name="delivery_sent_has_time",
            ),
        ]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="delivery_state_idx")]

    def __str__(self) -> str:
        return f"{self.notice} → {self.recipient}"

    # A message a worker claimed and never reported on (the worker died mid-send): after this long the outbox
    # says its fate is unknown and lets the coordinator send it again.
    STUCK_AFTER = timedelta(minutes=15)

    @property
    def stuck(self) -> bool:
        return (
            self.state == DeliveryState.SENDING
            and self.claimed_at is not None
            and timezone.now() - self.claimed_at > self.STUCK_AFTER
        )

    # What the outbox marks, asked by name so its template spells no state or channel.
    @property
    def is_sent(self) -> bool:
        return self.state == DeliveryState.SENT

    @property
    def is_failed(self) -> bool:
        return self.state == DeliveryState.FAILED

    @property
    def is_webhook(self) -> bool:
        return self.channel == Channel.WEBHOOK

    @property
    def resendable(self) -> bool:
        return self.state == DeliveryState.FAILED or self.stuck

    def may_resend(self, user) -> bool:
        return (has_role(user, Role.COORDINATOR) or has_role(user, Role.ADMIN)) and self.resendable

    def requeue(self, *, by) -> None:
        """A failed message (or one whose worker died mid-send) is queued again, with its attempts counted anew.
        `comms.tasks.resend` calls this and hands the message to a worker in the same transaction."""
        with transaction.atomic():
            row = Delivery.objects.select_for_update().get(pk=self.pk)
            if not row.may_resend(by):
                raise PermissionError("Only a failed message, or one stuck while sending, is sent again.")
            row.state, row.attempts, row.next_attempt_at = DeliveryState.QUEUED, 0, None
            row.save(update_fields=["state", "attempts", "next_attempt_at"])
            record(
                "notice.resend",
                actor=by,
                obj=row,
                payload={"notice": row.notice_id, "recipient": row.recipient},
            )
        self.state, self.attempts, self.next_attempt_at = row.state, row.attempts, row.next_attempt_at


class DeliveryAttempt(models.Model):
    """One try at sending one message: when, how it ended, and how long it took. Kept for every attempt."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="tries")
    at = models.DateTimeField(default=timezone.now)
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["delivery", "at", "pk"]

    def __str__(self) -> str:
        return f"attempt on {self.delivery}: {'ok' if self.ok else self.error}"


class StatusLink(models.Model):
    """The unguessable address of a customer's private status page. Rotating it makes a new one and retires
    the old (kept, never edited away: the record shows when each stopped working)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="status_links")
    token = models.CharField(max_length=64, unique=True, default=_token, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["customer", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(retired_at__isnull=True),
                name="status_link_one_live_per_customer",
            )
        ]

    def __str__(self) -> str:
        return f"status page link of {self.customer}"

    @classmethod
    def current(cls, customer: Customer) -> StatusLink:
        """The customer's live link, made on first use. The customer's row is locked first: two workers
        writing to one customer's contacts at the same instant both find (or one makes) the same link."""
        with transaction.atomic():
            Customer.objects.select_for_update().filter(pk=customer.pk).first()
            link = cls.objects.select_for_update().filter(customer=customer, retired_at__isnull=True).first()
            if link is None:
                link = cls.objects.create(customer=customer)
                record("status_link.created", obj=link, payload={"customer": customer.pk})
        return link

    def rotate(self, *, by=None) -> StatusLink:
        """Retire this link and make the customer a new one; a link already retired changes nothing."""
        with transaction.atomic():
            Customer.objects.select_for_update().filter(pk=self.customer_id).first()  # as current() does
            row = StatusLink.objects.select_for_update().get(pk=self.pk)
            if row.retired_at is not None:
                raise PermissionError("This link no longer works; use the newest one.")
            row.retired_at = timezone.now()
            row.save(update_fields=["retired_at"])
            fresh = StatusLink.objects.create(customer=row.customer)
            record(
                "status_link.rotated",
                actor=by,
                obj=fresh,
                payload={"customer": row.customer_id, "old": row.pk},
            )
        return fresh

    def url(self) -> str:
        return public_url(reverse("incidents:status_private", args=[self.token]))
