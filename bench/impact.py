"""Benchmark: impact analysis on 100,000 configuration items with 250,000+ relations.

    .venv/bin/python -m bench.impact [--reload] [--requests 600] [--time-cap 30]

Uses its own database (`regie_bench_cmdb`, override with REGIE_BENCH_DB). Loads, once, a
layered estate with INSERT ... SELECT generate_series: 2 datacenters, 8 storage systems
(replicated in pairs: "fails over to"), 200 hypervisor hosts, 8,000 virtual servers in
clustered pairs ("connected to" both ways: 4,000 cycles), 2,000 applications on two
servers each, 400 business services on five applications each, 1,000 switches and
88,390 workplaces, each depending on two business services (skewed: a few services carry
many workplaces) and connected to a switch — about 287,000 relations.

Then picks start items (servers, applications, services, switches, hosts) whose impact
set is at most 1,500 items, and measures, on the same start items in the same run:

- the anchor: a plain recursive SQL query for the same impact set (the reachable items
  with their names and owners, no failover rule, no depths) through psycopg, one after
  another;
- GET /api/v1/configuration-item-impacts/{id} through gunicorn on loopback as a provider
  agent (bearer token), one after another (p50/p95/p99) and at concurrency 4 (rate);
- to show where the 2x target stands against what the stack itself costs: the product's
  walk statement alone (as Django sends it), and the DRF one-row GET of bench/anchor_app.py
  over HTTP, one after another; their p95s added are the floor for any endpoint on this
  stack that runs the walk.

Targets (issue 4): API p95 <= 25 ms, p95 <= 2x the anchor's p95, >= 200 analyses/s at 4.

With --by-size it measures instead, for start items of growing impact sets, the median of
the anchor, of the walk statement and of the API (over HTTP, one after another), and fits
each to "fixed cost + cost per item hit": what a request costs whatever the set, and what
each item hit adds.
"""

import argparse
import http.client
import multiprocessing as mp
import os
import random
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("REGIE_BENCH_DB", "regie_bench_cmdb")

from bench import common  # the database name above must be set first

TARGET_P95_MS = 25
TARGET_RATIO = 2.0
TARGET_RATE = 200
MAX_IMPACT = 1500
BASE = 1_000_000
TIERS = [  # name, type code, first id offset, count, owner ("provider" or "municipality")
    ("datacenter", "datacenter", 0, 2, "provider"),
    ("storage", "opslagsysteem", 10, 8, "provider"),
    ("host", "fysieke-server", 100, 200, "provider"),
    ("vm", "virtuele-server", 1000, 8000, "provider"),
    ("app", "applicatie", 10000, 2000, "municipality"),
    ("service", "bedrijfsdienst", 12000, 400, "municipality"),
    ("switch", "switch", 13000, 1000, "provider"),
    ("workplace", "werkplek", 20000, 88390, "municipality"),
]
TIER = {name: (code, BASE + offset, count, owner) for name, code, offset, count, owner in TIERS}

ANCHOR_SQL = """
WITH RECURSIVE reach(id, name, organisation_id) AS (
    SELECT i.id, i.name, i.organisation_id FROM cmdb_configurationitem i WHERE i.id = %s
  UNION
    SELECT s.id, s.name, s.organisation_id FROM cmdb_relation r
      JOIN reach ON r.target_id = reach.id
      JOIN cmdb_configurationitem s ON s.id = r.source_id
     WHERE r.kind NOT IN ('fails_over_to', 'backed_up_by')
)
SELECT id, name, organisation_id FROM reach
"""

def item_filler():
    """Every other NOT NULL column of the item table with its model default."""
    from regie.cmdb.models import ConfigurationItem

    explicit = {"id", "organisation_id", "ci_type_id", "name", "status", "created_at", "updated_at"}
    filler = {}
    for field in ConfigurationItem._meta.concrete_fields:
        if field.column in explicit or field.null or field.primary_key:
            continue
        value = field.get_default()
        if isinstance(value, dict | list):
            value = "{}" if isinstance(value, dict) else "[]"
        filler[field.column] = "" if value is None else value
    return filler


