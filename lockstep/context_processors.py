from __future__ import annotations

import uuid

from django.http import HttpRequest


def idempotency_key(request: HttpRequest) -> dict:
    """A fresh key for the state-changing forms on the page: submitting the same form twice (a double tap,
    a retry after a lost reply, the back button) sends the same key, and the server acts once."""
    return {"idem": uuid.uuid4().hex}
