"""The Content-Security-Policy holds in a real Chromium: script or style that got into a page some other way
than our static files does not run, and only a page with the camera scanner compiles WebAssembly."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from accounts.roles import Role
from tests.builders.browser import log_in, screenshot
from tests.builders.people import PASSWORD, make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.browser.scanner_urls"),
]

# What text that escaped escaping would look like once in the page: an inline script, an event handler, a
# style attribute and a javascript: link. (Playwright's evaluate itself is not under the page's policy.)
INJECT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.injected = 'script'";
  document.body.append(script);
  const button = document.createElement("button");
  button.id = "injected-button";
  button.textContent = "Injected";
  button.setAttribute("onclick", "window.injected = 'handler'");
  button.setAttribute("style", "outline: 9px solid rgb(255, 0, 0)");
  document.body.append(button);
  const link = document.createElement("a");
  link.id = "injected-link";
  link.textContent = "Injected link";
  link.href = "javascript:window.injected = 'link'";
  document.body.append(link);
}"""
REFUSED_INLINE = ("script-src-elem", "script-src-attr", "style-src-attr")
COMPILE_WASM = """() => WebAssembly.compile(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
  .then(() => "compiled", (error) => error.name)"""


def heard(page, csp_violations: list[str], *texts: str) -> str:
    """The violations reported so far, once each of `texts` is among them (the console speaks a moment after
    the page acted)."""
    while not all(text in "\n".join(csp_violations) for text in texts):
        try:
            page.wait_for_event("console", timeout=2000)  # each message reaches csp_violations too
        except PlaywrightTimeoutError:
            break  # what was heard is what the assertion reports
    return "\n".join(csp_violations)


def test_script_and_style_put_into_the_login_page_do_not_run(live_server, phone, csp_violations):
    page = phone.new_page()
    response = page.goto(f"{live_server.url}/login/")
    header = response.header_value("content-security-policy")
    assert "script-src 'self';" in f"{header};" and "'unsafe-inline'" not in header

    page.evaluate(INJECT)
    page.locator("#injected-button").click()
    page.locator("#injected-link").click()
    expected = [f"CSP violation: {directive} refused inline" for directive in REFUSED_INLINE]
    refused = heard(page, csp_violations, *expected, "Running the JavaScript URL violates")

    assert page.evaluate("() => window.injected") is None
    outline = page.locator("#injected-button").evaluate("(el) => getComputedStyle(el).outlineColor")
    assert outline != "rgb(255, 0, 0)"
    for text in [*expected, "Running the JavaScript URL violates"]:
        assert text in refused
    csp_violations.clear()  # provoked on purpose: the policy did its work


def test_only_the_page_with_the_camera_scanner_compiles_webassembly(live_server, phone, csp_violations):
    page = phone.new_page()
    page.goto(f"{live_server.url}/scanner-test/")
    assert page.evaluate(COMPILE_WASM) == "compiled"

    page.goto(f"{live_server.url}/login/")
    assert page.evaluate(COMPILE_WASM) == "CompileError"
    assert "CSP violation: script-src refused wasm-eval" in heard(
        page, csp_violations, "CSP violation: script-src refused wasm-eval"
    )
    csp_violations.clear()


def test_sams_admin_pages_and_their_widgets_run_under_the_same_policy(live_server, wide):
    """Django's admin has no inline script or style of its own (since 5.0): no exception is made for it."""
    make_user("sam", Role.ADMIN, is_staff=True, is_superuser=True)
    page = wide.new_page()
    log_in(page, live_server, "sam", PASSWORD)

    for path in ("/admin/", "/admin/inventory/device/", "/admin/audit/auditevent/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        assert "'unsafe-inline'" not in response.header_value("content-security-policy")

    # The add form's widgets are the admin's own scripts at work: the two-box picker and the date shortcuts.
    page.goto(f"{live_server.url}/admin/inventory/service/add/")
    assert page.locator("#id_devices_filter").is_visible()  # SelectFilter2 built the picker
    page.goto(f"{live_server.url}/admin/maintenance/blackout/add/")
    page.locator(".datetimeshortcuts a", has_text="Today").first.click()
    assert page.locator("input[name$='_0']").first.input_value() != ""
    screenshot(page, "admin-blackout-add-wide")
