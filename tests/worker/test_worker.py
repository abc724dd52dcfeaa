"""A real Celery worker on Redis: the heartbeat reaches /health/, and a task of a worker
killed mid-run is delivered again (acks late) without repeating its side effect."""

import time

import pytest
from django.test import Client

from regie.core.models import WorkerHeartbeat

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HEARTBEAT_TASK = "regie.core.heartbeat"
PROBE_TASK = "tests.worker.redelivery_probe"  # defined in worker_probe_tasks.py, loaded by the worker


def wait_for(condition, timeout, message, worker):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"{message}\n--- worker log ---\n{worker.log()}")


def lines(path):
    return path.read_text().splitlines() if path.exists() else []


def get_health():
    response = Client().get("/health/")
    return response.status_code, response.json()


def test_heartbeat_through_the_broker_makes_health_report_the_worker(celery_worker, settings):
    status, body = get_health()
    assert status == 503
    assert body["checks"]["worker"] == {"status": "down", "reason": "no heartbeat yet"}
    assert body["checks"]["database"]["status"] == "up"
    assert body["checks"]["broker"]["status"] == "up", body

    celery_worker.start()
    celery_worker.send(HEARTBEAT_TASK)
    wait_for(
        lambda: WorkerHeartbeat.objects.filter(name="worker").exists(),
        30,
        "The worker did not run the heartbeat task sent through Redis.",
        celery_worker,
    )

    status, body = get_health()
    assert status == 200, body
    assert body["status"] == "up"
    assert body["checks"]["worker"]["status"] == "up"
    assert "redis" in body["checks"]["broker"]["transport"].lower()

    # No worker, no new heartbeat: after three missed intervals the worker is reported down.
    celery_worker.stop()
    settings.REGIE_HEARTBEAT_SECONDS = 1
    time.sleep(3.5)
    status, body = get_health()
    assert status == 503
    assert body["status"] == "down"
    assert body["checks"]["worker"]["status"] == "down"
    assert body["checks"]["worker"]["age_seconds"] >= 3


def test_task_of_a_killed_worker_runs_again_and_its_side_effect_happens_once(celery_worker, tmp_path):
    workdir = tmp_path / "probe"
    workdir.mkdir()
    attempts, effects, finished = workdir / "attempts.log", workdir / "effects.log", workdir / "finished.log"

    celery_worker.start()
    task_id = celery_worker.send(PROBE_TASK, "order-66", str(workdir))
    wait_for(lambda: (workdir / "in-progress").exists(), 30, "The probe task never started.", celery_worker)

    celery_worker.kill()  # kill -9 while the task runs: it was not acknowledged
    assert len(lines(attempts)) == 1
    assert lines(finished) == []
    assert lines(effects) == ["1"]
    assert celery_worker.broker_holds(task_id), "the killed worker's task is still in the broker, unacknowledged"

    # Once the visibility timeout (3 s for the test worker) has passed, a new worker gets it again.
    time.sleep(3.5)
    celery_worker.start()
    wait_for(lambda: lines(finished) == ["2"], 60, "The unacknowledged task was not delivered again.", celery_worker)

    first_pid, second_pid = lines(attempts)
    assert first_pid != second_pid, "the second attempt ran in the restarted worker"
    assert lines(effects) == ["1"], "the side effect happened exactly once"
    assert WorkerHeartbeat.objects.filter(name="probe:order-66").count() == 1

    # Acknowledged after the second run: the message is neither queued nor held as unacknowledged.
    wait_for(lambda: not celery_worker.broker_holds(task_id), 10, "The task was never acknowledged.", celery_worker)
