"""Webhooks: where a customer's endpoint may be, and how each notice is signed and posted to it.

Signature, as Standard Webhooks has it (https://www.standardwebhooks.com), so a receiver can verify with that
ecosystem's libraries: `webhook-id` (the same on every retry of one message: receivers drop repeats by it),
`webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64>`, the HMAC-SHA256 of
"<id>.<timestamp>.<raw body>". The key is the webhook's secret as the customer was given it; the libraries take
it as `whsec_` and its base64 (`Webhook.standard_secret`), which decodes to the same bytes, so no secret changes.
A receiver refuses a timestamp more than 5 minutes from its own clock, so a captured request cannot be replayed.

The headers Lockstep sent first are still sent, for receivers written against them: `X-Lockstep-Timestamp`,
`X-Lockstep-Delivery` and `X-Lockstep-Signature: v1=<hex>`, the HMAC-SHA256 of "<timestamp>.<raw body>" under
the same secret. It does not sign the delivery id; the standard signature does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
MAX_RESPONSE_BYTES = 64 * 1024
REPLAY_WINDOW_SECONDS = 300


# IPv6 addresses that carry an IPv4 address in their last 32 bits, and reach it (RFC 6052's NAT64 prefix).
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Never a public receiver: NAT64 for one network's own use (RFC 8215), and the "IPv4-compatible" ::a.b.c.d that
# RFC 4291 retired, which some systems still send to the IPv4 address inside.
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class UnsafeURL(Exception):
    pass


class _PrivatePeer(OSError):
    """The connection reached a private address (the name was pointed there after it was checked)."""


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a connection to `address` ends up at: IPv4-mapped (::ffff:a.b.c.d), 6to4
    (2002:AABB:CCDD::/48) or NAT64 (64:ff9b::a.b.c.d)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _private(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Anything that is not a global unicast address: private, loopback, link-local, carrier-grade NAT
    (100.64/10, where some clouds keep their metadata service), multicast, reserved; and an IPv6 address that
    leads to such an IPv4 address. Python's own `is_global` takes ::ffff:127.0.0.1's sisters (6to4, NAT64,
    IPv4-compatible) for global, so each is unwrapped here and judged as the IPv4 address it leads to."""
    if isinstance(address, ipaddress.IPv6Address):
        if address in IPV4_COMPATIBLE or address in LOCAL_NAT64 or address.is_site_local:
            return True
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return _private(embedded)
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
    """The first signature, `X-Lockstep-Signature`: kept for receivers written against it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def sign_standard(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature`: `v1,` and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>". The id and the
    timestamp hold no "." (a digit string each), so no two messages sign the same text."""
    mac = hmac.new(secret.encode(), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


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
        raise _PrivatePeer(peer)


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


def failure(exc: BaseException) -> str:
    """Why a post failed, in our own words (`timed out (TimeoutError)`): never the library's, which can quote
    the receiver's answer. urllib wraps what broke the connection in a URLError; that is what is judged."""
    cause = (
        exc.reason
        if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException)
        else exc
    )
    name = type(cause).__name__
    if isinstance(cause, _PrivatePeer):
        return "connected to a private address; webhooks go to the public internet only"
    if isinstance(cause, TimeoutError):
        return f"timed out ({name})"
    if isinstance(cause, ssl.SSLError):
        return f"TLS failed ({name})"
    if isinstance(cause, ConnectionRefusedError):
        return f"could not connect: the receiver refused the connection ({name})"
    if isinstance(cause, socket.gaierror):
        return f"could not connect: the host name could not be found ({name})"
    if isinstance(cause, http.client.RemoteDisconnected | ConnectionResetError | ConnectionAbortedError):
        return f"the receiver closed the connection without answering ({name})"
    if isinstance(cause, http.client.HTTPException):
        return f"the receiver answered something that is not HTTP ({name})"
    if isinstance(cause, OSError):
        return f"could not connect ({name})"
    return f"failed ({name})"


def post(url: str, *, secret: str, delivery_id: int, payload: dict) -> Answer:
    try:
        check_url(url)
    except UnsafeURL as refused:
        return Answer(False, None, str(refused))
    body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    message_id = str(delivery_id)  # one message, however often it is retried
    # check_url above allowed only http(s) to a public address (or what the settings explicitly allow).
    request = urllib.request.Request(  # noqa: S310
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Lockstep-Webhook/1",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign_standard(secret, message_id, timestamp, body),
            "X-Lockstep-Timestamp": str(timestamp),
            "X-Lockstep-Signature": sign(secret, timestamp, body),
            "X-Lockstep-Delivery": message_id,
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
        # The library's words can quote the receiver's answer or a certificate's names: the log only.
        logger.warning("webhook delivery %s was not posted", delivery_id, exc_info=failed)
        return Answer(False, None, failure(failed))
    if 200 <= code < 300:
        return Answer(True, code, "")
    return Answer(False, code, f"HTTP {code}")
