from __future__ import annotations

from django.urls import path

import lockstep.converters  # noqa: F401  (registers <id:...>)
from maintenance import views

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
]
