"""NLGov REST API Design Rules 2.0 (Logius), rule by rule, for /api/v1.

API-03 standard methods only · API-20 major version in the URI · API-48 no trailing
slashes · API-54 plural resource names · API-51 OpenAPI 3 document at /openapi.json ·
API-57 API-Version header · API-56 semantic versioning · RFC 9457 problem details
(with invalidParams as in the NLGov problem extension).
"""

import json
import re

import pytest
from django.conf import settings
from django.test import Client

from regie.api.models import ApiToken
from regie.servicedesk.factories import TicketFactory

KEBAB_PLURAL = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")
# Path segments that are actions on a resource, not resources (NLGov API-10 allows them).
# "auth/token" issues a token (an action; the tokens themselves are /auth/tokens).
ACTION_SEGMENTS = {"deadline", "working-minutes", "token", "reopen", "close", "apply"}
NAMESPACES = {"auth"}
IRREGULAR_PLURALS = {"people"}


@pytest.fixture
def schema(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


@pytest.fixture
def employee(venlo, make_user):
    return make_user(venlo, "employee", username="venlo.medewerker")


def bearer_client(user):
    _token, raw = ApiToken.issue(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.cookies["django_language"] = "en"
    return client


def assert_problem(response, status):
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert "type" in body
    return body


# --- OpenAPI document -------------------------------------------------------------------------


def test_openapi_document_is_json_3_0_with_contact_version_and_servers(schema):
    assert schema["openapi"].startswith("3.0.")
    info = schema["info"]
    assert info["contact"]["email"] and info["contact"]["name"]
    assert SEMVER.match(info["version"]), info["version"]
    assert info["version"] == settings.API_VERSION
    assert schema["servers"] and schema["servers"][0]["url"].endswith("/api/v1")


def test_openapi_paths_are_plural_kebab_case_without_trailing_slash(schema):
    assert schema["paths"], "the document lists no paths"
    for path in schema["paths"]:
        assert path.startswith("/") and not path.startswith("/api/"), f"{path}: servers carry /api/v1"
        assert path == "/" or not path.endswith("/"), f"{path}: trailing slash"
        segments = [s for s in path.strip("/").split("/") if s]
        for segment in segments:
            if segment.startswith("{"):
                continue
            assert KEBAB_PLURAL.match(segment), f"{path}: {segment!r} is not kebab-case"
            if segment in ACTION_SEGMENTS or segment in NAMESPACES:
                continue
            assert segment.endswith("s") or segment in IRREGULAR_PLURALS, f"{path}: {segment!r} is not plural"


def test_openapi_operations_use_standard_methods_and_document_problems(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert method in {"get", "post", "put", "patch", "delete"}, f"{method} {path}"
            assert operation.get("operationId"), f"{method} {path}"


def test_openapi_documents_api_version_header_and_problem_responses(schema):
    assert "invalidParams" in schema["components"]["schemas"]["ProblemDetails"]["properties"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            for code, response in operation["responses"].items():
                assert "API-Version" in response.get("headers", {}), f"{method} {path} {code}"
            problems = [code for code, response in operation["responses"].items()
                        if code.startswith("4") and "application/problem+json" in response.get("content", {})]
            assert problems, f"{method} {path} documents no problem+json error"
    patch = schema["paths"]["/tickets/{reference}"]["patch"]["responses"]
    assert "409" in patch and "400" in patch


def test_openapi_ticket_list_documents_cursor_and_the_ui_filters(schema):
    parameters = {p["name"] for p in schema["paths"]["/tickets"]["get"]["parameters"]}
    assert {"cursor", "pageSize", "ordering", "q", "status", "organisation", "created_after"} <= parameters


def test_openapi_document_is_served_as_json_whatever_the_accept_header(db):
    response = Client().get("/api/v1/openapi.json", HTTP_ACCEPT="application/yaml, */*")
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)["openapi"].startswith("3.0")


def test_docs_page_is_swagger_ui_from_our_own_static_files(db):
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    script = Client().get("/api/v1/docs", {"script": ""})
    assert script.status_code == 200
    assert "/api/v1/openapi.json" in script.content.decode()
    assert "cdn" not in html.lower() and "unpkg" not in html.lower() and "jsdelivr" not in html.lower()
    csp = response["Content-Security-Policy"]
    assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "'unsafe-eval'" not in csp


# --- API-Version on every response -----------------------------------------------------------


@pytest.mark.django_db
def test_api_version_header_on_success_and_every_kind_of_error(employee, settings):
    ticket = TicketFactory(requester=employee)
    client = bearer_client(employee)
    cases = [
        (client.get("/api/v1/tickets"), 200),
        (client.get("/api/v1"), 200),
        (client.get("/api/v1/openapi.json"), 200),
        (client.get("/api/v1/docs"), 200),
        (client.post("/api/v1/tickets", {"title": 5, "colour": "red"}, content_type="application/json"), 400),
        (Client().get("/api/v1/tickets"), 401),
        (Client(HTTP_AUTHORIZATION="Bearer not-a-token").get("/api/v1/tickets"), 401),
        (client.get("/api/v1/tickets/VNL-2000-999999"), 404),
        (client.get("/api/v1/no-such-resource"), 404),
        (client.get("/api/v2/tickets"), 404),
        (client.get("/api/v1/tickets/"), 404),
        (client.delete(f"/api/v1/tickets/{ticket.reference}"), 405),
        (client.generic("PROPFIND", "/api/v1/tickets"), 405),
        (client.post("/api/v1/tickets", "x" * 200, content_type="application/json",
                     CONTENT_LENGTH=str(settings.REGIE_MAX_REQUEST_BYTES + 1)), 413),
        (client.post("/api/v1/tickets", "{", content_type="application/json"), 400),
        (client.post("/api/v1/tickets", "title=x", content_type="application/x-www-form-urlencoded"), 415),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.wsgi_request.method, response.wsgi_request.path,
                                                 response.status_code, response.content[:300])
        assert response["API-Version"] == settings.API_VERSION, response.wsgi_request.path
        if status >= 400:
            assert_problem(response, status)


def test_html_pages_carry_no_api_version_header(db):
    assert "API-Version" not in Client().get("/account/login/")


# --- problem details ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_api_paths_are_problem_404_not_html(employee):
    client = bearer_client(employee)
    for path in ["/api/v1/nothing-here", "/api/v1/", "/api/v1/tickets/", "/api/", "/api/v0/tickets",
                 "/api/v1/tickets/X/Y/Z"]:
        for method in ["get", "post", "delete"]:
            response = getattr(client, method)(path)
            body = assert_problem(response, 404)
            assert body["instance"] == path
            assert "<html" not in response.content.decode().lower()


@pytest.mark.django_db
def test_unknown_api_path_for_anonymous_is_also_a_problem_404():
    body = assert_problem(Client().post("/api/v1/whatever", "{}", content_type="application/json"), 404)
    assert body["detail"]


@pytest.mark.django_db
def test_validation_problem_names_each_field(employee):
    client = bearer_client(employee)
    unknown = client.post("/api/v1/tickets", {"title": "Printer", "colour": "red", "organisation": 1},
                          content_type="application/json")
    body = assert_problem(unknown, 400)
    assert {param["name"] for param in body["invalidParams"]} == {"colour", "organisation"}

    wrong = client.post("/api/v1/tickets", {"title": "", "description": ["not", "text"], "channel": "pigeon"},
                        content_type="application/json")
    body = assert_problem(wrong, 400)
    assert {param["name"] for param in body["invalidParams"]} == {"title", "description", "channel"}
    for param in body["invalidParams"]:
        assert set(param) == {"name", "code", "reason"}
        assert param["reason"] and param["code"]
    assert {param["code"] for param in body["invalidParams"]} >= {"blank", "invalid_choice"}


@pytest.mark.django_db
def test_problem_messages_follow_the_language(employee):
    client = bearer_client(employee)
    client.cookies["django_language"] = "nl"
    body = client.post("/api/v1/tickets", {"title": ""}, content_type="application/json").json()
    dutch = body["invalidParams"][0]["reason"]
    client.cookies["django_language"] = "en"
    body = client.post("/api/v1/tickets", {"title": ""}, content_type="application/json").json()
    assert body["invalidParams"][0]["reason"] == "This field may not be blank."
    assert dutch != "This field may not be blank."


@pytest.mark.django_db
def test_non_standard_methods_are_refused_with_405_problem(employee):
    ticket = TicketFactory(requester=employee)
    client = bearer_client(employee)
    for method in ["PROPFIND", "TRACE", "CONNECT", "LINK", "FOO"]:
        for path in ["/api/v1/tickets", f"/api/v1/tickets/{ticket.reference}", "/api/v1/organisations"]:
            response = client.generic(method, path)
            assert_problem(response, 405)
    # DELETE is not offered on calls: 405 with Allow listing what is.
    response = client.delete(f"/api/v1/tickets/{ticket.reference}")
    assert_problem(response, 405)
    assert "DELETE" not in response["Allow"] and "PATCH" in response["Allow"]


@pytest.mark.django_db
def test_every_api_route_answers_odd_methods_with_a_problem(employee, settings):
    """Walk the resolver: every /api/ route refuses a non-standard method with a 405 (or,
    for a detail it cannot find, 404) problem carrying API-Version."""
    from django.urls import URLPattern, URLResolver, get_resolver

    def routes(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from routes(entry.url_patterns, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                yield prefix + str(entry.pattern)

    ticket = TicketFactory(requester=employee)
    client = bearer_client(employee)
    walked = 0
    for route in routes(get_resolver().url_patterns):
        if not route.startswith("api/"):
            continue
        path = "/" + re.sub(r"\(\?P<[^>]+>[^)]+\)|<[^>]+>", ticket.reference if "tickets" in route else "1",
                            route.replace("^", "").replace("$", "").replace("\\Z", ""))
        for method in ["PROPFIND", "FOO"]:
            response = client.generic(method, path)
            assert response.status_code in (404, 405), (method, path, response.status_code)
            assert_problem(response, response.status_code)
            assert response["API-Version"] == settings.API_VERSION
            walked += 1
    assert walked >= 30


@pytest.mark.django_db
def test_options_and_head_are_answered(employee):
    client = bearer_client(employee)
    assert client.head("/api/v1/tickets").status_code == 200
    assert client.options("/api/v1/tickets").status_code == 200


@pytest.mark.django_db
def test_lists_are_cursor_paginated(employee):
    for _n in range(3):
        TicketFactory(requester=employee)
    client = bearer_client(employee)
    first = client.get("/api/v1/tickets", {"pageSize": 2}).json()
    assert set(first) >= {"next", "previous", "results"}
    assert len(first["results"]) == 2 and "cursor=" in first["next"]
    assert "page=" not in first["next"] and "offset=" not in first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    seen = {t["reference"] for t in first["results"]} | {t["reference"] for t in second["results"]}
    assert len(seen) == 3


@pytest.mark.django_db
def test_every_list_endpoint_is_cursor_paginated(schema, employee, provider):
    client = bearer_client(employee)
    lists = [path for path, ops in schema["paths"].items() if "{" not in path and "get" in ops
             and path not in {"/auth/tokens"}]
    assert "/tickets" in lists and "/organisations" in lists
    for path in lists:
        parameters = {p["name"] for p in schema["paths"][path]["get"].get("parameters", [])}
        assert "cursor" in parameters, path
        response = client.get(f"/api/v1{path}")
        assert response.status_code in (200, 404), path
        if response.status_code == 200:
            assert set(response.json()) >= {"next", "previous", "results"}, path


@pytest.mark.django_db
def test_root_lists_the_resources_without_trailing_slashes(employee):
    body = Client().get("/api/v1").json()
    for key in ["tickets", "organisations", "people", "openapi", "docs"]:
        assert not body[key].endswith("/"), body[key]
