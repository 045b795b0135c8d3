"""The address outside the app's own pages: what QR codes, printed runbooks, mail and feeds point at."""

from __future__ import annotations

from django.conf import settings


def public_url(path: str) -> str:
    """`path` (starting with /) on the host phones and customers reach, e.g. https://lockstep.example/t/CODE."""
    return f"{settings.LOCKSTEP_PUBLIC_SCHEME}://{settings.LOCKSTEP_PUBLIC_HOST}{path}"
