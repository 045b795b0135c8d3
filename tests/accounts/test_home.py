from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import Role
from tests.builders.people import make_user


@pytest.mark.parametrize(
    ("fixture", "area", "words"),
    [
        ("tess", "maintenance:tech_today", b"Today's work"),
        ("ada", "maintenance:queue", b"Approvals"),
        ("cora", "coordinator_home", b"Coordination"),
        ("sam", "admin:index", b"Site administration"),
    ],
)
def test_home_sends_each_role_to_where_it_works(db, client, request, fixture, area, words):
    client.force_login(request.getfixturevalue(fixture))
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse(area)
    assert words in response.content


def test_someone_with_two_roles_chooses_where_to_work(client, db):
    client.force_login(make_user("dual", Role.APPROVER, Role.COORDINATOR))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert reverse("maintenance:queue").encode() in response.content
    assert reverse("coordinator_home").encode() in response.content


def test_someone_without_a_role_is_told_so(client, olive):
    client.force_login(olive)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert b"Your account has no role yet" in response.content


def test_pages_carry_htmx_and_send_the_csrf_token_with_every_htmx_request(client, tess):
    client.force_login(tess)
    response = client.get(reverse("maintenance:tech_today"))
    html = response.content.decode()
    assert "htmx" in html and "<script" in html
    token = response.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in html
