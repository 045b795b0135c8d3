from __future__ import annotations

from django.urls import path

import lockstep.converters  # noqa: F401  (registers <id:...>)
from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.index, name="index"),
    path("sites/<slug:code>/", views.site_detail, name="site"),
    path("racks/<id:pk>/", views.rack_detail, name="rack"),
    path("racks/<id:pk>/labels/", views.rack_labels, name="rack_labels"),
    path("devices/<id:pk>/", views.device_detail, name="device"),
    path("devices/<id:pk>/labels/", views.device_labels, name="device_labels"),
    path("devices/<id:pk>/serial-reading/", views.serial_reading, name="serial_reading"),
    path("labels/", views.selection_labels, name="selection_labels"),
    path("labels/<id:pk>/", views.label_job, name="label_job"),
    path("labels/<id:pk>/labels.pdf", views.label_job_pdf, name="label_job_pdf"),
    path("ports/<id:pk>/", views.port_detail, name="port"),
    path("import/", views.import_csv, name="import"),
    path("missing-serials/", views.missing_serials, name="missing_serials"),
    path("discrepancies/", views.discrepancies, name="discrepancies"),
    path("tags/enter/", views.tag_enter, name="tag_enter"),
    path("tags/issue/<str:kind>/<id:pk>/", views.tag_issue, name="tag_issue"),
    path("tags/<str:code>/commission/", views.tag_commission, name="tag_commission"),
    path("tags/<str:code>/revoke/", views.tag_revoke, name="tag_revoke"),
    path("tags/<str:code>/reissue/", views.tag_revoke, {"replace": True}, name="tag_reissue"),
    path("reveal/<str:kind>/<id:pk>/", views.reveal, name="reveal"),
    path("reveal/search/", views.identity_search, name="identity_search"),
]
