"""Opening a long runbook's PDF address writes nothing and renders nothing: it answers with the page that asks
for the PDF by POST. Asking is that POST, and writes one job, one task and one event; the print's page and its
finished file are reads. A link on another site, opened in tess's browser, carries her session (SameSite=Lax
sends the cookie on a top-level GET) and must not queue a print in her name."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import lockstep.pdf
import maintenance.runbook_pdf
from audit.models import AuditEvent
from maintenance.models import PrintJob
from tests.builders.people import users
from tests.builders.scenes import Scene, build_scene
from tests.builders.workers import run_worker

# What evil.example's link makes tess's browser send: her cookie, and the other site as where it came from.
FROM_ANOTHER_SITE = {
    "HTTP_SEC_FETCH_SITE": "cross-site",
    "HTTP_SEC_FETCH_MODE": "navigate",
    "HTTP_REFERER": "https://evil.example/runbook",
}
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def scene(db, settings) -> Scene:
    """rex's running window, whose 9-step runbook is too long to print in a request here."""
    settings.LOCKSTEP_PDF_STEPS_IN_REQUEST = 3
    return build_scene()


def addresses(scene: Scene) -> list[str]:
    return [
        reverse("maintenance:runbook_pdf", args=[scene.window.pk]),
        reverse("maintenance:as_run_pdf", args=[scene.window.pk]),
    ]


def writes_during(fetch) -> tuple[object, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = fetch()
    return response, [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]


def test_opening_a_long_runbooks_address_offers_the_post_and_writes_nothing(client, scene, monkeypatch):
    def in_the_request(*args, **kwargs):
        raise AssertionError("a long runbook was rendered in a GET")

    monkeypatch.setattr(maintenance.runbook_pdf, "render_runbook_pdf", in_the_request)
    monkeypatch.setattr(lockstep.pdf, "render_pdf", in_the_request)
    client.force_login(users()["tess"])
    before = AuditEvent.objects.count()

    for url in addresses(scene):
        response, writes = writes_during(lambda url=url: client.get(url))

        assert response.status_code == 200 and response["Content-Type"].startswith("text/html"), url
        page = response.content.decode()
        assert f'<form method="post" action="{url}"' in page and 'name="idem"' in page
        assert "made in the background" in page
        assert writes == [], url
    assert AuditEvent.objects.count() == before
    assert not PrintJob.objects.exists()


def test_asking_is_one_post_and_the_prints_page_and_file_are_reads(client, scene):
    client.force_login(users()["tess"])
    runbook = addresses(scene)[0]
    before = AuditEvent.objects.count()
    asked = client.post(runbook, {"idem": "tess-taps-print-0001"})
    assert asked.status_code == 303
    assert AuditEvent.objects.count() == before + 1
    run_worker()
    job = PrintJob.objects.get()
    after = (AuditEvent.objects.count(), job.status, job.moved_at)

    for url in (  # a reload, a second tab, the browser's PDF viewer asking again, the address opened again
        job.get_absolute_url(),
        reverse("maintenance:print_job_pdf", args=[job.pk]),
        reverse("maintenance:print_job_pdf", args=[job.pk]),
        runbook,
    ):
        response, writes = writes_during(lambda url=url: client.get(url))
        assert response.status_code == 200 and writes == [], url

    # The address opened again says where her print is, and still only offers the button.
    assert job.get_absolute_url() in client.get(runbook).content.decode()
    job.refresh_from_db()
    assert (AuditEvent.objects.count(), job.status, job.moved_at) == after


def test_a_link_or_a_form_on_another_site_queues_nothing_in_tess_name(scene):
    browser = Client(enforce_csrf_checks=True)  # her browser, as it is: Django's CSRF checks on
    browser.force_login(users()["tess"])
    before = AuditEvent.objects.count()

    for url in addresses(scene):
        assert browser.get(url, **FROM_ANOTHER_SITE).status_code == 200, url
        # A form on that site posting to the address: no CSRF token, refused before any view runs.
        posted = browser.post(
            url, {"idem": "k" * 32}, HTTP_ORIGIN="https://evil.example", **FROM_ANOTHER_SITE
        )
        assert posted.status_code == 403, url
    assert AuditEvent.objects.count() == before
    assert not PrintJob.objects.exists()
