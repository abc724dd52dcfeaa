from celery import shared_task


@shared_task(name="regie.servicedesk.check_terms")
def check_terms():
    """Warn and inform about resolution terms; idempotent (TermNotice), safe to repeat."""
    from .escalation import check_terms as reconcile

    return reconcile()
