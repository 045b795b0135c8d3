from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from comms.models import Delivery, Notice, NoticeTemplate, StatusLink, Subscriber, Webhook
from comms.notices import EXAMPLE_VALUES, PLACEHOLDERS, fill


@admin.register(Subscriber)
class SubscriberAdmin(AuditedModelAdmin):
    list_display = ["email", "customer", "confirmed_at", "unsubscribed_at"]
    list_filter = ["customer"]
    search_fields = ["email"]
    readonly_fields = ["unsubscribed_at"]


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(AuditedModelAdmin):
    """Saved words are previewed below the form, filled with example values: save and continue editing to
    see an edit as a customer would read it."""

    list_display = ["kind", "subject", "updated_at"]
    readonly_fields = ["placeholders", "preview"]

    @admin.display(description="Placeholders")
    def placeholders(self, obj) -> str:
        return format_html_join(mark_safe("<br>"), "<code>${}</code>: {}", PLACEHOLDERS.items())

    @admin.display(description="As a customer reads it (example values)")
    def preview(self, obj) -> str:
        if obj is None or not obj.pk:
            return "Save to see the preview."
        subject, body = fill(obj.subject, EXAMPLE_VALUES), fill(obj.body, EXAMPLE_VALUES)
        return format_html('<pre class="notice-preview">Subject: {}\n\n{}</pre>', subject, body)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """What was said is never edited: a correction is a new notice."""

    list_display = ["subject", "kind", "reference", "created_at"]
    list_filter = ["kind"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["recipient", "notice", "state", "attempts", "sent_at"]
    list_filter = ["state"]


@admin.register(StatusLink)
class StatusLinkAdmin(ReadOnlyAdmin):
    """Links are made on first use (each notice carries its customer's) and rotated by the customer."""

    list_display = ["customer", "created_at", "retired_at"]
    list_filter = ["customer"]


@admin.register(Webhook)
class WebhookAdmin(AuditedModelAdmin):
    """The address is checked when saved (https, public internet); the secret is made here and shown to the
    admin to pass to the customer, also in the `whsec_` form Standard Webhooks' libraries take."""

    list_display = ["url", "customer", "active", "created_at"]
    list_filter = ["customer", "active"]
    readonly_fields = ["secret", "standard_secret"]
