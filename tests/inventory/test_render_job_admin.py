"""sam, the admin, sees every print in the Django admin: what it was, who asked, how it went, when it was made,
its size and whether its file was cleared. He changes nothing there, and never sees a PDF's bytes: a job
changes through its own audited steps, and only its asker fetches the file."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import LabelJobStatus
from tests.builders.labels import labels_made


@pytest.fixture
def prints(tess):
    ready = labels_made(tess, days_ago=1)
    cleared = labels_made(tess, days_ago=9, title="rack B07 (LAX1)")
    cleared.status, cleared.pdf = LabelJobStatus.CLEARED, None
    cleared.save(update_fields=["status", "pdf"])
    return ready, cleared


def test_sam_lists_the_label_prints_with_who_asked_status_and_size(client, sam, prints):
    client.force_login(sam)

    response = client.get(reverse("admin:inventory_labeljob_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "labels for rack A01 (LAX1)" in page and "labels for rack B07 (LAX1)" in page
    assert "tess" in page and "22\xa0bytes" in page  # the ready one's file; the cleared one has none
    for column in ("Status", "Size", "File cleared"):
        assert column in page
    assert "?status__exact=cleared" in page  # filtered by status
    assert "tess's labels" not in page  # never the file itself


def test_the_list_filters_by_status(client, sam, prints):
    client.force_login(sam)

    page = client.get(
        reverse("admin:inventory_labeljob_changelist") + "?status__exact=cleared"
    ).content.decode()

    assert "rack B07" in page and "rack A01" not in page


def test_nothing_about_a_print_is_changed_in_the_admin(client, sam, prints):
    ready, _ = prints
    client.force_login(sam)

    listing = client.get(reverse("admin:inventory_labeljob_changelist")).content.decode()
    detail = client.get(reverse("admin:inventory_labeljob_change", args=[ready.pk]))
    changed = client.post(reverse("admin:inventory_labeljob_change", args=[ready.pk]), {"title": "forged"})

    assert (
        reverse("admin:inventory_labeljob_change", args=[ready.pk]) not in listing
    )  # no row links to a form
    assert reverse("admin:inventory_labeljob_add") not in listing
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert (
        "tess&#x27;s labels" not in detail.content.decode() and "tess's labels" not in detail.content.decode()
    )
    assert changed.status_code == 403
    ready.refresh_from_db()
    assert ready.title == "rack A01 (LAX1)"
    assert client.get(reverse("admin:inventory_labeljob_delete", args=[ready.pk])).status_code == 403
