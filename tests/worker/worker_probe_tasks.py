"""A task only the worker integration test uses. The real worker imports this module
(`-I worker_probe_tasks`, with tests/worker on PYTHONPATH); the test sends it by name.

It shows what every Regie task must be: acknowledged late (a worker killed mid-task
leaves the message in the broker) and idempotent (a re-delivered task does not repeat
its side effect)."""

import os
import time
from pathlib import Path

from celery import shared_task
from django.utils import timezone

PROBE_TASK = "tests.worker.redelivery_probe"


@shared_task(name=PROBE_TASK, acks_late=True)
def redelivery_probe(key, workdir):
    from regie.core.models import WorkerHeartbeat

    workdir = Path(workdir)
    with (workdir / "attempts.log").open("a") as attempts:
        attempts.write(f"{os.getpid()}\n")
    attempt = len((workdir / "attempts.log").read_text().splitlines())

    # The side effect, made idempotent by a natural key: a second delivery finds the row.
    _row, created = WorkerHeartbeat.objects.get_or_create(
        name=f"probe:{key}", defaults={"beat_at": timezone.now(), "hostname": f"attempt {attempt}"}
    )
    if created:
        with (workdir / "effects.log").open("a") as effects:
            effects.write(f"{attempt}\n")

    if attempt == 1:
        # Tell the test we are mid-task, then keep working until it kills the worker.
        (workdir / "in-progress").touch()
        time.sleep(120)
    with (workdir / "finished.log").open("a") as finished:
        finished.write(f"{attempt}\n")
