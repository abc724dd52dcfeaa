"""SLA clocks: response and resolution deadlines in working time, with pauses.

`compute_deadlines` is pure (no database): the start, the terms, the calendar and the
pauses go in; deadlines come out. The resolution deadline moves on by the working time
spent paused, so recomputing under another priority or calendar never loses a pause.
While a pause is open the clock stands still and the resolution deadline is empty.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from regie.core.calendars import WorkingCalendar


@dataclass(frozen=True)
class Deadlines:
    response_due_at: datetime | None
    resolution_due_at: datetime | None


def compute_deadlines(
    calendar: WorkingCalendar,
    start: datetime,
    response_minutes: int | None,
    resolution_minutes: int | None,
    pauses: list[tuple[datetime, datetime | None]] = (),
) -> Deadlines:
    if response_minutes is None or resolution_minutes is None:
        return Deadlines(None, None)
    response_due = calendar.add_working_minutes(start, response_minutes)
    if any(end is None for _start, end in pauses):
        return Deadlines(response_due, None)
    paused = calendar.paused_total((max(a, start), b) for a, b in pauses)
    resolution_due = calendar.add_working_time(start, timedelta(minutes=resolution_minutes) + paused)
    return Deadlines(response_due, resolution_due)


def apply_sla(ticket):
    """Recompute and set the ticket's stored deadlines (does not save)."""
    from regie.catalogue.services import calendar_for, sla_target_for

    target = sla_target_for(ticket.service, ticket.organisation, ticket.priority)
    calendar = calendar_for(ticket.service, ticket.organisation)
    pauses = [(p.started_at, p.ended_at) for p in ticket.pauses.all()] if ticket.pk else []
    deadlines = compute_deadlines(
        calendar,
        ticket.created_at,
        target.response_minutes if target else None,
        target.resolution_minutes if target else None,
        pauses,
    )
    ticket.response_due_at = deadlines.response_due_at
    ticket.resolution_due_at = deadlines.resolution_due_at
    return calendar
