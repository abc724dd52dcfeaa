"""/api/v1/tickets: scope per role, list (cursor, filters, sort), retrieve, create, update
with optimistic versions, and bad input of every kind (a 4xx problem, nothing written)."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from regie.api.models import ApiToken
from regie.api.views import TicketViewSet
from regie.core.models import AuditRecord
from regie.servicedesk.choices import TicketStatus
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.filtersets import TicketFilterSet
from regie.servicedesk.models import Ticket

URL = "/api/v1/tickets"


def bearer_client(user):
    _token, raw = ApiToken.issue(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.cookies["django_language"] = "en"
    return client


def post(client, body, url=URL):
    return client.post(url, json.dumps(body) if not isinstance(body, str) else body, content_type="application/json")


def patch(client, reference, body):
    return client.patch(f"{URL}/{reference}", json.dumps(body), content_type="application/json")


def problem(response, status):
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def invalid_names(response):
    return {param["name"] for param in problem(response, 400)["invalidParams"]}


def references(response):
    assert response.status_code == 200, response.content[:500]
    return [row["reference"] for row in response.json()["results"]]


@pytest.fixture
def people(provider, venlo, roermond, make_user):
    return {
        "employee": make_user(venlo, "employee", username="venlo.medewerker"),
        "colleague": make_user(venlo, "employee", username="venlo.collega"),
        "account_manager": make_user(venlo, "account_manager", username="venlo.accountmanager"),
        "roermond": make_user(roermond, "employee", username="roermond.medewerker"),
        "roermond_am": make_user(roermond, "account_manager", username="roermond.accountmanager"),
        "agent": make_user(provider, "first_line", username="helpdesk"),
        "auditor": make_user(provider, "auditor", username="auditor"),
    }


@pytest.fixture
def calls(people):
    return {
        "own": TicketFactory(requester=people["employee"], title="Eigen melding"),
        "colleague": TicketFactory(requester=people["colleague"], title="Melding collega"),
        "roermond": TicketFactory(requester=people["roermond"], title="Melding Roermond"),
    }


# --- scope per role ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_employee_sees_only_own_calls(people, calls):
    client = bearer_client(people["employee"])
    assert references(client.get(URL)) == [calls["own"].reference]
    assert client.get(f"{URL}/{calls['own'].reference}").status_code == 200
    problem(client.get(f"{URL}/{calls['colleague'].reference}"), 404)
    problem(client.get(f"{URL}/{calls['roermond'].reference}"), 404)


@pytest.mark.django_db
def test_account_manager_sees_the_municipality(people, calls):
    client = bearer_client(people["account_manager"])
    assert set(references(client.get(URL))) == {calls["own"].reference, calls["colleague"].reference}
    problem(client.get(f"{URL}/{calls['roermond'].reference}"), 404)


@pytest.mark.django_db
def test_provider_staff_see_every_call(people, calls):
    client = bearer_client(people["agent"])
    assert set(references(client.get(URL))) == {call.reference for call in calls.values()}


@pytest.mark.django_db
def test_without_the_ticket_permission_nothing_is_visible(people, calls):
    client = bearer_client(people["auditor"])
    assert references(client.get(URL)) == []
    problem(client.get(f"{URL}/{calls['own'].reference}"), 404)


@pytest.mark.django_db
def test_session_auth_needs_the_second_factor(people, calls, client_for, settings):
    settings.REGIE_MFA_FOR_PARTICIPANTS = True
    half = Client()
    half.force_login(people["agent"])
    problem(half.get(URL), 401)
    assert client_for(people["agent"]).get(URL).status_code == 200


# --- list: cursor, filters, sort ---------------------------------------------------------------


@pytest.mark.django_db
def test_list_filters_with_the_ui_filterset(people, calls):
    assert TicketViewSet.filterset_class is TicketFilterSet
    calls["colleague"].status = TicketStatus.IN_PROGRESS
    Ticket.all_objects.filter(pk=calls["colleague"].pk).update(status=TicketStatus.IN_PROGRESS)
    client = bearer_client(people["agent"])
    assert references(client.get(URL, {"status": TicketStatus.IN_PROGRESS})) == [calls["colleague"].reference]
    assert references(client.get(URL, {"q": "Roermond"})) == [calls["roermond"].reference]
    assert references(client.get(URL, {"q": calls["own"].reference.lower()})) == [calls["own"].reference]
    roermond_org = calls["roermond"].organisation_id
    assert references(client.get(URL, {"organisation": roermond_org})) == [calls["roermond"].reference]


@pytest.mark.django_db
def test_list_filter_errors_are_problems_naming_the_parameter(people, calls):
    client = bearer_client(people["agent"])
    assert invalid_names(client.get(URL, {"status": "bogus"})) == {"status"}
    assert invalid_names(client.get(URL, {"created_after": "yesterday"})) == {"created_after"}
    assert invalid_names(client.get(URL, {"organisation": "abc"})) == {"organisation"}


@pytest.mark.django_db
def test_a_foreign_organisation_filter_does_not_widen_the_scope(people, calls):
    client = bearer_client(people["account_manager"])
    response = client.get(URL, {"organisation": calls["roermond"].organisation_id})
    # The organisation is not among the choices: refused, never someone else's rows.
    assert invalid_names(response) == {"organisation"}


@pytest.mark.django_db
def test_list_sorts_on_created_at_both_ways(people):
    now = timezone.now()
    made = [TicketFactory(requester=people["employee"], created_at=now - timedelta(days=n)) for n in range(3)]
    client = bearer_client(people["employee"])
    newest_first = [t.reference for t in made]
    assert references(client.get(URL)) == newest_first
    assert references(client.get(URL, {"ordering": "-created_at"})) == newest_first
    assert references(client.get(URL, {"ordering": "created_at"})) == newest_first[::-1]
    # Cursor pages keep the chosen order.
    first = client.get(URL, {"ordering": "created_at", "pageSize": 2}).json()
    second = client.get(first["next"]).json()
    assert [r["reference"] for r in first["results"] + second["results"]] == newest_first[::-1]


@pytest.mark.django_db
def test_unknown_ordering_is_ignored_not_an_error(people, calls):
    client = bearer_client(people["employee"])
    for ordering in ["colour", "-password", "requester__password", "organisation__name", "created_at;DROP TABLE x"]:
        assert references(client.get(URL, {"ordering": ordering})) == [calls["own"].reference]


@pytest.mark.django_db
def test_page_size_is_capped(people):
    for _n in range(3):
        TicketFactory(requester=people["employee"])
    client = bearer_client(people["employee"])
    assert len(references(client.get(URL, {"pageSize": 1}))) == 1
    assert len(references(client.get(URL, {"pageSize": 100000}))) == 3
    assert len(references(client.get(URL, {"pageSize": "lots"}))) == 3


@pytest.mark.django_db
def test_invalid_cursor_is_a_problem_never_a_500(people, calls):
    client = bearer_client(people["employee"])
    for cursor in ["garbage", "cD0yMDI2", "%%%", "' OR 1=1 --", "eyJ4Ijoi" * 50]:
        response = client.get(URL, {"cursor": cursor})
        # An undecodable cursor is a problem; one that base64 reads as empty is the first page.
        assert response.status_code in (200, 400, 404), (cursor, response.status_code)
        if response.status_code != 200:
            problem(response, response.status_code)
    assert client.get(URL, {"cursor": "garbage"}).status_code == 404


@pytest.mark.django_db
def test_sql_meta_characters_in_filters_do_no_harm(people, calls):
    client = bearer_client(people["agent"])
    nasty = ["'", "\"", "'; DROP TABLE servicedesk_ticket; --", "%", "_", "\\", "\x00", "1 OR 1=1", "😀" * 50]
    for value in nasty:
        for name in ["q", "status", "organisation", "team", "priority", "created_after", "queue", "is_open"]:
            response = client.get(URL, {name: value})
            assert response.status_code in (200, 400), (name, value, response.status_code)
    assert Ticket.all_objects.count() == 3


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_page_size(people):
    for _n in range(30):
        TicketFactory(requester=people["colleague"])
    client = bearer_client(people["account_manager"])
    client.get(URL)  # the token's first use records last_used_at; not part of a list

    def count(page_size):
        with CaptureQueriesContext(connection) as queries:
            assert len(references(client.get(URL, {"pageSize": page_size}))) == page_size
        return len(queries)

    small, large = count(2), count(30)
    assert small == large, f"{small} queries for 2 rows, {large} for 30: an N+1"
    assert large <= 8


@pytest.mark.django_db
def test_other_list_endpoints_have_no_n_plus_one(people, venlo, make_user):
    for n in range(20):
        make_user(venlo, "employee", username=f"venlo.extra{n}")
    client = bearer_client(people["agent"])
    client.get(URL)  # the token's first use records last_used_at; not part of a list
    for url in ["/api/v1/people", "/api/v1/organisations", "/api/v1/audit-records"]:
        with CaptureQueriesContext(connection) as small:
            assert client.get(url, {"pageSize": 2}).status_code in (200, 404)
        with CaptureQueriesContext(connection) as large:
            assert client.get(url, {"pageSize": 50}).status_code in (200, 404)
        assert len(small) == len(large), url


# --- retrieve, create ------------------------------------------------------------------------


@pytest.mark.django_db
def test_retrieve_by_reference(people, calls):
    call = calls["own"]
    body = bearer_client(people["employee"]).get(f"{URL}/{call.reference}").json()
    assert body["reference"] == call.reference
    assert body["title"] == "Eigen melding"
    assert body["organisation"] == call.organisation_id
    assert body["version"] == call.version
    lower = bearer_client(people["employee"]).get(f"{URL}/{call.reference.lower()}")
    assert lower.status_code == 200 and lower.json()["reference"] == call.reference


@pytest.mark.django_db
def test_employee_creates_a_call_for_themselves(people):
    employee = people["employee"]
    response = post(bearer_client(employee), {"title": "Scherm flikkert", "description": "Sinds vanmorgen."})
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"].endswith(f"{URL}/{body['reference']}")
    assert body["reference"].startswith("VNL-")
    assert body["requester"] == employee.pk and body["createdBy"] == employee.pk
    assert body["organisation"] == employee.organisation_id
    assert body["status"] == TicketStatus.NEW
    ticket = Ticket.objects.for_user(employee).get(reference=body["reference"])
    assert AuditRecord.objects.unrestricted().filter(object_id=str(ticket.pk), action="create").exists()


@pytest.mark.django_db
def test_agent_registers_a_call_for_a_municipality_employee(people):
    response = post(bearer_client(people["agent"]), {"title": "Namens beller", "requester": people["roermond"].pk})
    assert response.status_code == 201, response.content
    assert response.json()["organisation"] == people["roermond"].organisation_id


@pytest.mark.django_db
def test_create_refuses_unknown_fields_and_the_organisation(people, roermond):
    client = bearer_client(people["employee"])
    cases = [
        ({"title": "x", "colour": "red", "urgent!": True}, {"colour", "urgent!"}),
        ({"title": "x", "organisation": roermond.pk}, {"organisation"}),
        ({"title": "x", "reference": "RMD-2026-000001"}, {"reference"}),
        ({"title": "x", "createdBy": people["agent"].pk}, {"createdBy"}),
        ({"title": "x", "created_by": people["agent"].pk}, {"created_by"}),
        ({"title": "x", "version": 7, "id": 1}, {"id"}),
    ]
    for body, names in cases:
        assert invalid_names(post(client, body)) == names, body
    assert Ticket.all_objects.count() == 0


@pytest.mark.django_db
def test_create_refuses_wrong_types(people):
    client = bearer_client(people["employee"])
    cases = [
        ({"title": ["a", "b"]}, {"title"}),
        ({"title": {"nl": "x"}}, {"title"}),
        ({"title": None}, {"title"}),
        ({}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"title": "x", "requester": "me"}, {"requester"}),
        ({"title": "x", "requester": [1]}, {"requester"}),
        ({"title": "x", "channel": 12}, {"channel"}),
        ({"title": "x", "description": 5.5, "channel": "pigeon"}, {"channel"}),
    ]
    for body, names in cases:
        assert names <= invalid_names(post(client, body)), body
    for raw in ["[]", '"title"', "42", "null"]:
        response = post(client, raw)
        assert response.status_code == 400, raw
        problem(response, 400)
    assert Ticket.all_objects.count() == 0


@pytest.mark.django_db
def test_create_refuses_a_requester_from_another_municipality(people):
    for who in ["employee", "account_manager"]:
        response = post(bearer_client(people[who]), {"title": "x", "requester": people["roermond"].pk})
        assert invalid_names(response) == {"requester"}
    # Nor a colleague, for an employee.
    response = post(bearer_client(people["employee"]), {"title": "x", "requester": people["colleague"].pk})
    assert invalid_names(response) == {"requester"}
    assert Ticket.all_objects.count() == 0


@pytest.mark.django_db
def test_create_refuses_agent_only_fields_from_a_participant(people):
    response = post(bearer_client(people["employee"]), {"title": "x", "status": TicketStatus.RESOLVED})
    assert invalid_names(response) == {"status"}
    assert Ticket.all_objects.count() == 0


@pytest.mark.django_db
def test_malformed_json_is_a_400_problem(people):
    client = bearer_client(people["employee"])
    for raw in ["{", '{"title": "x",}', "{'title': 'x'}", "\x00\x01", '{"title": "x"'.encode("utf-16")]:
        response = client.post(URL, raw, content_type="application/json")
        body = problem(response, 400)
        assert body["detail"]
    assert Ticket.all_objects.count() == 0


@pytest.mark.django_db
def test_oversized_body_is_a_413_problem(people, settings):
    settings.REGIE_MAX_REQUEST_BYTES = 2000
    client = bearer_client(people["employee"])
    response = post(client, {"title": "x", "description": "y" * 5000})
    body = problem(response, 413)
    assert "2000" in body["detail"]
    assert Ticket.all_objects.count() == 0


@pytest.mark.django_db
def test_anonymous_and_bad_tokens_get_401_problem(calls):
    problem(Client().get(URL), 401)
    problem(post(Client(), {"title": "x"}), 401)
    for header in ["Bearer", "Bearer a b", "Bearer nonsense", "Basic dXNlcjpwYXNz"]:
        response = Client(HTTP_AUTHORIZATION=header).get(URL)
        problem(response, 401)
    assert Ticket.all_objects.count() == 3


# --- update --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requester_patches_title_and_version_moves_on(people, calls):
    call = calls["own"]
    client = bearer_client(people["employee"])
    response = patch(client, call.reference, {"title": "Nieuwe titel", "version": call.version})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Nieuwe titel"
    assert response.json()["version"] == call.version + 1
    call.refresh_from_db()
    assert call.title == "Nieuwe titel"


@pytest.mark.django_db
def test_stale_version_is_a_409_problem_and_nothing_changes(people, calls):
    call = calls["own"]
    client = bearer_client(people["employee"])
    assert patch(client, call.reference, {"title": "Eerste", "version": call.version}).status_code == 200
    response = patch(client, call.reference, {"title": "Tweede", "version": call.version})
    body = problem(response, 409)
    assert body["detail"]
    call.refresh_from_db()
    assert call.title == "Eerste"


@pytest.mark.django_db
def test_put_replaces_the_writable_fields(people, calls):
    call = calls["own"]
    client = bearer_client(people["employee"])
    response = client.put(
        f"{URL}/{call.reference}",
        json.dumps({"title": "Helemaal nieuw", "description": "Andere tekst", "version": call.version}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    call.refresh_from_db()
    assert (call.title, call.description) == ("Helemaal nieuw", "Andere tekst")
    # PUT without the required title is refused.
    response = client.put(f"{URL}/{call.reference}", json.dumps({"description": "x"}),
                          content_type="application/json")
    assert invalid_names(response) == {"title"}


@pytest.mark.django_db
def test_update_refuses_what_the_caller_may_not_change(people, calls):
    call = calls["own"]
    client = bearer_client(people["employee"])
    assert invalid_names(patch(client, call.reference, {"status": TicketStatus.RESOLVED})) == {"status"}
    assert invalid_names(patch(client, call.reference, {"requester": people["colleague"].pk})) == {"requester"}
    assert invalid_names(patch(client, call.reference, {"organisation": 1})) == {"organisation"}
    assert invalid_names(patch(client, call.reference, {"version": "one"})) == {"version"}
    call.refresh_from_db()
    assert call.status == TicketStatus.NEW and call.requester == people["employee"]


@pytest.mark.django_db
def test_update_of_a_call_out_of_scope_is_404(people, calls):
    response = patch(bearer_client(people["roermond_am"]), calls["own"].reference, {"title": "Overgenomen"})
    problem(response, 404)
    response = patch(bearer_client(people["colleague"]), calls["own"].reference, {"title": "Overgenomen"})
    problem(response, 404)
    calls["own"].refresh_from_db()
    assert calls["own"].title == "Eigen melding"


@pytest.mark.django_db
def test_agent_moves_a_call_through_its_statuses(people, calls):
    call = calls["roermond"]
    client = bearer_client(people["agent"])
    response = patch(client, call.reference, {"status": TicketStatus.IN_PROGRESS, "version": call.version})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == TicketStatus.IN_PROGRESS
    # An impossible transition is a field error, not a 500.
    response = patch(client, call.reference, {"status": TicketStatus.NEW})
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert invalid_names(response) == {"status"}


# --- classification (service desk) -------------------------------------------------------------


@pytest.mark.django_db
def test_agent_classifies_and_field_errors_use_the_api_names(people, calls):
    from regie.core.factories import TeamFactory

    team = TeamFactory(organisation=people["agent"].organisation)
    client = bearer_client(people["agent"])
    call = calls["roermond"]
    # Priority 1 against a low impact/urgency needs a reason: named as the API names it.
    response = patch(client, call.reference, {"impact": 3, "urgency": 3, "priority": 1})
    assert invalid_names(response) == {"priorityReason"}
    response = patch(client, call.reference, {"impact": 3, "urgency": 3, "priority": 1,
                                              "priorityReason": "Raadsvergadering vanavond", "team": team.pk,
                                              "assignee": people["agent"].pk, "kind": "question"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["priority"], body["team"], body["assignee"], body["kind"]) == (1, team.pk, people["agent"].pk,
                                                                                 "question")
    # Only provider staff can be assigned.
    assert invalid_names(patch(client, call.reference, {"assignee": people["employee"].pk})) == {"assignee"}


@pytest.mark.django_db
def test_participant_may_not_classify(people, calls):
    client = bearer_client(people["employee"])
    response = post(client, {"title": "x", "priority": 1, "impact": 1})
    assert invalid_names(response) == {"priority", "impact"}
    response = patch(client, calls["own"].reference, {"urgency": 1})
    assert invalid_names(response) == {"urgency"}
    assert Ticket.all_objects.count() == 3


@pytest.mark.django_db
def test_a_team_or_service_outside_the_scope_is_refused(people, venlo, roermond):
    from regie.catalogue.choices import ServiceGroup
    from regie.catalogue.models import Service
    from regie.core.factories import TeamFactory

    roermond_team = TeamFactory(organisation=roermond)
    roermond_only = Service.objects.unrestricted().create(name="Roermond app", code="rmd-app",
                                                          group=ServiceGroup.APPLICATIONS)
    roermond_only.participants.add(roermond)
    client = bearer_client(people["employee"])
    assert invalid_names(post(client, {"title": "x", "service": roermond_only.pk})) == {"service"}
    assert "team" in invalid_names(post(client, {"title": "x", "team": roermond_team.pk}))
    assert Ticket.all_objects.count() == 0


@pytest.mark.django_db
def test_refused_create_leaves_the_connection_usable(people):
    """A domain refusal inside the create (priority without a reason) is a 400, and the very
    next request on the same connection still works (no broken transaction)."""
    client = bearer_client(people["agent"])
    refused = post(client, {"title": "x", "requester": people["employee"].pk, "priority": 1})
    assert invalid_names(refused) == {"priorityReason"}
    accepted = post(client, {"title": "x", "requester": people["employee"].pk, "priority": 1,
                             "priorityReason": "Wethouder zonder mail"})
    assert accepted.status_code == 201, accepted.content
    assert Ticket.all_objects.count() == 1
