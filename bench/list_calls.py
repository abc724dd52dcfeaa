"""Benchmark 2: listing and filtering calls with 1,000,000 calls in the database.

    .venv/bin/python -m bench.list_calls [--rows 1000000] [--reload] [--repeat 60] [--deep-pages 40]

Loads the calls once with one INSERT ... SELECT generate_series per municipality (reused
on later runs; --reload loads again), starts gunicorn on a loopback port and measures
GET /api/v1/tickets as a provider agent and as a municipality's account manager: first
page, a deep page reached by following `next` cursors, filters and a reference search,
at page sizes 25 and 100. Beside each, the anchor: the bare indexed SQL for the same
page (same WHERE, ORDER BY, LIMIT, keyset condition) through psycopg. Statements per
request are counted in-process, and EXPLAIN ANALYZE of the API's own page query shows
which index answers it.
"""

import argparse
import json
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from bench import common

TARGET_P95_MS = 50
PAGE_SIZES = (25, 100)
COLUMNS = (
    "id, reference, organisation_id, requester_id, created_by_id, title, description, status, channel, "
    "created_at, updated_at, version"
)
TITLES = [
    "Printer geeft papierstoring", "Kan niet inloggen op de virtuele werkplek", "Outlook start niet",
    "Wachtwoord verlopen", "Toegang nodig tot gedeelde map Burgerzaken", "Scanner op 1e verdieping werkt niet",
    "Telefoon doet het niet na verhuizing", "Applicatie start niet vanuit startmenu", "Traag netwerk in raadzaal",
    "Extra opslagruimte aangevraagd", "Certificaat website verloopt binnenkort", "Mail komt in spam terecht",
    "Nieuwe medewerker heeft account nodig", "Laptop valt steeds uit", "Wifi in stadswinkel valt weg",
    "Vraag over thuiswerken met token", "Teams-vergadering zonder geluid", "Monitor flikkert",
]

# Calls spread over two years; those of the last ten days are still open, older ones
# resolved or closed. Requesters are the municipality's employees; a third of the calls
# were registered by the service desk on the caller's behalf. References are numbered per
# organisation and (local) year in order of registration, as next_reference() does.
LOAD_SQL = """
INSERT INTO servicedesk_ticket (reference, organisation_id, requester_id, created_by_id, title, description,
                                status, channel, created_at, updated_at, version{filler_columns})
SELECT %(code)s || '-' || y || '-' || lpad(row_number() OVER (PARTITION BY y ORDER BY created_at, g)::text, 6, '0'),
       %(organisation)s,
       requester,
       CASE WHEN g %% 3 = 0 THEN %(agent)s ELSE requester END,
       (%(titles)s::text[])[1 + g %% %(title_count)s],
       'Melding ' || g || ': ' || (%(titles)s::text[])[1 + (g * 7) %% %(title_count)s] || '. Graag contact opnemen.',
       CASE WHEN created_at > now() - interval '10 days'
            THEN (ARRAY['new', 'in_progress', 'waiting_for_caller', 'waiting_for_supplier'])[1 + g %% 4]
            ELSE (ARRAY['resolved', 'closed', 'closed'])[1 + g %% 3] END,
       (ARRAY['portal', 'phone', 'email', 'monitoring', 'walk_in'])[1 + (g / 7) %% 5],
       created_at,
       created_at + interval '1 hour' * (g %% 72),
       1{filler_values}
FROM (
    SELECT g, created_at,
           extract(year FROM created_at AT TIME ZONE 'Europe/Amsterdam')::int AS y,
           (%(requesters)s::bigint[])[1 + (g * 31) %% %(requester_count)s] AS requester
    FROM (SELECT g, now() - random() * interval '730 days' AS created_at
          FROM generate_series(1, %(rows)s) AS g) AS spread
) AS calls
"""

