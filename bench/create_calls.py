"""Benchmark 1: registering calls through the API over HTTP.

    .venv/bin/python -m bench.create_calls [--levels 1,4,8] [--requests 2000] [--time-cap 30]

Sets up its own PostgreSQL database (regie_bench), starts gunicorn twice on loopback
ports (Regie, and the one-row DRF anchor with the same settings), and per concurrency
level runs, back to back so they share the machine's momentary load:
  a) pgbench: the equivalent single-row INSERT into a table shaped like servicedesk_ticket;
  b) the DRF anchor: GET of one row through Django + DRF;
  c) Regie: POST /api/v1/tickets with a bearer token of a provider agent.
Statements per create are counted in-process (CaptureQueriesContext around the same
API call through the test client) and listed, so the breakdown is visible.
"""

import argparse
import json
import re
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import common

TITLES = [
    "Printer geeft papierstoring", "Kan niet inloggen op de virtuele werkplek", "Outlook start niet",
    "Wachtwoord verlopen", "Scanner op 1e verdieping werkt niet", "Wifi in stadswinkel valt weg",
]

TARGET_RATE_AT_8 = 500
TARGET_P95_AT_4_MS = 15
TARGET_STATEMENTS = 8


def classify(sql):
    """A short label per statement, for the breakdown."""
    rules = [
        (r"^(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)", "savepoint (nested atomic)"),
        (r"^(BEGIN|COMMIT)", "BEGIN / COMMIT"),
        (r'FROM "api_apitoken"', "bearer token lookup (+ user, organisation)"),
        (r'^UPDATE "api_apitoken"', "token last_used_at (at most once a minute)"),
        (r'"auth_permission"', "permission check (has_perm)"),
        (r'servicedesk_referencesequence', "reference sequence"),
        (r'^INSERT INTO "servicedesk_ticket"', "INSERT ticket"),
        (r'^INSERT INTO "core_auditrecord"', "INSERT audit record"),
        (r'FROM "django_content_type"', "content type lookup"),
        (r'FROM "servicedesk_ticket"', "unique check on reference (full_clean)"),
        (r'SELECT 1 AS "a" FROM "core_user"', "user exists (requester check or FK validation)"),
        (r'SELECT 1 AS "a" FROM "core_organisation"', "organisation exists (FK validation)"),
        (r'FROM "core_user"', "user lookup (requester field)"),
        (r'FROM "core_organisation"', "organisation lookup"),
    ]
    for pattern, label in rules:
        if re.search(pattern, sql):
            return label
    table = re.search(r'(?:FROM|INTO|UPDATE) "(\w+)"', sql)
    return f"other: {table.group(1)}" if table else "other"


