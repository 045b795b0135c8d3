"""Real Chromium (Debian's) driven by Playwright, never a downloaded browser: the browser, its phone- and
desk-sized contexts, and the Content-Security-Policy watch over every page. Every test here is marked
`browser` (a conftest's own `pytestmark` marks nothing: the collection hook below does it)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.builders.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    PHONE_740,
    watch_for_csp_violations,
)

HERE = Path(__file__).resolve().parent

# Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    """Marked here, once, for every test under tests/browser/ (`-m "not browser"` leaves them all out)."""
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run scripts/system-deps"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def csp_violations(monkeypatch):
    """What any page of this test had refused by the policy; the test fails if anything was. Every context
    is watched, however it is made (a fixture here, a test's own, another Chromium launched for a camera).
    A test that provokes a violation on purpose reads this list and empties it."""
    from playwright.sync_api import Browser

    seen: list[str] = []
    new_context, new_page = Browser.new_context, Browser.new_page

    def watched_context(self, *args, **kwargs):
        return watch_for_csp_violations(new_context(self, *args, **kwargs), seen)

    def watched_page(self, *args, **kwargs):
        page = new_page(self, *args, **kwargs)
        watch_for_csp_violations(page.context, seen)
        return page

    monkeypatch.setattr(Browser, "new_context", watched_context)
    monkeypatch.setattr(Browser, "new_page", watched_page)
    yield seen
    assert not seen, "The Content-Security-Policy refused something:\n" + "\n".join(dict.fromkeys(seen))


@pytest.fixture
def phone(browser):
    context = browser.new_context(**PHONE)
    yield context
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(**DESKTOP)
    yield context
    context.close()


@pytest.fixture
def phone_740(browser):
    context = browser.new_context(**PHONE_740)
    yield context
    context.close()


@pytest.fixture
def wide(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    yield context
    context.close()
