"""Search is no oracle for serials and tag codes. Tess, in the break room, knew a switch's serial might be
FDO2231X0AA: searching it listed sw-a, and a wrong guess listed nothing, so she could confirm a serial without
standing at the rack. Now search matches names only, for everyone: a right guess and a wrong one get the same
page. An approver who needs to look a serial or a code up (a support call, a label found loose) does it on
purpose, with a reason, and each asset found is recorded as a reveal."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from inventory import codes

RIGHT_SERIAL = "FDO2231X0AA"  # sw-a's
WRONG_SERIAL = "FDO2231X0AC"


def on_phone(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def search(client: Client, query: str) -> str:
    """The page as the searcher sees it, with what they typed taken out (as typed, and as a code, normalized,
    in the link to the page for typing a label), and the session's CSRF token: what is left is what the search
    told them."""
    response = client.get(reverse("inventory:index"), {"q": query})
    assert response.status_code == 200
    html = response.content.decode().replace(query, "<query>")
    html = re.sub(r'(/inventory/tags/enter/\?code=)[^"]+', r"\1", html)
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", html)


def links_to(device) -> str:
    return f'href="{device.get_absolute_url()}"'


def a_short_code_no_tag_has(taken: str) -> str:
    body = "ZZZZZZZZ" if not taken.startswith("ZZZZZZZZ") else "YYYYYYYY"
    return codes.format_short(body + codes.check_symbol(body))


def look_up(client: Client, query: str, reason: str):
    return client.post(reverse("inventory:identity_search"), {"q": query, "reason": reason})


@pytest.mark.parametrize("person", ["tess", "ada", "sam"])
def test_a_right_serial_and_a_wrong_one_get_the_same_search_page(request, lax1, person):
    client = on_phone(request.getfixturevalue(person))
    right, wrong = search(client, RIGHT_SERIAL), search(client, WRONG_SERIAL)
    assert right == wrong
    assert links_to(lax1.sw_a) not in right and "Search finds names, never serials or tag codes." in right


@pytest.mark.parametrize("person", ["tess", "ada"])
def test_a_real_tag_code_and_a_made_up_one_get_the_same_search_page(request, lax1, active_tag, person):
    client = on_phone(request.getfixturevalue(person))
    made_up = a_short_code_no_tag_has(active_tag.short_code)
    real_page = search(client, active_tag.display_short_code)
    assert real_page == search(client, made_up)
    assert links_to(lax1.sw_a) not in real_page
    # The long code too, as a QR's address or bare.
    assert search(client, f"https://lockstep.example/t/{active_tag.code}/") == search(
        client, f"https://lockstep.example/t/{'Z' * codes.CODE_LENGTH}/"
    )


def test_a_tech_is_not_offered_the_lookup_and_cannot_post_it(lax1, tess, olive):
    tess_phone = on_phone(tess)
    assert "Look “" not in search(tess_phone, RIGHT_SERIAL)
    for client in (tess_phone, on_phone(olive)):
        right = look_up(client, RIGHT_SERIAL, "curious")
        wrong = look_up(client, WRONG_SERIAL, "curious")
        assert right.status_code == wrong.status_code == 403
        assert links_to(lax1.sw_a) not in right.content.decode()
    assert look_up(Client(), RIGHT_SERIAL, "curious").status_code == 302  # to the login page
    assert not AuditEvent.objects.filter(action="inventory.revealed").exists()


def test_an_approver_looks_a_serial_up_on_purpose_and_it_is_recorded(lax1, ada):
    client = on_phone(ada)
    assert "Look “<query>” up as a serial or tag code (recorded)" in search(client, RIGHT_SERIAL)

    response = look_up(client, RIGHT_SERIAL.lower(), "support call from the vendor about this chassis")

    html = response.content.decode()
    assert response.status_code == 200 and links_to(lax1.sw_a) in html and RIGHT_SERIAL in html
    assert response["Cache-Control"] == "no-store"
    event = AuditEvent.objects.get(action="inventory.revealed")
    assert event.actor == ada and event.object_id == str(lax1.sw_a.pk)
    assert event.payload == {"what": ["serial"], "reason": "support call from the vendor about this chassis"}


def test_an_approver_looks_a_tag_code_up_and_a_miss_says_so(lax1, active_tag, ada):
    client = on_phone(ada)
    html = look_up(client, active_tag.display_short_code, "label found on the floor").content.decode()
    assert links_to(lax1.sw_a) in html and active_tag.display_short_code in html
    assert AuditEvent.objects.filter(action="inventory.revealed", actor=ada).count() == 1

    missed = look_up(client, WRONG_SERIAL, "support call").content.decode()
    assert "No device has this serial and no tag has this code." in missed
    assert AuditEvent.objects.filter(action="inventory.revealed").count() == 1


def test_a_lookup_needs_a_reason_and_a_post(lax1, ada):
    client = on_phone(ada)
    assert client.get(reverse("inventory:identity_search"), {"q": RIGHT_SERIAL}).status_code == 405
    refused = client.post(
        reverse("inventory:identity_search"), {"q": RIGHT_SERIAL, "reason": "  "}, follow=True
    )
    assert "Say why you need to look it up" in refused.content.decode()
    assert links_to(lax1.sw_a) not in refused.content.decode()
    assert not AuditEvent.objects.filter(action="inventory.revealed").exists()


def test_the_lookup_is_csrf_protected(lax1, ada):
    client = Client(enforce_csrf_checks=True)
    client.force_login(ada)
    assert look_up(client, RIGHT_SERIAL, "support call").status_code == 403
    assert not AuditEvent.objects.filter(action="inventory.revealed").exists()
