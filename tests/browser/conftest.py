"""Real Chromium (Debian's) driven by Playwright. Never a downloaded browser."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
PHONE = {
    "viewport": {"width": 360, "height": 780},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run scripts/system-deps"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# Every page a browser test opens runs under the Content-Security-Policy with nothing refused. Chromium says
# so in the console ("... violates the following Content Security Policy directive ..."); the init script
# (run by Playwright outside the page's policy) also reports each securitypolicyviolation event it sees.
# Playwright's wait_for_function runs an expression string through the page's eval, which the policy
# refuses: give it a function ("() => ...") instead.
CSP_VIOLATION = "CSP violation:"
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} refused ${event.blockedURI || "inline"} ` +
    `at ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
}, true);
"""


def _watch_for_csp_violations(context, seen: list[str]):
    context.add_init_script(script=REPORT_CSP_VIOLATIONS)

    def heard(message) -> None:
        if message.text.startswith(CSP_VIOLATION) or "Content Security Policy" in message.text:
            seen.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", heard)
    return context


@pytest.fixture(autouse=True)
def csp_violations(monkeypatch):
    """What any page of this test had refused by the policy; the test fails if anything was. Every context
    is watched, however it is made (a fixture here, a test's own, another Chromium launched for a camera).
    A test that provokes a violation on purpose reads this list and empties it."""
    from playwright.sync_api import Browser

    seen: list[str] = []
    new_context, new_page = Browser.new_context, Browser.new_page

    def watched_context(self, *args, **kwargs):
        return _watch_for_csp_violations(new_context(self, *args, **kwargs), seen)

    def watched_page(self, *args, **kwargs):
        page = new_page(self, *args, **kwargs)
        _watch_for_csp_violations(page.context, seen)
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


# The sizes the field-ready walk was judged at: a 360x740 phone with touch, and a 1440x900 desk.
PHONE_740 = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


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


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()
