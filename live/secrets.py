"""Device credentials: from a secrets file or the environment, never the database, never a page.

`LOCKSTEP_DEVICE_SECRETS` (default `var/device_secrets.json`, readable by the app's user only) holds

    {"default": {"username": "lockstep", "password": "..."},
     "devices": {"lax1-a02-tor-a": {"username": "...", "password": "...", "optional_args": {"port": 22}}}}

A device's own entry wins over the default; `LOCKSTEP_DEVICE_USERNAME` and `LOCKSTEP_DEVICE_PASSWORD` in the
environment are the default when the file has none. A device with no credentials anywhere has no live checks.
"""

from __future__ import annotations

import json
import os
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
