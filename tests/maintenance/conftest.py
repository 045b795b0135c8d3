from __future__ import annotations

import pytest

from tests.builders.sites import RedundantSite, build_redundant_site


@pytest.fixture
def lax1(db) -> RedundantSite:
    return build_redundant_site()
