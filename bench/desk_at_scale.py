"""Benchmark: the service desk at 1,000,000 calls (issue #3, Performance).

    .venv/bin/python -m bench.desk_at_scale                      # load once (resumable), then measure
    .venv/bin/python -m bench.desk_at_scale --load-only          # only (finish) the load
    .venv/bin/python -m bench.desk_at_scale --repeat 30 --throughput-seconds 10   # quicker
    .venv/bin/python -m bench.desk_at_scale --throughput-only --rounds 3          # list req/s only

Own database `regie_bench_desk` (REGIE_BENCH_DB), so bench.list_calls and bench.recompute
keep theirs. The load: 1,000,000 calls by `INSERT … SELECT generate_series` in batches of
50,000 that commit one by one (a marker row per batch in `bench_meta`, so an interrupted
load resumes where it stopped); spread over the four municipalities by workplaces, two
years, ~7 % open (the last two weeks plus an old backlog), priorities 1–5, six provider
teams of five agents, a third of the open calls unassigned, resolution deadlines of open
calls spread from six days ago to ten days ahead (so "breaching soon" has rows), resolved
calls with lead times around their term.

Measured, in-process (Django test client, `CaptureQueriesContext`: statements per
request) and over HTTP on loopback (gunicorn, one keep-alive connection, sequential):
the call list's queues (my calls, my teams' calls, unassigned, breaching soon), search by
reference and by free text in the title (a common and a rare word), the dashboard, and
the API list. Anchor per page, same run: the bare SQL of the same page through psycopg.
Statements are counted at page sizes 10 and 25 / with a small and the full data set to
show the count does not depend on the rows. Then the list throughput at concurrency 8.
"""

import argparse
import os
import time
from datetime import UTC, datetime

os.environ.setdefault("REGIE_BENCH_DB", "regie_bench_desk")

from bench import common  # the database name above must be set first

ROWS = 1_000_000
BATCH = 50_000
TEAMS = ["Servicedesk", "Werkplekbeheer", "Netwerk en telefonie", "Applicatiebeheer", "Servers en opslag",
         "Leverancier Centric"]
AGENTS_PER_TEAM = 5
TITLES = [
    "Printer geeft papierstoring", "Kan niet inloggen op de virtuele werkplek", "Outlook start niet",
    "Wachtwoord verlopen", "Toegang nodig tot gedeelde map Burgerzaken", "Scanner op 1e verdieping werkt niet",
    "Telefoon doet het niet na verhuizing", "Applicatie start niet vanuit startmenu", "Traag netwerk in raadzaal",
    "Extra opslagruimte aangevraagd", "Certificaat website verloopt binnenkort", "Mail komt in spam terecht",
    "Nieuwe medewerker heeft account nodig", "Laptop valt steeds uit", "Wifi in stadswinkel valt weg",
    "Vraag over thuiswerken met token", "Teams-vergadering zonder geluid", "Monitor flikkert",
]
# Resolution term per priority (calendar hours, for the generated history only).
TERM_HOURS = [4, 8, 36, 72, 120]

