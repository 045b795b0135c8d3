from __future__ import annotations

import napalm
from django import forms
from django.contrib import admin, messages
from django.db import transaction

from audit.admin import AuditedModelAdmin, ReadOnlyAdmin
from audit.log import record
from live.models import KNOWN_DRIVERS, DeviceAccess, Reading
from live.tasks import read_serial


class DeviceAccessForm(forms.ModelForm):
    class Meta:
        model = DeviceAccess
        fields = ["device", "driver", "address", "enabled"]

    def clean_driver(self) -> str:
        """A driver NAPALM cannot load is refused here, in words, rather than found out at the rack."""
        name = self.cleaned_data["driver"].strip()
        try:
            napalm.get_network_driver(name)
        except Exception:  # napalm raises its own import error for an unknown name
            raise forms.ValidationError(
                f"NAPALM has no driver called “{name}”: install its package, or use one of "
                f"{', '.join(KNOWN_DRIVERS[:-1])}."
            ) from None
        return name


@admin.register(DeviceAccess)
class DeviceAccessAdmin(AuditedModelAdmin):
    """A device's driver and management address. Its credentials are never here: they live in the device
    secrets file (README, 'Live checks')."""

    form = DeviceAccessForm
    list_display = ["device", "driver", "address", "enabled"]
    list_filter = ["driver", "enabled", "device__site"]
    search_fields = ["device__name", "address"]
    autocomplete_fields = ["device"]
    actions = ["read_serials"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.base_fields["driver"].help_text += f". Shipped with NAPALM: {', '.join(KNOWN_DRIVERS[:-1])}."
        return form

    @admin.action(description="Read the chassis serial from the device")
    def read_serials(self, request, queryset) -> None:
        # The worker asks the devices: a request never waits on a switch.
        with transaction.atomic():
            for access in queryset.select_related("device"):
                read_serial.enqueue(access.device_id, request.user.pk)
                record("device.serial_asked", actor=request.user, obj=access.device, payload={"via": "admin"})
        messages.info(
            request,
            f"Asked {queryset.count()} device(s) for their serial. Each answer is kept as a reading; one that "
            "disagrees with the inventory raises a discrepancy.",
        )


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    list_display = ["taken_at", "device", "purpose", "getter", "answered", "failure", "source", "step"]
    list_filter = ["purpose", "answered", "failure", "getter"]
    search_fields = ["device__name"]
