"""Account rules: sign-in throttling, the second factor, security stamps, deactivation.

Views (web and API) call these; the rules live here so both paths behave the same.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from .audit import write_record
from .models import LoginAttempt, User

# The first wait after reaching the limit; each further failure doubles it, capped at
# the window, so an attacker is slowed down but a person is never locked out for good.
FIRST_BACKOFF_SECONDS = 30
RECOVERY_CODE_COUNT = 10


# --- throttling of failed sign-ins -------------------------------------------------------


@dataclass
class Throttle:
    retry_at: object  # aware datetime

    @property
    def seconds(self):
        return max(1, int((self.retry_at - timezone.now()).total_seconds() + 0.999))

    def message(self):
        local = timezone.localtime(self.retry_at)
        return _(
            "Too many failed sign-in attempts. Please wait and try again at %(time)s "
            "(in %(seconds)s seconds)."
        ) % {"time": date_format(local, "H:i:s"), "seconds": self.seconds}


def _normal_username(username):
    return str(username or "").strip().lower()[:150]


def sign_in_throttle(username, remote_addr):
    """A `Throttle` when this username or client address must wait; otherwise None.

    After REGIE_LOGIN_FAILURE_LIMIT failures within REGIE_LOGIN_FAILURE_WINDOW seconds
    the next try waits FIRST_BACKOFF_SECONDS after the last failure, doubling with every
    further failure, never longer than the window."""
    limit = settings.REGIE_LOGIN_FAILURE_LIMIT
    window = settings.REGIE_LOGIN_FAILURE_WINDOW
    since = timezone.now() - timedelta(seconds=window)
    recent = LoginAttempt.objects.filter(attempted_at__gte=since)
    retry_at = None
    keys = [Q(username=_normal_username(username))]
    if remote_addr:
        keys.append(Q(remote_addr=remote_addr))
    for key in keys:
        times = list(recent.filter(key).order_by("-attempted_at").values_list("attempted_at", flat=True)[:200])
        if len(times) < limit:
            continue
        wait = min(window, FIRST_BACKOFF_SECONDS * 2 ** (len(times) - limit))
        candidate = times[0] + timedelta(seconds=wait)
        if candidate > timezone.now() and (retry_at is None or candidate > retry_at):
            retry_at = candidate
    return Throttle(retry_at) if retry_at is not None else None


def record_sign_in_failure(username, remote_addr):
    """Count one failed sign-in; forget failures older than the window."""
    window = settings.REGIE_LOGIN_FAILURE_WINDOW
    LoginAttempt.objects.filter(attempted_at__lt=timezone.now() - timedelta(seconds=window)).delete()
    LoginAttempt.objects.create(username=_normal_username(username), remote_addr=remote_addr or None)


def clear_sign_in_failures(username):
    """A successful sign-in forgets that username's failures (not the address's others)."""
    LoginAttempt.objects.filter(username=_normal_username(username)).delete()


def record_throttled(username):
    write_record(
        "login_failed", result="failure", object_repr=_normal_username(username),
        message="refused: too many failed attempts",
    )


# --- second factor -------------------------------------------------------------------------


def confirmed_totp_device(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def recovery_device(user):
    from django_otp.plugins.otp_static.models import StaticDevice

    return StaticDevice.objects.filter(user=user, name="recovery", confirmed=True).first()


def has_confirmed_device(user):
    from django_otp import devices_for_user

    return any(True for _device in devices_for_user(user, confirmed=True))


def needs_second_factor(user):
    """Policy demands it, or the person enrolled anyway (then it is always asked)."""
    from .middleware import mfa_required_for

    return mfa_required_for(user) or has_confirmed_device(user)


def pending_totp_device(user):
    """The unconfirmed TOTP device of an enrolment in progress (created on first use)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device


def totp_secret(device):
    from base64 import b32encode

    return b32encode(device.bin_key).decode("ascii")


