"""Customers with contacts, and a window over beta's only server, not yet started."""

from __future__ import annotations

import pytest

from tests.builders.people import contacts
from tests.builders.scenes import build_scene, unplug_web02


@pytest.fixture
def people(db):
    return contacts()


@pytest.fixture
def scene(people):
    return build_scene(start=False, targets=unplug_web02)