# One batch: calls g = first..last of one municipality. Every title ends with an asset tag
# (one of 20,000, so a tag is a rare search word: ~50 calls) after a common phrase (1 in 18).
LOAD_SQL = """
INSERT INTO servicedesk_ticket (
    reference, organisation_id, requester_id, created_by_id, title, description, status, channel, kind,
    priority, impact, urgency, team_id, assignee_id, response_due_at, resolution_due_at, first_response_at,
    resolved_at, closed_at, resolution_code, created_at, updated_at, version{filler_columns})
SELECT %(code)s || '-' || extract(year FROM created_at AT TIME ZONE 'Europe/Amsterdam')::int || '-'
           || lpad(g::text, 6, '0'),
       %(organisation)s, requester,
       CASE WHEN g %% 3 = 0 THEN %(agent)s ELSE requester END,
       (%(titles)s::text[])[1 + g %% %(title_count)s] || ' (werkplek W'
           || lpad((g::bigint * 7919 %% 20000)::text, 5, '0') || ')',
       'Melding ' || g || '. Graag contact opnemen.',
       status, (ARRAY['portal', 'phone', 'email', 'monitoring', 'walk_in'])[1 + (g / 7) %% 5],
       (ARRAY['incident', 'incident', 'incident', 'question', 'service_request'])[1 + g %% 5],
       priority, 2, 2,
       CASE WHEN team IS NULL THEN NULL ELSE (%(teams)s::bigint[])[team] END,
       CASE WHEN team IS NULL OR (is_open AND r_assign < 0.33) THEN NULL
            ELSE (%(agents)s::bigint[])[(team - 1) * %(per_team)s + 1 + floor(r_member * %(per_team)s)::int] END,
       CASE WHEN status IN ('waiting_for_caller', 'waiting_for_supplier') THEN due - interval '1 day'
            ELSE due - (%(term_hours)s::int[])[priority] * interval '45 minutes' END,
       CASE WHEN status IN ('waiting_for_caller', 'waiting_for_supplier') THEN NULL ELSE due END,
       CASE WHEN is_open AND status = 'new' THEN NULL ELSE created_at + interval '20 minutes' END,
       resolved_at,
       CASE WHEN status = 'closed' THEN resolved_at + interval '5 days' END,
       CASE WHEN is_open THEN '' ELSE 'solved' END,
       created_at, coalesce(resolved_at, created_at) + interval '1 hour', 1{filler_values}
FROM (
    SELECT g, created_at, is_open, requester, priority, team, r_assign, r_member, status,
           CASE WHEN is_open THEN now() + (r_due * 16 - 6) * interval '1 day'
                ELSE created_at + (%(term_hours)s::int[])[priority] * interval '1 hour' END AS due,
           CASE WHEN is_open THEN NULL
                ELSE created_at + (%(term_hours)s::int[])[priority] * interval '1 hour' * (0.05 + 1.25 * r_due)
           END AS resolved_at
    FROM (
        SELECT g, created_at, is_open, requester, priority, team, r_assign, r_member, r_due,
               CASE WHEN is_open THEN (ARRAY['new', 'in_progress', 'in_progress', 'in_progress', 'waiting_for_caller',
                                             'waiting_for_supplier'])[1 + floor(r_status * 6)::int]
                    WHEN r_status < 0.2 THEN 'resolved' ELSE 'closed' END AS status
        FROM (
            SELECT g, created_at,
                   created_at > now() - interval '14 days' OR random() < 0.05 AS is_open,
                   (%(requesters)s::bigint[])[1 + (g * 31) %% %(requester_count)s] AS requester,
                   (ARRAY[1, 2, 2, 3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5])[1 + floor(random() * 20)::int]
                       AS priority,
                   CASE WHEN random() < 0.9 THEN 1 + floor(random() * %(team_count)s)::int END AS team,
                   random() AS r_assign, random() AS r_member, random() AS r_due, random() AS r_status
            FROM (SELECT g, now() - random() * interval '730 days' AS created_at
                  FROM generate_series(%(first)s::int, %(last)s::int) AS g) AS spread
        ) AS drawn
    ) AS classified
) AS calls
"""

SEQUENCE_SQL = """
INSERT INTO servicedesk_referencesequence (organisation_id, year, last_number)
SELECT organisation_id, split_part(reference, '-', 2)::int, max(split_part(reference, '-', 3)::int)
FROM servicedesk_ticket GROUP BY 1, 2
ON CONFLICT (organisation_id, year) DO UPDATE
SET last_number = GREATEST(servicedesk_referencesequence.last_number, EXCLUDED.last_number)
"""


def ensure_desk_fixtures(ids):
    """Six provider teams of five agents (the bench's own agent is the first member of the
    first team, so "my calls" and "my teams' calls" are its). Idempotent."""
    from django.contrib.auth.models import Group

    from regie.core.choices import TeamLine
    from regie.core.models import Organisation, Team, User

    provider = Organisation.objects.unrestricted().get(pk=ids["provider"])
    engineer = Group.objects.get(name="engineer")
    teams, agents = [], []
    for index, name in enumerate(TEAMS):
        team = Team.all_objects.filter(organisation=provider, name=name).first()
        if team is None:
            team = Team(organisation=provider, name=name,
                        line=TeamLine.FIRST if index == 0 else TeamLine.THIRD if index == 5 else TeamLine.SECOND)
            team.save()
        members = []
        for number in range(AGENTS_PER_TEAM):
            if index == 0 and number == 0:
                person = User.objects.unrestricted().get(pk=ids["agent"])
            else:
                username = f"bench.team{index}.agent{number}"
                person = User.objects.unrestricted().filter(username=username).first()
                if person is None:
                    person = User(username=username, organisation=provider, first_name=f"Agent{number}",
                                  last_name=f"Team{index}", password=common.UNUSABLE_PASSWORD)
                    person.save()
                    person.groups.add(engineer)
            members.append(person.pk)
        team.members.add(*members)
        teams.append(team.pk)
        agents.extend(members)
    ensure_colleagues(ids)
    return {"teams": teams, "agents": agents}


