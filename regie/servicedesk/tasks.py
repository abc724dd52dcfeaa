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


@shared_task(name="regie.servicedesk.recompute_deadlines", acks_late=True, reject_on_worker_lost=True)
def recompute_deadlines(calendar_id=None):
    """New deadlines for the open calls measured in a business calendar that changed
    (None: every open call, e.g. after a helpdesk calendar was deleted).

    Idempotent, so safe to deliver twice (acks late: a worker that dies mid-way leaves the
    message to be run again): only calls whose stored deadlines differ from the computed
    ones are written, and a call saved meanwhile is re-read rather than overwritten.
    Returns how many calls got new deadlines."""
    from regie.catalogue.models import BusinessCalendar
    from regie.core.audit import audit_context

    from .sla import recompute_open_deadlines

    calendar = None
    if calendar_id is not None:
        calendar = BusinessCalendar.objects.filter(pk=calendar_id).first()
        if calendar is None:
            return 0  # deleted since: its deletion queued a recomputation of every open call
    with audit_context(actor_label="system: SLA deadlines"):
        return recompute_open_deadlines(calendar)
