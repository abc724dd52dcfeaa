from celery import shared_task


@shared_task(name="regie.fulfilment.approval_reminders", acks_late=True, reject_on_worker_lost=True)
def approval_reminders():
    """Reminders for waiting approvals and the time-out; idempotent (each approval is
    claimed by a conditional update), so a redelivered message does no harm."""
    from regie.core.audit import audit_context

    from .services import remind_and_expire

    with audit_context(actor_label="system: approval reminders"):
        return remind_and_expire()
