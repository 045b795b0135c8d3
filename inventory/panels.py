"""Panels that higher apps add to inventory's pages. Inventory knows nothing of them: an app above it (the
checklists' label audits, for one) registers a function in its AppConfig.ready, and the page shows what it
renders, in the order registered."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from inventory.models import Rack

RackPanel = Callable[[HttpRequest, Rack], str]

_rack_panels: list[RackPanel] = []


def register_rack_panel(panel: RackPanel) -> None:
    if panel not in _rack_panels:  # ready() may run twice (tests, autoreload): one panel, shown once
        _rack_panels.append(panel)


def rack_panels(request: HttpRequest, rack: Rack) -> list[str]:
    """Each registered panel, rendered for this person and rack (safe HTML, from the panel's own template)."""
    return [panel(request, rack) for panel in _rack_panels]
