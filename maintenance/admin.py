from __future__ import annotations

from django.contrib import admin

from audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from maintenance.models import Blackout, Window


@admin.register(Window)
class WindowAdmin(ReadOnlyAdmin):
    """Windows change only through their transitions (submit, approve, start…), which check and audit."""

    list_display = ["__str__", "site", "status", "planned_start", "requester"]
    list_filter = ["status", "site", "type"]
    search_fields = ["title"]


@admin.register(Blackout)
class BlackoutAdmin(AuditedModelAdmin):
    list_display = ["site", "starts", "ends", "reason"]
    list_filter = ["site"]
