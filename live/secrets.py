"""Device credentials: from a secrets file or the environment, never the database, never a page.

`LOCKSTEP_DEVICE_SECRETS` (default `var/device_secrets.json`, readable by the app's user only) holds

    {"default": {"username": "lockstep", "password": "..."},
     "devices": {"lax1-a02-tor-a": {"username": "...", "password": "...", "optional_args": {"port": 22}}}}

A device's own entry wins over the default; `LOCKSTEP_DEVICE_USERNAME` and `LOCKSTEP_DEVICE_PASSWORD` in the
environment are the default when the file has none. A device with no credentials anywhere has no live checks.

A driver's error can quote what it was given, in any of the forms a password takes on its way to a device:
`RedactDeviceSecrets` takes every one of them out of the server log, the only place a driver's words go
(pages, PDFs, audit events and readings carry a classified reason: `live.failures`).
"""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings


class SecretsProblem(Exception):
    """The secrets file cannot be read: said without quoting it."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    optional_args: dict[str, Any] = field(default_factory=dict, repr=False)


def _load() -> dict[str, Any]:
    path = Path(settings.LOCKSTEP_DEVICE_SECRETS)
    if not path.exists():
        return {}
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SecretsProblem(f"{path} is not readable JSON ({type(exc).__name__})") from None
    if not isinstance(content, dict):
        raise SecretsProblem(f"{path} must hold a JSON object")
    return content


def _entry(raw: Any, where: str) -> Credentials | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("username", ""), str):
        raise SecretsProblem(f"{where}: expected an object with username and password")
    optional = raw.get("optional_args", {})
    if not isinstance(optional, dict):
        raise SecretsProblem(f"{where}: optional_args must be an object")
    return Credentials(str(raw.get("username", "")), str(raw.get("password", "")), dict(optional))


def credentials_for(device_name: str) -> Credentials | None:
    content = _load()
    devices = content.get("devices", {})
    if not isinstance(devices, dict):
        raise SecretsProblem("'devices' must be an object of device names")
    own = _entry(devices.get(device_name), f"devices.{device_name}")
    if own is not None:
        return own
    default = _entry(content.get("default"), "default")
    if default is not None:
        return default
    username = os.environ.get("LOCKSTEP_DEVICE_USERNAME", "")
    if username:
        return Credentials(username, os.environ.get("LOCKSTEP_DEVICE_PASSWORD", ""))
    return None


# --- every form a secret takes in a driver's words, and the log filter that removes them ---------------------

MASK = "•••"
# Shorter than this, a value in optional_args is a port or a flag, not a secret (a password is masked whatever
# its length).
_SHORTEST_OPTIONAL_SECRET = 3


def _py_escaped(text: str) -> str:
    return repr(text)[1:-1]


def _quotes_escaped(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii").replace("'", "\\'").replace('"', '\\"')


def _bytes_escaped(text: str) -> str:
    return repr(text.encode("utf-8"))[2:-1]


def _json_escaped(text: str) -> str:
    return json.dumps(text)[1:-1]


# How a string is written inside another (an exception's repr, a URL, JSON, bytes, HTML). Applied twice, for a
# repr of a repr or a URL-encoded base64.
_ESCAPES: tuple[Callable[[str], str], ...] = (
    _py_escaped,
    _quotes_escaped,
    _bytes_escaped,
    _json_escaped,
    lambda t: json.dumps(t, ensure_ascii=False)[1:-1],
    lambda t: t.encode("unicode_escape").decode("ascii"),
    lambda t: urllib.parse.quote(t, safe=""),
    lambda t: urllib.parse.quote(t),
    lambda t: urllib.parse.quote_plus(t),
    lambda t: html.escape(t),
)


def _encoded(text: str) -> set[str]:
    raw = text.encode("utf-8")
    encoded = {base64.b64encode(raw).decode("ascii"), base64.urlsafe_b64encode(raw).decode("ascii")}
    # Unpadded too: a header or a URL may drop the "=".
    return encoded | {e.rstrip("=") for e in encoded}


def _strings(value: Any) -> Iterable[str]:
    """Every string inside optional_args, however deeply nested."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _strings(item)


