"""Helpers that drive the real sign-in flow (login form, enrolment, second factor).

Unlike conftest's `client_for`, nothing here fakes a verified session.
"""

import re
import time

from django.test import Client
from django_otp.oath import hotp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct-horse-battery"  # the factories' password
# A page behind sign-in and the second factor (kept off the busier home page).
PAGE = "/organisations/"


def code_for_step(device, step):
    return str(hotp(device.bin_key, step, digits=device.digits)).zfill(device.digits)


def current_code(device):
    """The code an authenticator app shows now."""
    return code_for_step(device, int(time.time() - device.t0) // device.step)


def next_unused_code(device):
    """A code the server accepts: one step past the last used one (within tolerance)."""
    device.refresh_from_db()
    now_step = int(time.time() - device.t0) // device.step
    return code_for_step(device, max(device.last_t + 1, now_step))


def last_used_code(device):
    device.refresh_from_db()
    return code_for_step(device, device.last_t)


def let_throttle_pass(user):
    """Move the device throttle into the past, as if its wait had gone by."""
    for model in (TOTPDevice, StaticDevice):
        model.objects.filter(user=user).update(throttling_failure_timestamp=None, throttling_failure_count=0)


def sign_in(client, username, password=PASSWORD, next_url=None, **extra):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/account/login/", data, **extra)


def enrol(client, user):
    """Walk the enrolment page: fetch the pending device, confirm it with a code.

    Returns (device, recovery codes)."""
    response = client.get("/account/mfa/setup/")
    assert response.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/account/mfa/setup/", {"code": current_code(device)})
    assert response.status_code == 200, response.content[:500]
    device.refresh_from_db()
    assert device.confirmed
    codes = re.findall(r"<li class=\"col\">([a-z2-7]{8})</li>", response.content.decode())
    return device, codes


def enrolled_client(user):
    """A new client that signed in with password and enrolled an authenticator."""
    client = Client()
    response = sign_in(client, user.username)
    assert response.status_code == 302 and "/account/mfa/setup/" in response["Location"]
    device, codes = enrol(client, user)
    return client, device, codes


def verified_client(user, device):
    """A new client that signed in with password and a fresh authenticator code."""
    client = Client()
    response = sign_in(client, user.username)
    assert "/account/mfa/verify/" in response["Location"]
    response = client.post("/account/mfa/verify/", {"code": next_unused_code(device)})
    assert response.status_code == 302, response.content[:500]
    return client
