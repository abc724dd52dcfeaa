"""Recomputing the deadlines of open calls in bulk after a calendar change
(`sla.recompute_open_deadlines`): right deadlines, only the calls measured in that
calendar, a fixed number of statements per chunk, and no overwrite of a call that
changed meanwhile."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from regie.catalogue.models import BusinessCalendar
from regie.core.models import AuditRecord
from regie.servicedesk import services, sla
from regie.servicedesk.choices import ResolutionCode, TicketStatus
from regie.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def at(*args):
    return datetime(*args, tzinfo=AMS)


@pytest.fixture
def agent(provider, make_user):
    return make_user(provider, "first_line")


@pytest.fixture
def venlo_hours(venlo):
    return BusinessCalendar.objects.create(
        name="Venlo", organisation=venlo, weekly_hours={str(d): [["08:00", "17:00"]] for d in range(5)}
    )


@pytest.fixture
def caller(venlo, venlo_hours, make_user):
    return make_user(venlo, "employee")


def register(agent, caller, when):
    # impact 2 × urgency 2 → priority 3: 240 working minutes to respond, 1620 to resolve.
    return services.create_ticket(agent, title="Printer kapot", requester=caller, now=when, impact=2, urgency=2)


def open_later(calendar, hour):
    calendar.weekly_hours = {str(d): [[f"{hour:02d}:00", "17:00"]] for d in range(5)}
    calendar.save()


def test_open_calls_get_the_deadlines_of_the_new_hours(agent, caller, venlo_hours):
    monday = register(agent, caller, at(2026, 11, 23, 7, 0))
    assert monday.response_due_at == at(2026, 11, 23, 12, 0)
    open_later(venlo_hours, 9)  # 09:00–17:00 instead of 08:00–17:00

    assert sla.recompute_open_deadlines(venlo_hours) == 1

    monday.refresh_from_db()
    assert monday.response_due_at == at(2026, 11, 23, 13, 0)
    # 1620 minutes = 27 h: Mon 8 h, Tue 8 h, Wed 8 h, Thu 3 h → Thursday 12:00.
    assert monday.resolution_due_at == at(2026, 11, 26, 12, 0)


def test_pauses_count_and_closed_and_other_calls_are_left_alone(agent, caller, venlo_hours, roermond, make_user):
    paused = register(agent, caller, at(2026, 11, 23, 7, 0))
    paused = services.update_ticket(agent, paused, {"status": TicketStatus.WAITING_FOR_CALLER},
                                    now=at(2026, 11, 23, 10, 0))
    paused = services.update_ticket(agent, paused, {"status": TicketStatus.IN_PROGRESS},
                                    now=at(2026, 11, 23, 12, 0))
    waiting = register(agent, caller, at(2026, 11, 23, 7, 0))
    waiting = services.update_ticket(agent, waiting, {"status": TicketStatus.WAITING_FOR_SUPPLIER},
                                     now=at(2026, 11, 23, 11, 0))
    resolved = register(agent, caller, at(2026, 11, 23, 7, 0))
    resolved = services.update_ticket(
        agent, resolved,
        {"status": TicketStatus.RESOLVED, "resolution_code": ResolutionCode.SOLVED, "resolution_text": "Toner"},
        now=at(2026, 11, 23, 11, 0),
    )
    elsewhere = register(agent, make_user(roermond, "employee"), at(2026, 11, 23, 7, 0))
    before = {t.pk: (t.response_due_at, t.resolution_due_at) for t in (resolved, elsewhere)}
    open_later(venlo_hours, 9)

    assert sla.recompute_open_deadlines(venlo_hours) == 2  # `paused` and `waiting`

    paused.refresh_from_db()
    # 27 h of term + 2 h paused (10–12) = 29 working hours of 8-hour days from Monday 9:00.
    assert paused.resolution_due_at == at(2026, 11, 26, 14, 0)
    waiting.refresh_from_db()
    assert waiting.resolution_due_at is None  # the clock still stands still
    assert waiting.response_due_at == at(2026, 11, 23, 13, 0)
    for ticket in (resolved, elsewhere):
        ticket.refresh_from_db()
        assert (ticket.response_due_at, ticket.resolution_due_at) == before[ticket.pk]


def test_recomputed_deadlines_equal_a_fresh_apply_sla(agent, caller, venlo_hours):
    tickets = [register(agent, caller, at(2026, 12, day, hour, 30)) for day, hour in [(24, 16), (31, 9), (4, 3)]]
    venlo_hours.weekly_hours = {"0": [["10:00", "12:00"]], "2": [["13:00", "24:00"]], "5": [["08:00", "09:00"]]}
    venlo_hours.save()

    assert sla.recompute_open_deadlines() == 3

    for ticket in tickets:
        ticket = Ticket.all_objects.get(pk=ticket.pk)
        expected = Ticket.all_objects.get(pk=ticket.pk)
        sla.apply_sla(expected)
        assert (ticket.response_due_at, ticket.resolution_due_at) == (
            expected.response_due_at, expected.resolution_due_at)
    assert AuditRecord.objects.unrestricted().filter(message__contains="3 open calls").exists()


def test_statements_per_chunk_are_fixed(agent, caller, venlo_hours):
    for day in range(23, 31):
        register(agent, caller, at(2026, 11, day, 9, 0))

    def statements(hour):
        open_later(venlo_hours, hour)
        with CaptureQueriesContext(connection) as captured:
            written = sla.recompute_open_deadlines(venlo_hours, chunk_size=2)
        return written, len(captured)

    written_all, all_calls = statements(9)
    Ticket.all_objects.filter(created_at__gte=at(2026, 11, 27)).update(status=TicketStatus.CLOSED)
    written_half, half_calls = statements(10)
    assert (written_all, written_half) == (8, 4)
    # Two chunks fewer, three statements each: the calls, their pauses, one UPDATE.
    assert all_calls - half_calls == 2 * 3
    assert half_calls <= 4 * 3 + 10  # per chunk plus a fixed few (config, services, audit)


def test_a_call_changed_meanwhile_is_not_overwritten(agent, caller, venlo_hours):
    ticket = register(agent, caller, at(2026, 11, 23, 9, 0))
    row = Ticket.all_objects.filter(pk=ticket.pk).values_list(*sla._RECOMPUTE_COLUMNS).get()
    open_later(venlo_hours, 10)
    Ticket.all_objects.filter(pk=ticket.pk).update(version=ticket.version + 1)  # someone saved it

    written, stale = sla._recompute_chunk([row], sla._TermsCache(), [ticket.pk])

    assert (written, stale) == (0, [row])
    assert Ticket.all_objects.get(pk=ticket.pk).response_due_at == at(2026, 11, 23, 13, 0)
    assert sla.recompute_open_deadlines(venlo_hours) == 1  # read again, then written
    assert Ticket.all_objects.get(pk=ticket.pk).response_due_at == at(2026, 11, 23, 14, 0)


# --- a calendar change queues the recomputation as a Celery task (eager in tests) ----------


def test_a_calendar_change_recomputes_after_the_commit(agent, caller, venlo_hours,
                                                       django_capture_on_commit_callbacks):
    ticket = register(agent, caller, at(2026, 11, 23, 7, 0))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        open_later(venlo_hours, 9)
    ticket.refresh_from_db()
    assert ticket.response_due_at == at(2026, 11, 23, 12, 0)  # nothing inline: the task runs after the commit
    assert len(callbacks) == 1
    callbacks[0]()  # the commit: the task is queued and (eager in tests) runs
    ticket.refresh_from_db()
    assert ticket.response_due_at == at(2026, 11, 23, 13, 0)
    record = AuditRecord.objects.unrestricted().filter(message__startswith="SLA deadlines").get()
    assert record.object_id == str(venlo_hours.pk) and record.changes == {"recomputed_open_calls": 1}
    assert record.actor_label == "system: SLA deadlines"


def test_renaming_a_calendar_queues_nothing(venlo_hours, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        venlo_hours.name = "Venlo helpdesk"
        venlo_hours.save()
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        venlo_hours.closed_days = ["2026-12-24"]
        venlo_hours.save()
    assert len(callbacks) == 1


def test_the_task_is_idempotent(agent, caller, venlo_hours):
    from regie.servicedesk.tasks import recompute_deadlines

    ticket = register(agent, caller, at(2026, 11, 23, 7, 0))
    BusinessCalendar.objects.filter(pk=venlo_hours.pk).update(
        weekly_hours={str(d): [["09:00", "17:00"]] for d in range(5)})

    assert recompute_deadlines.delay(venlo_hours.pk).get() == 1
    assert recompute_deadlines.delay(venlo_hours.pk).get() == 0  # delivered twice: nothing more to write
    ticket.refresh_from_db()
    assert ticket.response_due_at == at(2026, 11, 23, 13, 0)
    assert AuditRecord.objects.unrestricted().filter(message__startswith="SLA deadlines").count() == 1
    assert recompute_deadlines.delay(987654).get() == 0  # a calendar deleted meanwhile
    assert recompute_deadlines.acks_late is True


def test_deleting_a_helpdesk_calendar_recomputes_every_open_call(agent, caller, venlo_hours,
                                                                django_capture_on_commit_callbacks):
    open_later(venlo_hours, 9)
    sla.recompute_open_deadlines(venlo_hours)
    ticket = register(agent, caller, at(2026, 11, 23, 7, 0))
    assert ticket.response_due_at == at(2026, 11, 23, 13, 0)
    with django_capture_on_commit_callbacks(execute=True):
        venlo_hours.delete()
    ticket.refresh_from_db()
    assert ticket.response_due_at == at(2026, 11, 23, 12, 0)  # office hours 08:00–17:00 again


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_chunks_are_written_by_the_background_writer(provider, venlo, make_user):
    """The task's path: no transaction around it, so on PostgreSQL a second connection
    writes while the next chunk is computed. Same result as the sequential path."""
    from regie.catalogue.models import SlaTarget

    agent = make_user(provider, "first_line")
    caller = make_user(venlo, "employee")
    # Its own terms: an earlier transactional test may have flushed the seeded defaults.
    SlaTarget.objects.create(organisation=venlo, priority=3, response_minutes=240, resolution_minutes=1620)
    hours = BusinessCalendar.objects.create(
        name="Venlo", organisation=venlo, weekly_hours={str(d): [["08:00", "17:00"]] for d in range(5)})
    tickets = [register(agent, caller, at(2026, 11, 23 + day % 5, 7 + day % 9, 0)) for day in range(7)]
    paused = services.update_ticket(agent, tickets[0], {"status": TicketStatus.WAITING_FOR_CALLER},
                                    now=at(2026, 11, 23, 10, 0))
    services.update_ticket(agent, paused, {"status": TicketStatus.IN_PROGRESS}, now=at(2026, 11, 23, 12, 0))
    BusinessCalendar.objects.filter(pk=hours.pk).update(weekly_hours={str(d): [["09:30", "16:00"]] for d in range(5)})
    hours.refresh_from_db()

    assert not connection.in_atomic_block
    with CaptureQueriesContext(connection) as captured:
        assert sla.recompute_open_deadlines(hours, chunk_size=2) == 7
    updates_here = [query for query in captured.captured_queries if query["sql"].startswith("UPDATE")]
    # PostgreSQL: the four UPDATEs ran on the writer thread's own connection; SQLite: here, in order.
    assert len(updates_here) == (0 if connection.vendor == "postgresql" else 4)

    for ticket in tickets:
        stored = Ticket.all_objects.get(pk=ticket.pk)
        fresh = Ticket.all_objects.get(pk=ticket.pk)
        sla.apply_sla(fresh)
        assert (stored.response_due_at, stored.resolution_due_at) == (fresh.response_due_at, fresh.resolution_due_at)
    assert sla.recompute_open_deadlines(hours, chunk_size=2) == 0


@pytest.mark.django_db(transaction=True)
def test_the_writers_share_the_chunks_and_a_failed_write_reaches_the_caller(provider, venlo, make_user, monkeypatch):
    """Outside a transaction on PostgreSQL `WRITERS` threads write the chunks, each on its
    own connection; what they wrote adds up, and an error in one is raised by finish()."""
    import threading

    if connection.vendor != "postgresql":
        pytest.skip("the background writers run on PostgreSQL only")
    agent = make_user(provider, "first_line")
    caller = make_user(venlo, "employee")
    tickets = [register(agent, caller, at(2026, 11, 23, 9, minute)) for minute in range(6)]
    codec = sla._MicrosCodec()
    seen_threads = set()
    original = sla._write_changed

    def recording(*args, **kwargs):
        seen_threads.add(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(sla, "_write_changed", recording)
    writer = sla._BackgroundWriter(codec, writers=2)
    rows = [(t.pk, t.version) for t in tickets]
    moved = codec.stored(at(2026, 12, 1, 12, 0))
    for ticket in tickets:
        writer.submit([(ticket.pk, ticket.version, moved, moved)], [(ticket.pk, ticket.version)])
    assert writer.finish() == (6, [])
    assert seen_threads and all(name.startswith("sla-deadline-writer-") for name in seen_threads)
    assert all(Ticket.all_objects.get(pk=pk).resolution_due_at == at(2026, 12, 1, 12, 0) for pk, _ in rows)

    from django.db import DataError

    failing = sla._BackgroundWriter(codec, writers=2)
    failing.submit([(tickets[0].pk, tickets[0].version, "not a number", None)], [])
    with pytest.raises(DataError):
        failing.finish()
