"""Who changes a window is one rule, `Window.may_edit`: the page offers "Edit details", the target picker and
"Remove" exactly when it allows, and the edit and target POSTs refuse when it does not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from maintenance.models import TargetAction, Window
from tests.builders.windows import make_window


def editing_offered(client, user, window: Window) -> set[str]:
    client.force_login(user)
    page = client.get(window.get_absolute_url()).content.decode()
    return {
        name
        for name, marker in (
            ("edit", reverse("maintenance:window_edit", args=[window.pk])),
            ("add", reverse("maintenance:target_add", args=[window.pk])),
            ("remove", "Remove "),
        )
        if marker in page
    }


@pytest.mark.parametrize("submitted", [False, True])
def test_the_page_offers_editing_exactly_when_the_window_allows_it(client, rex, tess, ada, lax1, submitted):
    window = make_window(rex, lax1.site)
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.sw_a)
    if submitted:
        window.submit(by=rex)
    for user in (rex, tess, ada):
        fresh = Window.objects.get(pk=window.pk)
        expected = {"edit", "add", "remove"} if fresh.may_edit(user) else set()
        assert editing_offered(client, user, fresh) == expected, user.username
    # Rex requested the draft: only he edits it, and only while it is a draft.
    assert Window.objects.get(pk=window.pk).may_edit(rex) is not submitted
    assert not Window.objects.get(pk=window.pk).may_edit(tess)


def test_a_user_the_rule_refuses_cannot_edit_by_posting(client, rex, tess, lax1):
    window = make_window(rex, lax1.site)
    assert not window.may_edit(tess)
    client.force_login(tess)
    response = client.post(
        reverse("maintenance:window_edit", args=[window.pk]), {"title": "Tess was here"}, follow=True
    )
    assert window.edit_refusal(tess) in response.content.decode()
    response = client.post(
        reverse("maintenance:target_add", args=[window.pk]),
        {"device": lax1.sw_b.pk, "action": "power_off"},
        follow=True,
    )
    assert "Only the requester changes their window." in response.content.decode()
    window.refresh_from_db()
    assert window.title == "Swap optics" and not window.targets.exists()


def test_a_submitted_window_refuses_its_requester_too(client, rex, lax1):
    window = make_window(rex, lax1.site)
    window.add_target(by=rex, action=TargetAction.POWER_OFF, device=lax1.sw_a)
    window.submit(by=rex)
    assert window.edit_refusal(rex) == (
        "Only a draft can be changed. A submitted window goes back to draft when rejected."
    )
    client.force_login(rex)
    response = client.post(
        reverse("maintenance:target_add", args=[window.pk]),
        {"device": lax1.sw_b.pk, "action": "power_off"},
        follow=True,
    )
    assert window.edit_refusal(rex) in response.content.decode()
    assert window.targets.count() == 1