SEQUENCE_SQL = """
INSERT INTO servicedesk_referencesequence (organisation_id, year, last_number)
SELECT organisation_id, split_part(reference, '-', 2)::int, max(split_part(reference, '-', 3)::int)
FROM servicedesk_ticket GROUP BY 1, 2
ON CONFLICT (organisation_id, year) DO UPDATE
SET last_number = GREATEST(servicedesk_referencesequence.last_number, EXCLUDED.last_number)
"""


def load_calls(fixtures, rows, reload):
    """Load `rows` calls unless a previous load of that size is present."""
    with common.bench_connection() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        loaded = conn.execute("SELECT value FROM bench_meta WHERE key = 'tickets_loaded'").fetchone()
        if loaded and int(loaded[0]) == rows and not reload:
            print(f"Reusing {rows:,} loaded calls (--reload to load again).")
            return None
        print(f"Loading {rows:,} calls ...", flush=True)
        started = time.perf_counter()
        explicit = {"id", "reference", "organisation_id", "requester_id", "created_by_id", "title", "description",
                    "status", "channel", "created_at", "updated_at", "version"}
        filler = common.ticket_filler_columns(explicit)
        load_sql = LOAD_SQL.format(
            filler_columns="".join(f", {column}" for column in filler),
            filler_values="".join(f", %(filler_{column})s" for column in filler),
        )
        with conn.transaction():
            conn.execute("DELETE FROM bench_meta WHERE key = 'tickets_loaded'")
            # CASCADE: rows that hang off calls (pauses, later comments) go too; this is the bench DB.
            conn.execute("TRUNCATE servicedesk_ticket, servicedesk_referencesequence CASCADE")
            total_weight = sum(m["weight"] for m in fixtures["municipalities"])
            remaining = rows
            for index, municipality in enumerate(fixtures["municipalities"]):
                last = index == len(fixtures["municipalities"]) - 1
                share = remaining if last else round(rows * municipality["weight"] / total_weight)
                remaining -= share
                conn.execute(load_sql, {
                    **{f"filler_{column}": value for column, value in filler.items()},
                    "code": municipality["code"], "organisation": municipality["id"], "agent": fixtures["agent"],
                    "titles": TITLES, "title_count": len(TITLES), "requesters": municipality["employees"],
                    "requester_count": len(municipality["employees"]), "rows": share,
                })
            conn.execute(SEQUENCE_SQL)
            conn.execute("INSERT INTO bench_meta VALUES ('tickets_loaded', %s)", [str(rows)])
        conn.execute("VACUUM (ANALYZE) servicedesk_ticket")
        seconds = time.perf_counter() - started
        print(f"Loaded in {seconds:.0f} s.", flush=True)
        return seconds


def scenarios(fixtures, sample_reference):
    roermond = fixtures["municipalities"][1]["id"]
    venlo = fixtures["municipalities"][0]["id"]
    # (user key, label, query string, bare WHERE clause, parameters)
    return [
        ("agent", "all", "", "TRUE", []),
        ("agent", "status", "status=in_progress", "status = %s", ["in_progress"]),
        ("agent", "organisation", f"organisation={roermond}", "organisation_id = %s", [roermond]),
        ("agent", "status+organisation", f"status=resolved&organisation={roermond}",
         "organisation_id = %s AND status = %s", [roermond, "resolved"]),
        ("agent", "search reference", f"q={sample_reference}", "reference = %s", [sample_reference]),
        ("manager", "all (own municipality)", "", "organisation_id = %s", [venlo]),
        ("manager", "status", "status=closed", "organisation_id = %s AND status = %s", [venlo, "closed"]),
        ("manager", "search reference", f"q={sample_reference}", "organisation_id = %s AND reference = %s",
         [venlo, sample_reference]),
    ]


