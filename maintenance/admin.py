from __future__ import annotations

from django.contrib import admin

from audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from inventory.admin import RenderJobAdmin
from maintenance.models import Blackout, Credit, IncidentTemplate, SlaPlan, Window
from maintenance.models.prints import PrintJob


@admin.register(Window)
class WindowAdmin(ReadOnlyAdmin):
    """Windows change only through their transitions (submit, approve, start…), which check and audit."""

    list_display = ["__str__", "site", "status", "planned_start", "requester"]
    list_filter = ["status", "site", "type"]
    search_fields = ["title"]


@admin.register(PrintJob)
class PrintJobAdmin(RenderJobAdmin):
    list_select_related = ["requested_by", "window"]


@admin.register(Blackout)
class BlackoutAdmin(AuditedModelAdmin):
    list_display = ["site", "starts", "ends", "reason"]
    list_filter = ["site"]


@admin.register(IncidentTemplate)
class IncidentTemplateAdmin(AuditedModelAdmin):
    """The words an incident update starts from, per state; a state with no row starts from ours."""

    list_display = ["state", "text", "updated_at"]


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
