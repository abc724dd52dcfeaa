"""SLA clocks: response and resolution deadlines in working time, with pauses.

`compute_deadlines` is pure (no database): the start, the terms, the calendar and the
pauses go in; deadlines come out. The resolution deadline moves on by the working time
spent paused, so recomputing under another priority or calendar never loses a pause.
While a pause is open the clock stands still and the resolution deadline is empty.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from regie.core.calendars import WorkingCalendar

from .choices import TicketStatus


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
    # The clock stands still while paused; a pause that begins after the deadline has
    # passed moves nothing (waiting for the caller after a breach does not undo it).
    resolution_due = calendar.add_working_time(start, timedelta(minutes=resolution_minutes), pauses)
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


RECOMPUTE_CHUNK = 2000


def recompute_open_deadlines(calendar=None, *, chunk_size=RECOMPUTE_CHUNK) -> int:
    """Recompute the stored deadlines of open calls after their calendar (a
    `BusinessCalendar`; None: every open call) or SLA targets changed. Returns how many
    calls got new deadlines.

    In bulk: per chunk of calls one query for the calls, one for their pauses and one
    UPDATE ... FROM (VALUES ...) for the calls whose deadlines changed. Deadlines are
    derived data, so no audit record per call; one record says what was recomputed.
    A call changed meanwhile (its version moved on) is not overwritten but read again.
    """
    from regie.catalogue.services import forget_config

    from .models import Ticket

    forget_config()  # the change may have been made in another process
    open_calls = Ticket.all_objects.filter(status__in=TicketStatus.open_values())
    if calendar is not None:
        open_calls = open_calls.filter(_measured_in(calendar))
    terms = _TermsCache()
    written = 0
    last_id = 0
    while True:
        chunk = open_calls.filter(pk__gt=last_id).order_by("pk")
        rows = list(chunk.values_list(*_RECOMPUTE_COLUMNS)[:chunk_size])
        if not rows:
            break
        last_id = rows[-1][0]
        # The pauses of the same calls, by subquery (no list of thousands of ids to send).
        count, stale = _recompute_chunk(rows, terms, chunk.values("pk")[:chunk_size])
        written += count
        for _attempt in range(2):
            if not stale:
                break
            stale_ids = [row[0] for row in stale]
            stale = list(Ticket.all_objects.filter(pk__in=stale_ids).values_list(*_RECOMPUTE_COLUMNS))
            count, stale = _recompute_chunk(stale, terms, stale_ids)
            written += count
    _audit_recompute(calendar, written)
    return written


_RECOMPUTE_COLUMNS = (
    "id", "version", "created_at", "service_id", "organisation_id", "priority", "response_due_at",
    "resolution_due_at",
)


def _measured_in(calendar):
    """Which calls `calendar_for` measures in this calendar: the services that use it, and
    for a helpdesk's hours that organisation's calls on services without a calendar.
    Service ids are listed rather than joined: a join here makes PostgreSQL sort all the
    open calls for every chunk instead of walking the primary key."""
    from django.db.models import Q

    from regie.catalogue.models import Service

    services = Service.objects.unrestricted().values_list("pk", "calendar_id")
    measured = Q(service_id__in=[pk for pk, calendar_id in services if calendar_id == calendar.pk])
    if calendar.organisation_id:
        without_calendar = [pk for pk, calendar_id in services if calendar_id is None]
        measured |= Q(organisation_id=calendar.organisation_id) & (
            Q(service__isnull=True) | Q(service_id__in=without_calendar)
        )
    return measured


class _TermsCache:
    """(calendar, response minutes, resolution minutes) per service, organisation and
    priority, through the catalogue's own rules; a few dozen combinations at most."""

    def __init__(self):
        from regie.catalogue.models import Service

        self.services = {service.pk: service for service in Service.objects.unrestricted().only("pk", "calendar")}
        self.known = {}

    def __call__(self, service_id, organisation_id, priority):
        key = (service_id, organisation_id, priority)
        if key not in self.known:
            from regie.catalogue.services import calendar_for, sla_target_for
            from regie.core.models import Organisation

            service = self.services.get(service_id)
            organisation = Organisation(pk=organisation_id)  # only its pk is read
            target = sla_target_for(service, organisation, priority)
            self.known[key] = (
                calendar_for(service, organisation),
                target.response_minutes if target else None,
                target.resolution_minutes if target else None,
            )
        return self.known[key]


