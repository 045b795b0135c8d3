from __future__ import annotations

from django.urls import path

import lockstep.converters  # noqa: F401  (registers <id:...>)
from comms import views

app_name = "comms"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("outbox/deliveries/<id:pk>/resend/", views.resend, name="resend"),
    path("status/sites/<str:code>/subscribe/", views.subscribe_site, name="subscribe_site"),
    path("status/c/<str:token>/subscribe/", views.subscribe_customer, name="subscribe_customer"),
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    # A link cut short or mangled by a mail program still reaches the page that says so in words.
    path("unsubscribe/<path:token>", views.unsubscribe),
]
