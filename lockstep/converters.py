"""`<id:name>` in URL patterns: a database id, as a number of at most 18 digits.

Django's `<int:...>` takes any number of digits, and SQLite refuses a Python int past 2**63 - 1 with an
OverflowError (a 500) when it is used in a query. 18 digits stay below that, so a longer number in a typed
or forged URL matches no pattern and is a plain 404.
"""

from __future__ import annotations

import re

from django.urls import register_converter

ID_PATTERN = "[0-9]{1,18}"
_ID = re.compile(ID_PATTERN)


def as_id(text) -> int | None:
    """A database id from typed or forged text (ASCII digits, at most 18 of them), or None."""
    return int(text) if isinstance(text, str) and _ID.fullmatch(text) else None


class IdConverter:
    regex = ID_PATTERN

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
