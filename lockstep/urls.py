from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from checklists import views as checklist_views

urlpatterns = [
    path("", include("accounts.urls")),
    # The address printed in every QR: short and at the root, so a phone camera opens it directly.
    # <path:> so that anything after /t/, slashes included, reaches the page that explains it.
    # A tech with a step waiting for a scan gets the scan handed to that step; anyone else sees the asset.
    path("t/<path:code>", checklist_views.tag_landing, name="tag"),
    path("", include("checklists.urls")),
    path("inventory/", include("inventory.urls")),
    path("", include("maintenance.urls")),
    path("", include("incidents.urls")),
    path("", include("credits.urls")),
    path("", include("debriefs.urls")),
    path("", include("comms.urls")),
    path("admin/", admin.site.urls),
]
