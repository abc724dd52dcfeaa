from celery import shared_task


@shared_task(name="regie.servicedesk.check_terms")
def check_terms():
    """Warn and inform about resolution terms; idempotent (TermNotice), safe to repeat."""
    from .escalation import check_terms as reconcile

    return reconcile()


@shared_task(name="regie.servicedesk.calamity_updates")
def calamity_updates():
    """Progress updates on open calamities to the affected participants; once per slot."""
    from .calamity import send_due_updates

    return send_due_updates()
