"""Every periodic job, declared in one place. Synced into celery beat's database tables
after migrate (created when missing; an admin may change the interval afterwards)."""

from django.conf import settings

# name: (task, every N seconds)
SCHEDULE = {
    "worker heartbeat": ("regie.core.heartbeat", lambda: settings.REGIE_HEARTBEAT_SECONDS),
    "seal audit trail": ("regie.core.seal_audit_records", lambda: 60),
    "audit retention": ("regie.core.apply_audit_retention", lambda: 24 * 60 * 60),
    "watch SLA terms": ("regie.servicedesk.check_terms", lambda: 5 * 60),
    "deliver outbox": ("regie.integrations.deliver_pending", lambda: 60),
    "calamity updates": ("regie.servicedesk.calamity_updates", lambda: 60),
    "contract expiry warnings": ("regie.cmdb.contract_expiry_warnings", lambda: 6 * 60 * 60),
    "licence expiry warnings": ("regie.cmdb.licence_expiry_warnings", lambda: 6 * 60 * 60),
    "certificate expiry warnings": ("regie.cmdb.certificate_expiry_warnings", lambda: 60 * 60),
    "certificate endpoint checks": ("regie.cmdb.certificate_endpoint_checks", lambda: 24 * 60 * 60),
    "approval reminders": ("regie.fulfilment.approval_reminders", lambda: 60 * 60),
}


def sync_schedules():
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    for name, (task, every) in SCHEDULE.items():
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        interval, _created = IntervalSchedule.objects.get_or_create(every=every(), period=IntervalSchedule.SECONDS)
        PeriodicTask.objects.create(name=name, task=task, interval=interval)
