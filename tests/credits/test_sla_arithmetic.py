"""The credit arithmetic, rule by rule, with the edges billing gets wrong: a month boundary, overlapping
outages, the cap, whole and started blocks, tiers at their thresholds, and money in Decimal."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from credits import sla

T0 = datetime(2026, 12, 10, 2, 0, tzinfo=UTC)


def span(start_min: int, end_min: int) -> sla.Span:
    return sla.Span(T0 + timedelta(minutes=start_min), T0 + timedelta(minutes=end_min))


BLOCKS = sla.Rule(kind="blocks", block_minutes=30, block_percent=Decimal(5), cap_percent=Decimal(100))
TIERS = sla.Rule(
    kind="tiers", tiers=sla.parse_tiers("99.9:0, 99.5:5, 99.0:10, 0:25"), cap_percent=Decimal(100)
)
DECEMBER = 31 * 24 * 3600


def blocks(minutes: float, rule=BLOCKS, fee="200.00") -> sla.Outcome:
    return sla.credit(
        rule, down_seconds=int(minutes * 60), month_seconds=DECEMBER, fee=Decimal(fee), currency="USD"
    )


def test_overlapping_outages_on_one_service_are_counted_once():
    # Two incidents on one service, 60-120 and 90-180: down from 60 to 180, two hours, not two and a half.
    assert sla.seconds([span(60, 120), span(90, 180)]) == 120 * 60
    assert sla.merge([span(0, 10), span(10, 20), span(30, 30)]) == [span(0, 20)]


def test_an_outage_across_a_month_boundary_is_split_between_the_months():
    utc = ZoneInfo("UTC")
    night = sla.Span(datetime(2026, 1, 31, 23, 0, tzinfo=UTC), datetime(2026, 2, 1, 2, 0, tzinfo=UTC))
    assert sla.months_touched([night], utc) == [date(2026, 1, 1), date(2026, 2, 1)]
    january = sla.clip([night], sla.month_span(date(2026, 1, 1), utc))
    february = sla.clip([night], sla.month_span(date(2026, 2, 1), utc))
    assert (sla.seconds(january), sla.seconds(february)) == (3600, 7200)
    # The billing time zone decides: in Los Angeles all of it is on 31 January.
    la = ZoneInfo("America/Los_Angeles")
    assert sla.months_touched([night], la) == [date(2026, 1, 1)]
    # December to January crosses a year.
    assert sla.month_span(date(2026, 12, 1), utc).end == datetime(2027, 1, 1, tzinfo=utc)


def test_a_percentage_per_started_block_capped_at_the_fee():
    assert blocks(0).amount == Decimal("0.00")
    four_hours = blocks(240)
    assert (four_hours.percent, four_hours.amount) == (Decimal(40), Decimal("80.00"))
    assert "8 blocks of 5%" in four_hours.working and "= 80.00 USD" in four_hours.working
    one_minute_more = blocks(241)
    assert one_minute_more.percent == Decimal(45)  # a started block counts
    eleven_and_a_half = blocks(690)  # 23 blocks: 115%, capped
    assert (eleven_and_a_half.percent, eleven_and_a_half.amount) == (Decimal(100), Decimal("200.00"))
    assert "capped at 100%" in eleven_and_a_half.working


def test_only_whole_blocks_count_when_the_plan_says_so():
    whole = sla.Rule(kind="blocks", block_minutes=30, block_percent=Decimal(5), partial_blocks=False)
    assert blocks(59, rule=whole).percent == Decimal(5)
    assert blocks(29, rule=whole).amount == Decimal("0.00")


def test_money_is_decimal_and_rounds_half_up_to_the_cent():
    outcome = blocks(241, fee="199.99")  # 45% of 199.99 = 89.9955
    assert outcome.amount == Decimal("90.00") and isinstance(outcome.amount, Decimal)


def test_tiers_by_availability_at_their_thresholds():
    def at(minutes: int) -> Decimal:
        return sla.credit(
            TIERS, down_seconds=minutes * 60, month_seconds=DECEMBER, fee=Decimal(100), currency="EUR"
        ).percent

    # 31 days are 44,640 min: 99.9% allows 44.64 min, 99.5% allows 223.2, 99.0% allows 446.4.
    assert at(0) == 0 and at(44) == 0
    assert at(45) == 5 and at(223) == 5
    assert at(224) == 10 and at(446) == 10
    assert at(447) == 25 and at(44_640) == 25


@pytest.mark.parametrize(
    "text, words",
    [
        ("99.9:0, 99.5:5", "End the tiers at 0"),
        ("abc", "is not availability:percent"),
        ("NaN:5, 0:10", "is not availability:percent"),
        ("99.9:0, 101:5, 0:10", "is not availability:percent"),
        ("99.9:0, 99.9:5, 0:10", "appears once"),
        ("99.9", "is not availability:percent"),
        ("", "End the tiers at 0"),
    ],
)
def test_bad_tiers_are_refused_in_words(text, words):
    with pytest.raises(ValueError, match=words):
        sla.parse_tiers(text)


def test_announced_maintenance_is_excluded_only_inside_its_window_and_only_when_told_in_time():
    start, end = T0, T0 + timedelta(hours=2)
    # Overran by 40 minutes: the overrun counts.
    down = [sla.Span(T0 + timedelta(minutes=30), end + timedelta(minutes=40))]
    counted = sla.subtract(down, [sla.Span(start, end)])
    assert sla.seconds(counted) == 40 * 60
    notice = timedelta(hours=72)
    assert sla.in_time(start - timedelta(hours=73), start, notice)
    assert not sla.in_time(start - timedelta(hours=71), start, notice)  # too late to count
    assert not sla.in_time(None, start, notice)  # never told


def test_durations_read_as_people_say_them():
    assert sla.minutes_text(4 * 3600 + 35 * 60) == "4 h 35 min"
    assert sla.minutes_text(50) == "50 s" and sla.minutes_text(0) == "0 min"
    assert sla.minutes_text(4 * 3600) == "4 h"


def test_a_month_with_a_clock_change_has_its_real_length():
    london = ZoneInfo("Europe/London")
    march = sla.month_span(date(2026, 3, 1), london)
    october = sla.month_span(date(2026, 10, 1), london)
    assert march.seconds == (31 * 24 - 1) * 3600 and october.seconds == (31 * 24 + 1) * 3600