def confirm_totp_enrolment(user, device, code):
    """Check `code` against the pending device; on success it replaces any earlier
    authenticator and a fresh set of recovery codes is returned (shown once)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        if not device.verify_token(_digits(code)):
            write_record("mfa", actor=user, result="failure", object_repr=user.get_username(),
                         organisation_id=user.organisation_id, message="enrolment code wrong")
            return None, []
        device.confirmed = True
        device.save()
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = regenerate_recovery_codes(user, audit=False)
    write_record("mfa", actor=user, object_repr=user.get_username(), organisation_id=user.organisation_id,
                 message="authenticator enrolled")
    return device, codes


def regenerate_recovery_codes(user, audit=True):
    """Replace the person's recovery codes with RECOVERY_CODE_COUNT new ones."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name="recovery", defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    if audit:
        write_record("mfa", actor=user, object_repr=user.get_username(), organisation_id=user.organisation_id,
                     message="recovery codes regenerated")
    return codes


def _digits(code):
    return re.sub(r"[\s-]", "", str(code or ""))


@dataclass
class SecondFactorResult:
    device: object = None
    throttle: object = None  # aware datetime until which the device refuses codes

    @property
    def ok(self):
        return self.device is not None


def verify_second_factor(user, code):
    """Check an authenticator code (6 digits) or a recovery code (each works once).

    A TOTP code is accepted once: django-otp remembers the last time step used.
    Devices throttle wrong codes themselves (1, 2, 4, … seconds)."""
    from django_otp import verify_token

    code = _digits(code).lower()
    if not code:
        return SecondFactorResult()
    if code.isdigit():
        device = confirmed_totp_device(user)
    else:
        device = recovery_device(user)
    if device is None:
        _audit_mfa(user, False)
        return SecondFactorResult()
    allowed, info = device.verify_is_allowed()
    if not allowed:
        _audit_mfa(user, False, "refused: throttled")
        return SecondFactorResult(throttle=(info or {}).get("locked_until"))
    matched = verify_token(user, device.persistent_id, code)
    _audit_mfa(user, matched is not None, "recovery code" if matched is not None and not code.isdigit() else "")
    return SecondFactorResult(device=matched)


def _audit_mfa(user, success, detail=""):
    write_record(
        "mfa", actor=user, result="success" if success else "failure", object_repr=user.get_username(),
        organisation_id=user.organisation_id,
        message=detail or ("second factor verified" if success else "second factor code wrong"),
    )


def second_factor_throttle_message(locked_until):
    if locked_until is None:
        return _("Too many wrong codes. Please wait a moment and try again.")
    seconds = max(1, int((locked_until - timezone.now()).total_seconds() + 0.999))
    return _("Too many wrong codes. Please wait %(seconds)s seconds and try again.") % {"seconds": seconds}


# --- sessions and deactivation --------------------------------------------------------------


def bump_security_stamp(user):
    """End every session and API token of `user` (checked on their next request)."""
    User.objects.filter(pk=user.pk).update(security_stamp=F("security_stamp") + 1)
    user.security_stamp = User.objects.filter(pk=user.pk).values_list("security_stamp", flat=True).get()
    return user.security_stamp


def password_was_reset(user):
    bump_security_stamp(user)
    write_record("password", actor=user, object_repr=user.get_username(), organisation_id=user.organisation_id,
                 message="password reset by e-mail link")


def deactivate_user(actor, user):
    """Deactivate `user`: they cannot sign in and their sessions and tokens end at once."""
    if actor is None or not actor.has_perm("core.change_user"):
        raise PermissionDenied(_("You may not deactivate people."))
    if not User.objects.for_user(actor).filter(pk=user.pk).exists():
        raise PermissionDenied(_("You may not deactivate this person."))
    if actor.pk == user.pk:
        raise PermissionDenied(_("You cannot deactivate your own account."))
    if not user.is_active:
        return user
    user.is_active = False
    # User.save() bumps the security stamp when an active account is deactivated.
    user.save(update_fields=["is_active"])
    return user
