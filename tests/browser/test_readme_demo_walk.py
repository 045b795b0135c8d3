"""The README's demo walk, step by step in Chromium, so the README and the demo cannot drift apart: ada at
1440x900, tess on a 360x740 phone."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from maintenance.models import Window, WindowStatus
from tests.builders.browser import log_in, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

PAIR = ("Replace optics on lax1-a02-tor-a", "Firmware upgrade lax1-a02-tor-b")
READY = "Move lax1-a03-web10 to rack A04"


def test_the_readme_walk(live_server, wide, phone_740):
    call_command("load_demo")
    # ada: Approvals lists CHG-1 and CHG-2 with their blast radius and the pair conflict.
    ada = wide.new_page()
    log_in(ada, live_server, "ada", "ada-lockstep")
    for title in PAIR:
        assert ada.get_by_role("link", name=title).is_visible()
    assert ada.get_by_text("a redundant pair cut on both sides").first.is_visible()
    # Approve one of them; approving the other then needs an override naming the services.
    ada.get_by_role("link", name=PAIR[0]).click()
    ada.get_by_role("button", name="Approve").click()
    assert ada.get_by_text("approved.").first.is_visible()
    ada.goto(f"{live_server.url}{Window.objects.get(title=PAIR[1]).get_absolute_url()}")
    assert ada.get_by_text("Approving needs an override").is_visible()
    screenshot(ada, "readme-walk-override-1440")
    # Open CHG-3 from Windows: approved, with its runbook.
    ada.get_by_role("link", name="Windows").first.click()
    ada.get_by_role("link", name=READY).first.click()
    assert ada.locator(".badge", has_text="Approved").first.is_visible()
    assert ada.get_by_role("link", name="Printable runbook (PDF)").is_visible()

    # tess on a phone: Today's work lists CHG-3; start it, and the phone goes to its first step.
    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", "tess-lockstep")
    tess.goto(f"{live_server.url}/tech/")
    assert tess.get_by_text(READY).is_visible()
    assert tess.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(tess, "readme-walk-today-360x740")
    # The approved pair half starts tomorrow 22:00 site time: after 22:00 it is within Today's 24 hours too, so
    # the button is the one on CHG-3's card.
    ready = Window.objects.get(title=READY)
    tess.locator(f"#window-{ready.pk}").get_by_role("button", name="Start window").click()
    tess.wait_for_load_state()
    assert "/steps/1/" in tess.url
    assert Window.objects.get(title=READY).status == WindowStatus.IN_PROGRESS


def test_the_windows_list_and_the_plan_form_fit_a_phone(live_server, phone_740):
    call_command("load_demo")
    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", "tess-lockstep")
    tess.goto(f"{live_server.url}/windows/")
    assert tess.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(tess, "windows-list-360x740")
    tess.goto(f"{live_server.url}/windows/new/")
    small = tess.evaluate(
        """() => [...document.querySelectorAll('form.form :is(input, select, textarea, button)')]
            .filter(el => el.type !== 'hidden')
            .map(el => [el.name + ' ' + el.type, el.type, el.getBoundingClientRect()])
            .filter(([, type, box]) => ['checkbox', 'radio'].includes(type) ? box.height < 24 : box.height < 44)
            .map(([what, , box]) => what + ' ' + Math.round(box.height))"""
    )
    assert small == []
    screenshot(tess, "plan-form-360x740")


def test_every_page_a_tech_opens_is_laid_out_for_the_phone(live_server, phone_740):
    """One look per person: the shared pages (windows, inventory) take the phone's layout for a tech, fit
    360 px without sideways scrolling, and every control is a thumb's size."""
    from inventory.models import Device, Port, Rack, Site
    from tests.builders.browser import small_controls

    call_command("load_demo")
    window = Window.objects.get(title=READY)
    device = Device.objects.filter(ports__isnull=False).order_by("pk").first()
    pages = {
        "windows": "/windows/",
        "window": window.get_absolute_url(),
        "plan": "/windows/new/",
        "inventory": "/inventory/",
        "site": Site.objects.order_by("pk").first().get_absolute_url(),
        "rack": Rack.objects.filter(devices__isnull=False).order_by("pk").first().get_absolute_url(),
        "device": device.get_absolute_url(),
        "port": Port.objects.filter(device=device).order_by("pk").first().get_absolute_url(),
    }
    tess = phone_740.new_page()
    log_in(tess, live_server, "tess", "tess-lockstep")
    for name, url in pages.items():
        tess.goto(f"{live_server.url}{url}")
        assert tess.evaluate("document.body.className") == "phone", name
        assert tess.evaluate("document.documentElement.scrollWidth") <= 360, name
        assert small_controls(tess) == [], name
        assert (
            tess.get_by_role("navigation", name="Work areas")
            .get_by_role("link", name="Today's work")
            .is_visible()
        )
        screenshot(tess, f"issue11-tech-{name}-360x740")
