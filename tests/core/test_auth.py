"""Sign-in, throttling, sessions, sign-out, password reset and deactivation."""

import re
import time
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.test import Client
from signin_helpers import PAGE, PASSWORD, enrolled_client, next_unused_code, sign_in, verified_client

from regie.core.accounts import deactivate_user
from regie.core.models import AuditRecord, LoginAttempt, User


@pytest.fixture
def no_participant_mfa(settings):
    settings.REGIE_MFA_FOR_PARTICIPANTS = False


@pytest.fixture
def employee(venlo, make_user):
    return make_user(venlo, "employee", username="venlo.medewerker", preferred_language="en")


def audit(action, **filters):
    return AuditRecord.all_objects.filter(action=action, **filters)


def is_signed_in(client):
    return "_auth_user_id" in client.session


# --- sign-in ------------------------------------------------------------------------------


def test_login_page_renders_without_inline_script(db):
    response = Client().get("/account/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="username"' in html and 'name="password"' in html
    assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
    assert "style=" not in html


def test_wrong_password_gives_clear_4xx_in_the_users_language(employee):
    client = Client()
    client.cookies["django_language"] = "en"
    response = sign_in(client, employee.username, "not-the-password")
    assert response.status_code == 400
    html = response.content.decode()
    assert "The username or password is not correct." in html
    assert "Username" in html  # Django's own English label: English really is active
    assert not is_signed_in(client)
    assert audit("login_failed", object_repr=employee.username, result="failure").exists()


def test_dutch_is_the_default_language_of_the_error_page(employee):
    response = sign_in(Client(), employee.username, "not-the-password")
    assert response.status_code == 400
    assert response["Content-Language"] == "nl"
    assert '<html lang="nl">' in response.content.decode()


def test_login_gives_a_new_session_key_and_sets_language(employee, no_participant_mfa):
    client = Client()
    old_key = client.session.session_key
    assert old_key
    response = sign_in(client, employee.username)
    assert response.status_code == 302
    new_key = client.session.session_key
    assert new_key != old_key
    assert not Session.objects.filter(session_key=old_key).exists()
    assert client.session["regie_language"] == "en"
    assert client.get(PAGE)["Content-Language"] == "en"
    assert audit("login", actor=employee).count() == 1


def test_login_honours_a_safe_next_and_ignores_a_foreign_one(employee, no_participant_mfa):
    response = sign_in(Client(), employee.username, next_url="/calls/")
    assert response["Location"] == "/calls/"
    response = sign_in(Client(), employee.username, next_url="https://evil.example/")
    assert response["Location"] == "/"


def test_inactive_user_cannot_sign_in(employee, no_participant_mfa):
    employee.is_active = False
    employee.save()
    response = sign_in(Client(), employee.username)
    assert response.status_code == 400


# --- throttling -------------------------------------------------------------------------------


@pytest.fixture
def low_limit(settings):
    settings.REGIE_LOGIN_FAILURE_LIMIT = 3
    settings.REGIE_LOGIN_FAILURE_WINDOW = 900


def age_attempts(seconds):
    """Let time pass for the throttle: every recorded failure becomes older."""
    LoginAttempt.objects.update(attempted_at=F("attempted_at") - timedelta(seconds=seconds))


def test_repeated_failures_are_throttled_with_a_clear_time_then_allowed_again(
    employee, low_limit, no_participant_mfa
):
    client = Client()
    client.cookies["django_language"] = "en"
    for _ in range(3):
        assert sign_in(client, employee.username, "wrong").status_code == 400
    # Even the right password waits now, and the page says until when.
    response = sign_in(client, employee.username)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 30
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert not is_signed_in(client)
    assert audit("login_failed", message__startswith="refused").exists()
    # No permanent lock-out: after the wait the right password works.
    age_attempts(31)
    response = sign_in(client, employee.username)
    assert response.status_code == 302
    assert is_signed_in(client)
    assert not LoginAttempt.objects.filter(username=employee.username).exists()


def test_backoff_grows_with_each_further_failure(employee, low_limit):
    client = Client()
    for _ in range(3):
        sign_in(client, employee.username, "wrong")
    first_wait = int(sign_in(client, employee.username, "wrong")["Retry-After"])
    age_attempts(31)
    assert sign_in(client, employee.username, "wrong").status_code == 400  # a 4th real failure
    second_wait = int(sign_in(client, employee.username, "wrong")["Retry-After"])
    assert first_wait <= 30 < second_wait <= 60


def test_failures_outside_the_window_do_not_count(employee, low_limit, no_participant_mfa):
    for _ in range(3):
        sign_in(Client(), employee.username, "wrong")
    age_attempts(901)
    assert sign_in(Client(), employee.username).status_code == 302


def test_one_address_trying_many_usernames_is_throttled(employee, low_limit, no_participant_mfa):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for name in ("alice", "bob", "carol"):
        sign_in(client, name, "wrong")
    assert sign_in(client, employee.username).status_code == 429
    # Another address is not affected.
    assert sign_in(Client(REMOTE_ADDR="198.51.100.8"), employee.username).status_code == 302


def test_spoofed_forwarded_for_does_not_escape_the_address_throttle(employee, low_limit):
    client = Client(REMOTE_ADDR="198.51.100.7")
    for index, name in enumerate(("alice", "bob", "carol")):
        sign_in(client, name, "wrong", HTTP_X_FORWARDED_FOR=f"203.0.113.{index}")
    response = sign_in(client, employee.username, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429


# --- sessions -------------------------------------------------------------------------------


def test_logout_needs_post_and_ends_the_session(employee, no_participant_mfa):
    client = Client()
    sign_in(client, employee.username)
    key = client.session.session_key
    assert client.get("/account/logout/").status_code == 405
    assert is_signed_in(client)
    response = client.post("/account/logout/")
    assert response.status_code == 302 and response["Location"] == "/account/login/"
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get(PAGE).status_code == 302
    assert audit("logout", actor=employee).count() == 1


@pytest.mark.parametrize("key", ["regie_seen", "regie_started"])
def test_idle_and_absolute_timeouts_end_the_session(employee, no_participant_mfa, settings, key):
    client = Client()
    sign_in(client, employee.username)
    assert client.get(PAGE).status_code == 200
    limit = settings.SESSION_IDLE_TIMEOUT if key == "regie_seen" else settings.SESSION_ABSOLUTE_TIMEOUT
    session = client.session
    session[key] = int(time.time()) - limit - 5
    session.save()
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")
    assert not is_signed_in(client)


def test_recent_activity_keeps_the_session(employee, no_participant_mfa, settings):
    client = Client()
    sign_in(client, employee.username)
    session = client.session
    session["regie_seen"] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT + 120
    session.save()
    assert client.get(PAGE).status_code == 200


@pytest.fixture
def administrator(provider, make_user):
    return make_user(provider, "administrator", is_superuser=True, username="beheer")


def test_deactivated_user_is_signed_out_on_the_next_request(employee, administrator, no_participant_mfa):
    first, second = Client(), Client()
    sign_in(first, employee.username)
    sign_in(second, employee.username)
    assert first.get(PAGE).status_code == 200
    stamp = employee.security_stamp
    deactivate_user(administrator, employee)
    employee.refresh_from_db()
    assert not employee.is_active
    assert employee.security_stamp == stamp + 1
    for client in (first, second):
        response = client.get(PAGE)
        assert response.status_code == 302 and response["Location"].startswith("/account/login/")
    # Reactivating does not revive the old sessions (the stamp moved on).
    User.objects.filter(pk=employee.pk).update(is_active=True)
    assert first.get(PAGE).status_code == 302


def test_deactivation_by_any_save_bumps_the_stamp(employee):
    stamp = employee.security_stamp
    employee.is_active = False
    employee.save(update_fields=["is_active"])
    employee.refresh_from_db()
    assert employee.security_stamp == stamp + 1
    employee.save()  # already inactive: no further bump
    employee.refresh_from_db()
    assert employee.security_stamp == stamp + 1


def test_bumped_security_stamp_ends_sessions(employee, no_participant_mfa):
    client = Client()
    sign_in(client, employee.username)
    User.objects.filter(pk=employee.pk).update(security_stamp=employee.security_stamp + 1)
    assert client.get(PAGE).status_code == 302


def test_deactivation_needs_permission_and_scope(employee, venlo, roermond, make_user):
    colleague = make_user(venlo, "account_manager")
    with pytest.raises(PermissionDenied):
        deactivate_user(colleague, employee)
    stranger = make_user(roermond, "employee")
    stranger.user_permissions.add(*_change_user_permission())
    stranger = User.objects.get(pk=stranger.pk)
    with pytest.raises(PermissionDenied):
        deactivate_user(stranger, employee)  # outside their organisation
    employee.refresh_from_db()
    assert employee.is_active


def _change_user_permission():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="core", codename="change_user")


# --- password reset ---------------------------------------------------------------------------


def _reset_link():
    assert len(mail.outbox) == 1
    match = re.search(r"https?://[^/\s]+(/account/password-reset/[^\s]+/)", mail.outbox[0].body)
    assert match, mail.outbox[0].body
    return match.group(1)


def test_password_reset_does_not_skip_the_second_factor(provider, make_user):
    engineer = make_user(provider, "engineer", username="beheerder")
    other_session, device, _codes = enrolled_client(engineer)
    assert other_session.get(PAGE).status_code == 200
    stamp = User.objects.get(pk=engineer.pk).security_stamp

    client = Client()
    response = client.post("/account/password-reset/", {"email": engineer.email})
    assert response.status_code == 302 and response["Location"] == "/account/password-reset/sent/"
    link = _reset_link()
    response = client.get(link)
    assert response.status_code == 302  # Django swaps the token for a session marker
    form_url = response["Location"]
    new_password = "a-brand-new-passphrase-42"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302 and response["Location"] == "/account/password-reset/done/"
    # Not signed in by the reset; pages still need a sign-in.
    assert not is_signed_in(client)
    assert client.get(PAGE).status_code == 302
    engineer.refresh_from_db()
    assert engineer.check_password(new_password)
    assert engineer.security_stamp == stamp + 1
    # The other session died with the stamp.
    assert other_session.get(PAGE)["Location"].startswith("/account/login/")
    # Signing in with the new password still asks for the second factor.
    response = sign_in(client, engineer.username, new_password)
    assert response["Location"].startswith("/account/mfa/verify/")
    assert client.get(PAGE)["Location"].startswith("/account/mfa/verify/")
    response = client.post("/account/mfa/verify/", {"code": next_unused_code(device)})
    assert response.status_code == 302
    assert client.get(PAGE).status_code == 200
    assert audit("password", message="reset link requested").exists()
    assert audit("password", actor=engineer, message__startswith="password reset").exists()


def test_reset_link_works_once(employee):
    client = Client()
    client.cookies["django_language"] = "en"
    client.post("/account/password-reset/", {"email": employee.email})
    link = _reset_link()
    form_url = client.get(link)["Location"]
    new_password = "another-new-passphrase-7"
    client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    again = Client()
    again.cookies["django_language"] = "en"
    response = again.get(link, follow=True)
    assert "This link is not valid" in response.content.decode()


def test_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(db):
    response = Client().post("/account/password-reset/", {"email": "nobody@example.nl"})
    assert response.status_code == 302 and response["Location"] == "/account/password-reset/sent/"
    assert mail.outbox == []


def test_reset_form_rejects_bad_input(employee):
    client = Client()
    client.cookies["django_language"] = "en"
    assert client.post("/account/password-reset/", {"email": "not an address"}).status_code == 400
    client.post("/account/password-reset/", {"email": employee.email})
    form_url = client.get(_reset_link())["Location"]
    response = client.post(form_url, {"new_password1": "short", "new_password2": "different"})
    assert response.status_code == 400
    employee.refresh_from_db()
    assert employee.check_password(PASSWORD)


def test_verified_client_helper_really_verifies(provider, make_user):
    # Guard for the helpers the other tests lean on.
    engineer = make_user(provider, "engineer")
    _client, device, _codes = enrolled_client(engineer)
    assert verified_client(engineer, device).get(PAGE).status_code == 200


@pytest.mark.parametrize("username", ["x" * 500, "nul\x00byte", ""])
def test_odd_usernames_give_a_clean_400(db, username):
    assert sign_in(Client(), username, "whatever").status_code == 400
