"""Which database a test runs on."""

from __future__ import annotations

import os

import pytest

postgres_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").split(":", 1)[0] not in {"postgres", "postgresql", "pgsql"},
    reason="needs PostgreSQL: runs in `make test-pg` and in CI's PostgreSQL pass",
)
