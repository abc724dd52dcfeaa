from celery import shared_task


@shared_task(name="regie.cmdb.certificate_expiry_warnings")
def certificate_expiry_warnings():
    """Beat: warn before certificates expire, once per certificate and threshold."""
    from regie.core.audit import audit_context

    from .services import send_expiry_warnings

    with audit_context(actor_label="certificate expiry warnings"):
        return send_expiry_warnings()


@shared_task(name="regie.cmdb.certificate_endpoint_checks")
def certificate_endpoint_checks():
    """Beat (daily): connect to every registered endpoint and record what it serves."""
    from regie.core.audit import audit_context

    from .services import check_all_endpoints

    with audit_context(actor_label="certificate endpoint checks"):
        return check_all_endpoints()
