"""/health/: database, broker and the worker's last heartbeat, as JSON."""

from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone


def _check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": "up"}


def _check_broker():
    from regie.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    transport = conn.transport_cls
    return {"status": "up", "transport": transport if isinstance(transport, str) else str(transport)}


def _check_worker():
    from .models import WorkerHeartbeat

    beat = WorkerHeartbeat.objects.filter(name="worker").first()
    limit = timedelta(seconds=settings.REGIE_HEARTBEAT_SECONDS * 3)
    if beat is None:
        return {"status": "down", "reason": "no heartbeat yet"}
    age = timezone.now() - beat.beat_at
    status = "up" if age <= limit else "down"
    return {"status": status, "last_heartbeat": beat.beat_at.isoformat(), "age_seconds": int(age.total_seconds())}


def health(request):
    checks = {}
    for name, check in (("database", _check_database), ("broker", _check_broker), ("worker", _check_worker)):
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = {"status": "down", "reason": type(exc).__name__}
    healthy = all(check["status"] == "up" for check in checks.values())
    return JsonResponse({"status": "up" if healthy else "down", "checks": checks}, status=200 if healthy else 503)