def path_of(url):
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def walk(port, token, path, pages):
    """Follow `next` links `pages` times; return the path of the page reached and the
    last row of the page before it (the keyset position)."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    current, last_row = path, None
    for _page in range(pages):
        conn.request("GET", current, headers=headers)
        response = conn.getresponse()
        body = json.loads(response.read())
        if response.status != 200 or not body.get("next") or not body.get("results"):
            conn.close()
            return None, None
        last_row = body["results"][-1]
        current = path_of(body["next"])
    conn.close()
    return current, last_row


def count_statements(token, path):
    """Statements for one request through the test client, and the page query's SQL."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get(path)  # warm: the token's last_used_at write happens at most once a minute
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, response.content
    queries = [query["sql"] for query in captured.captured_queries]
    page_sql = next((sql for sql in reversed(queries) if 'FROM "servicedesk_ticket"' in sql), None)
    return len(queries), queries, page_sql


def plan_indexes(node, found):
    if "Index Name" in node:
        found.append(f"{node['Node Type']} using {node['Index Name']}")
    elif node.get("Node Type") == "Seq Scan":
        found.append(f"Seq Scan on {node.get('Relation Name')}")
    for child in node.get("Plans", []):
        plan_indexes(child, found)
    return found


def explain(conn, sql):
    plan = conn.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql).fetchone()[0][0]
    return plan_indexes(plan["Plan"], []), plan["Execution Time"]


def bare_sql(where, params, size, keyset):
    sql = f"SELECT {COLUMNS} FROM servicedesk_ticket WHERE {where}"
    params = list(params)
    if keyset is not None:
        sql += " AND (created_at, id) < (%s, %s)"
        params += list(keyset)
    sql += " ORDER BY created_at DESC, id DESC LIMIT %s"
    return sql, [*params, size + 1]


