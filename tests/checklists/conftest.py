"""The scene most checklist stories start from: a running window whose runbook unplugs sw-a Eth1/1, worked by
tess and vic, approved by ada (tests.builders.scenes)."""

from __future__ import annotations

import pytest

from tests.builders.scenes import Scene, build_scene


@pytest.fixture
def scene(db) -> Scene:
    return build_scene()
