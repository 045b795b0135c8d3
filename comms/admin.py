from __future__ import annotations

from django.contrib import admin

from audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from comms.models import Delivery, Notice, NoticeTemplate, StatusLink, Subscriber, Webhook


@admin.register(Subscriber)
class SubscriberAdmin(AuditedModelAdmin):
    list_display = ["email", "customer", "confirmed_at", "unsubscribed_at"]
    list_filter = ["customer"]
    search_fields = ["email"]
    readonly_fields = ["unsubscribed_at"]


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(AuditedModelAdmin):
    list_display = ["kind", "subject", "updated_at"]


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
    admin to pass to the customer."""

    list_display = ["url", "customer", "active", "created_at"]
    list_filter = ["customer", "active"]
    readonly_fields = ["secret"]
