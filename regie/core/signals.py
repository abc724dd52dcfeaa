"""Sign-in events into the audit trail (and nothing else: rules live in services)."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from .audit import write_record


@receiver(user_logged_in, dispatch_uid="regie-audit-login")
def audit_login(sender, request, user, **kwargs):
    write_record("login", actor=user, object_repr=user.get_username(), organisation_id=user.organisation_id)


@receiver(user_logged_out, dispatch_uid="regie-audit-logout")
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        write_record("logout", actor=user, object_repr=user.get_username(), organisation_id=user.organisation_id)


@receiver(user_login_failed, dispatch_uid="regie-audit-login-failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    write_record("login_failed", result="failure", object_repr=username, message="wrong username or password")
