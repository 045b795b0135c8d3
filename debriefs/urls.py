from __future__ import annotations

from django.urls import path

import lockstep.converters  # noqa: F401  (registers <id:...>)
from debriefs import views

app_name = "debriefs"

urlpatterns = [
    path("debriefs/", views.debrief_list, name="debriefs"),
    path("debriefs/open/", views.debrief_open, name="debrief_open"),
    path("debriefs/<id:pk>/", views.debrief_detail, name="debrief"),
    path("debriefs/<id:pk>/debrief.pdf", views.debrief_pdf, name="debrief_pdf"),
    path("debriefs/actions/<id:pk>/done/", views.action_close, name="action_close"),
]
