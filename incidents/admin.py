from __future__ import annotations

from django.contrib import admin

from audit.admin import AuditedModelAdmin
from incidents.models import IncidentTemplate


@admin.register(IncidentTemplate)
class IncidentTemplateAdmin(AuditedModelAdmin):
    """The words an incident update starts from, per state; a state with no row starts from ours."""

    list_display = ["state", "text", "updated_at"]
