"""Asking a device, through NAPALM: outside any request (the task queue calls this), with a timeout on every
call, retried with back-off, and never more than `LOCKSTEP_DEVICE_ATTEMPTS` tries, so a device that does not
answer costs a bounded time and then says so.

Connections are kept per device in the worker process and reused while they live, so a check is seconds, not
the time of an SSH login, and a device answers the before-check and the try-out on the same session (NAPALM's
mock driver then numbers its answers per call: `get_interfaces.1` before, `get_interfaces.2` after).

A call that fails is said as a classified reason (`live.failures`), never in the driver's words, which can quote
the credentials: those go to the server log only, through the filter that masks every secret.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import napalm
from django.conf import settings
from django.utils import timezone

from live.failures import Failure, classify, said
from live.models import DeviceAccess
from live.secrets import Credentials, SecretsProblem, credentials_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    """A device's answer to one getter, or why there is none."""

    getter: str
    source: str
    taken_at: datetime
    ok: bool
    data: Any = None
    # Why there is no answer: a `Failure`, never the driver's words.
    failure: str = ""
    attempts: int = 1
    extra: dict = field(default_factory=dict)

    @property
    def unsupported(self) -> bool:
        """The driver cannot answer this getter at all (no point asking again)."""
        return self.failure == Failure.UNSUPPORTED

    def said(self) -> str:
        """Why there is no answer, in words, with the driver and address."""
        return said(self.failure, self.source)


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


def _failed(access: DeviceAccess, what: str, exc: BaseException, attempt: int = 1, of: int = 1) -> Failure:
    """The reason a call failed; its full text to the server log, where the secrets filter masks it."""
    failure = classify(exc)
    log.warning(
        "%s did not answer %s via %s (try %d of %d): %s",
        access.device.name,
        what,
        access.source,
        attempt,
        of,
        failure.label,
        exc_info=exc,
    )
    return failure


def ask(access: DeviceAccess, getter: str, *args: Any) -> Answer:
    """One getter (`get_facts`, `get_interfaces`, ...), tried up to `LOCKSTEP_DEVICE_ATTEMPTS` times with
    back-off between tries. A connection that failed is dropped and made again on the next try."""
    found = credentials(access)
    attempts = max(1, settings.LOCKSTEP_DEVICE_ATTEMPTS)
    failure = Failure.DRIVER_FAILED
    for attempt in range(1, attempts + 1):
        try:
            driver = _connected(access, found)
            data = _within_timeout(getattr(driver, getter), *args)
        except NoAccess:
            raise
        except NotImplementedError as exc:
            failure = _failed(access, getter, exc)
            return Answer(getter, access.source, timezone.now(), False, failure=failure)
        except Exception as exc:  # any failure of the device or the network: tried again, then said
            failure = _failed(access, getter, exc, attempt, attempts)
            _drop(access.device_id)
            if attempt < attempts:
                time.sleep(settings.LOCKSTEP_DEVICE_BACKOFF * 2 ** (attempt - 1))
            continue
        return Answer(getter, access.source, timezone.now(), True, data=data, attempts=attempt)
    return Answer(getter, access.source, timezone.now(), False, failure=failure, attempts=attempts)


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
        return Answer("cli", access.source, timezone.now(), False, failure=_failed(access, "cli", exc))
    return Answer("cli", access.source, timezone.now(), True, data=data)
