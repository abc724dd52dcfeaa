import socket

from celery import shared_task
from django.utils import timezone


@shared_task(name="regie.core.heartbeat")
def heartbeat():
    """Proves a worker is alive and consuming; idempotent (an upsert)."""
    from .models import WorkerHeartbeat

    WorkerHeartbeat.objects.update_or_create(
        name="worker", defaults={"beat_at": timezone.now(), "hostname": socket.gethostname()}
    )
