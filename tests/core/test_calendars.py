"""Business calendar arithmetic: examples around weekends, holidays, midnight and
daylight saving, plus properties (Hypothesis) that must hold for any input."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from regie.core.calendars import CalendarError, WorkingCalendar, dutch_public_holidays

AMS = ZoneInfo("Europe/Amsterdam")
OFFICE = WorkingCalendar.office_hours(time(8, 0), time(17, 0))
ALWAYS = WorkingCalendar.around_the_clock()


def local(*args):
    return datetime(*args, tzinfo=AMS)


def test_term_within_one_day():
    assert OFFICE.add_working_minutes(local(2026, 11, 24, 9, 0), 120) == local(2026, 11, 24, 11, 0)


def test_term_runs_over_the_weekend():
    # Friday 16:00 + 2 working hours = Monday 09:00.
    assert OFFICE.add_working_minutes(local(2026, 11, 27, 16, 0), 120) == local(2026, 11, 30, 9, 0)


def test_call_registered_at_night_starts_at_opening():
    assert OFFICE.add_working_minutes(local(2026, 11, 24, 23, 30), 30) == local(2026, 11, 25, 8, 30)


def test_dutch_public_holidays_are_skipped():
    # Christmas Thursday 25 and Friday 26 December 2025 are closed.
    assert date(2025, 12, 25) in dutch_public_holidays(2025)
    assert OFFICE.add_working_minutes(local(2025, 12, 24, 16, 0), 120) == local(2025, 12, 29, 9, 0)


def test_kings_day_is_a_holiday():
    assert date(2026, 4, 27) in dutch_public_holidays(2026)
    assert not OFFICE.intervals_on(date(2026, 4, 27))


def test_extra_closed_days():
    calendar = WorkingCalendar.office_hours(closed_days=frozenset({date(2026, 5, 15)}))  # day after Ascension
    assert calendar.add_working_minutes(local(2026, 5, 13, 16, 0), 120) == local(2026, 5, 18, 9, 0)


def test_around_the_clock_counts_real_hours_over_daylight_saving():
    # 29 March 2026: clocks jump from 02:00 to 03:00, so that day has 23 hours.
    start = local(2026, 3, 29, 0, 0)
    assert ALWAYS.working_time_between(start, local(2026, 3, 30, 0, 0)) == timedelta(hours=23)
    assert ALWAYS.add_working_time(start, timedelta(hours=23)) == local(2026, 3, 30, 0, 0)
    # 25 October 2026: clocks go back, 25 hours.
    assert ALWAYS.working_time_between(local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0)) == timedelta(hours=25)


def test_working_time_between_excludes_nights_and_weekends():
    start, end = local(2026, 11, 27, 16, 0), local(2026, 11, 30, 10, 0)
    assert OFFICE.working_minutes_between(start, end) == 180


def test_zero_length_calendar_is_refused():
    with pytest.raises(CalendarError):
        WorkingCalendar(weekly_hours={})
    with pytest.raises(CalendarError):
        WorkingCalendar(weekly_hours={0: ((time(9, 0), time(9, 0)),)})


def test_naive_datetimes_are_refused():
    with pytest.raises(CalendarError):
        OFFICE.add_working_minutes(datetime(2026, 11, 24, 9, 0), 10)


def test_negative_terms_are_refused():
    with pytest.raises(CalendarError):
        OFFICE.add_working_minutes(local(2026, 11, 24, 9, 0), -1)


def test_split_opening_hours():
    spans = ((time(8, 30), time(12, 0)), (time(13, 0), time(17, 0)))
    lunch_break = WorkingCalendar(weekly_hours=dict.fromkeys(range(5), spans))
    assert lunch_break.add_working_minutes(local(2026, 11, 24, 11, 30), 60) == local(2026, 11, 24, 13, 30)


instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)
calendars = st.sampled_from([
    OFFICE,
    ALWAYS,
    WorkingCalendar.office_hours(time(7, 30), time(17, 30)),
    WorkingCalendar(weekly_hours={0: ((time(1, 0), time(3, 30)),), 6: ((time(0, 0), time(23, 59)),)}),
])
minutes = st.integers(min_value=0, max_value=60 * 24 * 60)


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, start=instants, term=minutes)
def test_deadline_never_before_start_and_measures_back(calendar, start, term):
    deadline = calendar.add_working_minutes(start, term)
    assert deadline >= start
    assert calendar.working_minutes_between(start, deadline) == pytest.approx(term)


@settings(max_examples=150, deadline=None)
@given(calendar=calendars, start=instants, a=minutes, b=minutes)
def test_deadline_is_monotonic_in_the_term(calendar, start, a, b):
    small, large = sorted((a, b))
    assert calendar.add_working_minutes(start, small) <= calendar.add_working_minutes(start, large)


@settings(max_examples=100, deadline=None)
@given(calendar=calendars, start=instants, term=minutes, pause_start=minutes, pause_length=minutes)
def test_a_pause_never_shortens_the_deadline(calendar, start, term, pause_start, pause_length):
    """Pausing the clock (waiting for the caller) can only move the deadline later."""
    paused_from = start + timedelta(minutes=pause_start)
    paused_until = paused_from + timedelta(minutes=pause_length)
    plain = calendar.add_working_minutes(start, term)
    pause = calendar.working_time_between(paused_from, paused_until)
    extended = calendar.add_working_time(start, timedelta(minutes=term) + pause)
    assert extended >= plain
