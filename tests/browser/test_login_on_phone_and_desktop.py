from __future__ import annotations

import pytest

from accounts.roles import Role
from tests.builders.browser import TARGETS_TOO_SMALL, log_in, screenshot
from tests.builders.people import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_login_page_fits_a_360px_phone_and_logs_a_tech_in(live_server, phone):
    make_user("tess", Role.TECH)
    page = phone.new_page()
    page.goto(f"{live_server.url}/login/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(TARGETS_TOO_SMALL) == []
    screenshot(page, "login-phone-360")

    log_in(page, live_server, "tess", PASSWORD)
    assert page.url == f"{live_server.url}/tech/"
    assert page.get_by_role("heading", name="Today's work").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate(TARGETS_TOO_SMALL) == []
    screenshot(page, "tech-home-phone-360")


def test_a_wrong_password_says_so_in_words_on_the_phone(live_server, phone):
    make_user("tess", Role.TECH)
    page = phone.new_page()
    log_in(page, live_server, "tess", "wrong-password")

    assert page.url.startswith(f"{live_server.url}/login/")
    assert page.get_by_role("alert").inner_text().startswith("Please enter a correct username and password")
    screenshot(page, "login-phone-360-wrong-password")


def test_the_desktop_home_lets_a_two_role_user_pick_a_work_area(live_server, desktop):
    make_user("ada", Role.APPROVER, Role.COORDINATOR)
    page = desktop.new_page()
    log_in(page, live_server, "ada", PASSWORD)

    assert page.get_by_role("heading", name="Welcome, ada").is_visible()
    screenshot(page, "home-desktop")
    page.get_by_role("link", name="Approvals").first.click()
    assert page.url == f"{live_server.url}/approvals/"
    screenshot(page, "approvals-desktop")


def test_logging_out_from_the_phone_returns_to_the_login_page(live_server, phone):
    make_user("tess", Role.TECH)
    page = phone.new_page()
    log_in(page, live_server, "tess", PASSWORD)
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server.url}/login/")
    page.goto(f"{live_server.url}/tech/")
    assert page.url.startswith(f"{live_server.url}/login/")