def load(fixtures):
    """The estate in ~20 statements. Idempotent by wiping what an earlier load left."""
    from regie.cmdb.models import ConfigurationItemType

    types = dict(ConfigurationItemType.objects.unrestricted().values_list("code", "id"))
    municipalities = [m["id"] for m in fixtures["municipalities"]]
    filler = item_filler()
    columns = ", ".join(filler)
    with common.bench_connection() as conn:
        conn.execute("DELETE FROM cmdb_relation WHERE source_id >= %s OR target_id >= %s", [BASE, BASE])
        conn.execute("DELETE FROM cmdb_configurationitem WHERE id >= %s", [BASE])
        for name, (code, first, count, owner) in TIER.items():
            placeholders = ", ".join(["%s"] * len(filler))
            owner_sql = "%s" if owner == "provider" else "(%s::bigint[])[1 + (g %% 4)]"
            owner_param = fixtures["provider"] if owner == "provider" else municipalities
            conn.execute(
                f"""INSERT INTO cmdb_configurationitem (id, organisation_id, ci_type_id, name, status, created_at,
                                                        updated_at, {columns})
                    SELECT %s + g, {owner_sql}, %s, %s || '-' || lpad(g::text, 5, '0'), 'in_use', now(), now(),
                           {placeholders}
                    FROM generate_series(0, %s - 1) AS g""",
                [first, owner_param, types[code], name.upper(), *filler.values(), count],
            )
        conn.execute("SELECT setval(pg_get_serial_sequence('cmdb_configurationitem', 'id'), %s)",
                     [BASE + 200_000])

        def relate(sql, params):
            conn.execute(f"INSERT INTO cmdb_relation (source_id, kind, target_id, note, created_at) {sql}", params)

        t = {name: (first, count) for name, (_code, first, count, _owner) in TIER.items()}
        # storage located in a datacenter, fails over to its twin in the other one
        relate("SELECT %s + g, 'located_in', %s + g %% 2, '', now() FROM generate_series(0, 7) g",
               [t["storage"][0], t["datacenter"][0]])
        relate("SELECT %s + g, 'fails_over_to', %s + (g # 1), '', now() FROM generate_series(0, 7) g",
               [t["storage"][0], t["storage"][0]])
        # hosts on storage, in a datacenter
        relate("SELECT %s + g, 'runs_on', %s + g %% 8, '', now() FROM generate_series(0, 199) g",
               [t["host"][0], t["storage"][0]])
        relate("SELECT %s + g, 'located_in', %s + g %% 2, '', now() FROM generate_series(0, 199) g",
               [t["host"][0], t["datacenter"][0]])
        # servers on hosts, clustered in pairs (cycles)
        relate("SELECT %s + g, 'runs_on', %s + g %% 200, '', now() FROM generate_series(0, 7999) g",
               [t["vm"][0], t["host"][0]])
        relate("SELECT %s + g, 'connected_to', %s + (g # 1), '', now() FROM generate_series(0, 7999) g",
               [t["vm"][0], t["vm"][0]])
        # applications on two servers each
        relate("""SELECT %s + g, 'runs_on', %s + (4 * g + k) %% 8000, '', now()
                  FROM generate_series(0, 1999) g, generate_series(0, 1) k""", [t["app"][0], t["vm"][0]])
        # services on five applications each
        relate("""SELECT %s + g, 'depends_on', %s + 5 * g + k, '', now()
                  FROM generate_series(0, 399) g, generate_series(0, 4) k""", [t["service"][0], t["app"][0]])
        # workplaces: two services each, skewed (a few services carry many workplaces), and a switch
        relate("""SELECT DISTINCT ON (src, tgt) src, 'depends_on', tgt, '', now() FROM (
                    SELECT %s + g AS src,
                           %s + floor(400 * power(((g * 2654435761 + k * 40503) %% 1000003) / 1000003.0, 1.6))::int
                             AS tgt
                    FROM generate_series(0, 88389) g, generate_series(0, 1) k) s""",
               [t["workplace"][0], t["service"][0]])
        relate("SELECT %s + g, 'connected_to', %s + g %% 1000, '', now() FROM generate_series(0, 88389) g",
               [t["workplace"][0], t["switch"][0]])
        conn.execute("ANALYZE cmdb_relation")
        conn.execute("ANALYZE cmdb_configurationitem")
        return conn.execute("SELECT count(*) FROM cmdb_relation WHERE source_id >= %s", [BASE]).fetchone()[0]


def loaded():
    with common.bench_connection() as conn:
        items = conn.execute("SELECT count(*) FROM cmdb_configurationitem WHERE id >= %s", [BASE]).fetchone()[0]
        relations = conn.execute("SELECT count(*) FROM cmdb_relation WHERE source_id >= %s", [BASE]).fetchone()[0]
    return items, relations


