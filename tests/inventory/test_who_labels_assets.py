"""Least privilege: techs and approvers print labels and apply tags, the work at the rack. Coordinators (the
desk, customers) and admins (the system) do neither, and no page offers them the buttons."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from inventory.models import InventoryRefused, LabelJob, Tag, TagStatus
from tests.builders.labels import ask_for_labels

LABELLERS = ["tess", "ada"]
NOT_LABELLERS = ["cora", "sam"]


@pytest.fixture
def issued(lax1, sam) -> Tag:
    return Tag.issue(lax1.sw_a, by=sam)


@pytest.mark.parametrize(
    ("who", "may"), [("tess", True), ("ada", True), ("cora", False), ("sam", False), ("olive", False)]
)
def test_who_may_print_labels_and_apply_tags(request, who, may):
    assert Tag.may_label_assets(request.getfixturevalue(who)) is may


@pytest.mark.parametrize(
    ("who", "may"), [("tess", False), ("ada", True), ("cora", False), ("sam", False), ("olive", False)]
)
def test_only_an_approver_reprints_a_label_already_applied(request, who, may):
    assert Tag.may_reprint_labels(request.getfixturevalue(who)) is may


@pytest.mark.parametrize("who", NOT_LABELLERS)
def test_a_coordinator_or_an_admin_cannot_apply_a_tag_even_past_the_pages(request, issued, who):
    with pytest.raises(InventoryRefused, match="Only a tech or an approver applies a tag"):
        issued.commission(serial="FDO2231X0AA", by=request.getfixturevalue(who))
    assert Tag.objects.get(pk=issued.pk).status == TagStatus.ISSUED
    assert not AuditEvent.objects.filter(action="tag.commissioned").exists()


def test_at_the_tag_page_techs_and_approvers_apply_it_and_nobody_else_is_offered_to(
    client, lax1, sam, tess, ada, cora
):
    sw_a, sw_b = Tag.issue(lax1.sw_a, by=sam), Tag.issue(lax1.sw_b, by=sam)
    for refused in (cora, sam):
        client.force_login(refused)
        page = client.get(sw_a.get_absolute_url()).content.decode()
        assert "Check serial and apply" not in page and "a tech applies it at the rack" in page
        assert reverse("inventory:tag_commission", args=[sw_a.code]) not in page
        response = client.post(
            reverse("inventory:tag_commission", args=[sw_a.code]), {"serial": "FDO2231X0AA"}
        )
        assert response.status_code == 403, refused
        assert Tag.objects.get(pk=sw_a.pk).status == TagStatus.ISSUED
    assert not AuditEvent.objects.filter(action="tag.commissioned").exists()

    for tag, serial, applier in ((sw_a, "FDO2231X0AA", tess), (sw_b, "FDO2231X0BB", ada)):
        client.force_login(applier)
        assert "Check serial and apply" in client.get(tag.get_absolute_url()).content.decode()
        response = client.post(reverse("inventory:tag_commission", args=[tag.code]), {"serial": serial})
        assert response.status_code == 302 and response["Location"] == tag.asset.get_absolute_url()
        tag.refresh_from_db()
        assert tag.status == TagStatus.ACTIVE and tag.commissioned_by == applier


def test_printing_is_offered_to_and_done_by_techs_and_approvers_only(client, lax1, sam, tess, ada, cora):
    Tag.issue(lax1.sw_a, by=sam)
    rack, device = (
        reverse("inventory:rack", args=[lax1.rack.pk]),
        reverse("inventory:device", args=[lax1.sw_a.pk]),
    )
    prints = [
        (reverse("inventory:rack_labels", args=[lax1.rack.pk]), {}),
        (reverse("inventory:device_labels", args=[lax1.sw_a.pk]), {}),
        (reverse("inventory:selection_labels"), {"device": [lax1.sw_a.pk]}),
    ]
    for refused in (cora, sam):
        client.force_login(refused)
        rack_page, device_page = client.get(rack).content.decode(), client.get(device).content.decode()
        for page in (rack_page, device_page):
            assert "Print" not in page and 'name="format"' not in page
        assert 'class="pick"' not in rack_page  # no boxes to tick for a print that is not theirs
        for url, data in prints:
            response = ask_for_labels(client, url, data)
            assert (
                response.status_code == 403
                and b"Only a tech or an approver prints labels" in response.content
            )
        assert AuditEvent.objects.filter(action="labels.refused", actor=refused).count() == 3
    assert not LabelJob.objects.exists()

    for printer in (tess, ada):
        client.force_login(printer)
        for page in (client.get(rack).content.decode(), client.get(device).content.decode()):
            assert "Print" in page and 'name="format"' in page
        for url, data in prints:
            assert ask_for_labels(client, url, data)["Content-Type"] == "application/pdf"
        assert LabelJob.objects.filter(requested_by=printer).count() == 3
    assert AuditEvent.objects.filter(action="labels.printed").count() == 6


def test_only_an_approver_is_offered_a_reprint(client, tess, ada, sam, lax1):
    rack = reverse("inventory:rack", args=[lax1.rack.pk])
    for user, offered in ((tess, False), (sam, False), (ada, True)):
        client.force_login(user)
        assert ('name="applied"' in client.get(rack).content.decode()) is offered, user
