"""Switches that answer as the tests say, through NAPALM's mock driver.

Each device gets a folder of JSON answers, one file per getter and call (`get_interfaces.1` is what the first
call returns, `get_interfaces.2` the second): the before-check and the try-out ask on one kept connection, so the
first call is the switch before the hands move and the second is after. `{"exception": "socket.timeout"}` makes a
call time out."""

from __future__ import annotations

import pytest

from live.gear import reset_pool
from tests.builders.gear import Gear
from tests.builders.scenes import DESTRUCTIVE, build_scene, finish_steps_before


@pytest.fixture(autouse=True)
def _live_settings(tmp_path, settings):
    settings.LOCKSTEP_DEVICE_SECRETS = tmp_path / "device_secrets.json"
    settings.LOCKSTEP_DEVICE_BACKOFF = 0
    settings.LOCKSTEP_DEVICE_ATTEMPTS = 2
    settings.LOCKSTEP_TRYOUT_SECONDS = 0
    settings.LOCKSTEP_TRYOUT_INTERVAL = 0
    reset_pool()
    yield
    reset_pool()


@pytest.fixture
def gear(tmp_path, settings) -> Gear:
    return Gear(tmp_path / "gear", settings.LOCKSTEP_DEVICE_SECRETS)


@pytest.fixture
def scene(db):
    """The runbook unplugs sw-a Eth1/1 (web01's eth0); sw-b Eth1/1 is web01's other half (eth1)."""
    scene = build_scene()
    finish_steps_before(scene, kind=DESTRUCTIVE)
    return scene
