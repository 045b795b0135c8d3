from __future__ import annotations

from django.contrib import admin
from django.db import models

from audit.log import record
from audit.models import AuditEvent
from lockstep.dates import refuse_unlikely_date


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that change only through their own audited methods (or never): shown, never edited here."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["seq", "created_at", "actor_label", "action", "object_type", "object_repr", "ip"]
    list_filter = ["action", "object_type"]
    search_fields = ["actor_label", "action", "object_repr", "object_id"]
    ordering = ["-seq"]


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin edits go to the audit log like every other change: what changed, from what, to what."""

    # A date typed here (a blackout's start) is held to the same years as one typed on any other page.
    formfield_overrides = {
        models.DateTimeField: {"validators": [refuse_unlikely_date]},
        models.DateField: {"validators": [refuse_unlikely_date]},
    }

    def save_model(self, request, obj, form, change) -> None:
        before = {}
        many = self._many_names(form)
        if change and form.changed_data:
            names = self._field_names(form)
            # (values() with no names would read every column: only the changed ones are "before".)
            original = (type(obj).objects.filter(pk=obj.pk).values(*names).first() or {}) if names else {}
            before = {name: _plain(value) for name, value in original.items()}
            # Related sets (a service's devices) are saved after this, so what the database holds is "before".
            before |= {name: _pks(getattr(obj, name).all()) for name in many}
        super().save_model(request, obj, form, change)
        after = {name: _plain(form.cleaned_data.get(name)) for name in self._field_names(form)}
        after |= {name: _pks(form.cleaned_data.get(name) or ()) for name in many}
        record(
            f"admin.{'change' if change else 'add'}",
            actor=request.user,
            obj=obj,
            payload={"changed": sorted(form.changed_data), "before": before, "after": after},
        )

    def delete_model(self, request, obj) -> None:
        record("admin.delete", actor=request.user, obj=obj, payload={"repr": str(obj)[:200]})
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            record("admin.delete", actor=request.user, obj=obj, payload={"repr": str(obj)[:200]})
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change) -> None:
        """Rows edited inline (a device's ports, a circuit's ends) are changes too: one event per row, with
        what changed from what to what, like the page's own object."""
        befores = {}
        for inline_form in formset.initial_forms:
            obj = inline_form.instance
            names = [n for n in inline_form.changed_data if n in {f.name for f in obj._meta.concrete_fields}]
            if obj.pk is not None and names and not formset._should_delete_form(inline_form):
                original = type(obj).objects.filter(pk=obj.pk).values(*names).first() or {}
                befores[obj.pk] = {name: _plain(value) for name, value in original.items()}
        deleted = [
            (str(f.instance.pk), str(f.instance)[:200])
            for f in formset.initial_forms
            if formset._should_delete_form(f) and f.instance.pk is not None
        ]
        super().save_formset(request, form, formset, change)
        for obj, changed in formset.changed_objects:
            after = {name: _plain(getattr(obj, name)) for name in befores.get(obj.pk, {})}
            record(
                "admin.change",
                actor=request.user,
                obj=obj,
                payload={
                    "via": "inline",
                    "changed": sorted(changed),
                    "before": befores.get(obj.pk, {}),
                    "after": after,
                },
            )
        for obj in formset.new_objects:
            record(
                "admin.add", actor=request.user, obj=obj, payload={"via": "inline", "repr": str(obj)[:200]}
            )
        for pk, text in deleted:
            record(
                "admin.delete",
                actor=request.user,
                payload={
                    "via": "inline",
                    "object_type": formset.model._meta.label_lower,
                    "object_id": pk,
                    "repr": text,
                },
            )

    def _field_names(self, form) -> list[str]:
        model_fields = {f.name for f in self.model._meta.concrete_fields}
        return [name for name in form.changed_data if name in model_fields]

    def _many_names(self, form) -> list[str]:
        many_fields = {f.name for f in self.model._meta.many_to_many}
        return [name for name in form.changed_data if name in many_fields]


def _pks(objects) -> list[str]:
    return sorted((str(o.pk) for o in objects), key=lambda pk: (len(pk), pk))


def _plain(value):
    if hasattr(value, "pk"):
        return str(value.pk)
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)
