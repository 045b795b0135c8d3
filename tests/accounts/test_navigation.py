"""The navigation comes from one object, `user_may` (accounts.roles.UserMay), and it offers a person exactly
the work areas whose pages let them in: no link to a 403, no page reachable only by typing its address."""

from __future__ import annotations

import re

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from accounts.roles import Role, UserMay
from tests.builders.people import make_user

# Every page either navigation links to, for someone.
NAV_PAGES = [
    "maintenance:queue",
    "maintenance:board",
    "checklists:templates",
    "coordinator_home",
    "incidents:incidents",
    "debriefs:debriefs",
    "credits:credits",
    "comms:outbox",
    "maintenance:tech_today",
    "maintenance:window_list",
    "inventory:index",
    "admin:index",
]


def nav_links(user, layout: str) -> set[str]:
    request = RequestFactory().get("/")
    request.user = user
    page = render_to_string(layout, request=request)
    nav = re.search(r'<nav class="(?:desk|phone)-nav".*?</nav>', page, re.S)
    return set(re.findall(r'href="([^"]+)"', nav.group(0))) if nav else set()


def admitted(client, user) -> set[str]:
    client.force_login(user)
    return {reverse(name) for name in NAV_PAGES if client.get(reverse(name)).status_code == 200}


PEOPLE = {
    "tess": (Role.TECH,),
    "ada": (Role.APPROVER,),
    "cora": (Role.COORDINATOR,),
    "sam": (Role.ADMIN,),
    "olive": (),
    "ada_and_cora": (Role.APPROVER, Role.COORDINATOR),
    "tess_and_sam": (Role.TECH, Role.ADMIN),
}


@pytest.mark.parametrize("name", PEOPLE)
def test_the_desk_links_exactly_the_pages_that_let_each_person_in(client, db, name):
    roles = PEOPLE[name]
    user = make_user(name, *roles, is_staff=Role.ADMIN in roles)
    shown = nav_links(user, "layouts/desktop.html")
    # The checklists are open to every role; the desk links them from the approver's areas only.
    assert shown == admitted(client, user) - (
        set() if UserMay(user).approve else {reverse("checklists:templates")}
    )


def test_the_phone_links_a_tech_to_her_work_and_nothing_she_may_not_open(client, tess):
    shown = nav_links(tess, "layouts/phone.html")
    assert shown == {
        reverse("maintenance:tech_today"),
        reverse("maintenance:window_list"),
        reverse("inventory:index"),
    }
    assert shown <= admitted(client, tess)


def test_someone_without_a_role_is_offered_no_work_area(olive):
    may = UserMay(olive)
    assert not any((may.work, may.work_today, may.approve, may.coordinate, may.respond, may.administer))
    assert nav_links(olive, "layouts/desktop.html") == set()


def test_the_inventory_links_onward_only_where_the_page_lets_them_in(client, ada, tess, sam):
    for user, expected in (
        (tess, set()),
        (ada, {reverse("inventory:discrepancies")}),
        (sam, {reverse("inventory:discrepancies"), reverse("inventory:import")}),
    ):
        client.force_login(user)
        page = client.get(reverse("inventory:index")).content.decode()
        onward = {reverse("inventory:discrepancies"), reverse("inventory:import")}
        assert {url for url in onward if f'href="{url}"' in page} == expected
        for url in onward:
            assert (client.get(url).status_code == 200) == (url in expected)


def test_asking_what_a_person_may_do_reads_their_roles_once(ada, django_assert_num_queries):
    may = UserMay(ada)
    with django_assert_num_queries(1):  # the user's groups, then kept on the user
        assert may.approve and may.respond and may.work and not may.coordinate and not may.read_outbox
