"""Shared plumbing for the benchmarks: the bench database, fixtures, gunicorn, the load
generator and the statistics. Run by hand (see bench/README.md); never part of the suite.

Everything talks to 127.0.0.1 only. Each run is bounded: request counts and time caps.
"""

import http.client
import json
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
PG_HOST = os.environ.get("REGIE_BENCH_PG_HOST", "127.0.0.1")
PG_PORT = os.environ.get("REGIE_BENCH_PG_PORT", "5432")
PG_USER = os.environ.get("REGIE_BENCH_PG_USER", "postgres")
BENCH_DB = os.environ.get("REGIE_BENCH_DB", "regie_bench")
ADMIN_URL = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"
BENCH_URL = f"postgresql://{PG_USER}@{PG_HOST}:{PG_PORT}/{BENCH_DB}"
DATA_DIR = REPO / "var" / "bench"

# The four municipalities of the agreement, weighted by their number of workplaces.
MUNICIPALITIES = [
    ("Gemeente Venlo", "VNL", 1100),
    ("Gemeente Roermond", "RMD", 750),
    ("Gemeente Weert", "WRT", 600),
    ("Gemeente Nederweert", "NDW", 200),
]
PROVIDER = ("ICT NML", "NML")
EMPLOYEES_PER_MUNICIPALITY = 100
# Django's marker for "no password can match" (what set_unusable_password stores, minus the random suffix).
UNUSABLE_PASSWORD = "!"  # noqa: S105


