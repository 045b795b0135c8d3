"""Dates people give Lockstep, and stored times shown on a site's clocks.

A date a person types is taken only between FIRST_YEAR and LAST_YEAR: anything else is a slip of the finger,
and a time near the ends of Python's calendar (year 1, year 9999) cannot even be moved to another time zone.

Times already stored outside that range (before the check existed, or written to the database directly)
are still shown, never a 500: on the site's clocks when the calendar reaches that far there, otherwise in UTC
and named so. A site's time zone can change after a time was stored, so this is decided when shown.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from django.core.exceptions import ValidationError

FIRST_YEAR = 2000
LAST_YEAR = 2100


def refuse_unlikely_date(value: date | datetime | None) -> None:
    """The one range check for every date and time a person gives: a form field's validator."""
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValidationError(
            "%(year)s is not a year Lockstep takes: give a date between %(first)s and %(last)s.",
            code="year_out_of_range",
            params={"year": value.year, "first": FIRST_YEAR, "last": LAST_YEAR},
        )


def in_zone(moment: datetime, zone: tzinfo) -> datetime:
    """`moment` on the clocks of `zone`; in UTC when that falls beyond the calendar (year 9999 east of
    Greenwich, year 1 west of it), so the page shows the true moment, with its zone named, instead of failing."""
    return span_in_zone(moment, moment, zone)[0]


def span_in_zone(start: datetime, end: datetime, zone: tzinfo) -> tuple[datetime, datetime]:
    """Both ends of a span on the same clocks: the zone's, or UTC for both when either is beyond the calendar
    there, so '23:00 to 01:00' never mixes two zones."""
    try:
        return start.astimezone(zone), end.astimezone(zone)
    except OverflowError:
        return start.astimezone(UTC), end.astimezone(UTC)


def zone_name(shown: datetime) -> str:
    """The name of the zone a time from `in_zone` is on: the site's (America/Los_Angeles), or UTC."""
    return getattr(shown.tzinfo, "key", None) or "UTC"
