"""The SQL function SQLite's append-only triggers ask (migration 0005): only Lockstep's connections define it.

It answers 0, so UPDATE and DELETE on audit events are refused, except inside `unlocked()`, which only the test
suite uses, to empty its database between tests (Django's flush deletes rows) and to play the attacker.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_unlocked = 0


def _is_unlocked() -> int:
    return 1 if _unlocked else 0


def define_function(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("lockstep_audit_unlocked", 0, _is_unlocked)


@contextmanager
def unlocked() -> Iterator[None]:
    global _unlocked
    _unlocked += 1
    try:
        yield
    finally:
        _unlocked -= 1
