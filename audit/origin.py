"""Where a request comes from: the client's address (through the proxies we trust), the network that address
belongs to, and the browser it was sent from. The audit log records these and the login limits count by them,
so both read a request the same way."""

from __future__ import annotations

import hashlib
import ipaddress
import re

from django.conf import settings
from django.http import HttpRequest

# Every request whose address cannot be read shares this one network: such requests are counted together,
# never left uncounted.
UNKNOWN_NETWORK = "unknown"

# What a proxy may write for the peer it saw: a bare address, an IPv4 address with a port, or an IPv6 address
# in brackets with or without a port.
_WITH_PORT = re.compile(r"^(?:\[(?P<v6>[^\]]+)\]|(?P<v4>[0-9.]+))(?::[0-9]{1,5})?$")


def parse_address(text: str | None) -> str:
    """One address as a proxy or the socket reports it, normalized (`198.51.100.7:51234` is 198.51.100.7,
    `[2001:db8::1]:443` is 2001:db8::1, an IPv4 client of a dual-stack socket is its IPv4 address), or ""
    when it is not an address (`unknown`, an obfuscated name, an empty entry)."""
    text = (text or "").strip()
    if not text or len(text) > 64:
        return ""
    matched = _WITH_PORT.match(text)
    if matched:
        text = matched["v6"] or matched["v4"]
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.compressed


def client_ip(request: HttpRequest) -> str:
    """The client's address, or "" when it cannot be read. With N trusted proxies in front, each appends the
    address it saw to X-Forwarded-For, so the client's is the Nth entry from the right; anything left of it
    is whatever the client claimed. A header with fewer entries than proxies did not come through them all."""
    proxies = settings.LOCKSTEP_TRUSTED_PROXIES
    if proxies <= 0:
        return parse_address(request.META.get("REMOTE_ADDR"))
    entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(entries) < proxies:
        return ""
    return parse_address(entries[-proxies])


def network_of(ip: str) -> str:
    """The addresses one client can hop between freely count as one: an IPv4 address stands alone, an IPv6
    address goes by its /64 (what one home, phone or server is handed), and unreadable ones share one."""
    if not ip:
        return UNKNOWN_NETWORK
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return UNKNOWN_NETWORK
    if isinstance(address, ipaddress.IPv4Address):
        return address.compressed
    return ipaddress.IPv6Network((address, 64), strict=False).compressed


def device_hash(request: HttpRequest) -> str:
    """The browser's long-lived id (lockstep.middleware.DeviceCookieMiddleware) as the log keeps it: its
    SHA-256, since the id itself vouches for the browser."""
    device = getattr(request, "device_id", "") or ""
    return hashlib.sha256(device.encode()).hexdigest() if device else ""
