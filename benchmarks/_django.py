"""Start Django for a benchmark on a throwaway SQLite database (or BENCH_DATABASE_URL), migrated fresh.

BENCH_SMOKE=1 runs every benchmark at a smoke size (`size`): the same code path and assertions on a tiny
inventory, in seconds, so CI (`make bench-smoke`) notices a benchmark that no longer runs. Its figures are
printed under the same names but measure nothing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def smoke() -> bool:
    return os.environ.get("BENCH_SMOKE", "") not in ("", "0")


def size(full: int, smoke_size: int) -> int:
    """How big a benchmark's inventory (or how many its runs): `full`, or `smoke_size` under BENCH_SMOKE=1."""
    return smoke_size if smoke() else full


def setup() -> None:
    if smoke():
        print("# smoke size: not a measurement", file=sys.stderr, flush=True)
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lockstep.settings")
    os.environ["LOCKSTEP_VAR_DIR"] = tempfile.mkdtemp(prefix="lockstep-bench-")
    if os.environ.get("BENCH_DATABASE_URL"):
        os.environ["DATABASE_URL"] = os.environ["BENCH_DATABASE_URL"]
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # The new log's first checkpoint, as `make run` writes it: without one, a log with events does not verify.
    call_command("audit_checkpoint", verbosity=0)


def best_of(runs: int, fn: Callable[[], object]) -> float:
    """The fastest of `runs` timings in seconds: the least disturbed by whatever else the machine does."""
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def report(name: str, value: float, unit: str, *, baseline: float | None = None) -> None:
    print(f"BENCH {name} {value:.3f} {unit}", flush=True)
    if baseline is not None:
        print(f"BASELINE {name} {baseline:.3f} {unit}", flush=True)
