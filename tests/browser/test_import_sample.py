"""An admin uploads the NetBox-shaped sample inventory on the import page and reads the report."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from tests.builders.browser import log_in, screenshot
from tests.builders.people import PASSWORD, make_user
from tests.inventory.netbox_sample import HERE

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_sample_inventory_uploads_and_the_report_says_what_arrived(live_server, wide):
    make_user("sam", Role.ADMIN, is_staff=True, is_superuser=True)
    page = wide.new_page()
    log_in(page, live_server, "sam", PASSWORD)
    page.goto(f"{live_server.url}/inventory/import/")

    page.locator("input[type=file]").set_input_files(sorted(str(path) for path in HERE.glob("*.csv")))
    page.get_by_role("button", name="Import").click()
    page.wait_for_load_state()

    assert page.get_by_text("Imported.").is_visible()
    assert page.get_by_role("cell", name="Power outlets", exact=True).is_visible()
    assert page.get_by_text("No upstream root at rtm1").is_visible()
    # The sample's sites come with their time zones: nothing claims they were left in UTC.
    assert "keep UTC" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    screenshot(page, "import-sample-wide")
