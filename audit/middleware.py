from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.context import reset_current_request, set_current_request


class AuditContextMiddleware:
    """Makes the current request's session and address available to `audit.log.record()`,
    so model methods record who acted from where without every caller passing the request down."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = set_current_request(request)
        try:
            return self.get_response(request)
        finally:
            reset_current_request(token)