def secret_forms(credentials: Iterable[Credentials]) -> set[str]:
    """Every form of every secret in `credentials` a driver's message might quote: as given, Python- and
    JSON-escaped, as bytes, URL-encoded, HTML-escaped, base64 (alone and as the HTTP Basic `user:password`),
    and each of those written inside another; upper- and lower-cased before they are escaped (the filter
    ignores case in what it matches)."""
    forms: set[str] = set()
    for found in credentials:
        secrets = {found.password} if found.password else set()
        secrets |= {s for s in _strings(found.optional_args) if len(s) >= _SHORTEST_OPTIONAL_SECRET}
        for secret in secrets:
            # Shouted or whispered: the filter ignores case, but an escape of "é" and of "É" differ.
            cased = {secret, secret.upper(), secret.lower()}
            base = cased | {e for c in cased for e in _encoded(c)}
            if secret == found.password:
                base |= _encoded(f"{found.username}:{secret}")
            once = base | {escape(b) for b in base for escape in _ESCAPES}
            forms |= once | {escape(o) for o in once for escape in _ESCAPES}
    return {f for f in forms if f}


def _every_credential() -> list[Credentials]:
    """Every credential Lockstep holds for devices: the secrets file's default and devices, and the
    environment's. What cannot be read holds nothing to redact."""
    found: list[Credentials] = []
    try:
        content = _load()
    except SecretsProblem:
        content = {}
    devices = content.get("devices", {})
    entries = [content.get("default"), *(devices.values() if isinstance(devices, dict) else [])]
    for raw in entries:
        try:
            entry = _entry(raw, "an entry")
        except SecretsProblem:
            continue
        if entry is not None:
            found.append(entry)
    # The mail server's password is not a device's, but a failed delivery's traceback can quote it the same
    # ways (an SMTP refusal, a Basic-auth header): one filter on the log handler masks every secret it knows.
    if settings.EMAIL_HOST_PASSWORD:
        found.append(Credentials(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD))
    if os.environ.get("LOCKSTEP_DEVICE_PASSWORD"):
        found.append(
            Credentials(
                os.environ.get("LOCKSTEP_DEVICE_USERNAME", ""), os.environ["LOCKSTEP_DEVICE_PASSWORD"]
            )
        )
    return found


_pattern_cache: dict[tuple, re.Pattern | None] = {}


def _pattern() -> re.Pattern | None:
    """One case-blind pattern for every form of every secret, made again only when the file or the
    environment changes (a log line costs one stat)."""
    path = Path(settings.LOCKSTEP_DEVICE_SECRETS)
    try:
        stat = path.stat()
        seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    except OSError:
        seen = None
    key = (
        str(path),
        seen,
        os.environ.get("LOCKSTEP_DEVICE_USERNAME"),
        os.environ.get("LOCKSTEP_DEVICE_PASSWORD"),
        settings.EMAIL_HOST_USER,
        settings.EMAIL_HOST_PASSWORD,
    )
    if key not in _pattern_cache:
        forms = sorted(secret_forms(_every_credential()), key=len, reverse=True)
        _pattern_cache.clear()
        _pattern_cache[key] = re.compile("|".join(map(re.escape, forms)), re.IGNORECASE) if forms else None
    return _pattern_cache[key]


def redact(text: str) -> str:
    """`text` without any form of any device secret."""
    pattern = _pattern()
    return pattern.sub(MASK, text) if pattern is not None else text


class RedactDeviceSecrets(logging.Filter):
    """Installed on the log handlers (settings.LOGGING): the message, its arguments, the traceback and the
    stack are written out with every device secret masked, before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            pattern = _pattern()
        except Exception:  # the log must never fail; without the secrets, nothing of a driver's is logged
            record.msg, record.args, record.exc_info, record.exc_text = (
                "(a log line withheld: the device secrets could not be read to redact it)",
                (),
                None,
                None,
            )
            return True
        if pattern is None:
            return True
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = pattern.sub(MASK, record.getMessage()), ()
        # The traceback only as text from here on, so no handler renders the exception again.
        record.exc_info = None
        if record.exc_text:
            record.exc_text = pattern.sub(MASK, record.exc_text)
        if record.stack_info:
            record.stack_info = pattern.sub(MASK, record.stack_info)
        return True