def ensure_colleagues(ids):
    """Every municipality's people up to its number of workplaces (~2,650 users in all; the
    calls' requesters are the first hundred of each). With only those hundred, PostgreSQL
    takes the user table for tiny and joins it by scanning it per call (60 ms for a page of
    "breaching soon"); at its real size it looks users up by primary key (3 ms)."""
    from regie.core.models import User

    for municipality in ids["municipalities"]:
        prefix = f"bench.{municipality['code'].lower()}.colleague"
        have = User.objects.unrestricted().filter(username__startswith=prefix).count()
        wanted = max(0, municipality["weight"] - common.EMPLOYEES_PER_MUNICIPALITY)
        if have < wanted:
            User.objects.bulk_create([
                User(username=f"{prefix}{index:04d}", organisation_id=municipality["id"], first_name=f"Coll{index}",
                     last_name="Bench", password=common.UNUSABLE_PASSWORD)
                for index in range(have, wanted)
            ])
    with common.bench_connection() as conn:
        conn.execute("ANALYZE core_user")


def load_calls(ids, desk, rows, reload=False):
    """Load `rows` calls in committed batches; resume an interrupted load. Returns the
    seconds spent loading in this run (None if everything was there)."""
    with common.bench_connection() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)")
        loaded = conn.execute("SELECT value FROM bench_meta WHERE key = 'desk_loaded'").fetchone()
        if loaded and int(loaded[0]) == rows and not reload:
            print(f"Reusing {rows:,} loaded calls (--reload to load again).", flush=True)
            return None
        if reload or (loaded and int(loaded[0]) != rows):
            conn.execute("DELETE FROM bench_meta WHERE key LIKE 'desk%%'")
            conn.execute("TRUNCATE servicedesk_ticket, servicedesk_referencesequence CASCADE")
        done = {key for (key,) in conn.execute("SELECT key FROM bench_meta WHERE key LIKE 'desk_batch:%%'")}
        if not done:
            conn.execute("TRUNCATE servicedesk_ticket, servicedesk_referencesequence CASCADE")
        explicit = {"id", "reference", "organisation_id", "requester_id", "created_by_id", "title", "description",
                    "status", "channel", "kind", "priority", "impact", "urgency", "team_id", "assignee_id",
                    "response_due_at", "resolution_due_at", "first_response_at", "resolved_at", "closed_at",
                    "resolution_code", "created_at", "updated_at", "version"}
        filler = common.ticket_filler_columns(explicit)
        sql = LOAD_SQL.format(
            filler_columns="".join(f", {column}" for column in filler),
            filler_values="".join(f", %(filler_{column})s" for column in filler),
        )
        started = time.perf_counter()
        total_weight = sum(m["weight"] for m in ids["municipalities"])
        remaining = rows
        batches = []
        for index, municipality in enumerate(ids["municipalities"]):
            last = index == len(ids["municipalities"]) - 1
            share = remaining if last else round(rows * municipality["weight"] / total_weight)
            remaining -= share
            for first in range(1, share + 1, BATCH):
                batches.append((municipality, first, min(share, first + BATCH - 1)))
        for number, (municipality, first, last) in enumerate(batches, 1):
            key = f"desk_batch:{municipality['code']}:{first}"
            if key in done:
                continue
            began = time.perf_counter()
            with conn.transaction():
                conn.execute(sql, {
                    **{f"filler_{column}": value for column, value in filler.items()},
                    "code": municipality["code"], "organisation": municipality["id"], "agent": ids["agent"],
                    "titles": TITLES, "title_count": len(TITLES), "requesters": municipality["employees"],
                    "requester_count": len(municipality["employees"]), "first": first, "last": last,
                    "teams": desk["teams"], "team_count": len(desk["teams"]), "agents": desk["agents"],
                    "per_team": AGENTS_PER_TEAM, "term_hours": TERM_HOURS,
                })
                conn.execute("INSERT INTO bench_meta VALUES (%s, 'done')", [key])
            print(f"  batch {number}/{len(batches)} ({municipality['code']} {first:,}–{last:,}) "
                  f"{time.perf_counter() - began:.1f} s", flush=True)
        conn.execute(SEQUENCE_SQL)
        conn.execute("INSERT INTO bench_meta VALUES ('desk_loaded', %s) ON CONFLICT (key) DO UPDATE "
                     "SET value = EXCLUDED.value", [str(rows)])
        conn.execute("VACUUM (ANALYZE) servicedesk_ticket")
        seconds = time.perf_counter() - started
        print(f"Loaded in {seconds:.0f} s.", flush=True)
        return seconds


