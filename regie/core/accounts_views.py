"""Sign-in, second factor, sign-out and password-reset pages.

The rules (throttling, codes, stamps) live in accounts.py; these views only wire them
to forms. Every page here is under /account/, which MfaRequiredMiddleware lets through
with one factor, so each view that needs the second factor checks it itself.
"""

import re
import time
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from . import accounts
from .audit import write_record
from .forms import AccessibleFormMixin
from .middleware import client_address, mfa_required_for


def _next_url(request, default=None):
    """The `next` parameter when it points inside this site, else the default."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default or resolve_url("home")


def _to(url_name, next_url):
    return redirect(f"{reverse(url_name)}?next={quote(next_url)}")


# --- sign in ---------------------------------------------------------------------------------


class SignInForm(AccessibleFormMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": gettext_lazy(
            "The username or password is not correct. Both are case-sensitive; please try again."
        ),
        "inactive": gettext_lazy("This account is not active. Contact the servicedesk."),
    }

    def __init__(self, request=None, *args, **kwargs):
        # Set before super(): AccessibleFormMixin may validate while initialising.
        self.throttle = None
        super().__init__(request, *args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not (username and password):
            return super().clean()
        address = client_address(self.request) if self.request is not None else None
        self.throttle = accounts.sign_in_throttle(username, address)
        if self.throttle is not None:
            accounts.record_throttled(username)
            raise ValidationError(self.throttle.message(), code="throttled")
        try:
            return super().clean()
        except ValidationError:
            accounts.record_sign_in_failure(username, address)
            raise


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "core/account/login.html"
    redirect_authenticated_user = False

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttle is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.throttle.seconds)
        else:
            response.status_code = 400
        return response

    def form_valid(self, form):
        user = form.get_user()
        accounts.clear_sign_in_failures(user.get_username())
        # Django's login() gives the session a new key (no session fixation).
        response = super().form_valid(form)
        now = int(time.time())
        session = self.request.session
        session["regie_started"] = now
        session["regie_seen"] = now
        session["regie_stamp"] = user.security_stamp
        session["regie_language"] = user.preferred_language
        if mfa_required_for(user) or accounts.has_confirmed_device(user):
            target = "mfa-verify" if accounts.has_confirmed_device(user) else "mfa-setup"
            return _to(target, self.get_success_url())
        return response


@require_POST
def sign_out(request):
    logout(request)
    messages.info(request, _("You are signed out."))
    return redirect(resolve_url(settings.LOGIN_URL))


# --- second factor ---------------------------------------------------------------------------


class CodeForm(AccessibleFormMixin, forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=32,
        help_text=gettext_lazy("The 6-digit code from your authenticator app, or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )

    def clean_code(self):
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}|[A-Za-z2-7]{8,16}", code):
            raise ValidationError(_("Enter the 6-digit code or a recovery code."), code="format")
        return code


class EnrolmentCodeForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _("The 6-digit code your authenticator app shows now.")

    def clean_code(self):
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(_("Enter the 6 digits your authenticator app shows."), code="format")
        return code


def qr_svg(data):
    """The QR code as inline SVG, drawn on the server (no script, no data: URL)."""
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    svg = re.sub(r'width="[^"]*" height="[^"]*"', 'width="220" height="220"', svg, count=1)
    label = escape(_("QR code to scan with your authenticator app"))
    # Generated by qrcode from our own data; no user-controlled markup gets in.
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))  # noqa: S308


def _needs_verification_first(user):
    """Someone with a device but a one-factor session must prove it before changing it."""
    return accounts.has_confirmed_device(user) and not user.is_verified()


@never_cache
@login_required
def mfa_setup(request):
    user = request.user
    next_url = _next_url(request)
    if _needs_verification_first(user):
        return _to("mfa-verify", request.get_full_path())
    device = accounts.pending_totp_device(user)
    form = EnrolmentCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            allowed, info = device.verify_is_allowed()
            if not allowed:
                form.add_error("code", accounts.second_factor_throttle_message((info or {}).get("locked_until")))
                status = 429
            else:
                confirmed, codes = accounts.confirm_totp_enrolment(user, device, form.cleaned_data["code"])
                if confirmed is not None:
                    otp_login(request, confirmed)
                    request.session.cycle_key()
                    return render(
                        request, "core/account/recovery_codes.html",
                        {"codes": codes, "next": next_url, "just_enrolled": True},
                    )
                form.add_error("code", _("That code is not right. Check the time on your phone and try again."))
    context = {
        "form": form,
        "qr_svg": qr_svg(device.config_url),
        "secret": accounts.totp_secret(device),
        "next": next_url,
        "re_enrol": accounts.confirmed_totp_device(user) is not None,
    }
    return render(request, "core/account/mfa_setup.html", context, status=status)


@never_cache
@login_required
def mfa_verify(request):
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not accounts.has_confirmed_device(user):
        return _to("mfa-setup", next_url)
    form = CodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            result = accounts.verify_second_factor(user, form.cleaned_data["code"])
            if result.ok:
                otp_login(request, result.device)
                request.session.cycle_key()
                return redirect(next_url)
            if result.throttle is not None:
                form.add_error("code", accounts.second_factor_throttle_message(result.throttle))
                status = 429
            else:
                form.add_error("code", _("That code is not right, or it was used before. Please try again."))
    return render(request, "core/account/mfa_verify.html", {"form": form, "next": next_url}, status=status)


@never_cache
@login_required
def mfa_manage(request):
    user = request.user
    if _needs_verification_first(user):
        return _to("mfa-verify", request.get_full_path())
    totp = accounts.confirmed_totp_device(user)
    recovery = accounts.recovery_device(user)
    if request.method == "POST":
        if request.POST.get("action") != "regenerate-codes":
            messages.error(request, _("Unknown action."))
            return redirect("mfa-manage")
        if totp is None:
            messages.error(request, _("Set up an authenticator app first."))
            return redirect("mfa-manage")
        codes = accounts.regenerate_recovery_codes(user)
        return render(request, "core/account/recovery_codes.html", {"codes": codes, "next": reverse("mfa-manage")})
    context = {
        "totp": totp,
        "recovery_left": recovery.token_set.count() if recovery is not None else 0,
        "required": mfa_required_for(user),
        "verified": user.is_verified(),
    }
    return render(request, "core/account/mfa_manage.html", context)


# --- password reset --------------------------------------------------------------------------


class ResetRequestForm(AccessibleFormMixin, PasswordResetForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs["autocomplete"] = "email"


class ResetPasswordForm(AccessibleFormMixin, SetPasswordForm):
    pass


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetRequestForm
    template_name = "core/account/password_reset_form.html"
    email_template_name = "core/account/password_reset_email.txt"
    subject_template_name = "core/account/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        # Recorded without saying whether the address is known (no account probing).
        write_record("password", object_repr=form.cleaned_data["email"][:300], message="reset link requested")
        return super().form_valid(form)

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "core/account/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = ResetPasswordForm
    template_name = "core/account/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")
    # Never sign in here: the person signs in again, second factor included.
    post_reset_login = False

    def form_valid(self, form):
        response = super().form_valid(form)
        accounts.password_was_reset(form.user)
        accounts.clear_sign_in_failures(form.user.get_username())
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "core/account/password_reset_complete.html"


sign_in = SignInView.as_view()
password_reset = PasswordResetView.as_view()
password_reset_done = PasswordResetDoneView.as_view()
password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = PasswordResetCompleteView.as_view()
