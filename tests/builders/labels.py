"""Asking for labels as the print form does."""

from __future__ import annotations

import uuid


def ask_for_labels(client, url: str, data: dict | None = None, *, key: str = "", follow: bool = True):
    """The print form sent as the page sends it: a POST with the page's form key (a fresh one unless given)."""
    return client.post(url, {"idem": key or uuid.uuid4().hex, **(data or {})}, follow=follow)
