"""Who is asking, for the audit log: the request's session, address and user agent, set per request."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

from django.http import HttpRequest

from audit.origin import client_ip


@dataclass(frozen=True)
class RequestMeta:
    session_key: str | None = None
    ip: str | None = None
    user_agent: str | None = None


_NO_REQUEST = RequestMeta()
_current: ContextVar[HttpRequest | None] = ContextVar("audit_request", default=None)


def current_request_meta() -> RequestMeta:
    request = _current.get()
    if request is None:
        return _NO_REQUEST
    session = getattr(request, "session", None)
    return RequestMeta(
        session_key=session.session_key if session is not None else None,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT"),
    )


def current_request() -> HttpRequest | None:
    return _current.get()


def set_current_request(request: HttpRequest | None):
    return _current.set(request)


def reset_current_request(token) -> None:
    _current.reset(token)