def pick_starts(rng, wanted=120):
    """Start items with an impact set of at most MAX_IMPACT items, across the tiers."""
    candidates = []
    for name in ("vm", "app", "service", "switch", "host", "storage"):
        _code, first, count, _owner = TIER[name]
        candidates += [first + rng.randrange(count) for _n in range(60 if name != "storage" else 8)]
    chosen = []
    with common.bench_connection() as conn:
        for pk in candidates:
            size = len(conn.execute(ANCHOR_SQL, [pk]).fetchall())
            if size <= MAX_IMPACT:
                chosen.append((pk, size))
    rng.shuffle(chosen)
    return chosen[:wanted]


def _process_cpu(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def anchor(starts, repeat):
    """The plain query, one after another; also its CPU per query (this process and its
    PostgreSQL backend), to compare with the server's CPU per API request."""
    latencies = []
    with common.bench_connection() as conn:
        for pk, _size in starts[:10]:
            conn.execute(ANCHOR_SQL, [pk]).fetchall()  # warm
        backend = conn.info.backend_pid
        cpu_before = time.process_time() + _process_cpu(backend)
        for index in range(repeat):
            pk = starts[index % len(starts)][0]
            begin = time.perf_counter()
            conn.execute(ANCHOR_SQL, [pk]).fetchall()
            latencies.append(time.perf_counter() - begin)
        cpu = time.process_time() + _process_cpu(backend) - cpu_before
    return {**common.latency_summary(latencies), "cpu_ms": cpu * 1000 / repeat}


def walk_statement(starts, repeat):
    """The product's own walk statement (cmdb.impact), sent as Django sends it (parameters
    bound on the client, never prepared), one after another: what the API's SQL alone costs."""
    import psycopg

    from regie.cmdb import impact

    sql, params = impact._walk_sql(1)
    latencies = []
    with psycopg.connect(common.BENCH_URL, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        for pk, _size in starts[:10]:
            conn.execute(sql, [pk, *params]).fetchall()
        for index in range(repeat):
            pk = starts[index % len(starts)][0]
            begin = time.perf_counter()
            conn.execute(sql, [pk, *params]).fetchall()
            latencies.append(time.perf_counter() - begin)
    return common.latency_summary(latencies)


def framework_one_row(repeat):
    """The DRF one-row GET (bench/anchor_app.py) one after another over HTTP: what any
    request through gunicorn, Django and DRF costs before its own work."""
    with common.gunicorn("bench.anchor_wsgi:application", settings_module="bench.anchor_settings",
                         probe="/anchor") as server:
        common.run_load(server.port, "GET", "/anchor", concurrency=1, total=50, time_cap=20)
        return common.run_load(server.port, "GET", "/anchor", concurrency=1, total=repeat, time_cap=60)


def _client(port, paths, headers, total, deadline, barrier, results, offset):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, statuses = [], {}
    barrier.wait()
    started = time.perf_counter()
    for index in range(total):
        if time.monotonic() > deadline:
            break
        begin = time.perf_counter()
        try:
            conn.request("GET", paths[(index + offset) % len(paths)], headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = "error"
            conn.close()
        latencies.append(time.perf_counter() - begin)
        statuses[status] = statuses.get(status, 0) + 1
    results.put({"latencies": latencies, "statuses": statuses, "started": started, "ended": time.perf_counter()})
    conn.close()


def api_load(port, paths, token, concurrency, total, time_cap):
    context = mp.get_context("fork")
    barrier = context.Barrier(concurrency)
    results = context.Queue()
    deadline = time.monotonic() + time_cap
    headers = {"Authorization": f"Bearer {token}"}
    per = max(1, total // concurrency)
    processes = [context.Process(target=_client, args=(port, paths, headers, per, deadline, barrier, results,
                                                        index * 17)) for index in range(concurrency)]
    for process in processes:
        process.start()
    collected = [results.get(timeout=time_cap + 60) for _p in processes]
    for process in processes:
        process.join()
    latencies = [v for item in collected for v in item["latencies"]]
    statuses = {}
    for item in collected:
        for status, count in item["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    elapsed = max(i["ended"] for i in collected) - min(i["started"] for i in collected)
    return {"requests": len(latencies), "statuses": statuses, "rate": statuses.get(200, 0) / elapsed,
            **common.latency_summary(latencies)}


def _median_ms(run, repeat):
    for _n in range(5):
        run()
    latencies = []
    for _n in range(repeat):
        begin = time.perf_counter()
        run()
        latencies.append(time.perf_counter() - begin)
    return common.percentile(latencies, 0.5) * 1000


def _fit(sizes, values):
    """Least squares: value = fixed + per_item * size."""
    n = len(sizes)
    mean_x, mean_y = sum(sizes) / n, sum(values) / n
    slope = (sum((x - mean_x) * (y - mean_y) for x, y in zip(sizes, values, strict=True))
             / sum((x - mean_x) ** 2 for x in sizes))
    return mean_y - slope * mean_x, slope


def by_size(starts, token, repeat):
    """Fixed cost and cost per item hit of the anchor, the walk statement and the API."""
    import psycopg

    from regie.cmdb import impact

    ordered = sorted(starts, key=lambda start: start[1])
    ranks = sorted({0, len(ordered) // 4, len(ordered) // 2, (3 * len(ordered)) // 4, int(len(ordered) * 0.95),
                    len(ordered) - 1})
    chosen = [ordered[rank] for rank in ranks]
    walk_sql, walk_params = impact._walk_sql(1)
    rows = []
    with (common.bench_connection() as conn,
          psycopg.connect(common.BENCH_URL, autocommit=True, cursor_factory=psycopg.ClientCursor) as client_conn,
          common.gunicorn("regie.wsgi:application") as server):
        http_conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}

        def api(pk):
            http_conn.request("GET", f"/api/v1/configuration-item-impacts/{pk}", headers=headers)
            response = http_conn.getresponse()
            response.read()
            assert response.status == 200, response.status

        for pk, size in chosen:
            rows.append((
                size,
                _median_ms(lambda pk=pk: conn.execute(ANCHOR_SQL, [pk]).fetchall(), repeat),
                _median_ms(lambda pk=pk: client_conn.execute(walk_sql, [pk, *walk_params]).fetchall(), repeat),
                _median_ms(lambda pk=pk: api(pk), repeat),
            ))
        http_conn.close()
    print()
    common.print_table(["items hit", "anchor ms", "walk statement ms", "API ms", "API / anchor"], [
        [f"{size:,}", f"{a:.2f}", f"{w:.2f}", f"{p:.2f}", f"{p / a:.1f}x"] for size, a, w, p in rows])
    sizes = [row[0] for row in rows]
    fits = {name: _fit(sizes, [row[column] for row in rows])
            for column, name in ((1, "anchor"), (2, "walk statement"), (3, "API"))}
    print()
    for name, (fixed, per_item) in fits.items():
        print(f"  {name:15} fixed {fixed:5.2f} ms + {per_item * 1000:5.2f} us per item hit")
    api_per_item, anchor_per_item = fits["API"][1], fits["anchor"][1]
    print(f"  per item hit, API / anchor = {api_per_item / anchor_per_item:.2f}; medians of {repeat} runs each")
    return {"rows": rows, "fits": fits}


def count_statements(token, path):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response.status_code, len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--time-cap", type=int, default=30)
    parser.add_argument("--by-size", action="store_true", help="fixed cost and cost per item hit instead")
    args = parser.parse_args()

    common.prepare_database()
    common.setup_django()
    fixtures = common.ensure_fixtures()
    items, relations = loaded()
    if args.reload or items < 100_000:
        began = time.perf_counter()
        relations = load(fixtures)
        items, relations = loaded()
        print(f"Loaded {items:,} items and {relations:,} relations in {time.perf_counter() - began:.1f} s", flush=True)
    else:
        print(f"Reusing {items:,} items and {relations:,} relations", flush=True)
    rng = random.Random(4)
    starts = pick_starts(rng)
    sizes = sorted(size for _pk, size in starts)
    print(f"{len(starts)} start items, impact sets {sizes[0]}..{sizes[-1]} items "
          f"(median {sizes[len(sizes) // 2]})", flush=True)
    token = common.issue_token(fixtures["agent"], name="bench-impact")
    paths = [f"/api/v1/configuration-item-impacts/{pk}" for pk, _size in starts]
    status, statements = count_statements(token, paths[0])
    print(f"Statements per analysis (in-process, token auth included): {statements} (status {status})", flush=True)

    if args.by_size:
        load_before = os.getloadavg()
        result = by_size(starts, token, max(20, args.requests // 10))
        print(f"{common.machine_summary()}\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average before "
              f"{load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
        common.write_json(common.DATA_DIR / "impact_by_size.json", result)
        return

    load_before = os.getloadavg()
    anchor_stats = anchor(starts, args.requests)
    with common.gunicorn("regie.wsgi:application") as server:
        api_load(server.port, paths, token, 1, 40, 20)  # warm every worker
        # Server CPU (gunicorn workers and their PostgreSQL backends) per request: robust to
        # other work on the machine, unlike the wall-clock figures.
        before = common.cpu_snapshot(server)
        single = api_load(server.port, paths, token, 1, args.requests, args.time_cap)
        single["cpu_ms"] = common.cpu_used(before, common.cpu_snapshot(server)) * 1000 / max(1, single["requests"])
        before = common.cpu_snapshot(server)
        four = api_load(server.port, paths, token, 4, args.requests * 2, args.time_cap)
        four["cpu_ms"] = common.cpu_used(before, common.cpu_snapshot(server)) * 1000 / max(1, four["requests"])
    walk_stats = walk_statement(starts, args.requests)
    one_row = framework_one_row(args.requests)
    floor = one_row["p95"] + walk_stats["p95"]
    ratio = single["p95"] / anchor_stats["p95"]
    load_after = os.getloadavg()
    rows = [
        ["anchor SQL (psycopg)", "1", f"{anchor_stats['p50']:.2f}", f"{anchor_stats['p95']:.2f}",
         f"{anchor_stats['p99']:.2f}", "-", f"{anchor_stats['cpu_ms']:.2f}"],
        ["API", "1", f"{single['p50']:.2f}", f"{single['p95']:.2f}", f"{single['p99']:.2f}", f"{single['rate']:.0f}",
         f"{single['cpu_ms']:.2f}"],
        ["API", "4", f"{four['p50']:.2f}", f"{four['p95']:.2f}", f"{four['p99']:.2f}", f"{four['rate']:.0f}",
         f"{four['cpu_ms']:.2f}"],
    ]
    print()
    print(common.machine_summary())
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; load average before {load_before[0]:.2f}, after "
          f"{load_after[0]:.2f}; statuses c=1 {single['statuses']}, c=4 {four['statuses']}")
    rows += [
        ["walk statement alone (psycopg)", "1", f"{walk_stats['p50']:.2f}", f"{walk_stats['p95']:.2f}",
         f"{walk_stats['p99']:.2f}", "-", "-"],
        ["DRF one-row GET (HTTP)", "1", f"{one_row['p50']:.2f}", f"{one_row['p95']:.2f}", f"{one_row['p99']:.2f}",
         f"{one_row['rate']:.0f}", "-"],
    ]
    common.print_table(["what", "conc.", "p50 ms", "p95 ms", "p99 ms", "per s", "CPU ms/req"], rows)
    print(f"  Floor for any Django/DRF endpoint running this walk (one-row GET p95 + walk p95): {floor:.2f} ms "
          f"= {floor / anchor_stats['p95']:.2f}x the anchor's p95; "
          f"walk alone {walk_stats['p95'] / anchor_stats['p95']:.2f}x.")
    print("  CPU ms/req: the anchor's = harness + its backend; the API's = gunicorn workers + their backends.")
    print(f"  CPU-bound rate on 2 idle cores: {2000 / four['cpu_ms']:.0f} analyses/s; "
          f"CPU ratio API / anchor = {four['cpu_ms'] / anchor_stats['cpu_ms']:.1f}")
    print()
    print(f"API p95 {single['p95']:.1f} ms <= {TARGET_P95_MS} ms: {common.verdict(single['p95'] <= TARGET_P95_MS)}")
    print(f"ratio API p95 / anchor p95 = {ratio:.2f} <= {TARGET_RATIO}: {common.verdict(ratio <= TARGET_RATIO)}")
    print(f"rate at concurrency 4 {four['rate']:.0f}/s >= {TARGET_RATE}: {common.verdict(four['rate'] >= TARGET_RATE)}")
    common.write_json(common.DATA_DIR / "impact.json", {
        "items": items, "relations": relations, "starts": len(starts), "sizes": sizes, "statements": statements,
        "anchor": anchor_stats, "api_c1": single, "api_c4": four, "ratio": ratio,
        "walk_statement": walk_stats, "drf_one_row_c1": one_row, "floor_ms": floor,
        "load_before": load_before, "load_after": load_after,
    })


if __name__ == "__main__":
    main()
