from __future__ import annotations

import uuid
import zoneinfo
from datetime import UTC, datetime, tzinfo

from django import template

from lockstep import dates

register = template.Library()


@register.filter
def get_item(mapping, key):
    """mapping[key] in a template, or None."""
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.simple_tag
def idem_key() -> str:
    """A fresh idempotency key, for a page with several forms that each act once (`idem` is one per page)."""
    return uuid.uuid4().hex


class _Shown(datetime):
    """A time already on the clocks it is to be shown on: `date` leaves it as it is (Django's own `timezone`
    filter marks its answers the same way)."""

    convert_to_local_time = False


@register.filter(expects_localtime=False)
def as_shown(moment):
    """A time `dates.in_zone` already put on a site's clocks, for `date` to show as it is."""
    if not isinstance(moment, datetime):
        return ""
    return _Shown(*moment.timetuple()[:6], moment.microsecond, moment.tzinfo, fold=moment.fold)


@register.filter(expects_localtime=False)
def at_site(moment, zone: str | tzinfo):
    """`moment` on the clocks of `zone` (a site's time zone, or its name), or in UTC when the calendar
    does not reach that far there: `{{ moment|at_site:zone|date:"H:i" }}`, and `zone_name` says which."""
    if not isinstance(moment, datetime):
        return ""
    if not isinstance(zone, tzinfo):
        try:
            zone = zoneinfo.ZoneInfo(str(zone or "UTC"))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = UTC
    return as_shown(dates.in_zone(moment, zone))


@register.filter(expects_localtime=False)
def zone_name(moment) -> str:
    """The zone a time from `at_site` is shown on: the site's name, or UTC."""
    return dates.zone_name(moment) if isinstance(moment, datetime) else ""
