"""Security headers, request limits, session policy, audit context, MFA enforcement."""

import ipaddress
import secrets
import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .audit import AuditContext, _current


class SecurityHeadersMiddleware:
    """Strict Content Security Policy: only our own files, no inline script or style.

    htmx is configured without inline styles/eval (see base.html's meta htmx-config)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs"):
            # Swagger UI (served from our own static files) needs inline style attributes.
            style = "style-src 'self' 'unsafe-inline'"
        else:
            style = "style-src 'self'"
        response.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; " + style + "; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.setdefault("X-Content-Type-Options", "nosniff")
        return response


class RequestSizeLimitMiddleware:
    """Refuse oversized bodies early with a clear 413 (API: problem details)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REGIE_MAX_REQUEST_BYTES
        if length > limit:
            detail = _("The request is too large (at most %(limit)s bytes).") % {"limit": limit}
            if request.path.startswith("/api/"):
                from regie.api.problems import problem_response

                return problem_response(413, _("Request too large"), detail)
            return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class UserLanguageMiddleware:
    """Dutch by default; a signed-in user's preferred language wins, else the cookie."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        session_user_language = request.session.get("regie_language") if hasattr(request, "session") else None
        language = session_user_language or language or settings.LANGUAGE_CODE
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        patch_vary = response.get("Vary")
        if not patch_vary or "Cookie" not in patch_vary:
            response["Vary"] = ", ".join(filter(None, [patch_vary, "Cookie"]))
        return response


def client_address(request):
    """The peer address; X-Forwarded-For only when the peer is a declared proxy."""
    peer = request.META.get("REMOTE_ADDR")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded and peer and _is_trusted_proxy(peer):
        candidate = forwarded.split(",")[-1].strip()
        try:
            ipaddress.ip_address(candidate)
            return candidate
        except ValueError:
            return peer
    return peer


def _is_trusted_proxy(peer):
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for network in settings.REGIE_TRUSTED_PROXIES:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


class SessionPolicyMiddleware:
    """Idle and absolute session timeouts; a deactivated user or a bumped security stamp
    ends the session on the next request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            session = request.session
            started = session.setdefault("regie_started", now)
            last_seen = session.get("regie_seen", now)
            stamp = session.setdefault("regie_stamp", user.security_stamp)
            expired = (
                now - last_seen > settings.SESSION_IDLE_TIMEOUT
                or now - started > settings.SESSION_ABSOLUTE_TIMEOUT
                or stamp != user.security_stamp
                or not user.is_active
            )
            if expired:
                logout(request)
                if request.path.startswith("/api/"):
                    from regie.api.problems import problem_response

                    return problem_response(401, _("Session ended"), _("Your session has ended. Sign in again."))
                return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?next={request.path}")
            # Write at most once a minute to spare the session store.
            if now - last_seen >= 60 or "regie_seen" not in session:
                session["regie_seen"] = now
        return self.get_response(request)


class AuditContextMiddleware:
    """Puts who and from where into the audit context for the whole request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        ctx = AuditContext(
            actor=user if user is not None and user.is_authenticated else None,
            actor_label=user.get_username() if user is not None and user.is_authenticated else "anonymous",
            remote_addr=client_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
            request_id=request.META.get("HTTP_X_REQUEST_ID", "")[:64] or secrets.token_hex(16),
        )
        request.audit_context = ctx
        token = _current.set(ctx)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)


def mfa_required_for(user):
    """Policy: provider staff always; participants' local accounts when configured."""
    if not user.is_authenticated:
        return False
    if settings.DEMO_MODE and user.is_demo:
        return False
    if user.is_provider_staff:
        return True
    return settings.REGIE_MFA_FOR_PARTICIPANTS


# Paths reachable while signed in with one factor only (to finish the second).
MFA_EXEMPT_PREFIXES = ("/account/", "/static/", "/health/", "/i18n/", "/api/")


class MfaRequiredMiddleware:
    """No authenticated page without the second factor where policy demands it.

    The API has its own check (token issuance needs the code; session auth needs a
    verified session), so it is exempt here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(MFA_EXEMPT_PREFIXES)
            and not user.is_verified()
            # Policy, or the person enrolled anyway: then the second factor is never optional.
            and (mfa_required_for(user) or _has_confirmed_device(user))
        ):
            target = "mfa-verify" if _has_confirmed_device(user) else "mfa-setup"
            next_url = request.get_full_path()
            if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
                next_url = "/"
            return HttpResponseRedirect(f"{resolve_url(target)}?next={next_url}")
        return self.get_response(request)


def _has_confirmed_device(user):
    from django_otp import devices_for_user

    return any(True for _device in devices_for_user(user, confirmed=True))
