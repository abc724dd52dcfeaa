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


@shared_task(name="regie.core.seal_audit_records")
def seal_audit_records():
    """Seals new audit records into the hash chain; idempotent, safe to run twice at once."""
    from .audit import audit_context
    from .audit_chain import seal_pending

    with audit_context(actor_label="system:audit-seal"):
        return seal_pending()


@shared_task(name="regie.core.apply_audit_retention")
def apply_audit_retention():
    """Removes sealed audit records older than REGIE_AUDIT_RETENTION_DAYS (0 = never)."""
    from .audit import audit_context
    from .audit_chain import apply_retention

    with audit_context(actor_label="system:audit-retention"):
        return apply_retention()
