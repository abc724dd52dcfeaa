"""Watching the terms: share used, warning and breach, quiet nights."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from regie.core.calendars import WorkingCalendar
from regie.servicedesk.watch import TermState, may_notify_now, term_state, used_share

AMS = ZoneInfo("Europe/Amsterdam")
OFFICE = WorkingCalendar.office_hours(time(8, 0), time(17, 0))


def at(*args):
    return datetime(*args, tzinfo=AMS)


def test_share_counts_working_time_only():
    # Friday 16:00 → Monday 09:00 is 2 working hours of a 4-hour term.
    assert used_share(OFFICE, at(2026, 11, 27, 16, 0), 240, [], at(2026, 11, 30, 9, 0)) == pytest.approx(0.5)


def test_pauses_do_not_use_the_term():
    pauses = [(at(2026, 11, 24, 10, 0), at(2026, 11, 24, 12, 0))]
    share = used_share(OFFICE, at(2026, 11, 24, 9, 0), 240, pauses, at(2026, 11, 24, 13, 0))
    assert share == pytest.approx(0.5)  # 4 h elapsed, 2 h paused


def test_an_open_pause_counts_until_now():
    pauses = [(at(2026, 11, 24, 10, 0), None)]
    share = used_share(OFFICE, at(2026, 11, 24, 9, 0), 240, pauses, at(2026, 11, 24, 16, 0))
    assert share == pytest.approx(0.25)


@pytest.mark.parametrize(("share", "state"), [
    (0.1, TermState.ON_TRACK), (0.75, TermState.WARNING), (0.99, TermState.WARNING), (1.0, TermState.BREACHED),
])
def test_states(share, state):
    assert term_state(share, 0.75) == state


def test_no_notifications_at_night_for_working_hours_slas():
    assert not may_notify_now(OFFICE, at(2026, 11, 24, 23, 0), around_the_clock=False)
    assert may_notify_now(OFFICE, at(2026, 11, 24, 10, 0), around_the_clock=False)
    assert may_notify_now(OFFICE, at(2026, 11, 24, 23, 0), around_the_clock=True)
