"""Printing label sheets from the rack and device pages, and a selection: tess asks with the print button (a
POST), and her browser is sent on to the finished PDF."""

from __future__ import annotations

import io

from django.urls import reverse
from pypdf import PdfReader

from audit.models import AuditEvent
from inventory.models import LabelJob, Tag
from tests.builders.labels import ask_for_labels


def pdf_text(response) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_a_racks_labels_print_as_a_pdf(client, tess, lax1, sam):
    tags = [Tag.issue(lax1.sw_a, by=sam), Tag.issue(lax1.sw_a_port, by=sam)]
    client.force_login(tess)
    response = ask_for_labels(client, reverse("inventory:rack_labels", args=[lax1.rack.pk]))
    job = LabelJob.objects.get()
    assert response.redirect_chain == [(reverse("inventory:label_job_pdf", args=[job.pk]), 303)]
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    text = pdf_text(response)
    for tag in tags:
        assert tag.display_short_code in text


def test_a_devices_labels_without_its_ports_on_port_strips(client, tess, lax1, sam):
    device_tag = Tag.issue(lax1.sw_a, by=sam)
    port_tag = Tag.issue(lax1.sw_a_port, by=sam)
    client.force_login(tess)
    response = ask_for_labels(
        client,
        reverse("inventory:device_labels", args=[lax1.sw_a.pk]),
        {"format": "port-strip", "ports": ["0"]},
    )
    text = pdf_text(response)
    assert device_tag.display_short_code in text and port_tag.display_short_code not in text
    assert "port-strip" in response["Content-Disposition"]


def test_a_selection_of_devices_prints_just_those(client, tess, lax1, sam):
    a, b = Tag.issue(lax1.sw_a, by=sam), Tag.issue(lax1.sw_b, by=sam)
    client.force_login(tess)
    response = ask_for_labels(
        client, reverse("inventory:selection_labels"), {"device": [lax1.sw_b.pk], "ports": ["0", "1"]}
    )
    text = pdf_text(response)
    assert b.display_short_code in text and a.display_short_code not in text


def test_nothing_to_print_or_junk_input_is_a_clear_page(client, tess, lax1):
    client.force_login(tess)
    picked_nothing = ask_for_labels(client, reverse("inventory:selection_labels"), {"device": ["x", "-1"]})
    assert picked_nothing.status_code == 400 and b"Tick the devices" in picked_nothing.content
    rack_labels = reverse("inventory:rack_labels", args=[lax1.rack.pk])
    response = ask_for_labels(client, rack_labels)
    assert response.status_code == 409 and b"no tags to print" in response.content
    response = ask_for_labels(client, rack_labels, {"format": "poster"})
    assert response.status_code == 400 and b"Unknown label format" in response.content
    no_key = client.post(rack_labels, {"idem": "short"})
    assert no_key.status_code == 400 and b"no valid form key" in no_key.content
    assert not LabelJob.objects.exists()


def test_the_rack_page_offers_printing_with_a_post(client, tess, lax1):
    client.force_login(tess)
    html = client.get(reverse("inventory:rack", args=[lax1.rack.pk])).content.decode()
    assert f'method="post" action="{reverse("inventory:rack_labels", args=[lax1.rack.pk])}"' in html
    assert f'method="post" action="{reverse("inventory:selection_labels")}"' in html
    # A key for each form: the two prints, and starting a label audit of the rack (checklists' panel).
    assert html.count('name="idem"') == 3


def _commission(tag, tess):
    tag.commission(by=tess, serial=tag.chassis.serial)
    return tag


def test_every_printed_sheet_is_in_the_audit_log_with_its_tags(client, tess, lax1, sam):
    tag = Tag.issue(lax1.sw_a, by=sam)
    client.force_login(tess)
    ask_for_labels(client, reverse("inventory:device_labels", args=[lax1.sw_a.pk]), {"ports": ["0"]})
    event = AuditEvent.objects.get(action="labels.printed")
    assert event.actor == tess and event.object_repr == str(lax1.sw_a)
    assert event.payload == {
        "job": LabelJob.objects.get().pk,
        "format": "a4-3x8",
        "count": 1,
        "tags": [tag.short_code],
        "reprinted": [],
        "not_printed_already_applied": [],
        "not_printed_count": 0,
    }


def test_a_tech_prints_only_labels_not_yet_applied(client, tess, lax1, sam):
    applied = _commission(Tag.issue(lax1.sw_a, by=sam), tess)
    fresh = Tag.issue(lax1.sw_a_port, by=sam)
    client.force_login(tess)
    printed = ask_for_labels(client, reverse("inventory:rack_labels", args=[lax1.rack.pk]))
    text = pdf_text(printed)
    assert fresh.display_short_code in text and applied.display_short_code not in text
    assert printed["X-Labels-Not-Printed"] == "1 already applied"
    assert AuditEvent.objects.get(action="labels.printed").payload["not_printed_already_applied"] == [
        applied.short_code
    ]
    # Asking for a second copy of the live label is refused in words, and nothing is printed or logged.
    refused = ask_for_labels(
        client, reverse("inventory:rack_labels", args=[lax1.rack.pk]), {"applied": ["0", "1"]}
    )
    assert refused.status_code == 403 and b"Only an approver prints a second copy" in refused.content
    only_live = ask_for_labels(
        client, reverse("inventory:device_labels", args=[lax1.sw_a.pk]), {"ports": ["0"]}
    )
    assert only_live.status_code == 409 and b"already on their assets" in only_live.content
    assert AuditEvent.objects.filter(action="labels.printed").count() == 1
    assert AuditEvent.objects.filter(action="labels.refused", actor=tess).count() == 2


def test_an_approvers_reprint_of_a_live_label_is_logged_as_a_reprint(client, ada, tess, lax1, sam):
    applied = _commission(Tag.issue(lax1.sw_a, by=sam), tess)
    client.force_login(ada)
    response = ask_for_labels(
        client,
        reverse("inventory:device_labels", args=[lax1.sw_a.pk]),
        {"ports": ["0"], "applied": ["0", "1"]},
    )
    assert applied.display_short_code in pdf_text(response)
    assert AuditEvent.objects.get(action="labels.printed").payload["reprinted"] == [applied.short_code]


def test_too_many_labels_are_refused_before_any_is_loaded(client, ada, lax1, sam, monkeypatch):
    import inventory.labels
    import inventory.printing

    monkeypatch.setattr(inventory.printing, "MAX_LABELS", 1)
    Tag.issue(lax1.sw_a, by=sam)
    Tag.issue(lax1.sw_a_port, by=sam)

    def loaded(tag):
        raise AssertionError("the tags were loaded and sorted before the limit was checked")

    monkeypatch.setattr(inventory.labels, "_rack_order", loaded)
    client.force_login(ada)
    response = ask_for_labels(client, reverse("inventory:rack_labels", args=[lax1.rack.pk]))
    assert response.status_code == 400 and b"That is 2 labels; print at most 1" in response.content
