from __future__ import annotations

import secrets
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class RefuseNulCharactersMiddleware:
    """A NUL character in a form field or query is never meant: PostgreSQL refuses it in text and jsonb,
    which would surface as a 500 deep inside a view. Refuse it here, once, with a clear 400."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Multipart bodies are checked too: a script can send any field that way. (CSRF's own check reads the
        # same body, so reading it here costs nothing more.)
        form_post = request.method == "POST"
        if (
            "\x00" in request.path
            or self._has_nul(request.GET)
            or (form_post and self._has_nul(request.POST))
        ):
            return HttpResponseBadRequest(
                "The request contained a NUL character, which no field accepts. Nothing was changed.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(data) -> bool:
        return any("\x00" in key or any("\x00" in value for value in values) for key, values in data.lists())


DEVICE_COOKIE = "lockstep_device"


class DeviceCookieMiddleware:
    """Gives each browser a long-lived random id that survives logging in and out, so a second person's
    check can be refused when it comes from the same phone as the first (someone logging in as a colleague
    on their own phone to verify their own work)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        value = request.COOKIES.get(DEVICE_COOKIE, "")
        fresh = not (16 <= len(value) <= 64 and value.isalnum())
        if fresh:
            value = secrets.token_hex(16)
        request.device_id = value
        response = self.get_response(request)
        # A response any cache may keep and hand to others (the public status pages and feeds) never carries
        # one browser's id: two phones would then share it.
        public = "public" in response.get("Cache-Control", "")
        if fresh and not public:
            response.set_cookie(
                DEVICE_COOKIE,
                value,
                max_age=5 * 365 * 24 * 3600,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
