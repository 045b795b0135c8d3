"""The coordinator makes it right in a real browser: credits proposed from the incident's page, read with their
arithmetic, one adjusted with a reason, approved; on the desk and on a phone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from accounts.roles import Role
from credits.models import Credit, CreditState, SlaPlan
from incidents.models import Impact, Incident
from inventory.models import Customer, Service
from tests.browser.conftest import log_in, screenshot
from tests.browser.test_phone_follows_the_work import small_controls
from tests.checklists.conftest import build_scene
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_credits_are_proposed_read_adjusted_and_approved(live_server, wide, phone_740):
    cora = make_user("cora", Role.COORDINATOR)
    SlaPlan.objects.create(
        name="Managed hosting", monthly_fee=Decimal("300.00"), block_minutes=30, block_percent=5
    )
    site = build_scene(start=False).site.site
    customers = Customer.objects.bulk_create(Customer(name=f"Customer {n}") for n in range(3))
    services = Service.objects.bulk_create(
        Service(customer=c, name=f"shop-{n}", sla_plan="Managed hosting") for n, c in enumerate(customers)
    )
    start = datetime(2026, 11, 14, 2, 10, tzinfo=UTC)
    incident = Incident.declare(
        by=cora,
        site=site,
        title="Websites unreachable",
        impact=Impact.MAJOR,
        message="We are investigating.",
        services=[s.pk for s in services],
        started_at=start,
    )
    for n, service in enumerate(services):
        incident.restore(by=cora, services=[service.pk], at=start + timedelta(hours=4 + 3.75 * n))

    desk = wide.new_page()
    log_in(desk, live_server, "cora", PASSWORD)
    desk.goto(f"{live_server.url}{incident.get_absolute_url()}")
    desk.get_by_role("button", name="Propose SLA credits for the affected services").click()
    desk.get_by_text("3 credit(s) proposed for").wait_for()
    main = desk.locator("main").inner_text()
    assert "shop-0: 120.00 USD" in main and "shop-2: 300.00 USD" in main and "capped at 100.00%" in main
    assert "Shown: 660.00 USD across 3 credits." in main
    screenshot(desk, "issue13-credits-proposed-1440")

    card = desk.locator("article", has_text="shop-1")
    card.get_by_text("Adjust…").click()
    card.get_by_label("Amount (USD; the month's fee is 300.00)").fill("250.00")
    card.get_by_label("Why (the customer may ask)").fill("Key account: rounded up as agreed with the CTO.")
    card.get_by_role("button", name="Save the adjusted amount").click()
    desk.get_by_text("now 250.00 USD").wait_for()
    card = desk.locator("article", has_text="shop-1")
    card.get_by_role("button", name="Approve 250.00 USD").click()
    desk.get_by_text("approved, 250.00 USD").wait_for()
    assert Credit.objects.get(service__name="shop-1").state == CreditState.APPROVED
    desk.reload()
    assert "Key account: rounded up" in desk.locator("main").inner_text()
    screenshot(desk, "issue13-credits-reviewed-1440")

    phone = phone_740.new_page()
    log_in(phone, live_server, "cora", PASSWORD)
    phone.goto(f"{live_server.url}/credits/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert small_controls(phone) == []
    screenshot(phone, "issue13-credits-360x740")
