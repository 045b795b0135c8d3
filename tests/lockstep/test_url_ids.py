"""A number too large for the database in a typed or forged URL is a 404, never a 500."""

from __future__ import annotations

import pytest

HUGE = "9" * 30
JUST_TOO_LONG = "1" + "0" * 18  # 19 digits: past what every database here stores as an id


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/runs/{HUGE}/steps/1/"),
        ("get", f"/runs/1/steps/{HUGE}/"),
        ("post", f"/runs/{HUGE}/steps/1/sign/"),
        ("post", f"/runs/{JUST_TOO_LONG}/steps/1/scan/"),
        ("get", f"/runs/{HUGE}/"),
        ("post", f"/discrepancies/{HUGE}/resolve/"),
        ("post", f"/inventory/racks/{HUGE}/labels/"),
        ("get", f"/inventory/labels/{HUGE}/labels.pdf"),
        ("get", f"/inventory/devices/{HUGE}/"),
        ("get", f"/windows/{HUGE}/as-run.pdf"),
        ("post", f"/windows/{HUGE}/targets/{HUGE}/remove/"),
    ],
)
def test_an_id_too_large_for_the_database_is_not_found(client, ada, method, path):
    client.force_login(ada)
    response = getattr(client, method)(path, {"idem": "k" * 20} if method == "post" else {})
    assert response.status_code == 404


def test_the_largest_id_the_urls_take_is_a_plain_not_found_too(client, ada):
    client.force_login(ada)
    assert client.get(f"/runs/{'9' * 18}/steps/{'9' * 18}/").status_code == 404
