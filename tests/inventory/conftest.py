from __future__ import annotations

import pytest

from inventory.models import Tag
from tests.builders.sites import SmallSite, build_small_site


@pytest.fixture
def lax1(db) -> SmallSite:
    return build_small_site()


@pytest.fixture
def active_tag(lax1, sam, tess) -> Tag:
    """sam issues sw-a's tag; tess applies its label at the rack."""
    tag = Tag.issue(lax1.sw_a, by=sam)
    tag.commission(serial="FDO2231X0AA", by=tess)
    return tag
