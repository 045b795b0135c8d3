from __future__ import annotations

from django.urls import path

import lockstep.converters  # noqa: F401  (registers <id:...>)
from checklists import label_audit_views, template_views, views

app_name = "checklists"

urlpatterns = [
    path("runs/<id:pk>/", views.run_detail, name="run"),
    path("runs/<id:pk>/current/", views.run_current, name="run_current"),
    path("runs/<id:pk>/update/", views.run_update, name="run_update"),
    path("runs/<id:run_pk>/steps/<id:position>/", views.step_detail, name="step"),
    path("runs/<id:run_pk>/steps/<id:position>/scan/", views.step_scan, name="step_scan"),
    path("runs/<id:run_pk>/steps/<id:position>/sign/", views.step_sign, name="step_sign"),
    path("runs/<id:run_pk>/steps/<id:position>/stopped/", views.step_stopped, name="step_stopped"),
    path("runs/<id:run_pk>/steps/<id:position>/release/", views.step_release, name="step_release"),
    path("runs/<id:run_pk>/steps/<id:position>/reset/", views.step_reset, name="step_reset"),
    path("runs/<id:run_pk>/steps/<id:position>/ask-switch/", views.step_ask_switch, name="step_ask_switch"),
    path(
        "runs/<id:run_pk>/steps/<id:position>/without-switch/",
        views.step_without_switch,
        name="step_without_switch",
    ),
    path("runs/<id:run_pk>/steps/<id:position>/locate/", views.step_locate, name="step_locate"),
    path("racks/<id:pk>/label-audit/", label_audit_views.rack_label_audit, name="rack_label_audit"),
    path("label-audits/start/", label_audit_views.label_audit_start, name="label_audit_start"),
    path("checklists/", template_views.template_list, name="templates"),
    path("checklists/<id:pk>/", template_views.template_detail, name="template"),
    path("discrepancies/<id:pk>/", views.discrepancy_detail, name="discrepancy"),
    path("discrepancies/<id:pk>/resolve/", views.discrepancy_resolve, name="discrepancy_resolve"),
]
