"""Business calendars: working time as intervals, with Dutch public holidays.

SLA terms (afhandeltermijn, reactietermijn) run in working time: the helpdesk's opening
hours, minus Dutch public holidays and extra closed days, in Europe/Amsterdam. The
arithmetic walks whole days and their few opening intervals, so its cost grows with
the number of days spanned, never with the number of minutes. Local opening times are
turned into real instants day by day, so daylight-saving days are 23 or 25 hours long
exactly as a wall clock says. Pure functions: no database access.

For speed, each calendar also keeps the intervals of a couple of years at a time as
integers (a `_Timeline`), with the working time before each: a deadline is then two
binary searches instead of a walk, which matters when thousands of open calls are
recomputed after a calendar change. Terms reaching beyond a timeline fall back to the
day-by-day walk.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# A guard against endless loops on absurd input (≈ 30 years of days).
MAX_DAYS = 11_000
END_OF_DAY = time.max  # opening "until 24:00" is written as time.max
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
NO_TIME = timedelta()
# Timelines cover spans of a year (plus the next year, so a term of up to a year of
# working time never has to leave the timeline it starts in).
TIMELINE_DAYS = 366
TIMELINE_SPAN = TIMELINE_DAYS * 86_400 * 1_000_000  # microseconds


class CalendarError(ValueError):
    """The calendar or the question asked of it makes no sense (e.g. no working time)."""


@lru_cache(maxsize=64)
def dutch_public_holidays(year: int) -> frozenset[date]:
    """Dutch public holidays of one year (New Year, Easter, King's Day, Ascension,
    Whitsun, Christmas; Liberation Day as the `holidays` package defines it)."""
    return frozenset(holidays.country_holidays("NL", years=year).keys())


@dataclass(frozen=True)
class _Timeline:
    """Working intervals of a stretch of days as microseconds since the epoch, with the
    working time before each interval, so that both questions below are a bisect."""

    last: int  # instants up to here are covered
    starts: list[int]
    ends: list[int]
    worked_before: list[int]  # working time in the timeline before interval i starts
    worked_through: list[int]  # ... and when it ends

    @classmethod
    def build(cls, calendar: WorkingCalendar, first_day: date, last_day: date) -> _Timeline:
        starts, ends, worked_before, worked_through = [], [], [], []
        worked = 0
        day = first_day
        while day < last_day:
            for start_at, end_at in calendar.intervals_on(day):
                starts.append(_micros(start_at))
                ends.append(_micros(end_at))
                worked_before.append(worked)
                worked += ends[-1] - starts[-1]
                worked_through.append(worked)
            day += timedelta(days=1)
        last = _micros(_local_instant(last_day, time(0, 0), calendar.timezone))
        return cls(last, starts, ends, worked_before, worked_through)

    def worked_until(self, at: int) -> int:
        """Working time in the timeline before the instant `at`."""
        index = bisect_right(self.starts, at) - 1
        if index < 0:
            return 0
        return self.worked_before[index] + min(at, self.ends[index]) - self.starts[index]

    def instant_worked(self, worked: int) -> int | None:
        """The first instant by which `worked` working time has passed (None: not in this timeline)."""
        index = bisect_left(self.worked_through, worked)
        if index == len(self.worked_through):
            return None
        return self.starts[index] + worked - self.worked_before[index]


@dataclass(frozen=True)
class WorkingCalendar:
    """Opening hours per weekday (0 = Monday) as (start, end) local times.

    `closed_days` are extra closing days on top of public holidays (e.g. the day after
    Ascension). With `public_holidays=False` (e.g. a 24×7 calendar) holidays count as
    working time."""

    weekly_hours: Mapping[int, tuple[tuple[time, time], ...]]
    timezone: ZoneInfo = AMSTERDAM
    public_holidays: bool = True
    closed_days: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self):
        total = timedelta()
        for weekday, spans in self.weekly_hours.items():
            if weekday not in range(7):
                raise CalendarError(f"weekday {weekday} is not 0..6")
            previous_end = None
            for start, end in spans:
                if end != END_OF_DAY and end <= start:
                    raise CalendarError(f"opening span {start}–{end} on weekday {weekday} ends before it starts")
                if previous_end is not None and start < previous_end:
                    raise CalendarError(f"opening spans overlap on weekday {weekday}")
                previous_end = end
                total += _span_length(start, end)
        if total <= timedelta():
            raise CalendarError("a calendar without any working time cannot measure a term")
        # Not a field: a cache of timelines by first year, filled on demand.
        object.__setattr__(self, "_timelines", {})

    # --- construction helpers -----------------------------------------------------------
    @classmethod
    def office_hours(cls, start=time(8, 0), end=time(17, 0), weekdays=range(5), **kwargs) -> WorkingCalendar:
        return cls(weekly_hours={day: ((start, end),) for day in weekdays}, **kwargs)

    @classmethod
    def around_the_clock(cls, **kwargs) -> WorkingCalendar:
        kwargs.setdefault("public_holidays", False)
        return cls(weekly_hours={day: ((time(0, 0), END_OF_DAY),) for day in range(7)}, **kwargs)

    @property
    def is_around_the_clock(self) -> bool:
        full_day = ((time(0, 0), END_OF_DAY),)
        return (
            not self.public_holidays
            and not self.closed_days
            and all(tuple(self.weekly_hours.get(day, ())) == full_day for day in range(7))
        )

    # --- the core: working intervals ------------------------------------------------------
    def is_closed_on(self, day: date) -> bool:
        if day in self.closed_days:
            return True
        return self.public_holidays and day in dutch_public_holidays(day.year)

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of one local day, as UTC instants."""
        if self.is_closed_on(day):
            return []
        result = []
        for start, end in self.weekly_hours.get(day.weekday(), ()):
            start_at = _local_instant(day, start, self.timezone)
            end_at = (
                _local_instant(day + timedelta(days=1), time(0, 0), self.timezone)
                if end == END_OF_DAY
                else _local_instant(day, end, self.timezone)
            )
            if end_at > start_at:
                result.append((start_at, end_at))
        return result

    def intervals_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals from `instant` onwards (the first one clipped to start there)."""
        instant = _aware(instant)
        day = instant.astimezone(self.timezone).date() - timedelta(days=1)  # a span may start the day before
        for _ in range(MAX_DAYS):
            for start_at, end_at in self.intervals_on(day):
                if end_at <= instant:
                    continue
                yield max(start_at, instant), end_at
            day += timedelta(days=1)
        raise CalendarError("no working time found within the search horizon")

    def _timeline(self, at: int) -> _Timeline:
        """The timeline covering the instant `at` (microseconds) and at least a year after it.
        Timelines are numbered by spans of TIMELINE_SPAN from the epoch; each starts a day
        early and ends a day late, so the local days around the span's ends are whole."""
        number = at // TIMELINE_SPAN
        timeline = self._timelines.get(number)
        if timeline is None:
            first_day = (EPOCH + number * TIMELINE_SPAN * MICROSECOND).date() - timedelta(days=1)
            timeline = _Timeline.build(self, first_day, first_day + timedelta(days=2 * TIMELINE_DAYS + 2))
            self._timelines[number] = timeline
        return timeline

    # --- questions -----------------------------------------------------------------------
    def add_working_time(self, start: datetime, duration: timedelta, pauses=()) -> datetime:
        """The instant at which `duration` of working time after `start` has passed.

        The clock stands still during `pauses` ((start, end) periods, all ended): a pause
        that begins before the time has run out moves the result on by the working time
        it covers; one that begins later moves nothing."""
        if start.tzinfo is None:
            raise CalendarError("instants must carry a time zone")
        if duration < NO_TIME:
            raise CalendarError("a term cannot be negative")
        # Fast path, in whole microseconds on the cached timeline.
        at = _micros(start)
        timeline = self._timelines.get(at // TIMELINE_SPAN) or self._timeline(at)
        worked = timeline.worked_until(at) + duration // MICROSECOND
        end = timeline.instant_worked(worked) if duration else at
        counted_until = at  # a pause overlapping an earlier one counts once
        for pause_start, pause_end in sorted(pauses) if pauses else ():
            if end is None:
                break
            if pause_end is None:
                raise CalendarError("a pause that has not ended has no length yet")
            paused_from, paused_until = max(_micros(pause_start), counted_until), _micros(pause_end)
            if paused_from >= end:
                break
            if paused_until > paused_from:
                if paused_until > timeline.last:
                    end = None
                    break
                worked += timeline.worked_until(paused_until) - timeline.worked_until(paused_from)
                end = timeline.instant_worked(worked)
                counted_until = paused_until
        if end is not None:
            return EPOCH + end * MICROSECOND
        return self._add_working_time_by_days(_aware(start), duration, pauses)

    def _add_working_time_by_days(self, start: datetime, duration: timedelta, pauses=()) -> datetime:
        """The same as add_working_time, walking day by day (for terms beyond a timeline)."""
        end = self._walk_working_time(start, duration)
        counted_until = start
        for pause_start, pause_end in sorted(pauses):
            paused_from, paused_until = max(_aware(pause_start), counted_until), _aware(pause_end)
            if paused_from >= end:
                break
            if paused_until > paused_from:
                end = self._walk_working_time(end, self._working_time_between_by_days(paused_from, paused_until))
                counted_until = paused_until
        return end

    def _walk_working_time(self, start: datetime, duration: timedelta) -> datetime:
        remaining = duration
        if remaining == timedelta():
            return start
        for interval_start, interval_end in self.intervals_from(start):
            available = interval_end - interval_start
            if remaining <= available:
                return interval_start + remaining
            remaining -= available
        raise CalendarError("term too long for the search horizon")  # pragma: no cover - intervals_from raises

    def add_working_minutes(self, start: datetime, minutes: float) -> datetime:
        return self.add_working_time(start, timedelta(minutes=minutes))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in [start, end); zero when end is not after start."""
        start, end = _aware(start), _aware(end)
        if end <= start:
            return timedelta()
        start_at, end_at = _micros(start), _micros(end)
        timeline = self._timeline(start_at)
        if end_at <= timeline.last:
            return (timeline.worked_until(end_at) - timeline.worked_until(start_at)) * MICROSECOND
        return self._working_time_between_by_days(start, end)

    def _working_time_between_by_days(self, start: datetime, end: datetime) -> timedelta:
        total = timedelta()
        day = start.astimezone(self.timezone).date() - timedelta(days=1)
        last_day = end.astimezone(self.timezone).date()
        if (last_day - day).days > MAX_DAYS:
            raise CalendarError("period too long")
        while day <= last_day:
            for interval_start, interval_end in self.intervals_on(day):
                lo, hi = max(interval_start, start), min(interval_end, end)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    def working_minutes_between(self, start: datetime, end: datetime) -> float:
        return self.working_time_between(start, end).total_seconds() / 60

    def is_working_at(self, instant: datetime) -> bool:
        instant = _aware(instant)
        local_day = instant.astimezone(self.timezone).date()
        for day in (local_day - timedelta(days=1), local_day):
            for start_at, end_at in self.intervals_on(day):
                if start_at <= instant < end_at:
                    return True
        return False

    def paused_total(self, pauses: Iterable[tuple[datetime, datetime]]) -> timedelta:
        """Working time inside pause periods (e.g. waiting for the caller)."""
        return sum((self.working_time_between(a, b) for a, b in pauses), timedelta())


def _span_length(start: time, end: time) -> timedelta:
    anchor = date(2000, 1, 3)
    if end == END_OF_DAY:
        end_at = datetime.combine(anchor + timedelta(days=1), time(0))
    else:
        end_at = datetime.combine(anchor, end)
    return end_at - datetime.combine(anchor, start)


def _local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as a UTC instant. With fold=0 (PEP 495) a time in the hour
    skipped in spring lands one hour later, and an ambiguous autumn time takes its
    first occurrence; both keep instants in wall-clock order."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _micros(instant: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise CalendarError("instants must carry a time zone")
    return instant.astimezone(UTC)
