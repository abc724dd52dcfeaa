"""SLA clocks: response and resolution deadlines in working time, with pauses.

`compute_deadlines` is pure (no database): the start, the terms, the calendar and the
pauses go in; deadlines come out. The resolution deadline moves on by the working time
spent paused, so recomputing under another priority or calendar never loses a pause.
While a pause is open the clock stands still and the resolution deadline is empty.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from regie.core.calendars import EPOCH, WorkingCalendar

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
# Writer threads (connections) for the recomputation outside a transaction, and the chunks
# computed but not yet written that each may have waiting.
WRITERS = 2
WRITE_AHEAD = 2


def recompute_open_deadlines(calendar=None, *, chunk_size=RECOMPUTE_CHUNK) -> int:
    """Recompute the stored deadlines of open calls after their calendar (a
    `BusinessCalendar`; None: every open call) or SLA targets changed. Returns how many
    calls got new deadlines.

    In bulk: per chunk of calls one query for the calls, one for their pauses and one
    UPDATE ... FROM (VALUES ...) for the calls whose deadlines changed. Deadlines are
    derived data, so no audit record per call; one record says what was recomputed.
    A call changed meanwhile (its version moved on) is not overwritten but read again.

    On PostgreSQL, outside a transaction (the Celery task, the benchmark), `WRITERS`
    other connections write chunks while the next ones are computed, and timestamps travel as
    integer microseconds (parsing 300,000 timestamps into datetimes cost more than the
    deadline arithmetic); see docs/performance.md, section 4. Inside a transaction (a
    test, or a caller's atomic block) the chunks are written in order on the caller's
    connection, so they stay part of its transaction.
    """
    from django.db import connection

    from regie.catalogue.services import forget_config

    from .models import Ticket

    forget_config()  # the change may have been made in another process
    codec = _MicrosCodec() if connection.vendor == "postgresql" else _DatetimeCodec()
    open_calls = Ticket.all_objects.filter(status__in=TicketStatus.open_values())
    if calendar is not None:
        open_calls = open_calls.filter(_measured_in(calendar))
    terms = _TermsCache()
    writer = _BackgroundWriter(codec) if codec.fast and not connection.in_atomic_block else None
    written = 0
    stale = []
    last_id = 0
    try:
        while True:
            chunk = open_calls.filter(pk__gt=last_id).order_by("pk")
            rows = codec.read_calls(chunk, chunk_size)
            if not rows:
                break
            last_id = rows[-1][0]
            # The pauses of the same calls, by subquery (no list of thousands of ids to send).
            changed = _compute_chunk(rows, terms, chunk.values("pk")[:chunk_size], codec)
            if writer is not None:
                writer.submit(changed, rows)
            else:
                count, chunk_stale = _write_changed(changed, rows, codec)
                written += count
                stale.extend(chunk_stale)
    finally:
        if writer is not None:
            count, writer_stale = writer.finish()
            written += count
            stale.extend(writer_stale)
    for _attempt in range(2):
        if not stale:
            break
        stale_ids = [row[0] for row in stale]
        rows = codec.read_calls(Ticket.all_objects.filter(pk__in=stale_ids).order_by("pk"), None)
        count, stale = _write_changed(_compute_chunk(rows, terms, stale_ids, codec), rows, codec)
        written += count
    _audit_recompute(calendar, written)
    return written


_RECOMPUTE_COLUMNS = (
    "id", "version", "created_at", "service_id", "organisation_id", "priority", "response_due_at",
    "resolution_due_at",
)


class _DatetimeCodec:
    """Timestamps as the ORM gives them (SQLite, and any database but PostgreSQL)."""

    fast = False

    def read_calls(self, queryset, limit):
        values = queryset.values_list(*_RECOMPUTE_COLUMNS)
        return list(values[:limit] if limit else values)

    def read_pauses(self, queryset):
        return queryset.values_list("ticket_id", "started_at", "ended_at")

    def instant(self, value):
        return value

    def stored(self, deadline):
        return deadline


class _MicrosCodec:
    """PostgreSQL: timestamps read and written as integer microseconds since the epoch
    (exact: EXTRACT(EPOCH …) is numeric since PostgreSQL 14, and µs values stay far below
    2^53 when multiplied with an interval); turned into datetimes only for the arithmetic."""

    fast = True

    def read_calls(self, queryset, limit):
        values = queryset.annotate(
            created_us=_epoch_micros("created_at"), response_us=_epoch_micros("response_due_at"),
            resolution_us=_epoch_micros("resolution_due_at"),
        ).values_list("id", "version", "created_us", "service_id", "organisation_id", "priority", "response_us",
                      "resolution_us")
        return list(values[:limit] if limit else values)

    def read_pauses(self, queryset):
        return queryset.annotate(start_us=_epoch_micros("started_at"), end_us=_epoch_micros("ended_at")).values_list(
            "ticket_id", "start_us", "end_us")

    def instant(self, micros):
        return None if micros is None else EPOCH + timedelta(microseconds=micros)

    def stored(self, deadline):
        if deadline is None:
            return None
        delta = deadline - EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _epoch_micros(column):
    """PostgreSQL: a timestamp column as integer microseconds since the epoch."""
    from django.db.models import BigIntegerField, F, Func

    return Func(F(column), template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint",
                output_field=BigIntegerField())


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


def _compute_chunk(rows, terms, ticket_ids, codec):
    """The new deadlines of `rows` (`ticket_ids`: their ids, or a subquery giving them):
    [(id, version, response, resolution)] for the calls whose deadlines differ, in the
    codec's form (datetimes, or microseconds on PostgreSQL)."""
    from .models import TicketPause

    pauses = {}
    ids = [row[0] for row in rows]
    instant = codec.instant
    # The id range lets PostgreSQL use the ticket index instead of scanning every pause.
    pause_rows = codec.read_pauses(
        TicketPause.objects.filter(ticket_id__in=ticket_ids, ticket_id__gte=min(ids), ticket_id__lte=max(ids))
        .order_by("started_at")
    )
    for ticket_id, started_at, ended_at in pause_rows:
        pauses.setdefault(ticket_id, []).append((instant(started_at), instant(ended_at)))
    stored = codec.stored
    changed = []
    for ticket_id, version, created_at, service_id, organisation_id, priority, response_due, resolution_due in rows:
        calendar, response_minutes, resolution_minutes = terms(service_id, organisation_id, priority)
        deadlines = compute_deadlines(
            calendar, instant(created_at), response_minutes, resolution_minutes, pauses.get(ticket_id, ())
        )
        new = (stored(deadlines.response_due_at), stored(deadlines.resolution_due_at))
        if new != (response_due, resolution_due):
            changed.append((ticket_id, version, *new))
    return changed


def _recompute_chunk(rows, terms, ticket_ids, codec=None):
    """Compute and write one chunk of rows read by `codec` (default: datetimes). Returns
    (calls written, rows whose version moved on meanwhile)."""
    codec = codec or _DatetimeCodec()
    return _write_changed(_compute_chunk(rows, terms, ticket_ids, codec), rows, codec)


def _write_changed(changed, rows, codec, using="default"):
    if not changed:
        return 0, []
    written_ids = _write_deadlines(changed, codec, using)
    # Rows the UPDATE skipped were changed meanwhile (their version moved on).
    stale_ids = {ticket_id for ticket_id, *_rest in changed} - written_ids
    return len(written_ids), [row for row in rows if row[0] in stale_ids]


def _write_deadlines(changed, codec=None, using="default"):
    """One UPDATE for (id, version, response due, resolution due) rows, only where the
    version is still the one read. Returns the ids written."""
    from django.db import connections

    from .models import Ticket

    connection = connections[using]
    table = connection.ops.quote_name(Ticket._meta.db_table)
    assignments = "response_due_at = v.response, resolution_due_at = v.resolution"
    if connection.vendor == "postgresql":
        # Four arrays instead of four parameters per row: far less to send and parse.
        ids, versions, responses, resolutions = (list(column) for column in zip(*changed, strict=True))
        if codec is not None and codec.fast:
            source = ("unnest(%s::bigint[], %s::integer[], %s::bigint[], %s::bigint[]) "
                      "AS v (id, version, response_us, resolution_us)")
            assignments = ("response_due_at = timestamptz 'epoch' + v.response_us * interval '1 microsecond', "
                           "resolution_due_at = timestamptz 'epoch' + v.resolution_us * interval '1 microsecond'")
        else:
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


class _BackgroundWriter:
    """Writes computed chunks in `WRITERS` threads, each on its own connection, while
    Python computes the next chunks. Writing dominates (every index of the call table
    gets an entry per recomputed call) and one PostgreSQL backend uses one core, so two
    writers use both cores while the computing thread waits on the queue. Each chunk
    commits on its own, as the chunks of the sequential path do outside a transaction;
    chunks hold distinct calls, so the writers never wait on each other's rows."""

    _ALIAS = "default"

    def __init__(self, codec, writers=None):
        import queue
        import threading

        self.codec = codec
        self.count = writers or WRITERS
        self.queue = queue.Queue(maxsize=WRITE_AHEAD * self.count)
        self.lock = threading.Lock()
        self.written = 0
        self.stale = []
        self.error = None
        self.threads = [
            threading.Thread(target=self._run, name=f"sla-deadline-writer-{number}", daemon=True)
            for number in range(self.count)
        ]
        for thread in self.threads:
            thread.start()

    def _run(self):
        from django.db import connections

        try:
            while True:
                item = self.queue.get()
                if item is None:
                    break
                if self.error is None:
                    try:
                        count, stale = _write_changed(*item, self.codec, self._ALIAS)
                        with self.lock:
                            self.written += count
                            self.stale.extend(stale)
                    except Exception as exc:  # handed to the caller in finish()
                        self.error = exc
        finally:
            connections[self._ALIAS].close()  # this thread's own connection

    def submit(self, changed, rows):
        if self.error is not None:
            raise self.error
        self.queue.put((changed, rows))

    def finish(self):
        for _thread in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join()
        if self.error is not None:
            raise self.error
        return self.written, self.stale


def _audit_recompute(calendar, written):
    from regie.core.audit import write_record

    if written:
        write_record(
            "update", instance=calendar, changes={"recomputed_open_calls": written},
            message=f"SLA deadlines of {written} open calls recomputed",
        )
