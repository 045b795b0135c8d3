from __future__ import annotations

from django.contrib import admin

from audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from inventory.admin import RenderJobAdmin
from maintenance.models import Blackout, Window
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
