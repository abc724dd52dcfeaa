"""The second factor: policy, enrolment with QR code, codes usable once, recovery codes."""

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from signin_helpers import (
    PAGE,
    current_code,
    enrol,
    enrolled_client,
    last_used_code,
    let_throttle_pass,
    next_unused_code,
    sign_in,
    verified_client,
)

from regie.core.models import AuditRecord


@pytest.fixture
def engineer(provider, make_user):
    # English, so the asserted messages stay valid once the Dutch catalogue is filled in.
    return make_user(provider, "engineer", username="beheerder", preferred_language="en")


@pytest.fixture
def employee(venlo, make_user):
    return make_user(venlo, "employee", username="venlo.medewerker", preferred_language="en")


def mfa_audit(user, result):
    return AuditRecord.all_objects.filter(action="mfa", actor=user, result=result)


# --- policy ------------------------------------------------------------------------------------


def test_provider_staff_must_enrol_before_any_page(engineer, settings):
    settings.REGIE_MFA_FOR_PARTICIPANTS = False  # does not apply to provider staff
    client = Client()
    response = sign_in(client, engineer.username, next_url=PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/mfa/setup/")
    assert f"next={PAGE}" in response["Location"]
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/account/mfa/setup/")
    # The API does not accept the one-factor session either.
    assert client.get("/api/v1/auth/tokens").status_code == 401


@pytest.mark.parametrize(("policy", "expected"), [(True, "/account/mfa/setup/"), (False, "/")])
def test_participants_need_mfa_by_policy(employee, settings, policy, expected):
    settings.REGIE_MFA_FOR_PARTICIPANTS = policy
    response = sign_in(Client(), employee.username)
    assert response["Location"].startswith(expected)


@pytest.mark.parametrize(("demo_mode", "expected_status"), [(True, 200), (False, 302)])
def test_demo_users_skip_enrolment_only_in_demo_mode(engineer, settings, demo_mode, expected_status):
    settings.DEMO_MODE = demo_mode
    engineer.is_demo = True
    engineer.save()
    client = Client()
    sign_in(client, engineer.username)
    assert client.get(PAGE).status_code == expected_status


# --- enrolment -----------------------------------------------------------------------------------


def test_enrolment_page_shows_an_inline_svg_qr_code_and_the_secret(engineer):
    client = Client()
    sign_in(client, engineer.username)
    response = client.get("/account/mfa/setup/")
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=engineer, confirmed=False)
    from base64 import b32encode

    assert b32encode(device.bin_key).decode() in html
    assert re.search(r"<svg[^>]*role=\"img\"", html)
    assert "<path" in html
    assert "data:image" not in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert " style=" not in html
    # Reloading keeps the same secret (the app may have scanned it already).
    client.get("/account/mfa/setup/")
    assert TOTPDevice.objects.filter(user=engineer).count() == 1


def test_enrolment_confirms_with_a_code_and_shows_ten_recovery_codes_once(engineer):
    client = Client()
    sign_in(client, engineer.username)
    client.get("/account/mfa/setup/")
    device = TOTPDevice.objects.get(user=engineer, confirmed=False)

    response = client.post("/account/mfa/setup/", {"code": "000000" if current_code(device) != "000000" else "111111"})
    assert response.status_code == 400
    assert client.get(PAGE).status_code == 302  # still not verified
    let_throttle_pass(engineer)

    response = client.post("/account/mfa/setup/", {"code": "12ab"})
    assert response.status_code == 400  # malformed: refused before any check

    device, codes = enrol(client, engineer)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get(PAGE).status_code == 200
    assert StaticToken.objects.filter(device__user=engineer).count() == 10
    # The codes are not shown again on the security page.
    page = client.get("/account/security/").content.decode()
    assert not any(code in page for code in codes)
    assert "10" in page
    assert mfa_audit(engineer, "success").filter(message="authenticator enrolled").exists()
    assert mfa_audit(engineer, "failure").exists()


def test_someone_with_a_device_cannot_re_enrol_with_one_factor(engineer):
    _client, _device, _codes = enrolled_client(engineer)
    attacker = Client()  # knows the password only
    response = sign_in(attacker, engineer.username)
    assert response["Location"].startswith("/account/mfa/verify/")
    response = attacker.get("/account/mfa/setup/")
    assert response.status_code == 302 and response["Location"].startswith("/account/mfa/verify/")
    assert attacker.get("/account/security/")["Location"].startswith("/account/mfa/verify/")
    assert not TOTPDevice.objects.filter(user=engineer, confirmed=False).exists()


# --- verification ---------------------------------------------------------------------------------


