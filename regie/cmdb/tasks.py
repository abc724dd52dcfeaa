"""Periodic CMDB jobs (declared in regie/schedules.py). Each is an idempotent reconcile."""

from celery import shared_task


@shared_task(name="regie.cmdb.contract_expiry_warnings")
def contract_expiry_warnings():
    """Signal contracts nearing their end (notice period, 30 days); once per threshold."""
    from .contracts import send_expiry_warnings

    return send_expiry_warnings()
