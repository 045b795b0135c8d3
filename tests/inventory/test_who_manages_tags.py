"""Who issues, revokes and reissues tags is one rule, `Tag.may_manage`: the device, port and tag pages offer
those forms exactly when it allows, and their POSTs refuse everyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from inventory.models import Tag, TagStatus

PEOPLE = ("tess", "ada", "cora", "sam")


@pytest.fixture
def people(tess, ada, cora, sam):
    return {"tess": tess, "ada": ada, "cora": cora, "sam": sam}


@pytest.mark.parametrize("name", PEOPLE)
def test_issuing_is_offered_exactly_when_the_rule_allows(client, people, lax1, name):
    user = people[name]
    client.force_login(user)
    device_page = client.get(lax1.server.get_absolute_url()).content.decode()
    port_page = client.get(lax1.sw_b_port.get_absolute_url()).content.decode()
    device_issue = reverse("inventory:tag_issue", args=["device", lax1.server.pk])
    port_issue = reverse("inventory:tag_issue", args=["port", lax1.sw_b_port.pk])
    assert (f'action="{device_issue}"' in device_page) == Tag.may_manage(user)
    assert (f'action="{port_issue}"' in port_page) == Tag.may_manage(user)
    answer = client.post(device_issue)
    assert answer.status_code == (302 if Tag.may_manage(user) else 403)
    assert Tag.objects.filter(device=lax1.server).exists() == Tag.may_manage(user)


@pytest.mark.parametrize("name", PEOPLE)
def test_revoking_is_offered_exactly_when_the_rule_allows(client, people, active_tag, name):
    user = people[name]
    client.force_login(user)
    page = client.get(f"/t/{active_tag.code}").content.decode()
    revoke = reverse("inventory:tag_revoke", args=[active_tag.code])
    assert (revoke in page) == Tag.may_manage(user)
    answer = client.post(revoke, {"reason": "label damaged"})
    assert answer.status_code == (302 if Tag.may_manage(user) else 403)
    revoked = Tag.objects.get(pk=active_tag.pk).status == TagStatus.REVOKED
    assert revoked == Tag.may_manage(user)


def test_approvers_and_admins_manage_tags_and_nobody_else(people, olive):
    assert {name for name, user in people.items() if Tag.may_manage(user)} == {"ada", "sam"}
    assert not Tag.may_manage(olive)
