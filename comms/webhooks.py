"""Webhooks: where a customer's endpoint may be, and how each notice is signed and posted to it.

Signature: the receiver gets `X-Lockstep-Timestamp` (Unix seconds) and `X-Lockstep-Signature: v1=<hex>`, the
HMAC-SHA256 of "<timestamp>.<raw body>" under the webhook's secret. A receiver recomputes it, compares in
constant time, and refuses a timestamp more than 5 minutes from its own clock, so a captured request cannot be
replayed later. `X-Lockstep-Delivery` is the same on every retry of one message: receivers drop repeats by it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024
REPLAY_WINDOW_SECONDS = 300


NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeURL(Exception):
    pass


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Anything that is not a global unicast address: private, loopback, link-local, carrier-grade NAT
    (100.64/10, where some clouds keep their metadata service), NAT64, multicast, reserved."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address inside IPv6 (mapped, or NAT64's 64:ff9b::/96) is judged as the IPv4 address it is.
        if address.ipv4_mapped is not None:
            return _private(address.ipv4_mapped)
        if address in NAT64:
            return True
    return not address.is_global or address.is_multicast


def check_url(url: str) -> list[str]:
    """Refuse what a webhook must never reach; the addresses the host resolves to, if it is allowed. Asked when
    the webhook is saved and again before every post (a name can be pointed elsewhere in between)."""
    parts = urlsplit(url)
    allow_http = settings.DEBUG or settings.LOCKSTEP_WEBHOOK_ALLOW_HTTP
    if parts.scheme != "https" and not (allow_http and parts.scheme == "http"):
        raise UnsafeURL("A webhook address must start with https://.")
    if not parts.hostname:
        raise UnsafeURL("A webhook address needs a host name.")
    if parts.username or parts.password:
        raise UnsafeURL(
            "A webhook address must not carry a user name or password; the signature proves the sender."
        )
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        raise UnsafeURL(f"The host {parts.hostname!r} could not be found.") from None
    addresses = sorted({info[4][0] for info in found})
    if not settings.LOCKSTEP_WEBHOOK_ALLOW_PRIVATE:
        for address in addresses:
            if _private(ipaddress.ip_address(address.split("%")[0])):
                raise UnsafeURL(
                    f"{parts.hostname} is a private, loopback or link-local address ({address}); webhooks go to "
                    "the public internet only."
                )
    return addresses


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


@dataclass(frozen=True)
class Answer:
    ok: bool
    status_code: int | None
    error: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect could point anywhere, the private network included: it counts as a failure, never followed."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def _refuse_private_peer(sock) -> None:
    """Checked again on the socket itself: a name can resolve to a public address for the check and to a private
    one for the connection (DNS rebinding). What was connected to is what counts."""
    if settings.LOCKSTEP_WEBHOOK_ALLOW_PRIVATE:
        return
    peer = ipaddress.ip_address(sock.getpeername()[0].split("%")[0])
    if _private(peer):
        sock.close()
        raise OSError(f"connected to a private address ({peer}); webhooks go to the public internet only")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        super().connect()
        _refuse_private_peer(self.sock)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        _refuse_private_peer(self.sock)


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


_opener = urllib.request.build_opener(_NoRedirects, _CheckedHTTPHandler, _CheckedHTTPSHandler)


def post(url: str, *, secret: str, delivery_id: int, payload: dict) -> Answer:
    try:
        check_url(url)
    except UnsafeURL as refused:
        return Answer(False, None, str(refused))
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    # check_url above allowed only http(s) to a public address (or what the settings explicitly allow).
    request = urllib.request.Request(  # noqa: S310
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Lockstep-Webhook/1",
            "X-Lockstep-Timestamp": str(timestamp),
            "X-Lockstep-Signature": sign(secret, timestamp, body),
            "X-Lockstep-Delivery": str(delivery_id),
        },
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(MAX_RESPONSE_BYTES)  # read a little, never a whole stream a receiver may send
            code = response.status
    except urllib.error.HTTPError as failed:
        return Answer(False, failed.code, f"HTTP {failed.code}")
    except (
        Exception
    ) as failed:  # a broken answer (http.client.HTTPException) too: never an unrecorded attempt
        reason = getattr(failed, "reason", failed)
        return Answer(False, None, f"{type(failed).__name__}: {reason}"[:500])
    if 200 <= code < 300:
        return Answer(True, code, "")
    return Answer(False, code, f"HTTP {code}")
