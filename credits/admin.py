from __future__ import annotations

from django.contrib import admin

from audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from credits.models import Credit, SlaPlan


@admin.register(SlaPlan)
class SlaPlanAdmin(AuditedModelAdmin):
    """A plan's terms. Credits already proposed keep the arithmetic they were proposed with."""

    list_display = [
        "name",
        "rule",
        "monthly_fee",
        "currency",
        "cap_percent",
        "excludes_announced",
        "notice_hours",
    ]


@admin.register(Credit)
class CreditAdmin(ReadOnlyAdmin):
    """Credits change only on the coordinator's page (propose, adjust, approve, issue), each audited."""

    list_display = ["service", "month", "amount", "currency", "state"]
    list_filter = ["state", "month"]
