"""The keys the audit chain is signed with, kept outside the database.

Each event's hash is an HMAC-SHA256 under one of these keys, and the event names the key (`key_id`), so someone
who can rewrite the database but cannot read this file cannot make a rewritten event verify. The keys live in a
file (`LOCKSTEP_AUDIT_KEY_FILE`, by default `var/audit_keys`, made once like the secret key), one per line as
`<id> <hex secret>`; the last line is the key new events use. `manage.py audit_rotate_key` appends a new one
(older lines stay, so older events still verify). `LOCKSTEP_AUDIT_KEY` in the environment, when set, is the
current key instead (its id is derived from it) and the file, if any, holds the older ones.

The file also says from where on every event must be signed (`unkeyed-through N`, written when the file is made:
the events before the chain was keyed). An unsigned event after that is a rewrite by someone without the key,
even if the whole chain was rewritten unsigned from its first event.

The file is made only for a log that has no events yet (`make_first`, asked by audit.log, which knows the log:
this module sits below the models and reads no table). A key made later could vouch for none of the events
already there, and its `unkeyed-through` line would bless a chain rewritten unsigned: for a log that has events, a
missing file is refused (`MissingKey`) until the file is restored from its copy. With `LOCKSTEP_AUDIT_KEY` set no file
is made at all (a new host of a running installation must not write its own boundary): without one, every event
must be signed.

The file is read again whenever it changes, so a rotation reaches running web workers without a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

_LINE = re.compile(r"^(?P<id>[A-Za-z0-9_.-]{1,32})\s+(?P<secret>[0-9a-f]{64,})$")
_UNKEYED = re.compile(r"^unkeyed-through\s+(?P<seq>[0-9]{1,18})$")
_HEX = re.compile(r"^(?:[0-9a-fA-F]{2}){32,}$")


@dataclass(frozen=True)
class AuditKey:
    id: str
    secret: bytes = b""

    def sign(self, message: bytes) -> str:
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, AuditKey]
    current: AuditKey
    # Events up to this sequence number were made before the chain was keyed; every later one is signed.
    unkeyed_through: int = 0

    def get(self, key_id: str) -> AuditKey | None:
        return self.keys.get(key_id)


class UnknownKey(Exception):
    """An event or checkpoint names a key this installation does not hold."""


class MissingKey(ImproperlyConfigured):
    """The key file is gone, but the log has events: a new key would vouch for a chain nobody can check."""


def key_file() -> Path:
    return Path(settings.LOCKSTEP_AUDIT_KEY_FILE)


def _env_key() -> AuditKey | None:
    value = (getattr(settings, "LOCKSTEP_AUDIT_KEY", "") or "").strip()
    if not value:
        return None
    if len(value) < 32:
        raise ImproperlyConfigured("LOCKSTEP_AUDIT_KEY must be at least 32 characters (e.g. 64 hex digits)")
    # Hex is read as the bytes it spells, as in the file, so the same key moved there later is the same key.
    secret = bytes.fromhex(value) if _HEX.match(value) else value.encode()
    return AuditKey(id="env-" + hashlib.sha256(secret).hexdigest()[:10], secret=secret)


def _read(path: Path) -> tuple[list[AuditKey], int]:
    keys, unkeyed_through = [], 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if (boundary := _UNKEYED.match(line)) is not None:
            unkeyed_through = int(boundary["seq"])
            continue
        match = _LINE.match(line)
        if match is None:
            raise ImproperlyConfigured(f"{path}, line {number}: expected '<id> <hex secret of 64+ digits>'")
        keys.append(AuditKey(id=match["id"], secret=bytes.fromhex(match["secret"])))
    return keys, unkeyed_through


def _new_line(existing: list[AuditKey]) -> str:
    taken = {key.id for key in existing}
    number = len(existing) + 1
    while f"k{number}" in taken:
        number += 1
    return f"k{number} {secrets.token_hex(32)}\n"


def missing() -> bool:
    """No key file, and no key in the environment to stand in for one: `make_first` is asked."""
    return _env_key() is None and not key_file().exists()


def make_first(*, events: int) -> None:
    """Made once, for an empty log (`events` is how far it goes: audit.log asks), like the secret key: written
    whole under another name, then linked into place, so two processes starting at once agree on one file and
    nobody ever reads it half written."""
    path = key_file()
    if events > 0:
        raise MissingKey(
            f"the audit key file {path} is missing and the log holds {events} events: restore the file from its "
            "copy (README, 'The audit log'). No new key is made for a log that has events: it could vouch for "
            "none of them"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "# Lockstep audit chain keys: '<id> <hex secret>', the last one signs new events. Keep a copy, apart\n"
        "# from the database. The events up to 'unkeyed-through' were made before the chain was keyed.\n"
        "unkeyed-through 0\n" + _new_line([])
    )
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".audit_keys.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temporary, 0o600)
        # Another process may have made it first: theirs stands.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


_lock = threading.Lock()
_cache: dict[tuple, Keyring] = {}


def keyring() -> Keyring:
    env = _env_key()
    path = key_file()
    if not path.exists():
        if env is None:
            # Made by `make_first`, which audit.log asks before the first event; this module knows no log.
            raise MissingKey(f"the audit key file {path} is missing")
        # The environment's key alone: no older keys, and every event signed.
        return Keyring({env.id: env}, env, 0)
    stat = path.stat()
    stamp = (str(path), stat.st_mtime_ns, stat.st_size, env)
    with _lock:
        ring = _cache.get(stamp)
        if ring is None:
            keys, unkeyed_through = _read(path)
            if env is not None:
                keys.append(env)
            if not keys:
                raise ImproperlyConfigured(f"no audit key: {path} holds none and LOCKSTEP_AUDIT_KEY is unset")
            ring = Keyring({key.id: key for key in keys}, keys[-1], unkeyed_through)
            _cache.clear()
            _cache[stamp] = ring
    return ring


def current() -> AuditKey:
    return keyring().current


def sign(key_id: str, message: bytes) -> str:
    """The event's hash. Events from before the chain was keyed (no key id) keep their plain SHA-256."""
    if not key_id:
        return hashlib.sha256(message).hexdigest()
    key = keyring().get(key_id)
    if key is None:
        raise UnknownKey(key_id)
    return key.sign(message)


def rotate() -> tuple[str, str]:
    """Append a new key to the file; it signs every event from now on. Returns (old id, new id)."""
    if _env_key() is not None:
        raise ImproperlyConfigured(
            "the current audit key comes from LOCKSTEP_AUDIT_KEY: set a new value there and move the old one "
            f"into {key_file()} as '<id> <hex>' (the id as verify_audit names it; the value itself if it is hex, "
            "else its UTF-8 bytes in hex) so older events still verify"
        )
    old = current()
    path = key_file()
    with path.open("a") as fh:
        # One rotation at a time, across processes: two at once would both name their key k<n>.
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            fh.write(_new_line(_read(path)[0]))
            fh.flush()
            os.fsync(fh.fileno())
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    return old.id, current().id
