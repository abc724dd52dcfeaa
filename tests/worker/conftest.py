"""A real Celery worker, as a subprocess, on Redis and on the test database.

The worker is a separate process, so it must reach the same database as the test: the
test is transactional (its writes are committed) and the SQLite test database is a file
whenever worker tests are collected (see tests/conftest.py). Each test gets its own
queue, so nothing else on the Redis database can take its messages.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKER_TESTS_DIR = Path(__file__).resolve().parent
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"


def running_in_ci():
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def redis_url():
    """Redis for the worker tests; skipped without Redis, except in CI where it must exist."""
    import redis

    url = os.environ.get("REGIE_TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {url} ({exc}); the real-worker tests need it"
        if running_in_ci():
            pytest.fail(message + " and CI=true requires them.")
        pytest.skip(message + ".")
    return url


def database_url_for(settings_dict):
    """A DATABASE_URL pointing at the database this test process uses right now."""
    engine = settings_dict["ENGINE"]
    name = str(settings_dict["NAME"])
    if engine == "django.db.backends.sqlite3":
        if name == ":memory:" or "mode=memory" in name:
            pytest.fail("The SQLite test database is in memory; a worker process cannot share it.")
        return f"sqlite:///{Path(name).resolve()}"
    if engine == "django.db.backends.postgresql":
        credentials = quote(settings_dict.get("USER") or "", safe="")
        if settings_dict.get("PASSWORD"):
            credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
        host = settings_dict.get("HOST") or "127.0.0.1"
        port = settings_dict.get("PORT") or "5432"
        return f"postgresql://{credentials}@{host}:{port}/{quote(name, safe='')}"
    pytest.fail(f"No worker database URL for engine {engine}.")
    return None


class CeleryWorker:
    """One `celery worker` (prefork, one child, as in production: the parent acknowledges
    while the child works); `kill()` is a kill -9 of the parent and its child."""

    def __init__(self, env, queue, log_path):
        self.env = env
        self.queue = queue
        self.log_path = log_path
        self.process = None
        self.starts = 0

    def start(self, timeout=60):
        self.starts += 1
        command = [
            sys.executable, "-m", "celery", "-A", "regie", "worker",
            "--pool=prefork", "--concurrency=1", "--loglevel=INFO", "-Q", self.queue,
            "-n", f"{self.queue}-{self.starts}@%h",
            "-I", "worker_probe_tasks",
            "--without-mingle", "--without-gossip", "--without-heartbeat",
        ]
        log = self.log_path.open("a")
        log.write(f"\n--- worker start {self.starts}\n")
        log.flush()
        self.process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        marker = f"{self.queue}-{self.starts}@"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"The worker exited with {self.process.returncode}:\n{self.log()}")
            text = self.log_path.read_text()
            if marker in text and " ready." in text.split(f"--- worker start {self.starts}")[-1]:
                return
            time.sleep(0.2)
        pytest.fail(f"The worker did not become ready within {timeout}s:\n{self.log()}")

    def kill(self):
        """SIGKILL: no warm shutdown, nothing acknowledged or requeued by the worker itself."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self):
        return self.log_path.read_text() if self.log_path.exists() else ""

    def broker_holds(self, task_id):
        """Whether Redis still has the task's message, queued or waiting for its ack."""
        import redis

        client = redis.Redis.from_url(self.env["BROKER_URL"])
        queued = [json.loads(raw) for raw in client.lrange(self.queue, 0, -1)]
        # kombu keeps an unacknowledged delivery as [message, exchange, routing key].
        unacked = [json.loads(raw)[0] for raw in client.hvals("unacked")]
        return any(message["headers"].get("id") == task_id for message in queued + unacked)

    def send(self, task_name, *args):
        """Publish a task by name to this worker's queue through the broker (never eager)."""
        from celery.exceptions import AlwaysEagerIgnored

        from regie.celery import app

        with app.connection_for_write(self.env["BROKER_URL"]) as connection, warnings.catch_warnings():
            warnings.simplefilter("ignore", AlwaysEagerIgnored)
            result = app.send_task(task_name, args=list(args), queue=self.queue, connection=connection)
        return result.id


@pytest.fixture
def celery_worker(transactional_db, redis_url, tmp_path, monkeypatch):
    """Start with `celery_worker.start()`; always stopped before the database is flushed."""
    from django.db import connection

    # /health/ in this process checks the same broker the worker uses.
    monkeypatch.setenv("CELERY_BROKER_URL", redis_url)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "regie.test_settings",
        "REGIE_ENV": "test",
        "DATABASE_URL": database_url_for(connection.settings_dict),
        "BROKER_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        # Short, so a task of a killed worker is handed out again within seconds.
        "REGIE_BROKER_VISIBILITY_TIMEOUT": "3",
        "PYTHONPATH": os.pathsep.join([str(WORKER_TESTS_DIR), str(REPO_ROOT), os.environ.get("PYTHONPATH", "")]),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    worker = CeleryWorker(env, queue=f"regie-test-{uuid.uuid4().hex[:12]}", log_path=tmp_path / "worker.log")
    yield worker
    worker.stop()

