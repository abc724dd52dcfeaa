"""Recomputing the deadlines of 100,000 open calls after a calendar change, database
writes included (issue #3, Performance: ≤ 3 s).

    .venv/bin/python -m bench.recompute                    # 100,000 open calls
    .venv/bin/python -m bench.recompute --calls 20000      # quicker
    .venv/bin/python -m bench.recompute --reload           # load the calls again

Uses its own database (`regie_bench_sla`, or REGIE_BENCH_DB), so the million calls of
bench.list_calls do not get in the way. Loads, once, `--calls` open calls on one service
whose calendar is "Bench office hours" (Mon–Fri, Dutch holidays), spread over the four
municipalities and the last ten working days, priorities 1–5; 30 % have a closed pause,
5 % are waiting (open pause). Then, per round: the calendar's opening time moves
(08:00 ↔ 08:30) and what follows is timed: the save through the ORM, the catalogue's hook
queuing `servicedesk.recompute_deadlines` after the commit, and that task run in this
process (Celery eager), i.e. `sla.recompute_open_deadlines(calendar)` outside a
transaction; nearly every call gets new deadlines. (With --chunk the recomputation is
called directly instead.) Anchor, same run and rows: one bare
`UPDATE … SET response_due_at = …, resolution_due_at = … WHERE service_id = … AND
status IN (open)` through psycopg (what writing those rows costs without computing). Before each timed step, untimed:
VACUUM ANALYZE and CHECKPOINT, so neither inherits the other's dead rows or dirty pages.
Finally 500 random calls are checked against `apply_sla`.
"""

import argparse
import os
import random
import time

os.environ.setdefault("REGIE_BENCH_DB", "regie_bench_sla")

from bench.common import (  # the database name above must be set first
    bench_connection,
    ensure_fixtures,
    machine_summary,
    prepare_database,
    setup_django,
    ticket_filler_columns,
    verdict,
    write_json,
)

CALENDAR_NAME = "Bench office hours"
SERVICE_CODE = "bench-sla-recompute"


def hours(opening):
    return {str(day): [[opening, "17:00"]] for day in range(5)}


def ensure_calls(ids, count, reload):
    """The calendar, the service and `count` open calls on it (with pauses). Idempotent."""
    from regie.catalogue.models import BusinessCalendar, Service
    from regie.servicedesk.models import Ticket

    calendar = BusinessCalendar.objects.filter(name=CALENDAR_NAME).first() or BusinessCalendar.objects.create(
        name=CALENDAR_NAME, weekly_hours=hours("08:00")
    )
    service = Service.objects.unrestricted().filter(code=SERVICE_CODE).first()
    if service is None:
        service = Service(name="Bench SLA", code=SERVICE_CODE, group="applications", calendar=calendar)
        service.save()
    have = Ticket.all_objects.filter(service=service).count()
    if have == count and not reload:
        return calendar, service
    print(f"Loading {count:,} open calls ...", flush=True)
    began = time.perf_counter()
    explicit = {"reference", "organisation_id", "requester_id", "created_by_id", "title", "status", "service_id",
                "priority", "created_at", "updated_at", "version", "impact", "urgency"}
    filler = ticket_filler_columns(explicit | {"id"})
    organisations = [m["id"] for m in ids["municipalities"]]
    requesters = [m["employees"][0] for m in ids["municipalities"]]
    filler_columns = "".join(f", {column}" for column in filler)
    filler_values = "".join(", %s" for _ in filler)
    with bench_connection() as conn:
        conn.execute("DELETE FROM servicedesk_ticketpause WHERE ticket_id IN "
                     "(SELECT id FROM servicedesk_ticket WHERE service_id = %s)", [service.pk])
        conn.execute("DELETE FROM servicedesk_ticket WHERE service_id = %s", [service.pk])
        conn.execute(
            f"""INSERT INTO servicedesk_ticket (reference, organisation_id, requester_id, created_by_id, title,
                    status, service_id, priority, impact, urgency, created_at, updated_at, version{filler_columns})
                SELECT 'BSL-' || lpad(i::text, 8, '0'),
                       (%s::bigint[])[1 + i %% 4], (%s::bigint[])[1 + i %% 4], %s, 'Bench call ' || i,
                       CASE WHEN i %% 20 = 0 THEN 'waiting_for_caller' WHEN i %% 3 = 0 THEN 'in_progress'
                            ELSE 'new' END,
                       %s, 1 + i %% 5, 2, 2,
                       now() - (i %% 14400) * interval '1 minute' - (i %% 10) * interval '1 day',
                       now(), 1{filler_values}
                FROM generate_series(1, %s) AS i""",
            [organisations, requesters, ids["agent"], service.pk, *filler.values(), count],
        )
        # 30 % a closed pause of 1–5 hours an hour after registration; 5 % (waiting) an open one.
        conn.execute(
            """INSERT INTO servicedesk_ticketpause (ticket_id, started_at, ended_at, reason)
               SELECT id, created_at + interval '1 hour',
                      CASE WHEN status = 'waiting_for_caller' THEN NULL
                           ELSE created_at + interval '1 hour' + (1 + id %% 5) * interval '1 hour' END,
                      'waiting_for_caller'
               FROM servicedesk_ticket
               WHERE service_id = %s AND (status = 'waiting_for_caller' OR id %% 10 < 3)""",
            [service.pk],
        )
        conn.execute("VACUUM ANALYZE servicedesk_ticket")
        conn.execute("VACUUM ANALYZE servicedesk_ticketpause")
    print(f"  loaded in {time.perf_counter() - began:.1f} s", flush=True)
    return calendar, service


