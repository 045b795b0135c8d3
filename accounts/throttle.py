"""How many failed logins before the next attempt has to wait, and how long.

Failures are read from the audit log (`auth.login_failed` records the name tried, the network and the browser)
over a sliding window of LOGIN_FAILURE_WINDOW_MINUTES, which is also the longest wait. Three counts, each with an allowance of free failures:

- one name from one network (LOGIN_FAILURES_PER_NAME_AND_ADDRESS): someone guessing one password from one
  place. Past the allowance each failure doubles the wait, from 15 seconds up to the whole window.
- one name from anywhere (LOGIN_FAILURES_PER_NAME), remembered for a day: the same growth, so rotating
  addresses gains nothing.
- one network, whatever the name (LOGIN_FAILURES_PER_ADDRESS): someone trying many names. Its wait never
  grows past NETWORK_LONGEST_WAIT: it only slows, so the others in an office behind the same address get in
  after at most that.

A network is one IPv4 address or one IPv6 /64, and every unreadable address is one shared network
(audit/origin.py): an address nobody can read is counted, never waved through.

A browser that has logged in as a name before is judged on its own failures for that name alone: someone
guessing that name, in the same office or anywhere, does not keep its owner out.

A refused attempt is not a failure, so hammering does not lengthen the wait, and the refusal says when the next
attempt will be heard. Nothing sleeps in a request worker.

The check and the failure it may lead to are one step per name (`one_attempt_at_a_time`): a burst of posts at
one name is heard in turn, so none of them passes the check while an earlier one's failure is still uncounted.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import reduce

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.http import HttpRequest
from django.utils import timezone

from audit.log import record
from audit.models import AuditEvent
from audit.origin import client_ip, device_hash, network_of

FIRST_WAIT = timedelta(seconds=15)
NETWORK_LONGEST_WAIT = timedelta(seconds=30)
# Failures for one name are remembered this long (the others for the window): with the window alone, a guesser
# rotating addresses would settle at some 70 guesses an hour at one account; with a day, at 4.
NAME_MEMORY = timedelta(hours=24)
# How long a browser that logged in as a name is still taken for its owner's.
KNOWN_DEVICE_FOR = timedelta(days=90)
# The first key of PostgreSQL's two-key advisory locks that stand for login names: no other lock shares it.
LOGIN_LOCKS = 0x4C6F6731  # "Log1"


class LoginRefused(Exception):
    """Too many failures: the next attempt is heard at `retry_at`. The message says when, in words."""

    def __init__(self, message: str, retry_at: datetime) -> None:
        super().__init__(message)
        self.message = message
        self.retry_at = retry_at


@dataclass(frozen=True)
class _Limit:
    name: str
    failures: Q  # which failures count, and since when
    allowance: int
    longest_wait: timedelta
    refusal: str


def wait_after(failures: int, allowance: int, longest_wait: timedelta) -> timedelta:
    """Nothing within the allowance; then 15 s, doubling with each further failure, never past `longest_wait`."""
    allowance = max(allowance, 1)
    if failures < allowance:
        return timedelta(0)
    return min(FIRST_WAIT * 2 ** min(failures - allowance, 20), longest_wait)


@contextmanager
def one_attempt_at_a_time(username: str) -> Iterator[None]:
    """One transaction, and while it lasts the only attempt at `username`: `admit` and the password check (with
    the failure it records) run inside, so the next attempt at that name is judged with this one counted.
    Attempts at other names do not wait. On PostgreSQL an advisory lock on the name, let go at commit (a hash
    collision only makes two names take turns); SQLite's writers already take turns, and its transactions
    here begin IMMEDIATE (settings), so the transaction alone does it."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOGIN_LOCKS, username])
        yield


def admit(request: HttpRequest, username: str) -> None:
    """Raise LoginRefused while an attempt to log in as `username` from this request must wait, whatever the
    password: checked before the password is, so a refused attempt tells a guesser nothing."""
    now = timezone.now()
    window = timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    network = network_of(client_ip(request))
    limits = _limits_for(username, network, device_hash(request), now, window)
    # One query for all the counts: the failures any limit counts, each limit counted with its own filter.
    failures = AuditEvent.objects.filter(
        reduce(operator.or_, (limit.failures for limit in limits)),
        action="auth.login_failed",
        created_at__gte=now - max(window, NAME_MEMORY),
    )
    counts = failures.aggregate(
        **{f"n{i}": Count("pk", filter=limit.failures) for i, limit in enumerate(limits)},
        **{f"last{i}": Max("created_at", filter=limit.failures) for i, limit in enumerate(limits)},
    )
    waits = [
        (counts[f"last{i}"] + wait_after(counts[f"n{i}"], limit.allowance, limit.longest_wait), limit)
        for i, limit in enumerate(limits)
        if counts[f"n{i}"]
    ]
    retry_at, limit = max(waits, key=lambda wait: wait[0], default=(now, None))
    if limit is None or retry_at <= now:
        return
    _note_refusal(username, network, limit, now - window)
    raise LoginRefused(f"{limit.refusal} Try again in {_in_words(retry_at - now)}.", retry_at)


def _limits_for(username: str, network: str, device: str, now: datetime, window: timedelta) -> list[_Limit]:
    recent = Q(created_at__gte=now - window)
    name = Q(payload__username=username)
    per_name_and_address = settings.LOGIN_FAILURES_PER_NAME_AND_ADDRESS
    from_here = "Too many failed logins from here."
    if device and _known_device(username, device, now):
        # Its owner's phone: only what was tried from it counts, so nobody else's guessing keeps them out.
        by_browser = recent & name & Q(payload__device=device)
        return [_Limit("name and browser", by_browser, per_name_and_address, window, from_here)]
    return [
        _Limit(
            "name and address",
            recent & name & Q(payload__network=network),
            per_name_and_address,
            window,
            from_here,
        ),
        _Limit(
            "name",
            Q(created_at__gte=now - NAME_MEMORY) & name,
            settings.LOGIN_FAILURES_PER_NAME,
            window,
            "Too many failed logins for this account.",
        ),
        _Limit(
            "address",
            recent & Q(payload__network=network),
            settings.LOGIN_FAILURES_PER_ADDRESS,
            NETWORK_LONGEST_WAIT,
            from_here,
        ),
    ]


def _known_device(username: str, device: str, now: datetime) -> bool:
    """Has this browser logged in as this name lately? Its id is a random secret only the browser holds."""
    return AuditEvent.objects.filter(
        action="auth.login",
        created_at__gte=now - KNOWN_DEVICE_FOR,
        payload__device=device,
        **{f"actor__{get_user_model().USERNAME_FIELD}": username},
    ).exists()


def _note_refusal(username: str, network: str, limit: _Limit, since: datetime) -> None:
    """One audit event per name and network per window, however often a guesser keeps trying; and while a
    whole network is refused, one per network, whatever names it tries (each event queues on the chain's head,
    so a flood of made-up names must not become a flood of events)."""
    noted = AuditEvent.objects.filter(
        action="auth.login_throttled", created_at__gte=since, payload__network=network
    )
    if limit.name == "address":
        noted = noted.filter(payload__limit="address")
    else:
        noted = noted.filter(payload__username=username)
    if not noted.exists():
        record(
            "auth.login_throttled", payload={"username": username, "network": network, "limit": limit.name}
        )


def _in_words(wait: timedelta) -> str:
    seconds = max(math.ceil(wait.total_seconds()), 1)
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"
