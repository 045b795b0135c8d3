"""Panels that higher apps add to an incident's page (a debrief to hold, credits to propose). The incident desk
knows nothing of them: the app above registers a function in its AppConfig.ready, and the page shows what
each renders, in the order of their places."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from incidents.models import Incident

IncidentPanel = Callable[[HttpRequest, Incident], str]

_incident_panels: list[tuple[int, IncidentPanel]] = []


def register_incident_panel(panel: IncidentPanel, *, place: int) -> None:
    """`place` orders the panels on the page (lower first), whatever order the apps are ready in."""
    if all(known is not panel for _, known in _incident_panels):  # ready() may run twice: shown once
        _incident_panels.append((place, panel))
        _incident_panels.sort(key=lambda entry: entry[0])


def incident_panels(request: HttpRequest, incident: Incident) -> list[str]:
    """Each registered panel, rendered for this person and incident; one with nothing to offer renders nothing."""
    return [html for _, panel in _incident_panels if (html := panel(request, incident))]
