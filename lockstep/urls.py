from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from inventory import views as inventory_views

urlpatterns = [
    path("", include("accounts.urls")),
    # The address printed in every QR: short and at the root, so a phone camera opens it directly.
    # <path:> so that anything after /t/, slashes included, reaches the page that explains it.
    path("t/<path:code>", inventory_views.tag_landing, name="tag"),
    path("inventory/", include("inventory.urls")),
    path("", include("maintenance.urls")),
    path("admin/", admin.site.urls),
]