def collectstatic():
    """HTML pages with DEBUG off need the static manifest, as in production."""
    import subprocess

    subprocess.run([str(common.VENV_BIN / "python"), "manage.py", "collectstatic", "--no-input", "-v", "0"],
                   cwd=common.REPO, env=common.server_env(), check=True)


def prepare(rows, reload=False, recreate=False):
    common.prepare_database(recreate=recreate)
    collectstatic()
    common.setup_django()
    ids = common.ensure_fixtures()
    desk = ensure_desk_fixtures(ids)
    load_seconds = load_calls(ids, desk, rows, reload)
    return ids, desk, load_seconds


# --- measuring ------------------------------------------------------------------------------

TARGET_P95_MS = 50
TARGET_SEARCH_P95_MS = 150
TARGET_RATE = 300


def scenarios(reference):
    """(label, user, path, kind): kind "list", "search" or "dashboard" picks the target."""
    return [
        ("my calls", "agent", "/calls/?queue=mine", "list"),
        ("my teams' calls", "agent", "/calls/?queue=my_teams", "list"),
        ("unassigned", "agent", "/calls/?queue=unassigned", "list"),
        ("breaching soon (due first)", "agent", "/calls/?queue=breaching_soon&sort=due", "list"),
        ("breaching soon (newest)", "agent", "/calls/?queue=breaching_soon", "list"),
        ("breaching soon, manager", "manager", "/calls/?queue=breaching_soon&sort=due", "list"),
        ("search reference", "agent", f"/calls/?q={reference}", "search"),
        ("search rare word", "agent", "/calls/?q=W04711", "search"),
        ("search common word", "agent", "/calls/?q=papierstoring", "search"),
        ("search rare word, manager", "manager", "/calls/?q=W04711", "search"),
        ("dashboard", "agent", "/calls/dashboard/", "dashboard"),
        ("dashboard, manager", "manager", "/calls/dashboard/", "dashboard"),
        ("API my calls", "agent_api", "/api/v1/tickets?queue=mine", "list"),
        ("API unassigned", "agent_api", "/api/v1/tickets?queue=unassigned", "list"),
        ("API breaching soon", "agent_api", "/api/v1/tickets?queue=breaching_soon", "list"),
        ("API search rare word", "agent_api", "/api/v1/tickets?q=W04711", "search"),
    ]


def signed_in(user):
    """A test client with a session whose second factor is done (as a real sign-in with
    django-otp leaves it); its cookie is reused for the HTTP runs."""
    from django.test import Client
    from django_otp.plugins.otp_static.models import StaticDevice

    client = Client()
    client.force_login(user)
    device, _created = StaticDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def load_text():
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f}/{five:.1f}"


def in_process(client, path, repeat):
    """Latencies of `repeat` requests through the test client (same process, no HTTP)."""
    client.get(path)
    timings = []
    for _index in range(repeat):
        began = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - began)
        assert response.status_code == 200, (path, response.status_code)
    return common.latency_summary(timings)


