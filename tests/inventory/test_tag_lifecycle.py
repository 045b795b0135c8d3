"""Issue, commission (second identity: the chassis serial), revoke, reissue."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from audit.log import verify_chain
from audit.models import AuditEvent
from inventory import codes
from inventory.models import Discrepancy, InventoryRefused, Tag, TagStatus


def test_a_new_tag_has_an_unguessable_code_and_a_checked_short_code(lax1, sam):
    tag = Tag.issue(lax1.sw_a, by=sam)
    assert tag.status == TagStatus.ISSUED
    assert len(tag.code) == 16 and set(tag.code) <= set(codes.ALPHABET)  # 80 random bits
    assert codes.parse_short_code(tag.display_short_code) == tag.short_code
    assert tag.url() == f"https://localhost:8000/t/{tag.code}"
    assert AuditEvent.objects.filter(action="tag.issued", object_id=str(tag.pk)).exists()


def test_an_asset_cannot_have_two_live_tags(lax1, sam):
    Tag.issue(lax1.sw_a, by=sam)
    with pytest.raises(InventoryRefused, match="already has a tag"):
        Tag.issue(lax1.sw_a, by=sam)


def test_the_database_refuses_a_second_live_tag_even_past_the_check(lax1, sam):
    Tag.issue(lax1.sw_a, by=sam)
    with pytest.raises(IntegrityError), transaction.atomic():
        Tag.objects.create(code=codes.new_code(), short_code=codes.new_short_code(), device=lax1.sw_a)


def test_the_database_refuses_a_tag_bound_to_two_assets_or_none(lax1):
    for link in ({"device": lax1.sw_a, "port": lax1.sw_a_port}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Tag.objects.create(code=codes.new_code(), short_code=codes.new_short_code(), **link)


def test_commissioning_with_the_chassis_serial_activates_the_tag(lax1, tess):
    tag = Tag.issue(lax1.sw_a, by=tess)
    tag.commission(serial=" fdo2231x0aa ", by=tess)  # case and spaces as people type them
    assert tag.status == TagStatus.ACTIVE
    assert tag.commissioned_by == tess
    assert AuditEvent.objects.filter(action="tag.commissioned", actor=tess).exists()


def test_a_port_tag_is_commissioned_with_its_devices_serial(lax1, tess):
    tag = Tag.issue(lax1.sw_b_port, by=tess)
    tag.commission(serial="FDO2231X0BB", by=tess)
    assert tag.status == TagStatus.ACTIVE


def test_a_wrong_serial_refuses_the_binding_and_records_a_discrepancy(lax1, tess):
    tag = Tag.issue(lax1.sw_a, by=tess)
    # The label for sw-a was stuck on sw-b: sw-b's serial is what the tech reads at the rack.
    with pytest.raises(InventoryRefused, match="Serial does not match"):
        tag.commission(serial="FDO2231X0BB", by=tess)

    tag.refresh_from_db()
    assert tag.status == TagStatus.ISSUED
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.kind == "serial_mismatch"
    assert discrepancy.expected == {"device": "sw-a", "serial": "FDO2231X0AA"}
    assert discrepancy.found == {"serial": "FDO2231X0BB"}
    assert discrepancy.reported_by == tess and discrepancy.tag == tag
    assert AuditEvent.objects.filter(action="discrepancy.raised").exists()
    assert verify_chain().ok


def test_a_device_without_a_serial_cannot_be_commissioned(lax1, tess):
    lax1.server.serial = ""
    lax1.server.save()
    tag = Tag.issue(lax1.server, by=tess)
    with pytest.raises(InventoryRefused, match="has no serial number"):
        tag.commission(serial="anything", by=tess)
    assert Tag.objects.get(pk=tag.pk).status == TagStatus.ISSUED


def test_an_empty_serial_is_refused_without_a_discrepancy(lax1, tess):
    tag = Tag.issue(lax1.sw_a, by=tess)
    with pytest.raises(InventoryRefused, match="Type or scan the serial"):
        tag.commission(serial="  ", by=tess)
    assert not Discrepancy.objects.exists()


def test_a_revoked_tag_can_never_be_commissioned_again(active_tag, ada, tess):
    active_tag.revoke(reason="label damaged", by=ada)
    assert active_tag.status == TagStatus.REVOKED
    with pytest.raises(InventoryRefused, match="revoked"):
        active_tag.commission(serial="FDO2231X0AA", by=tess)


def test_revoking_needs_a_reason_and_is_audited(active_tag, ada):
    with pytest.raises(InventoryRefused, match="Say why"):
        active_tag.revoke(reason="", by=ada)
    active_tag.revoke(reason="wrong asset", by=ada)
    event = AuditEvent.objects.filter(action="tag.revoked").get()
    assert event.payload["reason"] == "wrong asset" and event.payload["was"] == "active"


def test_reissuing_revokes_the_old_tag_and_issues_a_linked_replacement(active_tag, ada):
    replacement = active_tag.reissue(reason="label faded", by=ada)
    active_tag.refresh_from_db()
    assert active_tag.status == TagStatus.REVOKED
    assert replacement.status == TagStatus.ISSUED and replacement.replaces == active_tag
    assert replacement.device == active_tag.device and replacement.code != active_tag.code
    assert list(AuditEvent.objects.filter(action__startswith="tag.").values_list("action", flat=True)) == [
        "tag.issued",
        "tag.commissioned",
        "tag.revoked",
        "tag.issued",
    ]
