from __future__ import annotations

from django.urls import path

import lockstep.converters  # noqa: F401  (registers <id:...>)
from incidents import views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<id:pk>/", views.incident_detail, name="incident"),
    # Status pages and feeds: no login.
    path("status/", views.status_page, name="status"),
    path("status/status.json", views.status_json, name="status_json"),
    path("status/feed.atom", views.status_atom, name="status_atom"),
    path("status/maintenance.ics", views.status_ics, name="status_ics"),
    path("status/sites/<str:code>/", views.status_site, name="status_site"),
    path("status/sites/<str:code>/feed.atom", views.status_atom, name="status_site_atom"),
    path("status/c/<str:token>/", views.status_private, name="status_private"),
    path("status/c/<str:token>/maintenance.ics", views.status_private_ics, name="status_private_ics"),
]