def statements(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return [query["sql"] for query in captured.captured_queries], response


def next_page(path, response):
    """The path of the next page (the HTML list's cursor link, the API's `next`)."""
    import json
    import re
    from html import unescape
    from urllib.parse import urlsplit

    body = response.content.decode()
    if path.startswith("/api/"):
        following = json.loads(body).get("next")
        if not following:
            return None
        parts = urlsplit(following)
        return parts.path + "?" + parts.query
    match = re.search(r'href="(\?[^"]*cursor=[^"]+)"', body)
    return "/calls/" + unescape(match.group(1)) if match else None


def bare_sql(conn, queries, repeat):
    """The anchor: the request's own SELECTs, run back to back through psycopg."""
    selects = [sql for sql in queries if sql.lstrip().upper().startswith("SELECT")]
    timings = []
    for _index in range(repeat):
        began = time.perf_counter()
        for sql in selects:
            conn.execute(sql).fetchall()
        timings.append(time.perf_counter() - began)
    return common.latency_summary(timings)


def page_plan(conn, queries):
    from bench.list_calls import explain

    page = [sql for sql in queries if 'FROM "servicedesk_ticket"' in sql]
    if not page:
        return "", float("nan")
    plans = [explain(conn, sql) for sql in page]
    return "; ".join(", ".join(indexes) for indexes, _ms in plans), sum(ms for _indexes, ms in plans)


def sign_in(ids):
    """Test clients and HTTP headers for the agent, Venlo's account manager and the agent's API token."""
    from django.test import Client

    from regie.core.models import User

    agent = User.objects.unrestricted().get(pk=ids["agent"])
    manager = User.objects.unrestricted().get(pk=ids["municipalities"][0]["manager"])
    clients = {"agent": signed_in(agent), "manager": signed_in(manager)}
    token = common.issue_token(agent.pk, name="bench desk_at_scale")
    clients["agent_api"] = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    http_headers = {
        "agent": {"Cookie": f"sessionid={clients['agent'].cookies['sessionid'].value}"},
        "manager": {"Cookie": f"sessionid={clients['manager'].cookies['sessionid'].value}"},
        "agent_api": {"Authorization": f"Bearer {token}"},
    }
    return clients, http_headers


LISTS = (("API list (my calls, 25 rows)", "agent_api", "/api/v1/tickets?queue=mine"),
         ("HTML list (my calls, 25 rows)", "agent", "/calls/?queue=mine"))


def list_throughput(server, http_headers, seconds):
    """The API and HTML list at concurrency 8 on a running server, with server CPU per request."""
    throughput = {}
    for name, user, path in LISTS:
        headers = http_headers[user]
        common.run_load(server.port, "GET", path, concurrency=8, total=80, time_cap=20, headers=headers)
        before = common.cpu_snapshot(server)
        run = common.run_load(server.port, "GET", path, concurrency=8, total=10**6, time_cap=seconds,
                              headers=headers)
        run["cpu_ms"] = 1000 * common.cpu_used(before, common.cpu_snapshot(server)) / max(1, run["ok"])
        run["load"] = load_text()
        throughput[name] = run
    return throughput


def anchor_throughput(seconds):
    with common.gunicorn("bench.anchor_wsgi:application", settings_module="bench.anchor_settings",
                         probe="/anchor") as server:
        common.run_load(server.port, "GET", "/anchor", concurrency=8, total=200, time_cap=20)
        before = common.cpu_snapshot(server)
        run = common.run_load(server.port, "GET", "/anchor", concurrency=8, total=10**6, time_cap=seconds)
        run["cpu_ms"] = 1000 * common.cpu_used(before, common.cpu_snapshot(server)) / max(1, run["ok"])
        run["load"] = load_text()
    return run


def print_throughput(throughput):
    anchor = throughput["DRF one-row GET (anchor)"]
    common.print_table(
        ["system", "req/s", "p50 ms", "p95 ms", "p99 ms", "server CPU ms/req", "÷ anchor req/s", "load", "errors"],
        [[name, f"{run['rate']:.0f}", f"{run['p50']:.1f}", f"{run['p95']:.1f}", f"{run['p99']:.1f}",
          f"{run['cpu_ms']:.2f}", f"{run['rate'] / anchor['rate']:.2f}", run["load"],
          "" if run["ok"] == run["requests"] else str(run["statuses"])]
         for name, run in throughput.items()],
    )


def throughput_only(args, ids):
    """Only the list throughput, `--rounds` times on one server (the run-to-run spread on a
    virtual machine is as large as many changes): a table per round, then the verdict on the
    median round."""
    _clients, http_headers = sign_in(ids)
    from django.db import connections

    connections.close_all()
    rounds = []
    with common.gunicorn("regie.wsgi:application") as server:
        for _round in range(args.rounds):
            rounds.append(list_throughput(server, http_headers, args.throughput_seconds))
    anchor = anchor_throughput(args.throughput_seconds)
    print(f"\nThroughput at concurrency 8 ({args.throughput_seconds} s each), {common.machine_summary()}")
    for index, throughput in enumerate(rounds, 1):
        throughput["DRF one-row GET (anchor)"] = anchor
        print(f"Round {index}:")
        print_throughput(throughput)
    rates = sorted(throughput["API list (my calls, 25 rows)"]["rate"] for throughput in rounds)
    median = rates[len(rates) // 2]
    print(f"\n  {common.verdict(median >= TARGET_RATE)}  >= {TARGET_RATE} list requests/s at concurrency 8 "
          f"(median of {len(rates)} rounds): API {median:.0f}/s (rounds: {', '.join(f'{r:.0f}' for r in rates)})")
    if args.json:
        common.write_json(args.json, {"machine": common.machine_summary(), "rounds": rounds, "anchor": anchor})


def measure(args, ids, desk, load_seconds, started_at):
    import psycopg
    from django.core.cache import cache
    from django.db import connections


    bare = psycopg.connect(common.BENCH_URL, autocommit=True)
    reference = bare.execute(
        "SELECT reference FROM servicedesk_ticket WHERE organisation_id = %s ORDER BY id LIMIT 1 OFFSET 12345",
        [ids["municipalities"][0]["id"]],
    ).fetchone()[0]
    total, open_calls = bare.execute(
        "SELECT count(*), count(*) FILTER (WHERE status IN ('new', 'in_progress', 'waiting_for_caller', "
        "'waiting_for_supplier')) FROM servicedesk_ticket"
    ).fetchone()
    clients, http_headers = sign_in(ids)

    results = []
    print(f"In-process: {len(scenarios(reference))} pages × {args.repeat} requests ...", flush=True)
    for label, user, path, kind in scenarios(reference):
        client = clients[user]
        item = {"label": label, "user": user, "path": path, "kind": kind}
        if kind == "dashboard":
            # Cold: the six-month figures are computed (cache emptied before each request).
            cold = []
            for _index in range(max(5, args.repeat // 6)):
                cache.clear()
                began = time.perf_counter()
                client.get(path)
                cold.append(time.perf_counter() - began)
            item["cold"] = common.latency_summary(cold)
            cache.clear()
            item["cold_statements"] = len(statements(client, path)[0])
        item["in_process"] = in_process(client, path, args.repeat)
        item["in_process_load"] = load_text()
        queries, response = statements(client, path)
        item["statements"] = len(queries)
        item["queries"] = queries
        following = next_page(path, response)
        item["statements_page_2"] = len(statements(client, following)[0]) if following else None
        if path.startswith("/api/"):
            sep = "&"
            item["statements_by_size"] = {
                size: len(statements(client, f"{path}{sep}pageSize={size}")[0]) for size in (10, 100)
            }
        item["bare"] = bare_sql(bare, queries, args.repeat)
        item["plan"], item["plan_ms"] = page_plan(bare, queries) if kind != "dashboard" else ("", float("nan"))
        results.append(item)

    connections.close_all()
    print("Over HTTP (gunicorn on loopback) ...", flush=True)
    with common.gunicorn("regie.wsgi:application") as server:
        for item in results:
            headers = http_headers[item["user"]]
            common.run_load(server.port, "GET", item["path"], concurrency=1, total=6, time_cap=20, headers=headers)
            item["http"] = common.run_load(server.port, "GET", item["path"], concurrency=1, total=args.repeat,
                                           time_cap=120, headers=headers)
            item["http_load"] = load_text()
        throughput = list_throughput(server, http_headers, args.throughput_seconds)
    throughput["DRF one-row GET (anchor)"] = anchor_throughput(args.throughput_seconds)
    bare.close()
    report(args, results, throughput, total, open_calls, load_seconds, started_at)


def report(args, results, throughput, total, open_calls, load_seconds, started_at):
    print()
    print(f"Regie benchmark: the service desk at scale ({started_at:%Y-%m-%d %H:%M} UTC); "
          f"{total:,} calls, {open_calls:,} open")
    print(f"Machine: {common.machine_summary()}")
    if load_seconds:
        print(f"Load: {load_seconds:.0f} s")
    print()
    rows = []
    verdicts = []
    for item in results:
        target = TARGET_SEARCH_P95_MS if item["kind"] == "search" else TARGET_P95_MS
        http, local, anchor = item["http"], item["in_process"], item["bare"]
        ok = http["p95"] <= target and local["p95"] <= target and http["ok"] == http["requests"]
        verdicts.append((item["label"], ok, max(http["p95"], local["p95"]), target))
        stmts = f"{item['statements']}"
        if item.get("statements_page_2") is not None:
            stmts += f"/{item['statements_page_2']}"
        if item.get("statements_by_size"):
            stmts += " (" + "/".join(str(v) for v in item["statements_by_size"].values()) + ")"
        rows.append([
            item["label"], f"{local['p50']:.1f}", f"{local['p95']:.1f}", f"{local['p99']:.1f}",
            f"{http['p50']:.1f}", f"{http['p95']:.1f}", f"{http['p99']:.1f}", f"{anchor['p95']:.2f}",
            f"{http['p95'] / anchor['p95']:.0f}x", stmts, f"{item['in_process_load']} {item['http_load']}",
            common.verdict(ok),
        ])
    common.print_table(
        ["page", "proc p50", "proc p95", "proc p99", "http p50", "http p95", "http p99", "SQL p95", "http/SQL",
         "stmts", "load 1/5 min", f"<={TARGET_P95_MS}/{TARGET_SEARCH_P95_MS}"],
        rows,
    )
    for item in results:
        if "cold" in item:
            print(f"  {item['label']}: cold (six-month figures computed) in-process p50 {item['cold']['p50']:.0f} ms, "
                  f"p95 {item['cold']['p95']:.0f} ms, {item['cold_statements']} statements; warm "
                  f"{item['statements']} statements")
    print()
    print("Index used by the page query (EXPLAIN ANALYZE, time inside PostgreSQL):")
    for item in results:
        if item["plan"]:
            print(f"  {item['label']:30s} {item['plan']}  ({item['plan_ms']:.2f} ms)")
    print()
    print("Statements of one request (my calls, HTML):")
    for index, sql in enumerate(results[0]["queries"], 1):
        print(f"  {index}. {sql[:150]}")
    print()
    print(f"Throughput at concurrency 8 ({args.throughput_seconds} s each):")
    print_throughput(throughput)
    print()
    print("Targets (issue #3, Performance):")
    for label, ok, worst, target in verdicts:
        print(f"  {common.verdict(ok)}  {label}: p95 {worst:.1f} ms (in-process and HTTP, worse of the two) "
              f"<= {target} ms")
    counts_fixed = all(
        (item.get("statements_page_2") in (None, item["statements"]))
        and len(set((item.get("statements_by_size") or {0: item["statements"]}).values())) == 1
        for item in results
    )
    print(f"  {common.verdict(counts_fixed)}  statements per request fixed (page 1 = page 2; pageSize 10 = 100)")
    rate = throughput["API list (my calls, 25 rows)"]["rate"]
    print(f"  {common.verdict(rate >= TARGET_RATE)}  >= {TARGET_RATE} list requests/s at concurrency 8: "
          f"API {rate:.0f}/s, HTML {throughput['HTML list (my calls, 25 rows)']['rate']:.0f}/s")
    if args.json:
        common.write_json(args.json, {"started_at": started_at, "machine": common.machine_summary(), "rows": total,
                                      "results": results, "throughput": throughput})


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--recreate-db", action="store_true")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--repeat", type=int, default=60, help="requests per measured page (default 60)")
    parser.add_argument("--throughput-seconds", type=int, default=20)
    parser.add_argument("--throughput-only", action="store_true",
                        help="only the list throughput at concurrency 8, --rounds times")
    parser.add_argument("--rounds", type=int, default=3, help="rounds for --throughput-only (default 3)")
    parser.add_argument("--json")
    args = parser.parse_args()
    started_at = datetime.now(UTC)
    ids, desk, load_seconds = prepare(args.rows, args.reload, args.recreate_db)
    if args.load_only:
        return
    if args.throughput_only:
        throughput_only(args, ids)
        return
    measure(args, ids, desk, load_seconds, started_at)


if __name__ == "__main__":
    main()