def change_calendar(calendar, opening):
    """Save the calendar through the ORM: the catalogue's hook queues the recompute task
    after the commit, which runs in this process (eager) — the path a change takes."""
    calendar.weekly_hours = hours(opening)
    calendar.save()


def run_tasks_in_process():
    from regie.celery import app

    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True


def last_recompute_count(calendar):
    from regie.core.models import AuditRecord

    record = (AuditRecord.objects.unrestricted().filter(object_id=str(calendar.pk), message__startswith="SLA deadlines")
              .order_by("-pk").first())
    return (record.changes or {}).get("recomputed_open_calls", 0) if record else 0


def vacuum():
    """Untimed, before each timed step: both start without the previous step's dead rows."""
    with bench_connection() as conn:
        conn.execute("VACUUM ANALYZE servicedesk_ticket")
        conn.execute("CHECKPOINT")


def bare_update(service):
    """The anchor: write the same rows without computing anything."""
    vacuum()
    with bench_connection() as conn:
        began = time.perf_counter()
        cursor = conn.execute(
            "UPDATE servicedesk_ticket SET response_due_at = response_due_at + interval '1 second', "
            "resolution_due_at = resolution_due_at + interval '1 second' "
            "WHERE service_id = %s AND status IN ('new', 'in_progress', 'waiting_for_caller', 'waiting_for_supplier')",
            [service.pk],
        )
        return time.perf_counter() - began, cursor.rowcount


def check_sample(service, size=500):
    from regie.servicedesk.models import Ticket
    from regie.servicedesk.sla import apply_sla

    ids = list(Ticket.all_objects.filter(service=service).values_list("pk", flat=True))
    wrong = 0
    for pk in random.Random(1).sample(ids, min(size, len(ids))):
        stored = Ticket.all_objects.get(pk=pk)
        fresh = Ticket.all_objects.get(pk=pk)
        apply_sla(fresh)
        if (stored.response_due_at, stored.resolution_due_at) != (fresh.response_due_at, fresh.resolution_due_at):
            wrong += 1
    return wrong, min(size, len(ids))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=None, help="calls per chunk (default: the product's)")
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--recreate-db", action="store_true")
    parser.add_argument("--json")
    args = parser.parse_args()

    prepare_database(recreate=args.recreate_db)
    setup_django()
    from regie.servicedesk.sla import recompute_open_deadlines

    ids = ensure_fixtures()
    calendar, service = ensure_calls(ids, args.calls, args.reload)
    print(machine_summary(), flush=True)
    run_tasks_in_process()
    # Start from deadlines that match the 08:00 calendar (untimed).
    change_calendar(calendar, "08:00")
    recompute_open_deadlines(calendar)

    chunk = {"chunk_size": args.chunk} if args.chunk else {}
    rounds = []
    for number in range(args.rounds):
        opening = "08:30" if number % 2 == 0 else "08:00"
        vacuum()
        if chunk:  # a chunk size of its own: call the recomputation directly
            calendar.weekly_hours = hours(opening)
            type(calendar).objects.filter(pk=calendar.pk).update(weekly_hours=calendar.weekly_hours)
            began = time.perf_counter()
            written = recompute_open_deadlines(calendar, **chunk)
            seconds = time.perf_counter() - began
        else:  # the calendar change itself, its hook and the (eager) recompute task
            began = time.perf_counter()
            change_calendar(calendar, opening)
            seconds = time.perf_counter() - began
            written = last_recompute_count(calendar)
        anchor_seconds, anchor_rows = bare_update(service)
        # The anchor shifted every deadline by a second: put them right again (untimed).
        recompute_open_deadlines(calendar)
        rounds.append({"opening": opening, "seconds": seconds, "written": written,
                       "anchor_seconds": anchor_seconds, "anchor_rows": anchor_rows})
        print(f"round {number + 1}: opening {opening}: recompute {seconds:.2f} s, {written:,} calls written; "
              f"bare UPDATE of {anchor_rows:,} rows {anchor_seconds:.2f} s; ratio {seconds / anchor_seconds:.1f}×",
              flush=True)
    wrong, checked = check_sample(service)
    print(f"check: {wrong} of {checked} random calls differ from a fresh apply_sla")

    best = min(rounds, key=lambda r: r["seconds"])
    worst = max(r["seconds"] for r in rounds)
    print()
    print(f"{verdict(best['seconds'] <= 3.0 and worst <= 3.0)}  recompute {args.calls:,} open calls ≤ 3 s: "
          f"best {best['seconds']:.2f} s, worst {worst:.2f} s ({best['written']:,} written; bare UPDATE "
          f"{best['anchor_seconds']:.2f} s, {best['seconds'] / best['anchor_seconds']:.1f}×)")
    if args.json:
        write_json(args.json, {"calls": args.calls, "rounds": rounds, "sample_wrong": wrong, "sample": checked})


if __name__ == "__main__":
    main()
