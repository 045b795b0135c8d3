"""A NAPALM driver whose every error quotes its credentials in every form a careless driver can: as given,
repr'd, URL-encoded, as an HTTP Basic header, as bytes, shouted, and in its nested optional_args. NAPALM finds it
as a community driver, the module `napalm_leaky`; it never opens a connection to anything."""

from __future__ import annotations

import base64
import json
import sys
import types
import urllib.parse

from napalm.base import NetworkDriver
from napalm.base.exceptions import ConnectAuthError

from live.models import DeviceAccess

# A quote, a double quote, a backslash, a space, a slash, a plus, a percent and a letter outside ASCII: each
# escaping (Python, URL, base64, bytes) writes it differently.
USERNAME = "lockstep-ro"
PASSWORD = "Hunter'2\"back\\slash /+%é"
ENABLE = "enable-Se'cret\\77"
OPTIONAL_ARGS = {"transport": "ssh", "secrets": {"enable": ENABLE, "tries": [ENABLE]}}


def leaked_words(username: str, password: str, optional_args: dict) -> str:
    """What the careless driver says: the password as given, repr'd, URL-encoded, as an HTTP Basic header, as
    bytes, shouted, and its optional arguments as a nested dict."""
    basic = base64.b64encode(f"{username}:{password}".encode()).decode()
    return (
        f"login {username} / {password} failed; password={password!r}; "
        f"url=https://{urllib.parse.quote(username)}:{urllib.parse.quote(password, safe='')}@192.0.2.66/; "
        f"Authorization: Basic {basic}; sent {password.encode()!r}; SAID {password.upper()}; "
        f"optional_args={optional_args!r}"
    )


def every_form() -> list[str]:
    basic = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    return [
        PASSWORD,
        repr(PASSWORD)[1:-1],
        urllib.parse.quote(PASSWORD, safe=""),
        basic,
        repr(PASSWORD.encode())[2:-1],
        PASSWORD.upper(),
        ENABLE,
        repr(ENABLE)[1:-1],
        # Unmistakable pieces, for text that was cut or folded (a PDF line, a 300-character cell).
        "Hunter'2",
        "Hunter\\'2",
        "back\\\\slash",
        "Se'cret",
        "Se\\'cret",
        basic[16:32],  # the password's part of the header
    ]


def assert_no_secret(where: str, text: str) -> None:
    folded = text.lower()
    leaked = [form for form in every_form() if form.lower() in folded]
    assert not leaked, f"{where} carries {leaked}"


FAILS_AS = {
    "timeout": lambda words: TimeoutError(words),  # socket.timeout, as drivers raise it
    "auth": lambda words: ConnectAuthError(words),
    "refused": lambda words: ConnectionRefusedError(111, words),
    "unreadable": lambda words: ValueError(words.encode()),
    "broken": lambda words: RuntimeError({"detail": words, "optional_args": OPTIONAL_ARGS}),
}


class LeakyDriver(NetworkDriver):
    """Opens, or not, as `optional_args["fail"]` says ("open:auth", "get:timeout", ...); every getter and
    the CLI then fail the same way, each error quoting the credentials."""

    def __init__(self, hostname, username, password, timeout=60, optional_args=None):
        self.hostname, self.username, self.password = hostname, username, password
        self.optional_args = optional_args or {}
        self.when, self.kind = self.optional_args.get("fail", "open:auth").split(":")

    def _fail(self):
        raise FAILS_AS[self.kind](leaked_words(self.username, self.password, self.optional_args))

    def open(self):
        if self.when == "open":
            self._fail()

    def close(self):
        pass

    def get_facts(self):
        self._fail()

    def get_interfaces(self):
        self._fail()

    def get_lldp_neighbors(self):
        self._fail()

    def get_interfaces_counters(self):
        self._fail()

    def cli(self, commands, encoding="text"):
        self._fail()


def leaky_driver(monkeypatch, gear):
    """NAPALM finds a community driver as the module `napalm_<name>`: this one is `napalm_leaky`. Returns how
    to give a device to it: `give(device, "open:auth")`. For a fixture of the test module."""
    module = types.ModuleType("napalm_leaky")
    module.LeakyDriver = LeakyDriver
    monkeypatch.setitem(sys.modules, "napalm_leaky", module)

    def give(device, fail: str = "open:auth") -> None:
        DeviceAccess.objects.update_or_create(
            device=device, defaults={"driver": "leaky", "address": "192.0.2.66"}
        )
        gear.secrets["devices"][device.name] = {
            "username": USERNAME,
            "password": PASSWORD,
            "optional_args": {**OPTIONAL_ARGS, "fail": fail},
        }
        gear.secrets_path.write_text(json.dumps(gear.secrets))

    return give
