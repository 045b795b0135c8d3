from __future__ import annotations

from django.urls import path

import lockstep.converters  # noqa: F401  (registers <id:...>)
from credits import views

app_name = "credits"

urlpatterns = [
    path("credits/", views.credit_list, name="credits"),
    path("credits/propose/", views.credit_propose, name="credit_propose"),
    path("credits/export.csv", views.credit_export, name="credit_export"),
    path("credits/<id:pk>/<slug:action>/", views.credit_action, name="credit_action"),
]
