"""The SLA clock against an oracle: a naive minute-by-minute walk.

The oracle knows nothing of `WorkingCalendar`'s intervals or caches. It asks, for each
minute, the wall clock (zoneinfo) and the `holidays` package whether that minute is
working time, counts the working minutes that are not paused, and stops when the term
is used up. `compute_deadlines` (and so `WorkingCalendar.add_working_time`) must give
the same instant on thousands of seeded random cases: starts at night, in weekends, on
public holidays and on daylight-saving days, terms up to five working days, pauses.

To stay fast the per-minute answers are tabulated once (`MinuteTable`); the walk itself
still steps one minute at a time. `bench/deadlines.py` reuses this module.
"""

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from regie.core.calendars import WorkingCalendar
from regie.servicedesk.sla import compute_deadlines

AMS = ZoneInfo("Europe/Amsterdam")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
# Weekday office hours: the calendar the targets speak of.
OFFICE_HOURS = {day: ((time(8, 0), time(17, 0)),) for day in range(5)}
# A split day (lunch closed) and a long Saturday, to exercise several spans per day.
SPLIT_HOURS = {
    **{day: ((time(7, 30), time(12, 0)), (time(13, 0), time(18, 30))) for day in range(5)},
    5: ((time(9, 0), time(13, 0)),),
}
MAX_TERM_MINUTES = 5 * 9 * 60  # five working days of office hours


class MinuteTable:
    """Whether each UTC minute in [first, last) is working time, decided minute by minute
    from the local wall clock, the weekly hours and the Dutch public holidays."""

    def __init__(self, weekly_hours, first: datetime, last: datetime, public_holidays=True):
        self.first = first
        self.count = int((last - first) / MINUTE)
        dutch = holidays.country_holidays("NL", years=range(first.year - 1, last.year + 2)) if public_holidays else {}
        working = bytearray(self.count)
        for index in range(self.count):
            local = (first + index * MINUTE).astimezone(AMS)
            if local.date() in dutch:
                continue
            clock = local.time()
            for start, end in weekly_hours.get(local.weekday(), ()):
                if start <= clock and (end == time.max or clock < end):
                    working[index] = 1
                    break
        self.working = working

    def index(self, instant: datetime) -> int:
        return int((instant - self.first) / MINUTE)

    def instant(self, index: int) -> datetime:
        return self.first + index * MINUTE

    def walk(self, start: datetime, minutes: int, pauses=()) -> datetime:
        """The end of the `minutes`-th working minute from `start` not inside a pause."""
        paused = set()
        for pause_start, pause_end in pauses:
            paused.update(range(self.index(pause_start), self.index(pause_end)))
        position = self.index(start)
        counted = 0
        while counted < minutes:
            if position >= self.count:
                raise ValueError("the term runs past the end of the minute table")
            if self.working[position] and position not in paused:
                counted += 1
            position += 1
        return self.instant(position)


def naive_walk(weekly_hours, start: datetime, minutes: int, pauses=()) -> datetime:
    """The same walk without a table: wall clock and holiday list asked at every minute.
    Slow on purpose; the benchmark's baseline."""
    dutch = holidays.country_holidays("NL")
    instant, counted = start, 0
    while counted < minutes:
        local = instant.astimezone(AMS)
        clock = local.time()
        working = local.date() not in dutch and any(
            start_at <= clock and (end_at == time.max or clock < end_at)
            for start_at, end_at in weekly_hours.get(local.weekday(), ())
        )
        if working and not any(a <= instant < b for a, b in pauses):
            counted += 1
        instant += MINUTE
    return instant


def oracle_deadlines(table, start, response_minutes, resolution_minutes, pauses):
    """What the agreement says: the response clock ignores pauses; the resolution clock
    stands still while a pause is open, so it runs out after `resolution_minutes` of
    unpaused working time. While a pause is still open the resolution deadline is unknown."""
    response = table.walk(start, response_minutes)
    if any(end is None for _start, end in pauses):
        return response, None
    return response, table.walk(start, resolution_minutes, pauses)


# --- random cases ---------------------------------------------------------------------------

RANGE_FIRST = datetime(2025, 1, 1, tzinfo=UTC)
RANGE_LAST = datetime(2028, 3, 1, tzinfo=UTC)
START_LAST = datetime(2027, 12, 31, tzinfo=UTC)


def special_days(years):
    """Days worth aiming at: public holidays, the days around them and DST change days."""
    days = set()
    for year in years:
        for holiday in holidays.country_holidays("NL", years=year):
            days.update({holiday - timedelta(days=1), holiday, holiday + timedelta(days=1)})
        for month in (3, 10):  # last Sunday of March and of October
            last = date(year, month, 31)
            sunday = last - timedelta(days=(last.weekday() + 1) % 7)
            days.update({sunday - timedelta(days=2), sunday - timedelta(days=1), sunday, sunday + timedelta(days=1)})
    return sorted(days)


def random_case(rng, days):
    """(start, response minutes, resolution minutes, pauses) with minute-aligned instants."""
    if rng.random() < 0.4:
        day = rng.choice(days)
        local = datetime.combine(day, time(0), tzinfo=AMS) + timedelta(minutes=rng.randrange(24 * 60))
        start = local.astimezone(UTC)
    else:
        span = int((START_LAST - RANGE_FIRST) / MINUTE)
        start = RANGE_FIRST + rng.randrange(span) * MINUTE
    if rng.random() < 0.05:
        start = start.replace(minute=0)  # on the hour: exactly at opening and closing times
    resolution = rng.choice([0, 1, 30, 60, 240, 540, 1620, MAX_TERM_MINUTES, rng.randint(0, MAX_TERM_MINUTES)])
    response = rng.choice([0, 30, 240, rng.randint(0, resolution)])
    pauses = []
    moment = start - rng.randrange(0, 3) * 60 * MINUTE  # a pause may begin before the start
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        moment += rng.randrange(0, 3 * 24 * 60) * MINUTE
        end = moment + rng.randrange(1, 4 * 24 * 60) * MINUTE
        pauses.append((moment, end))
        moment = end
    if pauses and rng.random() < 0.1:
        pauses[-1] = (pauses[-1][0], None)  # still waiting for the caller
    return start, response, resolution, pauses


