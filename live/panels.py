"""What live adds to inventory's device page, through inventory's panel registry (registered in
`LiveConfig.ready`): whether the device is asked by live checks, and its serial as it last reported it."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string

from inventory.models import Device
from live.models import access_for, serial_report


def device_panel(request: HttpRequest, device: Device) -> dict[str, str]:
    context = {"device": device, "live_access": access_for(device), "serial_report": serial_report(device)}
    return {
        "serial": render_to_string("live/_device_serial.html", context, request=request),
        "facts": render_to_string("live/_device_facts.html", context, request=request),
    }
