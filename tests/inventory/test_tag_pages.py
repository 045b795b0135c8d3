"""/t/CODE, where a phone camera lands, and the pages around it. Bad codes get a clear page, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory import codes
from inventory.models import Discrepancy, Tag, TagStatus


def test_an_active_tag_shows_its_asset(client, tess, active_tag):
    client.force_login(tess)
    response = client.get(f"/t/{active_tag.code}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Active tag" in html and "sw-a" in html and "rack A01" in html and "U42" in html
    # The label is in the tech's hand: the page never prints its code (the short one is not on the QR).
    assert active_tag.display_short_code not in html and active_tag.short_code not in html


def test_a_port_tag_shows_the_port_and_its_device(client, tess, lax1, sam):
    tag = Tag.issue(lax1.sw_b_port, by=sam)
    client.force_login(tess)
    html = client.get(f"/t/{tag.code}").content.decode()
    assert "Eth1/1" in html and "sw-b" in html and "Not applied yet" in html


def test_the_tag_page_needs_a_login_and_comes_back_after_it(client, active_tag):
    response = client.get(f"/t/{active_tag.code}")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/t/{active_tag.code}"


def test_a_revoked_tag_answers_410_and_says_not_to_use_it(client, tess, ada, active_tag):
    active_tag.revoke(reason="label damaged", by=ada)
    client.force_login(tess)
    response = client.get(f"/t/{active_tag.code}")
    assert response.status_code == 410
    assert b"Revoked tag" in response.content and b"label damaged" in response.content
    assert b"Check serial and apply" not in response.content


@pytest.mark.parametrize(
    "bad",
    [
        "NOTACODE",
        "ZZZZZZZZZZZZZZZZZZZZ",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        "A" * 3000,
        "UUUUUUUUUUUUUUUU",
    ],
)
def test_a_malformed_code_answers_404_with_a_clear_page(client, tess, bad):
    client.force_login(tess)
    response = client.get(f"/t/{bad}")
    assert response.status_code == 404
    assert b"Not a known tag" in response.content
    assert b"<script>alert" not in response.content


def test_a_nul_character_in_a_scanned_code_is_a_clear_400(client, tess):
    client.force_login(tess)
    response = client.get("/t/%00%00")
    assert response.status_code == 400 and b"NUL character" in response.content


def test_a_well_formed_unknown_code_answers_404(client, tess, lax1):
    client.force_login(tess)
    response = client.get(f"/t/{codes.new_code()}")
    assert response.status_code == 404
    assert b"No Lockstep tag has this code" in response.content


def test_a_tag_from_another_site_still_names_its_own_site(client, tess, active_tag):
    from tests.builders.sites import build_small_site

    other = build_small_site(suffix="-sfo")
    tag = Tag.issue(other.sw_a, by=tess)
    client.force_login(tess)
    html = client.get(f"/t/{tag.code}").content.decode()
    assert "LAX1-sfo" in html and "sw-a-sfo" in html


def test_the_tag_page_makes_a_fixed_number_of_queries(client, tess, active_tag, django_assert_num_queries):
    client.force_login(tess)
    # session, user, the user's roles, the tag with its asset, device, rack and site in one join
    with django_assert_num_queries(4):
        assert client.get(f"/t/{active_tag.code}").status_code == 200


def test_typing_a_short_code_opens_its_tag_without_telling_the_qrs_code(client, tess, active_tag):
    client.force_login(tess)
    response = client.get(reverse("inventory:tag_enter"), {"code": active_tag.display_short_code.lower()})
    assert response.status_code == 200 and "Active tag" in response.content.decode()
    assert active_tag.code not in response.content.decode()


def test_an_issued_tag_is_applied_by_the_short_code_typed(client, tess, lax1, sam):
    tag = Tag.issue(lax1.sw_a, by=sam)
    client.force_login(tess)
    page = client.get(reverse("inventory:tag_enter"), {"code": tag.display_short_code}).content.decode()
    assert "Check serial and apply" in page and tag.code not in page
    response = client.post(
        reverse("inventory:tag_commission", args=[tag.short_code]), {"serial": "FDO2231X0AA"}
    )
    assert response.status_code == 302 and response["Location"] == lax1.sw_a.get_absolute_url()
    assert Tag.objects.get(pk=tag.pk).status == TagStatus.ACTIVE


def test_a_mistyped_short_code_is_refused_not_matched(client, tess, active_tag):
    short = active_tag.short_code
    wrong = short[:3] + ("0" if short[3] != "0" else "1") + short[4:]
    client.force_login(tess)
    response = client.get(reverse("inventory:tag_enter"), {"code": wrong})
    assert response.status_code == 400
    assert b"mistyped" in response.content


def test_commissioning_from_the_phone_with_the_right_serial(client, tess, lax1, sam):
    tag = Tag.issue(lax1.sw_a, by=sam)
    client.force_login(tess)
    response = client.post(reverse("inventory:tag_commission", args=[tag.code]), {"serial": "FDO2231X0AA"})
    assert response.status_code == 302
    assert Tag.objects.get(pk=tag.pk).status == TagStatus.ACTIVE


def test_commissioning_with_the_wrong_serial_is_refused_in_words(client, tess, lax1, sam):
    tag = Tag.issue(lax1.sw_a, by=sam)
    client.force_login(tess)
    response = client.post(
        reverse("inventory:tag_commission", args=[tag.code]), {"serial": "<b>FDO2231X0BB</b>"}
    )
    assert response.status_code == 409
    assert b"Serial does not match" in response.content and b"NOT applied" in response.content
    assert Tag.objects.get(pk=tag.pk).status == TagStatus.ISSUED
    assert Discrepancy.objects.get().found == {"serial": "<b>FDO2231X0BB</b>"}


def test_commissioning_needs_a_post(client, tess, lax1, sam):
    tag = Tag.issue(lax1.sw_a, by=sam)
    client.force_login(tess)
    assert client.get(reverse("inventory:tag_commission", args=[tag.code])).status_code == 405


def test_a_tech_cannot_revoke_or_reissue(client, tess, active_tag):
    client.force_login(tess)
    for name in ("inventory:tag_revoke", "inventory:tag_reissue"):
        assert client.post(reverse(name, args=[active_tag.code]), {"reason": "x"}).status_code == 403
    assert Tag.objects.get(pk=active_tag.pk).status == TagStatus.ACTIVE


def test_an_approver_reissues_a_tag_from_its_page(client, ada, active_tag):
    client.force_login(ada)
    response = client.post(
        reverse("inventory:tag_reissue", args=[active_tag.code]), {"reason": "label faded"}
    )
    replacement = Tag.objects.get(replaces=active_tag)
    # Back to the asset, whose page prints the new label: the new code is in the label PDF, not a URL.
    assert response["Location"] == active_tag.asset.get_absolute_url()
    assert replacement.code not in response["Location"]
    assert Tag.objects.get(pk=active_tag.pk).status == TagStatus.REVOKED


def test_revoking_without_a_reason_changes_nothing(client, ada, active_tag):
    client.force_login(ada)
    client.post(reverse("inventory:tag_revoke", args=[active_tag.code]), {"reason": "   "})
    assert Tag.objects.get(pk=active_tag.pk).status == TagStatus.ACTIVE


def test_issuing_a_tag_from_the_device_page(client, ada, lax1):
    client.force_login(ada)
    response = client.post(reverse("inventory:tag_issue", args=["device", lax1.server.pk]))
    assert response.status_code == 302
    assert Tag.objects.get(device=lax1.server).status == TagStatus.ISSUED
    # A second press does not make a second tag.
    client.post(reverse("inventory:tag_issue", args=["device", lax1.server.pk]))
    assert Tag.objects.filter(device=lax1.server).count() == 1


def test_a_nul_character_in_a_form_is_refused_and_changes_nothing(client, ada, active_tag):
    client.force_login(ada)
    response = client.post(
        reverse("inventory:tag_revoke", args=[active_tag.code]), {"reason": "bad\x00label"}
    )
    assert response.status_code == 400
    assert Tag.objects.get(pk=active_tag.pk).status == TagStatus.ACTIVE
