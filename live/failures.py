"""Why a device gave no answer, as a reason from a short list: never the driver's own words.

A driver's error can quote what it was given (the password, escaped, URL-encoded, as an HTTP Basic header, in
a dict of optional arguments), so no page, PDF, audit event or stored reading carries exception text: each
failure is classified here, and that reason, with the driver and address, is all that is kept and shown. The
full text goes only to the server log, through `live.secrets.RedactDeviceSecrets`.

Classified by the exception's type and the names of its classes, so NAPALM's exceptions, netmiko's, paramiko's
and a community driver's are all understood without importing any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import models


class Failure(models.TextChoices):
    TIMED_OUT = "timed_out", "timed out"
    LOGIN_REFUSED = "login_refused", "refused the login"
    UNREACHABLE = "unreachable", "could not be reached"
    UNREADABLE = "unreadable", "answered something unreadable"
    UNSUPPORTED = "unsupported", "cannot answer this: its driver does not support it"
    NO_ACCESS = "no_access", "cannot be asked: no driver or credentials Lockstep can use"
    DRIVER_FAILED = "driver_failed", "the driver failed"


_UNREACHABLE_NAMES = frozenset({"oserror", "gaierror", "herror", "novalidconnectionserror"})
_UNREADABLE_NAMES = frozenset(
    {"valueerror", "keyerror", "indexerror", "syntaxerror", "unicodeerror", "jsondecodeerror", "expaterror"}
)


def from_names(names: Iterable[str]) -> Failure:
    """The reason for an error whose class (and its bases) are called `names`."""
    names = [n.lower() for n in names]
    if "notimplementederror" in names:
        return Failure.UNSUPPORTED
    if any("auth" in n for n in names):  # ConnectAuthError, paramiko's AuthenticationException, netmiko's
        return Failure.LOGIN_REFUSED
    if any("timeout" in n for n in names):  # TimeoutError (socket.timeout), ConnectTimeoutError, netmiko's
        return Failure.TIMED_OUT
    if any("connection" in n or "unreachable" in n or n in _UNREACHABLE_NAMES for n in names):
        return Failure.UNREACHABLE
    if any("parse" in n or n in _UNREADABLE_NAMES for n in names):
        return Failure.UNREADABLE
    return Failure.DRIVER_FAILED


def classify(exc: BaseException) -> Failure:
    """What a device call's exception means, in one reason of `Failure`."""
    return from_names(cls.__name__ for cls in type(exc).__mro__)


def said(failure: str, source: str) -> str:
    """A failure in words, with the driver and address it was asked through (`napalm eos 10.0.0.5`)."""
    label = Failure(failure).label if failure in Failure.values else Failure.DRIVER_FAILED.label
    return f"{label} ({source})" if source else str(label)


# --- what was stored before failures were classified ----------------------------------------------------------

_OUR_OWN_WORDS = ("no credentials for ", "the device secrets cannot be read", "NAPALM has no driver called")
_LEGACY_FINDING = re.compile(r"^(?P<who>.+?) did not answer (?P<getter>\S+) \((?P<text>.*)\)$", re.DOTALL)


def from_stored_text(text: str) -> Failure:
    """The reason for an error kept as text by an earlier Lockstep (`TimeoutError: ...`, or our own words
    when a device could not be asked at all)."""
    text = (text or "").strip()
    if text.startswith(_OUR_OWN_WORDS):
        return Failure.NO_ACCESS
    name = re.match(r"[A-Za-z_][\w.]*", text)
    return from_names([name.group(0).rsplit(".", 1)[-1]] if name else [])


def plain_finding(finding: str) -> str:
    """A finding as an earlier Lockstep wrote it (`sw-a did not answer get_interfaces (<driver's text>)`) in
    classified words; any other finding as it is. For what cannot be rewritten: audit events are append-only."""
    legacy = _LEGACY_FINDING.match(str(finding))
    if legacy is None:
        return str(finding)
    failure = from_stored_text(legacy["text"])
    return f"{legacy['who']} did not answer {legacy['getter']}: {failure.label}"
