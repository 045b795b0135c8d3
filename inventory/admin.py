from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Length
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path

from audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from inventory.forms import NetBoxImportForm
from inventory.models import (
    Cable,
    Circuit,
    CircuitTermination,
    Customer,
    Device,
    DeviceRole,
    DeviceType,
    Discrepancy,
    LabelJob,
    Location,
    Port,
    Rack,
    Service,
    Site,
    Tag,
)


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "time_zone", "camera_scan_required"]
    search_fields = ["code", "name"]


@admin.register(DeviceType)
class DeviceTypeAdmin(AuditedModelAdmin):
    """Where each make and model keeps its serial sticker: the phone and the printed runbook say where to
    look, never the serial."""

    list_display = ["manufacturer", "model", "slug", "serial_location"]
    list_filter = ["manufacturer"]
    search_fields = ["manufacturer", "model", "slug"]


@admin.register(DeviceRole)
class DeviceRoleAdmin(AuditedModelAdmin):
    """NetBox's device roles: an import refuses a device whose role is not here (by name or slug)."""

    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


@admin.register(Location)
class LocationAdmin(AuditedModelAdmin):
    list_display = ["name", "site"]
    list_filter = ["site"]


@admin.register(Rack)
class RackAdmin(AuditedModelAdmin):
    list_display = ["name", "site", "location"]
    list_filter = ["site"]
    search_fields = ["name"]


class PortInline(admin.TabularInline):
    model = Port
    fields = ["name", "kind", "type", "label", "enabled"]
    extra = 0
    show_change_link = True


@admin.register(Device)
class DeviceAdmin(AuditedModelAdmin):
    list_display = ["name", "site", "rack", "position", "kind", "serial", "status", "is_upstream_root"]
    list_filter = ["site", "kind", "role", "status", "is_upstream_root"]
    search_fields = ["name", "serial", "asset_tag"]
    list_select_related = ["site", "rack"]
    inlines = [PortInline]
    actions = ["mark_upstream_roots", "unmark_upstream_roots"]

    @admin.action(
        description="Mark as upstream roots (where connectivity comes from)", permissions=["change"]
    )
    def mark_upstream_roots(self, request, queryset) -> None:
        count = Device.mark_upstream_roots(queryset, True, by=request.user)
        self.message_user(request, f"{count} device(s) are now upstream roots.")

    @admin.action(description="No longer upstream roots", permissions=["change"])
    def unmark_upstream_roots(self, request, queryset) -> None:
        count = Device.mark_upstream_roots(queryset, False, by=request.user)
        self.message_user(request, f"{count} device(s) are no longer upstream roots.")

    def get_urls(self):
        extra = [
            path("import-csv/", self.admin_site.admin_view(self.import_csv), name="inventory_device_import")
        ]
        return extra + super().get_urls()

    def import_csv(self, request):
        """The same upload as the desktop page, inside the admin."""
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = NetBoxImportForm(request.POST or None, request.FILES or None)
        report = form.run(by=request.user) if request.method == "POST" and form.is_valid() else None
        context = {**self.admin_site.each_context(request), "form": form, "report": report, "title": "Import"}
        return TemplateResponse(request, "admin/inventory/device/import.html", context)


@admin.register(Port)
class PortAdmin(AuditedModelAdmin):
    list_display = ["__str__", "kind", "type", "cable"]
    list_filter = ["kind"]
    search_fields = ["name", "device__name"]
    list_select_related = ["device", "cable"]
    raw_id_fields = ["device", "rear_port", "cable"]


@admin.register(Cable)
class CableAdmin(AuditedModelAdmin):
    list_display = ["__str__", "type", "status"]
    search_fields = ["label"]


@admin.register(Customer)
class CustomerAdmin(AuditedModelAdmin):
    search_fields = ["name"]


@admin.register(Service)
class ServiceAdmin(AuditedModelAdmin):
    list_display = ["name", "customer", "public_name", "sla_plan"]
    search_fields = ["name", "public_name", "customer__name"]
    list_select_related = ["customer"]
    filter_horizontal = ["devices"]
    raw_id_fields = ["ports"]


@admin.register(Tag)
class TagAdmin(ReadOnlyAdmin):
    """Tags change only through issue, commission, revoke and reissue, which audit themselves."""

    list_display = ["display_short_code", "asset", "status", "issued_at", "commissioned_at", "revoked_at"]
    list_filter = ["status"]
    search_fields = ["short_code", "code", "device__name", "port__device__name"]
    list_select_related = ["device", "port__device"]


@admin.register(Discrepancy)
class DiscrepancyAdmin(ReadOnlyAdmin):
    """Discrepancies are resolved by an approver on the board, with a reason, never edited here."""

    list_display = ["summary", "kind", "status", "reported_by", "reported_at"]
    list_filter = ["status", "kind"]


class CircuitTerminationInline(admin.TabularInline):
    model = CircuitTermination
    extra = 0
    max_num = 2
    raw_id_fields = ["port"]


@admin.register(Circuit)
class CircuitAdmin(AuditedModelAdmin):
    """Circuits join sites in the blast radius: an active circuit with a port at both ends carries traffic."""

    list_display = ["cid", "provider", "type", "status"]
    list_filter = ["status", "provider"]
    search_fields = ["cid", "provider", "description"]
    inlines = [CircuitTerminationInline]


class RenderJobAdmin(ReadOnlyAdmin):
    """Every kind of PDF job (`inventory.render_jobs`), as each app registers its own: what was asked, by whom,
    how it went, and whether its file is still kept. Read only: a job changes through its own audited steps,
    and its PDF is fetched by its asker alone, never from here."""

    list_display = ["__str__", "requested_by", "status", "requested_at", "finished_at", "size", "cleared"]
    list_filter = ["status"]
    list_select_related = ["requested_by"]
    list_display_links = None
    exclude = ["pdf"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf").annotate(pdf_size=Length("pdf"))

    def get_readonly_fields(self, request, obj=None):
        return [*(name for name in super().get_readonly_fields(request, obj) if name != "pdf"), "size"]

    @admin.display(description="size", ordering="pdf_size")
    def size(self, job) -> str:
        return filesizeformat(job.pdf_size) if job.pdf_size else "—"

    @admin.display(description="file cleared", boolean=True)
    def cleared(self, job) -> bool:
        return job.is_cleared


@admin.register(LabelJob)
class LabelJobAdmin(RenderJobAdmin):
    pass
