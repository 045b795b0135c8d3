from __future__ import annotations

from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.roles import Role, has_role


def test_the_four_roles_exist_as_groups_after_migrating(db):
    assert set(Group.objects.values_list("name", flat=True)) >= {"tech", "approver", "coordinator", "admin"}
    assert {role.value for role in Role} == {"tech", "approver", "coordinator", "admin"}


def test_a_user_has_only_the_roles_given(tess, ada):
    assert has_role(tess, Role.TECH) and not has_role(tess, Role.APPROVER)
    assert has_role(ada, Role.APPROVER) and not has_role(ada, Role.TECH)


def test_a_tech_cannot_open_the_approvers_area(client, tess):
    client.force_login(tess)
    response = client.get(reverse("maintenance:queue"))
    assert response.status_code == 403
    assert b"This page is for the approver role." in response.content


def test_someone_without_a_role_cannot_open_any_work_area(client, olive):
    client.force_login(olive)
    for name in ("maintenance:tech_today", "maintenance:queue", "coordinator_home"):
        assert client.get(reverse(name)).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("maintenance:tech_today"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('maintenance:tech_today')}"
