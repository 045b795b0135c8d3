"""Asking a device, through NAPALM: outside any request (the task queue calls this), with a timeout on every
call, retried with back-off, and never more than `LOCKSTEP_DEVICE_ATTEMPTS` tries, so a device that does not
answer costs a bounded time and then says so.

Connections are kept per device in the worker process and reused while they live, so a check is seconds, not
the time of an SSH login, and a device answers the before-check and the try-out on the same session (NAPALM's
mock driver then numbers its answers per call: `get_interfaces.1` before, `get_interfaces.2` after).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from live.models import DeviceAccess
from live.secrets import Credentials, SecretsProblem, credentials_for


@dataclass(frozen=True)
class Answer:
    """A device's answer to one getter, or why there is none."""

    getter: str
    source: str
    taken_at: datetime
    ok: bool
    data: Any = None
    error: str = ""
    # The driver cannot answer this getter at all (no point asking again).
    unsupported: bool = False
    attempts: int = 1
    extra: dict = field(default_factory=dict)


class NoAccess(Exception):
    """The device has no driver, address or credentials: it has no live checks."""


_pool: dict[int, tuple[tuple, Any]] = {}
_pool_lock = threading.Lock()
_calls = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="lockstep-device")


def reset_pool() -> None:
    """Close every kept connection (tests; a worker that is shutting down)."""
    with _pool_lock:
        drivers = [driver for _, driver in _pool.values()]
        _pool.clear()
    for driver in drivers:
        _close(driver)


def _close(driver) -> None:
    # A connection already gone has nothing to close.
    with contextlib.suppress(Exception):
        driver.close()


def credentials(access: DeviceAccess) -> Credentials:
    try:
        found = credentials_for(access.device.name)
    except SecretsProblem as problem:
        raise NoAccess(f"the device secrets cannot be read: {problem}") from None
    if found is None:
        raise NoAccess(f"no credentials for {access.device.name} in the device secrets")
    return found


def _connected(access: DeviceAccess, found: Credentials):
    import napalm

    key = (
        access.driver,
        access.address,
        found.username,
        hash(found.password),
        repr(sorted(found.optional_args.items())),
    )
    with _pool_lock:
        kept = _pool.get(access.device_id)
    if kept is not None and kept[0] == key:
        return kept[1]
    if kept is not None:
        _drop(access.device_id)
    try:
        driver_class = napalm.get_network_driver(access.driver)
    except Exception as exc:  # an unknown driver name: said, never a crash of the worker
        raise NoAccess(f"NAPALM has no driver called '{access.driver}' ({type(exc).__name__})") from None
    driver = driver_class(
        hostname=access.address,
        username=found.username,
        password=found.password,
        timeout=settings.LOCKSTEP_DEVICE_TIMEOUT,
        optional_args=dict(found.optional_args),
    )
    _within_timeout(driver.open)
    with _pool_lock:
        _pool[access.device_id] = (key, driver)
    return driver


def _drop(device_id: int) -> None:
    with _pool_lock:
        kept = _pool.pop(device_id, None)
    if kept is not None:
        _close(kept[1])


def _within_timeout(call, *args):
    future = _calls.submit(call, *args)
    try:
        return future.result(timeout=settings.LOCKSTEP_DEVICE_TIMEOUT)
    except concurrent.futures.TimeoutError:
        raise TimeoutError(f"no answer within {settings.LOCKSTEP_DEVICE_TIMEOUT} s") from None


def _words(exc: BaseException, found: Credentials) -> str:
    """What went wrong, for the record and the phone: never a secret the driver was given, should it quote it."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    secrets = [found.password, *(str(v) for v in found.optional_args.values() if isinstance(v, str))]
    for secret in sorted({s for s in secrets if len(s) >= 3}, key=len, reverse=True):
        text = text.replace(secret, "•••")
    return text[:300]


def ask(access: DeviceAccess, getter: str, *args: Any) -> Answer:
    """One getter (`get_facts`, `get_interfaces`, ...), tried up to `LOCKSTEP_DEVICE_ATTEMPTS` times with
    back-off between tries. A connection that failed is dropped and made again on the next try."""
    found = credentials(access)
    attempts = max(1, settings.LOCKSTEP_DEVICE_ATTEMPTS)
    error = ""
    for attempt in range(1, attempts + 1):
        try:
            driver = _connected(access, found)
            data = _within_timeout(getattr(driver, getter), *args)
        except NoAccess:
            raise
        except NotImplementedError as exc:
            return Answer(
                getter,
                access.source,
                timezone.now(),
                False,
                error=_words(exc, found),
                unsupported=True,
            )
        except Exception as exc:  # any failure of the device or the network: tried again, then said
            error = _words(exc, found)
            _drop(access.device_id)
            if attempt < attempts:
                time.sleep(settings.LOCKSTEP_DEVICE_BACKOFF * 2 ** (attempt - 1))
            continue
        return Answer(getter, access.source, timezone.now(), True, data=data, attempts=attempt)
    return Answer(getter, access.source, timezone.now(), False, error=error, attempts=attempts)


def run_command(access: DeviceAccess, command: str) -> Answer:
    """A show-level command through the driver's `cli` (the locate LED), with the same timeout and tries."""
    found = credentials(access)
    try:
        driver = _connected(access, found)
        data = _within_timeout(driver.cli, [command])
    except NoAccess:
        raise
    except Exception as exc:
        _drop(access.device_id)
        return Answer("cli", access.source, timezone.now(), False, error=_words(exc, found))
    return Answer("cli", access.source, timezone.now(), True, data=data)