def time_bare(conn, sql, params, repeat):
    timings = []
    for _index in range(repeat):
        begin = time.perf_counter()
        conn.execute(sql, params).fetchall()
        timings.append(time.perf_counter() - begin)
    return common.latency_summary(timings)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="calls to load (default 1,000,000)")
    parser.add_argument("--reload", action="store_true", help="load the calls again even if present")
    parser.add_argument("--repeat", type=int, default=60, help="requests per measured page (default 60)")
    parser.add_argument("--deep-pages", type=int, default=40, help="cursor pages to follow for the deep page")
    parser.add_argument("--recreate-db", action="store_true", help="drop and re-create the bench database")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    started_at = datetime.now(UTC)
    common.prepare_database(recreate=args.recreate_db)
    common.setup_django()
    fixtures = common.ensure_fixtures()
    load_seconds = load_calls(fixtures, args.rows, args.reload)
    tokens = {
        "agent": common.issue_token(fixtures["agent"], name="bench list_calls"),
        "manager": common.issue_token(fixtures["municipalities"][0]["manager"], name="bench list_calls"),
    }
    import psycopg

    bare = psycopg.connect(common.BENCH_URL, autocommit=True, cursor_factory=psycopg.ClientCursor)
    sample_reference = bare.execute(
        "SELECT reference FROM servicedesk_ticket WHERE organisation_id = %s ORDER BY id LIMIT 1 OFFSET 12345",
        [fixtures["municipalities"][0]["id"]],
    ).fetchone()[0]
    total_rows = bare.execute("SELECT count(*) FROM servicedesk_ticket").fetchone()[0]

    from django.db import connections

    connections.close_all()
    results = []
    with common.gunicorn("regie.wsgi:application") as server:
        port = server.port
        for user, label, query, where, params in scenarios(fixtures, sample_reference):
            token = tokens[user]
            for size in PAGE_SIZES:
                first = f"/api/v1/tickets?pageSize={size}" + (f"&{query}" if query else "")
                variants = [("first page", first, None)]
                deep_path, last_row = walk(port, token, first, args.deep_pages)
                if deep_path is not None:
                    keyset = bare.execute(
                        "SELECT created_at, id FROM servicedesk_ticket WHERE reference = %s", [last_row["reference"]]
                    ).fetchone()
                    variants.append((f"page {args.deep_pages + 1}", deep_path, keyset))
                for depth, path, keyset in variants:
                    headers = {"Authorization": f"Bearer {token}"}
                    common.run_load(port, "GET", path, concurrency=1, total=5, time_cap=10, headers=headers)
                    http = common.run_load(port, "GET", path, concurrency=1, total=args.repeat, time_cap=60,
                                           headers=headers)
                    statements, queries, page_sql = count_statements(token, path)
                    connections.close_all()
                    indexes, plan_ms = explain(bare, page_sql) if page_sql else ([], float("nan"))
                    sql, sql_params = bare_sql(where, params, size, keyset)
                    anchor = time_bare(bare, sql, sql_params, args.repeat)
                    bare_indexes, _bare_ms = explain(bare, psycopg.ClientCursor(bare).mogrify(sql, sql_params))
                    results.append({
                        "user": user, "scenario": label, "size": size, "depth": depth, "path": path,
                        "http": http, "statements": statements, "queries": queries, "page_sql": page_sql,
                        "indexes": indexes, "plan_ms": plan_ms, "anchor": anchor, "anchor_indexes": bare_indexes,
                    })
    bare.close()

    print()
    print(f"Regie benchmark: listing calls ({started_at:%Y-%m-%d %H:%M} UTC), {total_rows:,} calls in the table")
    print(f"Machine: {common.machine_summary()}")
    if load_seconds:
        print(f"Load: {args.rows:,} calls in {load_seconds:.0f} s")
    print()
    rows = []
    for item in results:
        http, anchor = item["http"], item["anchor"]
        errors = "" if http["ok"] == http["requests"] else json.dumps(http["statuses"])
        rows.append([
            item["user"], item["scenario"], item["size"], item["depth"], f"{http['p50']:.1f}", f"{http['p95']:.1f}",
            f"{anchor['p95']:.2f}", f"{http['p95'] / anchor['p95']:.0f}x", item["statements"],
            common.verdict(http["p95"] <= TARGET_P95_MS), errors,
        ])
    common.print_table(
        ["user", "filter", "size", "depth", "p50 ms", "p95 ms", "bare SQL p95 ms", "ratio", "stmts", "<=50ms", ""],
        rows,
    )
    print()
    print("Index used by the API's page query (EXPLAIN ANALYZE; execution time in the database):")
    for item in results:
        if item["size"] == PAGE_SIZES[0]:
            print(f"  {item['user']:7s} {item['scenario']:22s} {item['depth']:10s} "
                  f"{', '.join(item['indexes']) or '?'}  ({item['plan_ms']:.2f} ms)"
                  f"   bare: {', '.join(item['anchor_indexes'])}")
    print()
    print("Statements per list request (agent, first page, size 25):")
    for item in results:
        if item["user"] == "agent" and item["scenario"] == "all" and item["size"] == PAGE_SIZES[0]:
            for index, sql in enumerate(item["queries"], 1):
                print(f"  {index}. {sql[:160]}")
            break
    print()
    groups = {}
    for item in results:
        groups.setdefault((item["user"], item["scenario"]), set()).add(item["statements"])
    fixed = all(len(counts) == 1 for counts in groups.values())
    worst = max(item["http"]["p95"] for item in results)
    print("Targets (issue #2, item 13):")
    print(f"  {common.verdict(worst <= TARGET_P95_MS)}  list p95 <= {TARGET_P95_MS} ms at {total_rows:,} calls: "
          f"worst {worst:.1f} ms")
    print(f"  {common.verdict(fixed)}  statement count fixed whatever the page size or depth: "
          + ", ".join(f"{user}/{label}={sorted(counts)}" for (user, label), counts in groups.items()))
    if args.json:
        common.write_json(args.json, {"started_at": started_at, "machine": common.machine_summary(),
                                      "rows": total_rows, "load_seconds": load_seconds, "results": results})


if __name__ == "__main__":
    main()
