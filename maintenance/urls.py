from __future__ import annotations

from django.urls import path

import lockstep.converters  # noqa: F401  (registers <id:...>)
from maintenance import credit_views, debrief_views, views

app_name = "maintenance"

urlpatterns = [
    path("windows/", views.window_list, name="window_list"),
    path("windows/new/", views.window_new, name="window_new"),
    path("windows/<id:pk>/", views.window_detail, name="window"),
    path("windows/<id:pk>/edit/", views.window_edit, name="window_edit"),
    path("windows/<id:pk>/targets/", views.target_add, name="target_add"),
    path("windows/<id:pk>/targets/<id:target_pk>/remove/", views.target_remove, name="target_remove"),
    path("windows/<id:pk>/runbook.pdf", views.runbook_pdf, name="runbook_pdf"),
    path("windows/<id:pk>/as-run.pdf", views.as_run_pdf, name="as_run_pdf"),
    path("prints/<id:pk>/", views.print_job, name="print_job"),
    path("prints/<id:pk>/document.pdf", views.print_job_pdf, name="print_job_pdf"),
    path("windows/<id:pk>/pause/", views.window_pause, name="window_pause"),
    path("windows/<id:pk>/tell/", views.window_compose, name="window_compose"),
    path("windows/<id:pk>/tell/send/", views.window_compose_send, name="window_compose_send"),
    path("windows/<id:pk>/<slug:action>/", views.window_action, name="window_action"),
    path("tech/", views.tech_today, name="tech_today"),
    path("approvals/", views.queue, name="queue"),
    path("approvals/board/", views.board, name="board"),
    path("incidents/", views.incident_list, name="incidents"),
    path("incidents/new/", views.incident_new, name="incident_new"),
    path("incidents/<id:pk>/", views.incident_detail, name="incident"),
    path("debriefs/", debrief_views.debrief_list, name="debriefs"),
    path("debriefs/open/", debrief_views.debrief_open, name="debrief_open"),
    path("debriefs/<id:pk>/", debrief_views.debrief_detail, name="debrief"),
    path("debriefs/<id:pk>/debrief.pdf", debrief_views.debrief_pdf, name="debrief_pdf"),
    path("debriefs/actions/<id:pk>/done/", debrief_views.action_close, name="action_close"),
    path("credits/", credit_views.credit_list, name="credits"),
    path("credits/propose/", credit_views.credit_propose, name="credit_propose"),
    path("credits/export.csv", credit_views.credit_export, name="credit_export"),
    path("credits/<id:pk>/<slug:action>/", credit_views.credit_action, name="credit_action"),
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