def server_env():
    """Environment for the harness's own Django and for gunicorn: production-like
    (DEBUG off, persistent connections) on the bench database."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=BENCH_URL,
        REGIE_ENV="development",
        REGIE_DEBUG="0",
        REGIE_DEMO_MODE="0",
        REGIE_DATA_DIR=str(DATA_DIR),
        REGIE_LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="regie.settings",
        PYTHONPATH=str(REPO),
    )
    return env


# --- database -----------------------------------------------------------------------------


def admin_connection():
    import psycopg

    return psycopg.connect(ADMIN_URL, autocommit=True)


def bench_connection(autocommit=True):
    import psycopg

    return psycopg.connect(BENCH_URL, autocommit=autocommit)


def ensure_database(recreate=False):
    """Create (or drop and re-create) the bench database. Returns True if it is new."""
    from psycopg import sql

    with admin_connection() as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone()
        if exists and recreate:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DB)))
            return True
    return False


def drop_database():
    from psycopg import sql

    with admin_connection() as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DB)))


def migrate():
    # The static root must exist or WhiteNoise warns at every worker start; the API serves no files.
    (DATA_DIR / "static").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=REPO, env=server_env(), check=True,
    )


def prepare_database(recreate=False):
    """Create and migrate the bench database. If the migrations no longer apply (they were
    rewritten since the last run, common while a feature is young), start afresh."""
    ensure_database(recreate=recreate)
    try:
        migrate()
    except subprocess.CalledProcessError:
        print("Migrations do not apply to the existing bench database; re-creating it.", flush=True)
        ensure_database(recreate=True)
        migrate()


def setup_django():
    """Configure Django in this process against the bench database."""
    os.environ.update(server_env())
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


def ensure_fixtures():
    """Provider, the four municipalities, a provider agent, an account manager per
    municipality and employees as requesters. Idempotent. Returns a dict of ids."""
    from django.contrib.auth.models import Group

    from regie.core.choices import OrganisationKind
    from regie.core.models import Organisation, User

    def organisation(name, code, kind, workplaces=0):
        org = Organisation.objects.unrestricted().filter(code=code).first()
        if org is None:
            org = Organisation(name=name, code=code, kind=kind, workplace_count=workplaces)
            org.save()
        return org

    def user(username, org, role):
        person = User.objects.unrestricted().filter(username=username).first()
        if person is None:
            person = User(username=username, organisation=org, first_name=username.split(".")[-1], last_name="Bench")
            person.set_unusable_password()
            person.save()
            person.groups.add(Group.objects.get(name=role))
        return person

    provider = organisation(PROVIDER[0], PROVIDER[1], OrganisationKind.PROVIDER)
    agent = user("bench.helpdesk", provider, "first_line")
    result = {"provider": provider.pk, "agent": agent.pk, "municipalities": []}
    employee_group = Group.objects.get(name="employee")
    for name, code, workplaces in MUNICIPALITIES:
        org = organisation(name, code, OrganisationKind.PARTICIPANT, workplaces)
        manager = user(f"bench.{code.lower()}.accountmanager", org, "account_manager")
        prefix = f"bench.{code.lower()}.mw"
        have = User.objects.unrestricted().filter(username__startswith=prefix).count()
        if have < EMPLOYEES_PER_MUNICIPALITY:
            # Bulk: requesters only need to exist; their own audit trail is not measured.
            made = User.objects.bulk_create(
                [
                    User(username=f"{prefix}{index:03d}", organisation=org, first_name=f"Mw{index}",
                         last_name="Bench", password=UNUSABLE_PASSWORD)
                    for index in range(have, EMPLOYEES_PER_MUNICIPALITY)
                ]
            )
            employee_group.user_set.add(*made)
        employees = list(
            User.objects.unrestricted().filter(username__startswith=prefix).order_by("pk").values_list("pk", flat=True)
        )
        result["municipalities"].append(
            {"id": org.pk, "code": code, "weight": workplaces, "manager": manager.pk, "employees": employees}
        )
    return result


def ticket_filler_columns(explicit):
    """Every other NOT NULL column of servicedesk_ticket with its model default, so the
    bulk load and the pgbench anchor keep working while the Ticket model grows."""
    from regie.servicedesk.models import Ticket

    filler = {}
    for field in Ticket._meta.concrete_fields:
        if field.column in explicit or field.null or field.primary_key:
            continue
        value = field.get_default()
        if value is None:
            value = False if field.get_internal_type() == "BooleanField" else 0
        # Plain str/int/bool (Django's choice enums would otherwise reach psycopg as Enum members).
        for plain in (bool, int, str):
            if isinstance(value, plain):
                value = plain(value)
                break
        filler[field.column] = value
    return filler


def sql_literal(value):
    import psycopg

    with bench_connection() as conn:
        return psycopg.ClientCursor(conn).mogrify("%s", [value])


def issue_token(user_id, name="bench"):
    from regie.api.models import ApiToken
    from regie.core.models import User

    _token, raw = ApiToken.issue(User.objects.unrestricted().get(pk=user_id), name=name)
    return raw


# --- gunicorn -----------------------------------------------------------------------------


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# As `regie serve` runs the web server (regie.cli.web_processes), unless told otherwise.
GUNICORN_WORKERS = int(os.environ.get("REGIE_BENCH_WORKERS") or min(2 * (os.cpu_count() or 1) + 1, 9))
GUNICORN_THREADS = int(os.environ.get("REGIE_BENCH_THREADS") or 2)


def gunicorn_command(app, port):
    # gthread: keep-alive connections; processes for the CPU work (one interpreter lock
    # each), a second thread per process for the waits on PostgreSQL.
    return [
        str(VENV_BIN / "gunicorn"), app,
        "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread",
        "--workers", str(GUNICORN_WORKERS),
        "--threads", str(GUNICORN_THREADS),
        "--keep-alive", "30",
        "--backlog", "256",
        "--log-level", "warning",
        "--chdir", str(REPO),
    ]


class Server:
    def __init__(self, port, pid):
        self.port = port
        self.pid = pid


@contextmanager
def gunicorn(app, settings_module="regie.settings", probe="/api/v1"):
    port = free_port()
    env = server_env()
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    process = subprocess.Popen(gunicorn_command(app, port), cwd=REPO, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn {app} exited with {process.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", probe)
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield Server(port, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- CPU accounting -------------------------------------------------------------------------
# Other work shares this machine, so wall-clock rates are noisy. CPU seconds spent by the
# server's own processes (gunicorn workers and their PostgreSQL backends) per request are
# much less so, and give the rate two idle cores could sustain.

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid):
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def _children(parent):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == parent:
                found.append(int(entry.name))
    return found


def cpu_snapshot(server):
    """CPU seconds so far of the server's workers and of every backend on the bench DB."""
    with bench_connection() as conn:
        backends = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid() "
                "AND application_name <> 'pgbench'",
                [BENCH_DB],
            )
        ]
    snapshot = {}
    for pid in [server.pid, *_children(server.pid), *backends]:
        seconds = _cpu_seconds(pid)
        if seconds is not None:
            snapshot[pid] = seconds
    return snapshot


