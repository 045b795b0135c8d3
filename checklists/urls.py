from __future__ import annotations

from django.urls import path

from checklists import views

app_name = "checklists"

urlpatterns = [
    path("runs/<int:pk>/", views.run_detail, name="run"),
    path("runs/<int:pk>/current/", views.run_current, name="run_current"),
    path("runs/<int:run_pk>/steps/<int:position>/", views.step_detail, name="step"),
    path("runs/<int:run_pk>/steps/<int:position>/scan/", views.step_scan, name="step_scan"),
    path("runs/<int:run_pk>/steps/<int:position>/sign/", views.step_sign, name="step_sign"),
    path("runs/<int:run_pk>/steps/<int:position>/release/", views.step_release, name="step_release"),
    path("discrepancies/<int:pk>/", views.discrepancy_detail, name="discrepancy"),
    path("discrepancies/<int:pk>/resolve/", views.discrepancy_resolve, name="discrepancy_resolve"),
]
