from __future__ import annotations

from django.contrib import admin

from audit.admin import ReadOnlyAdmin
from checklists.live_checks import LiveCheck
from checklists.models import ChecklistTemplate, Run, Step, StepTemplate


class StepTemplateInline(admin.TabularInline):
    model = StepTemplate
    fields = ["position", "kind", "title", "target_role", "show_neighbours", "is_rollback"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChecklistTemplate)
class ChecklistTemplateAdmin(ReadOnlyAdmin):
    """Shown, not edited: a change is a new version (ChecklistTemplate.publish), so runs built from the old
    one keep their steps."""

    list_display = ["title", "slug", "version", "created_at"]
    inlines = [StepTemplateInline]


class StepInline(admin.TabularInline):
    model = Step
    fields = ["position", "kind", "title", "status", "performer", "verifier", "completed_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Run)
class RunAdmin(ReadOnlyAdmin):
    list_display = ["title", "site", "status", "mode", "created_at"]
    list_filter = ["status", "mode"]
    inlines = [StepInline]


@admin.register(LiveCheck)
class LiveCheckAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "step", "kind", "state", "finished_at", "decided_by"]
    list_filter = ["kind", "state"]
