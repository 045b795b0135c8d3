"""Opening a label address writes nothing. Printing is a POST (the print button) and writes one event; the
GETs only show a print's page or hand over its finished PDF. A link on another site, opened in tess's browser,
carries her session (SameSite=Lax sends the cookie on a top-level GET) and must not write a word in her name."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from inventory.models import LabelJob, Tag
from tests.builders.labels import ask_for_labels

# What evil.example's link makes tess's browser send: her cookie, and the other site as where it came from.
FROM_ANOTHER_SITE = {
    "HTTP_SEC_FETCH_SITE": "cross-site",
    "HTTP_SEC_FETCH_MODE": "navigate",
    "HTTP_REFERER": "https://evil.example/labels",
}


@pytest.fixture
def tags(lax1, sam) -> list[Tag]:
    return [Tag.issue(lax1.sw_a, by=sam), Tag.issue(lax1.sw_a_port, by=sam)]


def print_addresses(lax1) -> list[tuple[str, dict]]:
    return [
        (reverse("inventory:rack_labels", args=[lax1.rack.pk]), {"format": "a4-3x8"}),
        (reverse("inventory:rack_labels", args=[lax1.rack.pk]), {"applied": "1"}),
        (reverse("inventory:device_labels", args=[lax1.sw_a.pk]), {"ports": "0"}),
        (reverse("inventory:selection_labels"), {"device": str(lax1.sw_a.pk)}),
        (reverse("inventory:selection_labels"), {}),  # nothing picked: was a refusal, written to the log
        # Where the sheets used to be printed by a GET: gone, not printing.
        (f"/inventory/racks/{lax1.rack.pk}/labels.pdf", {}),
        (f"/inventory/devices/{lax1.sw_a.pk}/labels.pdf", {}),
        ("/inventory/labels.pdf", {"device": str(lax1.sw_a.pk)}),
    ]


def test_opening_a_print_address_prints_nothing_and_writes_nothing(client, tess, lax1, tags):
    client.force_login(tess)
    before = AuditEvent.objects.count()
    for url, query in print_addresses(lax1):
        response = client.get(url, query)
        assert response.status_code in (404, 405), url
        if response.status_code == 405:
            assert response["Allow"] == "POST"
            assert b"print button" in response.content  # said in words, not a blank page
    assert AuditEvent.objects.count() == before
    assert not LabelJob.objects.exists()


def test_a_print_is_one_post_with_one_event_and_fetching_its_pdf_writes_none(client, tess, lax1, tags):
    client.force_login(tess)
    before = AuditEvent.objects.count()
    asked = ask_for_labels(client, reverse("inventory:rack_labels", args=[lax1.rack.pk]), follow=False)
    assert asked.status_code == 303
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.latest("seq").action == "labels.printed"

    job = LabelJob.objects.get()
    for _ in range(3):  # a reload, a second tab, the browser's PDF viewer asking again
        pdf = client.get(asked["Location"])
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.get(job.get_absolute_url()).status_code == 200
    assert AuditEvent.objects.count() == before + 1


def test_a_link_or_a_form_on_another_site_writes_nothing_in_tess_name(tess, lax1, tags):
    browser = Client(enforce_csrf_checks=True)  # her browser, as it is: Django's CSRF checks on
    browser.force_login(tess)
    ask_for_labels(browser, reverse("inventory:rack_labels", args=[lax1.rack.pk]))  # no token: refused
    assert not LabelJob.objects.exists()
    before = AuditEvent.objects.count()

    for url, query in print_addresses(lax1):
        assert browser.get(url, query, **FROM_ANOTHER_SITE).status_code in (404, 405), url
    # A form on that site posting to the print button's address: no CSRF token, refused before any view runs.
    posted = browser.post(
        reverse("inventory:rack_labels", args=[lax1.rack.pk]),
        {"idem": "k" * 32, "format": "a4-3x8"},
        HTTP_ORIGIN="https://evil.example",
        **FROM_ANOTHER_SITE,
    )
    assert posted.status_code == 403
    assert AuditEvent.objects.count() == before
    assert not LabelJob.objects.exists()


def test_her_finished_print_opened_from_another_site_is_only_read(client, tess, lax1, tags):
    client.force_login(tess)
    ask_for_labels(client, reverse("inventory:rack_labels", args=[lax1.rack.pk]))
    job = LabelJob.objects.get()
    before = AuditEvent.objects.count()
    assert (
        client.get(reverse("inventory:label_job_pdf", args=[job.pk]), **FROM_ANOTHER_SITE).status_code == 200
    )
    assert client.get(job.get_absolute_url(), **FROM_ANOTHER_SITE).status_code == 200
    assert AuditEvent.objects.count() == before