def cases(seed, count):
    rng = random.Random(seed)
    days = special_days(range(2025, 2028))
    return [random_case(rng, days) for _ in range(count)]


# --- tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def office_table():
    return MinuteTable(OFFICE_HOURS, RANGE_FIRST, RANGE_LAST)


def product_deadlines(calendar, start, response, resolution, pauses):
    deadlines = compute_deadlines(calendar, start, response, resolution, pauses)
    return deadlines.response_due_at, deadlines.resolution_due_at


def test_the_oracle_walks_known_examples(office_table):
    friday_four = datetime(2026, 11, 27, 16, 0, tzinfo=AMS)
    assert office_table.walk(friday_four, 120) == datetime(2026, 11, 30, 9, 0, tzinfo=AMS)
    christmas_eve = datetime(2025, 12, 24, 16, 0, tzinfo=AMS)
    assert office_table.walk(christmas_eve, 120) == datetime(2025, 12, 29, 9, 0, tzinfo=AMS)
    pause = (datetime(2026, 11, 24, 10, 0, tzinfo=AMS), datetime(2026, 11, 24, 12, 0, tzinfo=AMS))
    assert office_table.walk(datetime(2026, 11, 24, 9, 0, tzinfo=AMS), 120, [pause]) == pause[1] + timedelta(hours=1)
    assert naive_walk(OFFICE_HOURS, christmas_eve, 120) == office_table.walk(christmas_eve, 120)


def test_office_calendar_agrees_with_the_minute_walk(office_table):
    calendar = WorkingCalendar(weekly_hours=OFFICE_HOURS)
    mismatches = []
    for start, response, resolution, pauses in cases(seed=20261128, count=3000):
        expected = oracle_deadlines(office_table, start, response, resolution, pauses)
        got = product_deadlines(calendar, start, response, resolution, pauses)
        if got != expected:
            mismatches.append((start, response, resolution, pauses, expected, got))
    assert mismatches == [], f"{len(mismatches)} mismatches, first: {mismatches[:3]}"


def test_split_day_calendar_agrees_with_the_minute_walk():
    table = MinuteTable(SPLIT_HOURS, RANGE_FIRST, RANGE_LAST)
    calendar = WorkingCalendar(weekly_hours=SPLIT_HOURS)
    mismatches = []
    for start, response, resolution, pauses in cases(seed=5, count=1000):
        expected = oracle_deadlines(table, start, response, resolution, pauses)
        got = product_deadlines(calendar, start, response, resolution, pauses)
        if got != expected:
            mismatches.append((start, response, resolution, pauses, expected, got))
    assert mismatches == [], f"{len(mismatches)} mismatches, first: {mismatches[:3]}"


def test_around_the_clock_agrees_with_the_minute_walk():
    """24×7 without holidays: every real minute counts, DST days included."""
    every_day = {day: ((time(0, 0), time.max),) for day in range(7)}
    table = MinuteTable(every_day, RANGE_FIRST, RANGE_LAST, public_holidays=False)
    calendar = WorkingCalendar.around_the_clock()
    for start, response, resolution, pauses in cases(seed=7, count=500):
        expected = oracle_deadlines(table, start, response, resolution, pauses)
        assert product_deadlines(calendar, start, response, resolution, pauses) == expected


def test_a_pause_after_the_deadline_does_not_move_it():
    """Found by the oracle: the resolution deadline used to move on by every pause, also
    one that began after the term had run out, so waiting for the caller hid a breach."""
    calendar = WorkingCalendar(weekly_hours=OFFICE_HOURS)
    monday_nine = datetime(2026, 11, 23, 9, 0, tzinfo=AMS)
    later_pause = (datetime(2026, 11, 24, 9, 0, tzinfo=AMS), datetime(2026, 11, 26, 9, 0, tzinfo=AMS))
    deadlines = compute_deadlines(calendar, monday_nine, 30, 240, [later_pause])
    assert deadlines.resolution_due_at == datetime(2026, 11, 23, 13, 0, tzinfo=AMS)
    earlier_pause = (datetime(2026, 11, 23, 10, 0, tzinfo=AMS), datetime(2026, 11, 23, 11, 0, tzinfo=AMS))
    deadlines = compute_deadlines(calendar, monday_nine, 30, 240, [earlier_pause, later_pause])
    # One hour paused before the deadline (13:00 → 14:00); the later pause still moves nothing.
    assert deadlines.resolution_due_at == datetime(2026, 11, 23, 14, 0, tzinfo=AMS)


def test_the_day_by_day_walk_agrees_with_the_timeline():
    """Terms reaching past a cached timeline fall back to walking day by day: both ways agree."""
    calendar = WorkingCalendar(weekly_hours=SPLIT_HOURS)
    for start, _response, resolution, pauses in cases(seed=11, count=300):
        if any(end is None for _start, end in pauses):
            continue
        term = timedelta(minutes=resolution)
        assert calendar.add_working_time(start, term, pauses) == calendar._add_working_time_by_days(start, term, pauses)
    long_term = timedelta(days=400)  # ~400 days of working time: beyond any timeline
    start = datetime(2026, 12, 30, 16, 0, tzinfo=AMS)
    assert calendar.add_working_time(start, long_term) == calendar._add_working_time_by_days(start, long_term)
