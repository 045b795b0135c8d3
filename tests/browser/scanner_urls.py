"""The site's URLs plus the test-only scanner page (templates/scanner_test.html)."""

from __future__ import annotations

from django.urls import path
from django.views.generic import TemplateView

from lockstep.csp import qr_reader_page
from lockstep.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    path("scanner-test/", qr_reader_page(TemplateView.as_view(template_name="scanner_test.html"))),
    *site_urlpatterns,
]
