"""Real Chromium (Debian's), driven by Playwright, and what the browser tests look for on its pages.
Never a downloaded browser."""

from __future__ import annotations

from pathlib import Path

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


# The sizes the field-ready walk was judged at: a 360x740 phone with touch, and a 1440x900 desk.
PHONE_740 = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


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


def watch_for_csp_violations(context, seen: list[str]):
    context.add_init_script(script=REPORT_CSP_VIOLATIONS)

    def heard(message) -> None:
        if message.text.startswith(CSP_VIOLATION) or "Content Security Policy" in message.text:
            seen.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", heard)
    return context


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


# Everything a thumb can hit on the page: links, buttons and fields.
# A checkbox or radio inside its label is hit anywhere on the label: the label is the target measured.
TARGETS_TOO_SMALL = """
() => [...document.querySelectorAll('a, button, input:not([type=hidden]), select, textarea')]
  .filter(el => el.offsetParent !== null && !el.classList.contains('skip-link'))
  .map(el => ({el: el.outerHTML.slice(0, 80),
               h: ((['checkbox', 'radio'].includes(el.type) && el.closest('label')) || el)
                    .getBoundingClientRect().height}))
  .filter(t => t.h < 48)
"""


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] >= 0


def small_controls(page) -> list[str]:
    """Every visible control smaller than 44 px either way (a checkbox: its label), by its text."""
    return page.evaluate(
        """() => [...document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, summary')]
          .filter(el => el.offsetParent !== null && !el.closest('.skip-link') && !el.classList.contains('skip-link'))
          // Inside a closed <details> only its summary shows.
          .filter(el => el.tagName === 'SUMMARY' || !el.closest('details:not([open])'))
          // A checkbox is hit through its label: the label is the target that must be a thumb's size.
          .map(el => [el, (['checkbox', 'radio'].includes(el.type) && el.closest('label') || el).getBoundingClientRect()])
          .filter(([el, r]) => r.height < 44 || r.width < 44)
          .map(([el, r]) => `${el.tagName} "${(el.textContent || el.name || '').trim().slice(0, 40)}" ${Math.round(r.width)}x${Math.round(r.height)}`)"""
    )
