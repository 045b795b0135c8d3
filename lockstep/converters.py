"""`<id:name>` in URL patterns: a database id, as a number of at most 18 digits.

Django's `<int:...>` takes any number of digits, and SQLite refuses a Python int past 2**63 - 1 with an
OverflowError (a 500) when it is used in a query. 18 digits stay below that, so a longer number in a typed
or forged URL matches no pattern and is a plain 404.
"""

from __future__ import annotations

from django.urls import register_converter


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")
