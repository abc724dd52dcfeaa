from celery import shared_task


@shared_task(name="regie.cmdb.licence_expiry_warnings")
def licence_expiry_warnings():
    """Warn before licence entitlements end; idempotent (once per threshold), safe to repeat."""
    from .services import send_expiry_warnings

    return send_expiry_warnings()
