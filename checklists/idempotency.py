"""Every tap that changes state carries a key the page made; the database keeps one answer per key.

A retried request (a phone that lost the reply, a double tap, a queued tap sent again when the connection
came back) is answered exactly as the first one was and acts no second time. Every tap inserts its key
first; a repeated key fails on the unique index and is answered with the stored reply. Two copies arriving
at once race on that index: PostgreSQL makes the second wait for the first to commit, then refuses its
insert, and it answers with the first's stored reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from audit.log import appended_last
from checklists.models import TapRecord

KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEPT_HEADERS = ("Content-Type", "Location", "HX-Redirect", "HX-Refresh", "HX-Trigger")


def _replay(record: TapRecord, request: HttpRequest) -> HttpResponse:
    if record.user_id != request.user.pk or record.path != request.path[:300]:
        # A key is one tap by one person on one thing: never an answer to someone else, or to another action.
        refused = HttpResponse(
            "This tap's key was already used for something else. Nothing was done; reload the page.",
            status=409,
            content_type="text/plain; charset=utf-8",
        )
        refused["Idempotent-Answer"] = "true"
        return refused
    response = HttpResponse(bytes(record.body), status=record.status_code)
    for name, value in record.headers.items():
        response[name] = value
    response["Idempotent-Replay"] = "true"
    response["Idempotent-Answer"] = "true"
    return response


def idempotent(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = request.POST.get("idem", "") or request.headers.get("Idempotency-Key", "")
        if not KEY_RE.match(key):
            refused = HttpResponse(
                "This tap has no valid idempotency key, so it was not acted on. Reload the page and try again.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
            refused["Idempotent-Answer"] = "true"  # final: sending it again cannot make the key valid
            return refused
        # No look before the insert: a first tap (nearly every tap) pays for one query, not two, and a
        # retry is told apart by the key's unique index, which is the only check that holds under a race.
        try:
            # The tap's events are chained last, after the reply is rendered and kept: the audit head row,
            # which every write in the app queues on, is locked only for the append and the commit.
            with transaction.atomic(), appended_last():
                tap = TapRecord.objects.create(key=key, user=request.user, path=request.path[:300])
                try:
                    with transaction.atomic():  # so that whatever the view wrote before refusing is undone
                        response = view(request, *args, **kwargs)
                except (Http404, PermissionDenied) as exc:
                    # "Not for you" is the server's word on this tap too: kept and marked answered, so a phone's
                    # queue moves on instead of sending it again behind every later tap; and it says that
                    # nothing was recorded, not just that a page is missing.
                    status = 404 if isinstance(exc, Http404) else 403
                    # A role refusal says which role, never anything about the object the tap named.
                    refusal = str(exc) if isinstance(exc, PermissionDenied) else ""
                    response = render(
                        request, "checklists/tap_not_found.html", {"refusal": refusal}, status=status
                    )
                if response.status_code >= 500:
                    raise _DoNotKeep(response)
                tap.status_code = response.status_code
                tap.headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
                tap.body = response.content
                tap.save(update_fields=["status_code", "headers", "body"])
                # The page's script keeps a tap queued until an answer carries this: a login page or a
                # proxy's error is not the server's word on the tap.
                response["Idempotent-Answer"] = "true"
        except IntegrityError:
            existing = TapRecord.objects.filter(key=key).first()
            if existing is None:
                raise
            return _replay(existing, request)
        except _DoNotKeep as failed:
            return failed.response
        return response

    return wrapped


def tap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A tap that changes state: a POST (405 otherwise), by someone logged in (else the login page, before any
    key is kept: a tap record needs a user), acted on once per key. A role the view wants goes under it, so
    its refusal is the tap's kept answer too."""
    return require_POST(login_required(idempotent(view)))


class _DoNotKeep(Exception):
    """A server error is not an answer to remember: roll back, so the retry can succeed."""

    def __init__(self, response: HttpResponse) -> None:
        self.response = response
