"""A fresh Python interpreter with the environment a test gives it, so nothing leaks between cases."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables the test run itself may carry (the browser tests set the async one) that must not leak in.
SCRUBBED = {
    "DATABASE_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "LOCKSTEP_VAR_DIR",
}


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    base["DJANGO_SETTINGS_MODULE"] = "lockstep.settings"
    return subprocess.run(
        [sys.executable, *args], env=base | env, cwd=ROOT, capture_output=True, text=True, timeout=120
    )