def cpu_used(before, after):
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


# --- load generator -------------------------------------------------------------------------


def _client_worker(port, method, path, bodies, headers, counter, total, deadline, barrier, results):
    """One keep-alive connection, requests back to back until the shared budget is used."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, statuses = [], {}
    sent = 0
    barrier.wait()
    started = time.perf_counter()
    while time.monotonic() < deadline:
        with counter.get_lock():
            if counter.value >= total:
                break
            counter.value += 1
        body = bodies[sent % len(bodies)] if bodies else None
        sent += 1
        begin = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            status = "error"
            conn.close()
        latencies.append(time.perf_counter() - begin)
        statuses[status] = statuses.get(status, 0) + 1
    results.put({"latencies": latencies, "statuses": statuses, "started": started, "ended": time.perf_counter()})
    conn.close()


def run_load(port, method, path, *, concurrency, total, time_cap, bodies=None, headers=None, expect=200):
    """Closed-loop load: `concurrency` processes (no shared GIL), each with one keep-alive
    connection. Each process cycles through `bodies` (offset by its index). Returns
    throughput (successful responses/s) and latency percentiles."""
    context = mp.get_context("fork")
    counter = context.Value("i", 0)
    barrier = context.Barrier(concurrency)
    results = context.Queue()
    deadline = time.monotonic() + time_cap + 5
    encoded = [b.encode() if isinstance(b, str) else b for b in bodies or []]
    processes = [
        context.Process(
            target=_client_worker,
            args=(port, method, path, encoded[index:] + encoded[:index], headers or {}, counter, total, deadline,
                  barrier, results),
        )
        for index in range(concurrency)
    ]
    for process in processes:
        process.start()
    collected = [results.get(timeout=time_cap + 60) for _process in processes]
    for process in processes:
        process.join()
    latencies = [value for item in collected for value in item["latencies"]]
    statuses = {}
    for item in collected:
        for status, count in item["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    elapsed = max(item["ended"] for item in collected) - min(item["started"] for item in collected)
    good = statuses.get(expect, 0)
    return {
        "requests": len(latencies),
        "ok": good,
        "statuses": statuses,
        "elapsed": elapsed,
        "rate": good / elapsed if elapsed else 0.0,
        **latency_summary(latencies),
    }


def percentile(values, fraction):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def latency_summary(seconds):
    """p50/p95/p99 in milliseconds (nearest-rank)."""
    return {
        "p50": percentile(seconds, 0.50) * 1000,
        "p95": percentile(seconds, 0.95) * 1000,
        "p99": percentile(seconds, 0.99) * 1000,
        "mean": (statistics.fmean(seconds) * 1000) if seconds else float("nan"),
    }


# --- reporting ------------------------------------------------------------------------------


def verdict(ok):
    return "PASS" if ok else "MISS"


def print_table(headers, rows):
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = "  ".join(str(h).ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


def machine_summary():
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    with bench_connection() as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs ({cpu}); load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"PostgreSQL {pg}; Python {sys.version.split()[0]}; "
        f"gunicorn gthread {GUNICORN_WORKERS} workers x {GUNICORN_THREADS} threads"
    )


def write_json(path, data):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2, default=str))
