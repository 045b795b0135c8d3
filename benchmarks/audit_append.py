"""Every state change appends to the audit log inside its transaction, so an append must stay cheap.

BENCH audit_append: milliseconds per appended event (1,000 in a row), against a plain insert of a row of
the same width as the baseline. BENCH verify_audit_10k: seconds to verify a 10,000-event chain.
"""

from __future__ import annotations

import itertools

import _django

_django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import transaction  # noqa: E402

from audit.log import record, verify_chain  # noqa: E402

N = _django.size(1000, 20)
CHAIN = _django.size(10_000, 100)
RUNS = _django.size(3, 1)
tess = User.objects.create_user("tess")


def append_events() -> None:
    for i in range(N):
        with transaction.atomic():
            record("bench.append", actor=tess, obj=tess, payload={"i": i, "note": "x" * 40})


names = itertools.count()


def plain_inserts() -> None:
    for _ in range(N):
        with transaction.atomic():
            User.objects.create(username=f"bench-{next(names)}")


append_s = _django.best_of(RUNS, append_events)
baseline_s = _django.best_of(RUNS, plain_inserts)
_django.report("audit_append", append_s / N * 1000, "ms", baseline=baseline_s / N * 1000)

while verify_chain().events < CHAIN:
    append_events()
chain = verify_chain()
assert chain.ok, chain.message
_django.report("verify_audit_10k", _django.best_of(RUNS, verify_chain), "s")
