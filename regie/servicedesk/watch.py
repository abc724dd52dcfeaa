"""Watching the terms (§5.1): how much of a call's term is used, and what follows.

Pure functions over a calendar; the reconcile task (tasks.py) applies them to open
calls and notifies once per event. A working-hours SLA never warns at night: the
warning waits for the calendar's next working moment.
"""

from datetime import datetime, timedelta
from enum import StrEnum

from regie.core.calendars import WorkingCalendar


class TermState(StrEnum):
    ON_TRACK = "on_track"
    WARNING = "warning"  # past the warning share (e.g. 75 %) of the term
    BREACHED = "breached"


def used_share(
    calendar: WorkingCalendar,
    start: datetime,
    term_minutes: int,
    pauses: list[tuple[datetime, datetime | None]],
    now: datetime,
) -> float:
    """Share of the term used at `now`: working time elapsed minus working time paused,
    over the term. An open pause counts up to `now`."""
    if term_minutes <= 0:
        return 1.0
    elapsed = calendar.working_time_between(start, now)
    paused = sum(
        (calendar.working_time_between(max(a, start), min(b or now, now)) for a, b in pauses if a < now),
        timedelta(),
    )
    return max(0.0, (elapsed - paused) / timedelta(minutes=term_minutes))


def term_state(share: float, warn_share: float) -> TermState:
    if share >= 1:
        return TermState.BREACHED
    if share >= warn_share:
        return TermState.WARNING
    return TermState.ON_TRACK


def may_notify_now(calendar: WorkingCalendar, now: datetime, around_the_clock: bool) -> bool:
    """Working-hours SLAs notify only within working time; 24×7 ones at any time."""
    return around_the_clock or calendar.is_working_at(now)