def _recompute_chunk(rows, terms, ticket_ids):
    """Compute and write one chunk (`ticket_ids`: the ids of `rows`, or a subquery giving
    them). Returns (calls written, rows whose version moved on meanwhile)."""
    from .models import TicketPause

    pauses = {}
    ids = [row[0] for row in rows]
    for ticket_id, started_at, ended_at in (
        # The id range lets PostgreSQL use the ticket index instead of scanning every pause.
        TicketPause.objects.filter(ticket_id__in=ticket_ids, ticket_id__gte=min(ids), ticket_id__lte=max(ids))
        .order_by("started_at")
        .values_list("ticket_id", "started_at", "ended_at")
    ):
        pauses.setdefault(ticket_id, []).append((started_at, ended_at))
    changed = []
    for ticket_id, version, created_at, service_id, organisation_id, priority, response_due, resolution_due in rows:
        calendar, response_minutes, resolution_minutes = terms(service_id, organisation_id, priority)
        deadlines = compute_deadlines(
            calendar, created_at, response_minutes, resolution_minutes, pauses.get(ticket_id, ())
        )
        if (deadlines.response_due_at, deadlines.resolution_due_at) != (response_due, resolution_due):
            changed.append((ticket_id, version, deadlines.response_due_at, deadlines.resolution_due_at))
    if not changed:
        return 0, []
    written_ids = _write_deadlines(changed)
    # Rows the UPDATE skipped were changed meanwhile (their version moved on).
    stale_ids = {ticket_id for ticket_id, *_rest in changed} - written_ids
    return len(written_ids), [row for row in rows if row[0] in stale_ids]


def _write_deadlines(changed):
    """One UPDATE for (id, version, response due, resolution due) rows, only where the
    version is still the one read. Returns the ids written."""
    from django.db import connection

    from .models import Ticket

    table = connection.ops.quote_name(Ticket._meta.db_table)
    assignments = "response_due_at = v.response, resolution_due_at = v.resolution"
    if connection.vendor == "postgresql":
        # Four arrays instead of four parameters per row: far less to send and parse.
        ids, versions, responses, resolutions = (list(column) for column in zip(*changed, strict=True))
        source = ("unnest(%s::bigint[], %s::integer[], %s::timestamptz[], %s::timestamptz[]) "
                  "AS v (id, version, response, resolution)")
        params = [ids, versions, responses, resolutions]
    else:  # SQLite: a VALUES list, its columns renamed by a subquery
        adapt = connection.ops.adapt_datetimefield_value
        rows_sql = ", ".join(["(%s, %s, %s, %s)"] * len(changed))
        source = (
            "(SELECT column1 AS id, column2 AS version, column3 AS response, column4 AS resolution "
            "FROM (VALUES " + rows_sql + ")) AS v"
        )
        params = [value for row in changed for value in (row[0], row[1], adapt(row[2]), adapt(row[3]))]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {assignments} FROM {source} "  # noqa: S608 - fixed identifiers only
            f"WHERE {table}.id = v.id AND {table}.version = v.version RETURNING {table}.id",
            params,
        )
        return {row[0] for row in cursor.fetchall()}


def _audit_recompute(calendar, written):
    from regie.core.audit import write_record

    if written:
        write_record(
            "update", instance=calendar, changes={"recomputed_open_calls": written},
            message=f"SLA deadlines of {written} open calls recomputed",
        )
