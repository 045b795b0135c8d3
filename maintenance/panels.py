"""Panels that higher apps add to a window's page. Maintenance knows nothing of them: an app above it (the
incident desk, debriefs, credits) registers a function in its AppConfig.ready, and the page shows what each
renders, in the order of their places."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from maintenance.models import Window

WindowPanel = Callable[[HttpRequest, Window], str]

_window_panels: list[tuple[int, WindowPanel]] = []


def register_window_panel(panel: WindowPanel, *, place: int) -> None:
    """`place` orders the panels on the page (lower first), whatever order the apps are ready in."""
    if all(known is not panel for _, known in _window_panels):  # ready() may run twice: one panel, shown once
        _window_panels.append((place, panel))
        _window_panels.sort(key=lambda entry: entry[0])


def window_panels(request: HttpRequest, window: Window) -> list[str]:
    """Each registered panel, rendered for this person and window (safe HTML, from the panel's own template);
    a panel with nothing to offer this person renders nothing."""
    return [html for _, panel in _window_panels if (html := panel(request, window))]
