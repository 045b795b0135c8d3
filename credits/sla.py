"""The arithmetic of SLA credits: spans of downtime merged (two incidents on one service at once are one
outage), split into the billing months they fall in, announced maintenance taken out where the plan says so,
and a percentage of the month's fee by the plan's rule. Money is Decimal, never float.

Pure functions over plain values: the models measure (credits/downtime.py) and keep (models/credits.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


@dataclass(frozen=True, order=True)
class Span:
    """[start, end): a stretch of time, aware datetimes."""

    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return max(int((self.end - self.start).total_seconds()), 0)


def merge(spans) -> list[Span]:
    """Overlapping or touching spans become one; empty ones go."""
    out: list[Span] = []
    for span in sorted(s for s in spans if s.end > s.start):
        if out and span.start <= out[-1].end:
            if span.end > out[-1].end:
                out[-1] = Span(out[-1].start, span.end)
        else:
            out.append(span)
    return out


def clip(spans, window: Span) -> list[Span]:
    """The parts of spans inside window."""
    return merge(Span(max(s.start, window.start), min(s.end, window.end)) for s in spans)


def subtract(spans, holes) -> list[Span]:
    """The parts of spans outside every hole."""
    out = []
    holes = merge(holes)
    for span in merge(spans):
        start = span.start
        for hole in holes:
            if hole.end <= start or hole.start >= span.end:
                continue
            if hole.start > start:
                out.append(Span(start, hole.start))
            start = max(start, hole.end)
        if start < span.end:
            out.append(Span(start, span.end))
    return out


def seconds(spans) -> int:
    return sum(s.seconds for s in merge(spans))


def month_of(moment: datetime, zone: ZoneInfo) -> date:
    local = moment.astimezone(zone)
    return date(local.year, local.month, 1)


def month_span(month: date, zone: ZoneInfo) -> Span:
    """The billing month starting on `month`, in the billing time zone, as an aware span."""
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    # In UTC: a difference of two times in one zone is wall-clock time, an hour off across a clock change.
    return Span(
        datetime(month.year, month.month, 1, tzinfo=zone).astimezone(UTC),
        datetime(following.year, following.month, 1, tzinfo=zone).astimezone(UTC),
    )


def months_touched(spans, zone: ZoneInfo) -> list[date]:
    """Every billing month any of the spans falls in, oldest first."""
    months: set[date] = set()
    for span in merge(spans):
        month = month_of(span.start, zone)
        while month_span(month, zone).start < span.end:
            months.add(month)
            nxt = month_span(month, zone).end
            month = date(nxt.year, nxt.month, 1)
    return sorted(months)


def minutes_text(secs: int) -> str:
    """'4 h 35 min', '50 s', '0 min': for people, rounded down to the minute above one minute."""
    if 0 < secs < 60:
        return f"{secs} s"
    total = secs // 60
    hours, mins = divmod(total, 60)
    if hours and mins:
        return f"{hours} h {mins} min"
    return f"{hours} h" if hours else f"{mins} min"


@dataclass(frozen=True)
class Tier:
    """Availability at least `at_least` percent: `percent` of the fee."""

    at_least: Decimal
    percent: Decimal


@dataclass(frozen=True)
class Rule:
    """A plan's credit rule. `kind` "blocks": `block_percent` per block of `block_minutes` of downtime (each
    started block counts when `partial_blocks`, else only whole ones); "tiers": by the month's availability.
    Either way at most `cap_percent`."""

    kind: str
    cap_percent: Decimal = HUNDRED
    block_minutes: int = 30
    block_percent: Decimal = Decimal(5)
    partial_blocks: bool = True
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True)
class Outcome:
    percent: Decimal
    amount: Decimal
    working: str  # the arithmetic, in words, as the coordinator reviews it and the customer may ask for


def credit(rule: Rule, *, down_seconds: int, month_seconds: int, fee: Decimal, currency: str) -> Outcome:
    """The credit for one service's month: its counted downtime, the month's length, the monthly fee."""
    if rule.kind == "blocks":
        blocks = (
            math.ceil(down_seconds / (rule.block_minutes * 60))
            if rule.partial_blocks
            else down_seconds // (rule.block_minutes * 60)
        )
        raw = rule.block_percent * blocks
        counted = "each started" if rule.partial_blocks else "each whole"
        working = f"{blocks} blocks of {rule.block_percent}% ({counted} {rule.block_minutes} min) = {raw}%"
    else:
        # Compared exactly; shown rounded down, so a month never reads better than it was.
        availability = Decimal(month_seconds - down_seconds) * HUNDRED / Decimal(month_seconds)
        tier = next(
            (t for t in sorted(rule.tiers, key=lambda t: -t.at_least) if availability >= t.at_least), None
        )
        if tier is None:
            raise ValueError("A plan's tiers end at availability 0%: every month falls in one.")
        raw = tier.percent
        shown = availability.quantize(Decimal("0.001"), rounding=ROUND_DOWN)
        working = f"{shown}% available, at least {tier.at_least}% → {raw}%"
    percent = min(raw, rule.cap_percent)
    if percent < raw:
        working += f", capped at {rule.cap_percent}%"
    amount = (fee * percent / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)
    working += f"; {percent}% of {fee} {currency} = {amount} {currency}"
    return Outcome(percent, amount, working)


def in_time(announced: datetime | None, start: datetime, notice: timedelta) -> bool:
    """Announced at least `notice` before `start`: maintenance a customer could plan for."""
    return announced is not None and announced <= start - notice


def parse_tiers(text: str) -> tuple[Tier, ...]:
    """ "99.9:0, 99.5:5, 99.0:10, 0:25" (availability at least : credit percent), best first, ending at 0.
    Raises ValueError with words for people."""
    tiers = []
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        at_least, sep, percent = part.partition(":")
        try:
            tier = Tier(Decimal(at_least.strip()), Decimal(percent.strip()))
        except ArithmeticError:
            tier = None
        if (
            tier is None
            or not sep
            or not (tier.at_least.is_finite() and tier.percent.is_finite())
            or not (0 <= tier.at_least <= 100 and 0 <= tier.percent <= 100)
        ):
            raise ValueError(f"“{part[:40]}” is not availability:percent between 0 and 100, e.g. 99.9:0.")
        tiers.append(tier)
    if not tiers or min(t.at_least for t in tiers) != 0:
        raise ValueError("End the tiers at 0 (e.g. “0:25”) so that every month falls in one.")
    if len({t.at_least for t in tiers}) != len(tiers):
        raise ValueError("Each availability appears once.")
    return tuple(sorted(tiers, key=lambda t: -t.at_least))
