from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template, or None."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def idem_key() -> str:
    """A fresh idempotency key, for a page with several forms that each act once (`idem` is one per page)."""
    import uuid

    return uuid.uuid4().hex
