"""A window action that needs a role checks it before the window is read: deciding and resuming are an
approver's, pausing too. olive (no role) and tess (a tech) get the same 403 whether or not the window exists,
and the answer names nothing about it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from maintenance.models import TargetAction, WindowDecision, WindowStatus
from tests.builders.windows import make_window

MISSING = 987654


@pytest.fixture
def submitted(lax1, rex, tess):
    window = make_window(rex, lax1.site, title="Swap the optics on sw-a")
    window.assignees.add(tess)
    window.add_target(by=rex, action=TargetAction.UNPLUG, port=lax1.port(lax1.sw_a, "Eth1/1"))
    window.submit(by=rex)
    return window


def _page(response) -> str:
    return re.sub(r"\b[A-Za-z0-9]{64}\b", "TOKEN", response.content.decode())  # the CSRF tokens differ


@pytest.mark.parametrize("who", ["olive", "tess"])
@pytest.mark.parametrize(
    ("url_name", "action", "data"),
    [
        ("maintenance:window_action", "decide", {"decision": "approve", "comment": ""}),
        ("maintenance:window_action", "resume", {}),
        ("maintenance:window_pause", None, {"reason": "stop"}),
    ],
)
def test_an_approvers_window_action_is_a_403_whether_or_not_the_window_exists(
    client, request, submitted, who, url_name, action, data
):
    client.force_login(request.getfixturevalue(who))

    def url(pk):
        return reverse(url_name, args=[pk, action] if action else [pk])

    real = client.post(url(submitted.pk), data)
    missing = client.post(url(MISSING), data)
    assert real.status_code == missing.status_code == 403
    assert _page(real) == _page(missing)
    assert submitted.title not in real.content.decode() and submitted.reference not in real.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == WindowStatus.SUBMITTED
    assert not WindowDecision.objects.exists()


def test_an_unknown_action_is_a_404_before_the_window_is_read(client, tess, submitted):
    client.force_login(tess)
    real = client.post(reverse("maintenance:window_action", args=[submitted.pk, "detonate"]))
    missing = client.post(reverse("maintenance:window_action", args=[MISSING, "detonate"]))
    assert real.status_code == missing.status_code == 404


def test_the_approver_still_decides(client, ada, submitted):
    client.force_login(ada)
    client.post(reverse("maintenance:window_action", args=[submitted.pk, "decide"]), {"decision": "approve"})
    submitted.refresh_from_db()
    assert submitted.status == WindowStatus.APPROVED
