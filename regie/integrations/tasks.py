"""Outbox delivery tasks. Both are idempotent: running either twice, or at once on two
workers, sends each message once (the claim in delivery.py decides who sends)."""

from celery import shared_task


@shared_task(name="regie.integrations.deliver_outbox", acks_late=True, reject_on_worker_lost=True)
def deliver_outbox(message_id):
    """Sends one message now (queued on commit by enqueue_email)."""
    from .delivery import deliver

    return deliver(message_id)


@shared_task(name="regie.integrations.deliver_pending", acks_late=True, reject_on_worker_lost=True)
def deliver_pending():
    """Beat reconcile: recovers dead leases and sends what is due (retries, and messages
    whose on-commit kick was lost to a broker outage)."""
    from .delivery import deliver_due

    return deliver_due()