def test_a_used_code_is_refused_the_second_time(engineer):
    _client, device, _codes = enrolled_client(engineer)
    used = last_used_code(device)
    client = Client()
    client.cookies["django_language"] = "en"
    response = sign_in(client, engineer.username, next_url=PAGE)
    assert response["Location"].startswith("/account/mfa/verify/")
    response = client.post("/account/mfa/verify/", {"code": used, "next": PAGE})
    assert response.status_code == 400
    assert "it was used before" in response.content.decode()
    assert client.get(PAGE).status_code == 302
    let_throttle_pass(engineer)
    fresh = next_unused_code(device)
    response = client.post("/account/mfa/verify/", {"code": fresh, "next": PAGE})
    assert response.status_code == 302 and response["Location"] == PAGE
    assert client.get(PAGE).status_code == 200
    # The same fresh code cannot open another session.
    other = Client()
    sign_in(other, engineer.username)
    let_throttle_pass(engineer)
    assert other.post("/account/mfa/verify/", {"code": fresh}).status_code == 400
    assert mfa_audit(engineer, "failure").count() >= 2


def test_verification_gives_a_new_session_key(engineer):
    _client, device, _codes = enrolled_client(engineer)
    client = Client()
    sign_in(client, engineer.username)
    key = client.session.session_key
    client.post("/account/mfa/verify/", {"code": next_unused_code(device)})
    assert client.session.session_key != key


def test_wrong_codes_are_throttled(engineer):
    _client, device, _codes = enrolled_client(engineer)
    client = Client()
    client.cookies["django_language"] = "en"
    sign_in(client, engineer.username)
    wrong = "000000" if next_unused_code(device) != "000000" else "111111"
    assert client.post("/account/mfa/verify/", {"code": wrong}).status_code == 400
    # Right away, even the right code waits (django-otp: 1, 2, 4, … seconds).
    response = client.post("/account/mfa/verify/", {"code": next_unused_code(device)})
    assert response.status_code == 429
    assert "Too many wrong codes" in response.content.decode()
    let_throttle_pass(engineer)
    assert client.post("/account/mfa/verify/", {"code": next_unused_code(device)}).status_code == 302


def test_a_recovery_code_works_once(engineer):
    _client, _device, codes = enrolled_client(engineer)
    client = Client()
    sign_in(client, engineer.username)
    response = client.post("/account/mfa/verify/", {"code": codes[0].upper()})
    assert response.status_code == 302
    assert client.get(PAGE).status_code == 200
    assert mfa_audit(engineer, "success").filter(message="recovery code").exists()
    again = Client()
    sign_in(again, engineer.username)
    assert again.post("/account/mfa/verify/", {"code": codes[0]}).status_code == 400
    assert StaticToken.objects.filter(device__user=engineer).count() == 9


def test_verify_page_sends_unenrolled_users_to_setup(engineer):
    client = Client()
    sign_in(client, engineer.username)
    response = client.get("/account/mfa/verify/")
    assert response.status_code == 302 and response["Location"].startswith("/account/mfa/setup/")


def test_verify_ignores_a_foreign_next(engineer):
    _client, device, _codes = enrolled_client(engineer)
    client = Client()
    sign_in(client, engineer.username)
    response = client.post("/account/mfa/verify/", {"code": next_unused_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/"


# --- security page ---------------------------------------------------------------------------------


def test_regenerating_recovery_codes_voids_the_old_ones(engineer):
    client, _device, old_codes = enrolled_client(engineer)
    response = client.post("/account/security/", {"action": "regenerate-codes"})
    assert response.status_code == 200
    new_codes = re.findall(r"<li class=\"col\">([a-z2-7]{8})</li>", response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    other = Client()
    sign_in(other, engineer.username)
    assert other.post("/account/mfa/verify/", {"code": old_codes[1]}).status_code == 400
    let_throttle_pass(engineer)
    assert other.post("/account/mfa/verify/", {"code": new_codes[1]}).status_code == 302
    assert mfa_audit(engineer, "success").filter(message="recovery codes regenerated").exists()


def test_security_page_shows_status(engineer, employee, settings):
    settings.REGIE_MFA_FOR_PARTICIPANTS = False
    client = Client()
    client.cookies["django_language"] = "en"
    sign_in(client, employee.username)
    html = client.get("/account/security/").content.decode()
    assert "not set up" in html
    assert StaticDevice.objects.filter(user=employee).count() == 0


def test_re_enrolment_replaces_the_old_authenticator(engineer):
    client, old_device, _codes = enrolled_client(engineer)
    response = client.get("/account/mfa/setup/")
    assert response.status_code == 200
    new_device = TOTPDevice.objects.get(user=engineer, confirmed=False)
    assert new_device.key != old_device.key
    # Until confirmed, the old one still works.
    assert TOTPDevice.objects.filter(pk=old_device.pk, confirmed=True).exists()
    response = client.post("/account/mfa/setup/", {"code": current_code(new_device)})
    assert response.status_code == 200
    assert list(TOTPDevice.objects.filter(user=engineer).values_list("pk", flat=True)) == [new_device.pk]
    assert client.get(PAGE).status_code == 200
    assert verified_client(engineer, new_device).get(PAGE).status_code == 200


def test_unknown_action_on_security_page_changes_nothing(engineer):
    client, _device, _codes = enrolled_client(engineer)
    tokens = set(StaticToken.objects.filter(device__user=engineer).values_list("token", flat=True))
    assert client.post("/account/security/", {"action": "drop-tables"}).status_code == 302
    assert set(StaticToken.objects.filter(device__user=engineer).values_list("token", flat=True)) == tokens
