"""API tokens: issue with password and second factor, list, revoke, expiry, throttling."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from signin_helpers import (
    PASSWORD,
    enrol,
    enrolled_client,
    last_used_code,
    let_throttle_pass,
    next_unused_code,
    sign_in,
)

from regie.api.models import ApiToken
from regie.core.accounts import deactivate_user
from regie.core.models import AuditRecord, LoginAttempt

TOKEN_URL = "/api/v1/auth/token"
LIST_URL = "/api/v1/auth/tokens"


@pytest.fixture
def api():
    client = Client()
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def employee(venlo, make_user):
    return make_user(venlo, "employee", username="venlo.medewerker", preferred_language="en")


@pytest.fixture
def engineer(provider, make_user):
    return make_user(provider, "engineer", username="beheerder", preferred_language="en")


@pytest.fixture
def no_participant_mfa(settings):
    settings.REGIE_MFA_FOR_PARTICIPANTS = False


def post_token(client, **body):
    return client.post(TOKEN_URL, body, content_type="application/json")


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def assert_problem(response, status):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and "detail" in body
    return body


def test_issue_a_token_without_mfa_when_policy_allows(api, employee, no_participant_mfa):
    response = post_token(api, username=employee.username, password=PASSWORD, name="script")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "token", "expiresAt"}
    token = ApiToken.objects.get(pk=body["id"])
    assert token.user == employee and token.name == "script"
    assert token.key_hash != body["token"]  # only a hash is stored
    listing = api.get(LIST_URL, **bearer(body["token"]))
    assert listing.status_code == 200
    [item] = listing.json()
    assert item["id"] == token.pk and item["current"] is True and item["prefix"] == body["token"][:8]
    assert "token" not in item and "keyHash" not in item and body["token"] not in listing.content.decode()
    assert AuditRecord.all_objects.filter(action="token", actor=employee, message="issued").exists()


def test_wrong_password_gives_401_problem(api, employee, no_participant_mfa):
    body = assert_problem(post_token(api, username=employee.username, password="wrong"), 401)
    assert "not correct" in body["detail"]
    assert not ApiToken.objects.exists()
    assert AuditRecord.all_objects.filter(action="login_failed", object_repr=employee.username).exists()


def test_unknown_user_gives_the_same_401(api, db):
    assert_problem(post_token(api, username="nobody", password="whatever"), 401)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "username"),
        ({"username": "x", "password": PASSWORD, "organisation": 1}, "organisation"),
        ({"username": ["x"], "password": PASSWORD}, "username"),
    ],
)
def test_malformed_bodies_give_400_with_invalid_params(api, db, body, field):
    response = api.post(TOKEN_URL, body, content_type="application/json")
    problem = assert_problem(response, 400)
    assert field in [param["name"] for param in problem["invalidParams"]]


def test_not_json_gives_400(api, db):
    response = api.post(TOKEN_URL, "{not json", content_type="application/json")
    assert_problem(response, 400)


def test_enrolled_user_must_send_a_valid_code(api, engineer):
    _session, device, codes = enrolled_client(engineer)
    body = assert_problem(post_token(api, username=engineer.username, password=PASSWORD), 401)
    assert [param["name"] for param in body["invalidParams"]] == ["code"]
    assert not ApiToken.objects.exists()

    body = assert_problem(
        post_token(api, username=engineer.username, password=PASSWORD, code=last_used_code(device)), 401
    )
    assert body["invalidParams"][0]["name"] == "code"
    let_throttle_pass(engineer)

    response = post_token(api, username=engineer.username, password=PASSWORD, code=next_unused_code(device))
    assert response.status_code == 201
    assert api.get(LIST_URL, **bearer(response.json()["token"])).status_code == 200
    # A recovery code works too, once.
    response = post_token(api, username=engineer.username, password=PASSWORD, code=codes[0])
    assert response.status_code == 201
    assert_problem(post_token(api, username=engineer.username, password=PASSWORD, code=codes[0]), 401)


def test_enrolled_participant_must_send_a_code_even_when_policy_is_off(api, employee, no_participant_mfa):
    session = Client()
    assert sign_in(session, employee.username)["Location"] == "/"
    enrol(session, employee)  # chose to enrol on the security page
    body = assert_problem(post_token(api, username=employee.username, password=PASSWORD), 401)
    assert body["invalidParams"][0]["name"] == "code"


def test_user_needing_mfa_without_enrolment_gets_403(api, engineer):
    body = assert_problem(post_token(api, username=engineer.username, password=PASSWORD, code="123456"), 403)
    assert "two-step" in body["detail"]
    assert not ApiToken.objects.exists()


def test_token_requests_are_throttled_like_sign_in(api, employee, no_participant_mfa, settings):
    settings.REGIE_LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert_problem(post_token(api, username=employee.username, password="wrong"), 401)
    response = post_token(api, username=employee.username, password=PASSWORD)
    body = assert_problem(response, 429)
    assert int(response["Retry-After"]) == body["retryAfterSeconds"] > 0
    assert "Too many failed sign-in attempts" in body["detail"]
    LoginAttempt.objects.update(attempted_at=timezone.now() - timedelta(seconds=60))
    assert post_token(api, username=employee.username, password=PASSWORD).status_code == 201


def _issue(client, user):
    response = post_token(client, username=user.username, password=PASSWORD)
    assert response.status_code == 201
    return response.json()


def test_revoke_a_token(api, employee, no_participant_mfa):
    first, second = _issue(api, employee), _issue(api, employee)
    response = api.delete(f"{LIST_URL}/{first['id']}", **bearer(second["token"]))
    assert response.status_code == 204
    assert ApiToken.objects.get(pk=first["id"]).revoked_at is not None
    body = assert_problem(api.get(LIST_URL, **bearer(first["token"])), 401)
    assert "revoked" in body["detail"]
    listing = api.get(LIST_URL, **bearer(second["token"])).json()
    assert {item["id"]: item["revokedAt"] is not None for item in listing} == {first["id"]: True, second["id"]: False}
    assert AuditRecord.all_objects.filter(action="token", actor=employee, message="revoked").count() == 1
    # Revoking again is harmless.
    assert api.delete(f"{LIST_URL}/{first['id']}", **bearer(second["token"])).status_code == 204


def test_cannot_see_or_revoke_someone_elses_token(api, employee, venlo, make_user, no_participant_mfa):
    colleague = make_user(venlo, "account_manager", username="venlo.accountmanager")
    mine, theirs = _issue(api, employee), _issue(api, colleague)
    assert [item["id"] for item in api.get(LIST_URL, **bearer(mine["token"])).json()] == [mine["id"]]
    assert_problem(api.delete(f"{LIST_URL}/{theirs['id']}", **bearer(mine["token"])), 404)
    assert ApiToken.objects.get(pk=theirs["id"]).revoked_at is None


def test_expired_token_gives_401_problem(api, employee, no_participant_mfa):
    issued = _issue(api, employee)
    ApiToken.objects.filter(pk=issued["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_problem(api.get(LIST_URL, **bearer(issued["token"])), 401)


def test_garbage_token_gives_401_problem(api, db):
    assert_problem(api.get(LIST_URL, **bearer("not-a-token")), 401)
    assert_problem(api.get(LIST_URL, HTTP_AUTHORIZATION="Bearer a b"), 401)
    assert_problem(api.get(LIST_URL), 401)


def test_deactivation_and_password_reset_kill_tokens(api, employee, provider, make_user, no_participant_mfa):
    from regie.core.accounts import password_was_reset

    issued = _issue(api, employee)
    password_was_reset(employee)
    assert_problem(api.get(LIST_URL, **bearer(issued["token"])), 401)
    issued = _issue(api, employee)
    admin = make_user(provider, "administrator", is_superuser=True)
    deactivate_user(admin, employee)
    assert_problem(api.get(LIST_URL, **bearer(issued["token"])), 401)


def test_verified_browser_session_can_list_tokens(engineer):
    session, _device, _codes = enrolled_client(engineer)
    assert session.get(LIST_URL).status_code == 200


def test_token_endpoints_are_in_the_openapi_document(engineer):
    session, _device, _codes = enrolled_client(engineer)
    response = session.get("/api/v1/openapi.json", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    assert "post" in paths["/auth/token"]
    assert "get" in paths["/auth/tokens"]
    assert "delete" in paths["/auth/tokens/{id}"]
    responses = paths["/auth/token"]["post"]["responses"]
    assert {"201", "401", "403", "429"} <= set(responses)


def test_a_token_request_reads_the_roles_with_the_token_and_sees_role_changes_at_once(provider, make_user):
    """The role codes come with the token lookup (one statement); a role taken away counts
    from the next request, nothing is cached between requests."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent = make_user(provider, "first_line", "auditor")
    _token, raw = ApiToken.issue(agent)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.get("/api/v1/tickets")  # the token's last use is written once a minute at most
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/api/v1/tickets").status_code == 200
    lookups = [q["sql"] for q in captured.captured_queries if "auth_group" in q["sql"]]
    assert len(lookups) == 1 and "api_apitoken" in lookups[0]  # roles read inside the token query

    from django.test import RequestFactory

    from regie.api.authentication import BearerTokenAuthentication

    def authenticate():
        return BearerTokenAuthentication().authenticate(RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {raw}"))

    user, _ = authenticate()
    assert user.role_codes == {"first_line", "auditor"}
    assert user.has_perm("servicedesk.handle_ticket")
    agent.groups.remove(Group.objects.get(name="first_line"))
    user, _ = authenticate()
    assert user.role_codes == {"auditor"}
    assert not user.has_perm("servicedesk.handle_ticket")
    agent.groups.clear()
    user, _ = authenticate()
    assert user.role_codes == set()


def test_the_token_lookup_makes_the_same_objects_as_the_orm(provider, venlo, make_user):
    """The bearer-token statement is written once per process (not composed through the ORM
    per request): what it makes must equal what the ORM loads, field by field, with the
    same converted types (aware datetimes, booleans) on SQLite and PostgreSQL."""
    from django.db import connection
    from django.test import RequestFactory
    from django.utils import timezone

    from regie.api.authentication import BearerTokenAuthentication
    from regie.core.models import Organisation, User

    for user in (make_user(venlo, "manager"), make_user(provider, "engineer", "incident_manager")):
        user.last_login = timezone.now()
        user.save()
        token, raw = ApiToken.issue(user, name="vergelijking")
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        request = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {raw}")
        with CaptureQueriesContext(connection) as captured:
            found_user, found_token = BearerTokenAuthentication().authenticate(request)
        assert len(captured) == 1  # token, user, organisation and roles; last use written < 60 s ago
        expected = {
            found_token: ApiToken.objects.get(pk=token.pk),
            found_user: User.objects.unrestricted().get(pk=user.pk),
            found_user.organisation: Organisation.objects.get(pk=user.organisation_id),
        }
        for made, loaded in expected.items():
            for field in type(loaded)._meta.concrete_fields:
                got, want = getattr(made, field.attname), getattr(loaded, field.attname)
                assert (got, type(got)) == (want, type(want)), field.name
        assert found_token.user is found_user
        assert found_user.role_codes == set(user.groups.values_list("name", flat=True))


def test_the_token_statement_finds_exactly_the_usable_tokens(employee):
    """The statement repeats `ApiToken.objects.usable()` in SQL: both must agree on live,
    revoked, expired and just-expired tokens."""
    from django.db import connection
    from django.utils import timezone

    from regie.api.authentication import _TokenLookup
    from regie.api.models import hash_token

    now = timezone.now()
    states = {
        "live": {},
        "revoked": {"revoked_at": now - timedelta(minutes=1)},
        "expired": {"expires_at": now - timedelta(days=1)},
        "expires now": {"expires_at": now},
        "revoked later": {"revoked_at": now + timedelta(days=1)},
    }
    lookup = _TokenLookup.for_connection(connection)
    for state, changes in states.items():
        token, raw = ApiToken.issue(employee, name=state)
        ApiToken.objects.filter(pk=token.pk).update(**changes)
        usable = ApiToken.objects.usable().filter(key_hash=hash_token(raw)).exists()
        found = lookup.find(connection, hash_token(raw), now)
        assert (found is not None) == usable, state
        assert usable == (state == "live"), state