def count_create_statements(agent_token, requester_id, samples=5):
    """Statements per create via the test client, after one warm-up create."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {agent_token}")
    body = json.dumps({"title": "Warm-up", "description": "Statement count warm-up", "requester": requester_id})
    warm = client.post("/api/v1/tickets", body, content_type="application/json")
    assert warm.status_code == 201, warm.content
    counts, listing = [], []
    for index in range(samples):
        body = json.dumps({"title": TITLES[index % len(TITLES)], "description": "Count", "requester": requester_id})
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/api/v1/tickets", body, content_type="application/json")
        assert response.status_code == 201, response.content
        counts.append(len(captured.captured_queries))
        listing = [query["sql"] for query in captured.captured_queries]
    return counts, listing


PGBENCH_TABLE = "bench_pgbench_ticket"


def prepare_pgbench(organisation_id, requester_ids, agent_id, workdir):
    with common.bench_connection() as conn:
        conn.execute(f"DROP TABLE IF EXISTS {PGBENCH_TABLE}")
        # Same columns, defaults, identity and indexes as the real table, and its foreign keys.
        conn.execute(f"CREATE TABLE {PGBENCH_TABLE} (LIKE servicedesk_ticket INCLUDING ALL)")
        conn.execute(
            f"ALTER TABLE {PGBENCH_TABLE} "
            "ADD FOREIGN KEY (organisation_id) REFERENCES core_organisation (id), "
            "ADD FOREIGN KEY (requester_id) REFERENCES core_user (id), "
            "ADD FOREIGN KEY (created_by_id) REFERENCES core_user (id)"
        )
        conn.execute("CREATE SEQUENCE IF NOT EXISTS bench_pgbench_reference")
    explicit = {"id", "reference", "organisation_id", "requester_id", "created_by_id", "title", "description",
                "status", "channel", "created_at", "updated_at", "version"}
    filler = common.ticket_filler_columns(explicit)
    columns = "".join(f", {column}" for column in filler)
    values = "".join(f", {common.sql_literal(value)}" for value in filler.values())
    script = Path(workdir) / "insert_ticket.sql"
    script.write_text(
        f"\\set requester random({min(requester_ids)}, {max(requester_ids)})\n"
        f"INSERT INTO {PGBENCH_TABLE} (reference, organisation_id, requester_id, created_by_id, title, "
        f"description, status, channel, created_at, updated_at, version{columns}) "
        f"VALUES ('PGB-' || nextval('bench_pgbench_reference'), {organisation_id}, :requester, {agent_id}, "
        f"'Printer geeft papierstoring', 'Registered by pgbench', 'new', 'portal', now(), now(), 1{values});\n"
    )
    return script


def run_pgbench(script, clients, seconds, workdir):
    log_dir = Path(tempfile.mkdtemp(prefix=f"pgb{clients}_", dir=workdir))
    command = [
        "pgbench", "-n", "-h", common.PG_HOST, "-p", common.PG_PORT, "-U", common.PG_USER,
        "-f", str(script), "-c", str(clients), "-j", str(clients), "-T", str(seconds),
        "--log", f"--log-prefix={log_dir}/tx", common.BENCH_DB,
    ]
    completed = subprocess.run(command, capture_output=True, text=True, check=False, cwd=log_dir)
    if completed.returncode != 0:
        raise RuntimeError(f"pgbench failed: {completed.stderr.strip()}")
    output = completed.stdout
    tps = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", output).group(1))
    latencies = []
    for log in log_dir.glob("tx*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3:
                latencies.append(int(fields[2]) / 1_000_000)
    return {"rate": tps, "requests": len(latencies), **common.latency_summary(latencies)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="1,4,8", help="concurrency levels (default 1,4,8)")
    parser.add_argument("--requests", type=int, default=2000, help="requests per level and system (default 2000)")
    parser.add_argument("--time-cap", type=float, default=30, help="seconds at most per level and system")
    parser.add_argument("--pgbench-seconds", type=int, default=8, help="pgbench -T per level (default 8)")
    parser.add_argument("--recreate-db", action="store_true", help="drop and re-create the bench database")
    parser.add_argument("--drop-db", action="store_true", help="drop the bench database afterwards")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]

    started_at = datetime.now(UTC)
    common.prepare_database(recreate=args.recreate_db)
    common.setup_django()
    fixtures = common.ensure_fixtures()
    venlo = fixtures["municipalities"][0]
    agent_token = common.issue_token(fixtures["agent"], name="bench create_calls")

    counts, listing = count_create_statements(agent_token, venlo["employees"][0])
    statements = max(counts)

    from django.db import connections

    connections.close_all()  # nothing crosses the fork below

    headers = {"Authorization": f"Bearer {agent_token}", "Content-Type": "application/json"}
    bodies = [
        json.dumps({"title": TITLES[i % len(TITLES)], "description": "Bench call", "requester": requester})
        for i, requester in enumerate(venlo["employees"][:50])
    ]
    results = []
    with tempfile.TemporaryDirectory(prefix="regie_bench_") as workdir:
        script = prepare_pgbench(venlo["id"], venlo["employees"], fixtures["agent"], workdir)
        with (
            common.gunicorn("regie.wsgi:application") as regie_server,
            common.gunicorn("bench.anchor_wsgi:application", "bench.anchor_settings", probe="/anchor") as anchor_server,
        ):
            regie_port, anchor_port = regie_server.port, anchor_server.port
            # Warm every worker thread's persistent connection and Django's caches.
            common.run_load(regie_port, "POST", "/api/v1/tickets", concurrency=8, total=100, time_cap=20,
                            bodies=bodies, headers=headers, expect=201)
            common.run_load(anchor_port, "GET", "/anchor", concurrency=8, total=100, time_cap=20)
            for level in levels:
                pgbench = run_pgbench(script, level, args.pgbench_seconds, workdir)
                before = common.cpu_snapshot(anchor_server)
                anchor = common.run_load(anchor_port, "GET", "/anchor", concurrency=level, total=args.requests,
                                         time_cap=args.time_cap)
                anchor["cpu_ms"] = common.cpu_used(before, common.cpu_snapshot(anchor_server)) * 1000 / anchor["ok"]
                before = common.cpu_snapshot(regie_server)
                regie = common.run_load(regie_port, "POST", "/api/v1/tickets", concurrency=level,
                                        total=args.requests, time_cap=args.time_cap, bodies=bodies,
                                        headers=headers, expect=201)
                regie["cpu_ms"] = common.cpu_used(before, common.cpu_snapshot(regie_server)) * 1000 / regie["ok"]
                results.append({"level": level, "pgbench": pgbench, "anchor": anchor, "regie": regie})
                time.sleep(1)

    print()
    print(f"Regie benchmark: creating calls over HTTP ({started_at:%Y-%m-%d %H:%M} UTC)")
    print(f"Machine: {common.machine_summary()}")
    print()
    rows = []
    for item in results:
        for name in ("regie", "anchor", "pgbench"):
            data = item[name]
            label = {"regie": "Regie POST /api/v1/tickets", "anchor": "DRF one-row GET (anchor)",
                     "pgbench": "pgbench INSERT (anchor)"}[name]
            errors = ""
            if "statuses" in data and data["ok"] != data["requests"]:
                errors = json.dumps(data["statuses"])
            cpu = f"{data['cpu_ms']:.2f}" if "cpu_ms" in data else ""
            rows.append([item["level"], label, data["requests"], f"{data['rate']:.0f}", f"{data['p50']:.1f}",
                         f"{data['p95']:.1f}", f"{data['p99']:.1f}", cpu, errors])
    common.print_table(
        ["conc", "system", "requests", "per s", "p50 ms", "p95 ms", "p99 ms", "server CPU ms/req", "errors"], rows
    )
    print("  server CPU = gunicorn workers + their PostgreSQL backends; 2 idle cores could serve at most")
    print("  2000 / (CPU ms per request) requests/s, whatever else runs on the machine now.")
    print()
    ratio_rows = []
    for item in results:
        regie, anchor, pgbench = item["regie"], item["anchor"], item["pgbench"]
        ratio_rows.append([
            item["level"],
            f"{regie['rate'] / anchor['rate']:.2f}" if anchor["rate"] else "n/a",
            f"{regie['rate'] / pgbench['rate']:.3f}" if pgbench["rate"] else "n/a",
            f"{regie['p95'] / anchor['p95']:.1f}" if anchor["p95"] else "n/a",
            f"{regie['cpu_ms'] / anchor['cpu_ms']:.1f}" if anchor["cpu_ms"] else "n/a",
            f"{2000 / regie['cpu_ms']:.0f}" if regie["cpu_ms"] else "n/a",
        ])
    common.print_table(
        ["conc", "creates/s ÷ DRF req/s", "creates/s ÷ pgbench tps", "p95 ÷ DRF p95", "CPU/create ÷ CPU/DRF req",
         "CPU-bound creates/s on 2 cores"],
        ratio_rows,
    )
    print()
    control = sum(1 for sql in listing if re.match(r"(BEGIN|COMMIT|SAVEPOINT|RELEASE SAVEPOINT)", sql))
    print(f"SQL statements per create (in-process, {len(counts)} samples): {counts}; "
          f"of the last, {control} are transaction control (BEGIN/COMMIT/SAVEPOINT/RELEASE), "
          f"{len(listing) - control} are queries")
    breakdown = {}
    for sql in listing:
        label = classify(sql)
        breakdown[label] = breakdown.get(label, 0) + 1
    for label, number in sorted(breakdown.items(), key=lambda kv: -kv[1]):
        print(f"  {number:3d}  {label}")
    print("  statements of the last sample, in order:")
    for index, sql in enumerate(listing, 1):
        print(f"  {index:3d}. {sql[:150]}")
    print()
    by_level = {item["level"]: item for item in results}
    print("Targets (issue #2, item 13):")
    if 8 in by_level:
        rate = by_level[8]["regie"]["rate"]
        print(f"  {common.verdict(rate >= TARGET_RATE_AT_8)}  >= {TARGET_RATE_AT_8} creates/s at concurrency 8: "
              f"{rate:.0f}/s")
    if 4 in by_level:
        p95 = by_level[4]["regie"]["p95"]
        print(f"  {common.verdict(p95 <= TARGET_P95_AT_4_MS)}  p95 <= {TARGET_P95_AT_4_MS} ms at concurrency 4: "
              f"{p95:.1f} ms")
    print(f"  {common.verdict(statements <= TARGET_STATEMENTS)}  <= {TARGET_STATEMENTS} SQL statements per create: "
          f"{statements} (every round trip counted, transaction control included)")
    if args.json:
        common.write_json(args.json, {"started_at": started_at, "machine": common.machine_summary(),
                                      "results": results, "statements": counts, "sql": listing})
    if args.drop_db:
        common.drop_database()


if __name__ == "__main__":
    main()
