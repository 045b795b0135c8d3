from __future__ import annotations

from django.urls import path

import lockstep.converters  # noqa: F401  (registers <id:...>)
from maintenance.views import board, prints, windows

app_name = "maintenance"

urlpatterns = [
    path("windows/", windows.window_list, name="window_list"),
    path("windows/new/", windows.window_new, name="window_new"),
    path("windows/<id:pk>/", windows.window_detail, name="window"),
    path("windows/<id:pk>/edit/", windows.window_edit, name="window_edit"),
    path("windows/<id:pk>/targets/", windows.target_add, name="target_add"),
    path("windows/<id:pk>/targets/<id:target_pk>/remove/", windows.target_remove, name="target_remove"),
    path("windows/<id:pk>/runbook.pdf", prints.runbook_pdf, name="runbook_pdf"),
    path("windows/<id:pk>/as-run.pdf", prints.as_run_pdf, name="as_run_pdf"),
    path("prints/<id:pk>/", prints.print_job, name="print_job"),
    path("prints/<id:pk>/document.pdf", prints.print_job_pdf, name="print_job_pdf"),
    path("windows/<id:pk>/pause/", windows.window_pause, name="window_pause"),
    path("windows/<id:pk>/tell/", windows.window_compose, name="window_compose"),
    path("windows/<id:pk>/tell/send/", windows.window_compose_send, name="window_compose_send"),
    path("windows/<id:pk>/<slug:action>/", windows.window_action, name="window_action"),
    path("tech/", board.tech_today, name="tech_today"),
    path("approvals/", board.queue, name="queue"),
    path("approvals/board/", board.board, name="board"),
]
