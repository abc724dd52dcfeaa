"""The service desk through the API, nested under /api/v1/tickets/{reference}: messages,
time entries, transfers, escalations, reopen, and resolving through PATCH. The same rules
as the UI (the services decide), problem+json with invalidParams for bad input with
nothing written, another municipality's call a 404, and lists with a fixed query count."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from regie.api.models import ApiToken
from regie.core.choices import TeamLine
from regie.core.factories import TeamFactory, UserFactory
from regie.servicedesk import conversation, services, time_entries
from regie.servicedesk.choices import ResolutionCode, TicketStatus
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import Escalation, Ticket, TicketMessage, TicketTransfer, TimeEntry

pytestmark = pytest.mark.django_db


def bearer_client(user):
    _token, raw = ApiToken.issue(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.cookies["django_language"] = "en"
    return client


def url(ticket, suffix):
    return f"/api/v1/tickets/{ticket.reference}/{suffix}"


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def problem(response, status):
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def invalid_names(response):
    return {param["name"] for param in problem(response, 400)["invalidParams"]}


@pytest.fixture
def people(provider, venlo, roermond, make_user):
    manager = make_user(venlo, "manager", username="venlo.manager")
    return {
        "employee": make_user(venlo, "employee", username="venlo.medewerker", manager=manager),
        "manager": manager,
        "account_manager": make_user(venlo, "account_manager", username="venlo.am"),
        "roermond": make_user(roermond, "account_manager", username="roermond.am"),
        "agent": make_user(provider, "first_line", username="helpdesk"),
        "engineer": make_user(provider, "engineer", username="monteur"),
    }


@pytest.fixture
def ticket(people):
    return TicketFactory(requester=people["employee"], title="Printer kapot")


@pytest.fixture
def clients(people):
    return {name: bearer_client(person) for name, person in people.items()}


# --- messages -------------------------------------------------------------------------------


def test_agent_replies_and_writes_internal_notes(ticket, clients):
    reply = post(clients["agent"], url(ticket, "messages"), {"body": "Wij komen eraan"})
    assert reply.status_code == 201, reply.content
    assert reply.json()["internal"] is False and "Wij komen eraan" in reply.json()["body"]
    note = post(clients["agent"], url(ticket, "messages"), {"body": "Bekende storing", "internal": True})
    assert note.status_code == 201 and note.json()["internal"] is True
    assert Ticket.objects.unrestricted().get(pk=ticket.pk).first_response_at is not None


def test_internal_notes_are_never_listed_to_participants(ticket, people, clients):
    conversation.add_message(people["agent"], ticket, "Openbaar antwoord")
    conversation.add_message(people["agent"], ticket, "Geheime notitie", internal=True)
    for name in ("employee", "manager", "account_manager"):
        response = clients[name].get(url(ticket, "messages"))
        assert response.status_code == 200, name
        bodies = [row["body"] for row in response.json()["results"]]
        assert len(bodies) == 1 and "Openbaar antwoord" in bodies[0], name
        assert "Geheime notitie" not in response.content.decode(), name
    staff = clients["agent"].get(url(ticket, "messages")).json()["results"]
    assert [row["internal"] for row in staff] == [False, True]  # oldest first


def test_requester_replies_but_may_not_write_notes(ticket, clients):
    assert post(clients["employee"], url(ticket, "messages"), {"body": "Nog steeds stuk"}).status_code == 201
    problem(post(clients["employee"], url(ticket, "messages"), {"body": "stiekem", "internal": True}), 403)
    assert TicketMessage.objects.unrestricted().filter(ticket=ticket).count() == 1


@pytest.mark.parametrize("body", [{}, {"body": ""}, {"body": "   "}, {"body": "x", "kind": "internal"},
                                  {"body": "x" * 50_001}, {"body": "<p></p>"}])
def test_bad_messages_are_refused(ticket, clients, body):
    response = post(clients["agent"], url(ticket, "messages"), body)
    assert invalid_names(response)
    assert not TicketMessage.objects.unrestricted().filter(ticket=ticket).exists()


def test_reply_to_a_closed_call_is_refused(ticket, people, clients):
    Ticket.objects.unrestricted().filter(pk=ticket.pk).update(status=TicketStatus.CLOSED)
    assert invalid_names(post(clients["agent"], url(ticket, "messages"), {"body": "Hallo"}))
    assert not TicketMessage.objects.unrestricted().filter(ticket=ticket).exists()


def test_message_list_queries_do_not_grow(ticket, people, clients):
    conversation.add_message(people["agent"], ticket, "Eerste")
    client = clients["agent"]
    client.get(url(ticket, "messages"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(ticket, "messages")).status_code == 200
    for n in range(10):
        author = UserFactory(organisation=people["agent"].organisation, roles=["engineer"])
        conversation.add_message(author, ticket, f"Bericht {n}", internal=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(ticket, "messages"))
    assert len(response.json()["results"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)


def test_messages_are_cursor_paginated(ticket, people, clients):
    for n in range(3):
        conversation.add_message(people["agent"], ticket, f"Bericht {n}")
    first = clients["agent"].get(url(ticket, "messages"), {"pageSize": 2}).json()
    assert len(first["results"]) == 2 and "cursor=" in first["next"]
    second = clients["agent"].get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None


# --- time entries ---------------------------------------------------------------------------


def test_agent_books_time_and_sees_entries(ticket, people, clients, venlo):
    response = post(clients["agent"], url(ticket, "time-entries"),
                    {"minutes": 45, "note": "Toner vervangen", "extraCost": True})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person"] == people["agent"].pk and body["organisation"] == venlo.pk
    assert body["minutes"] == 45 and body["extraCost"] is True
    sheet = clients["agent"].get(url(ticket, "time-entries")).json()
    assert sheet["totalMinutes"] == 45 and sheet["extraCostMinutes"] == 45
    assert [row["note"] for row in sheet["results"]] == ["Toner vervangen"]


def test_participants_see_totals_without_entries(ticket, people, clients):
    time_entries.register_time(people["agent"], ticket, 30, note="Interne toelichting")
    time_entries.register_time(people["engineer"], ticket, 60, extra_cost=True)
    for name in ("employee", "account_manager"):
        response = clients[name].get(url(ticket, "time-entries"))
        assert response.status_code == 200
        sheet = response.json()
        assert (sheet["totalMinutes"], sheet["extraCostMinutes"], sheet["results"]) == (90, 60, []), name
        assert "Interne toelichting" not in response.content.decode()


def test_participants_cannot_book_time(ticket, clients):
    problem(post(clients["employee"], url(ticket, "time-entries"), {"minutes": 30}), 403)
    assert not TimeEntry.objects.unrestricted().exists()


@pytest.mark.parametrize("body, field", [
    ({}, "minutes"),
    ({"minutes": 0}, "minutes"),
    ({"minutes": 1441}, "minutes"),
    ({"minutes": "veel"}, "minutes"),
    ({"minutes": 30, "date": "2099-01-01"}, "date"),
    ({"minutes": 30, "date": "not-a-date"}, "date"),
    ({"minutes": 30, "person": 1}, "person"),
    ({"minutes": 30, "note": "x" * 301}, "note"),
])
def test_bad_time_entries_are_refused(ticket, clients, body, field):
    assert field in invalid_names(post(clients["agent"], url(ticket, "time-entries"), body))
    assert not TimeEntry.objects.unrestricted().exists()


def test_time_too_far_back_and_another_organisation_are_refused(ticket, clients, roermond):
    old = (timezone.localdate() - timedelta(days=61)).isoformat()
    assert invalid_names(post(clients["agent"], url(ticket, "time-entries"), {"minutes": 30, "date": old})) == {
        "date"}
    names = invalid_names(post(clients["agent"], url(ticket, "time-entries"),
                               {"minutes": 30, "organisation": roermond.pk}))
    assert names == {"organisation"}
    assert not TimeEntry.objects.unrestricted().exists()


def test_time_entry_list_queries_do_not_grow(ticket, people, clients):
    time_entries.register_time(people["agent"], ticket, 10)
    client = clients["agent"]
    client.get(url(ticket, "time-entries"))
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(ticket, "time-entries")).status_code == 200
    for n in range(10):
        time_entries.register_time(UserFactory(organisation=people["agent"].organisation, roles=["engineer"]),
                                   ticket, n + 1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url(ticket, "time-entries"))
    assert len(response.json()["results"]) == 11
    assert len(many.captured_queries) == len(few.captured_queries)


# --- transfers and escalations --------------------------------------------------------------


def test_agent_hands_over_to_second_and_third_line(ticket, people, clients, provider):
    second = TeamFactory(organisation=provider, name="Werkplekbeheer", line=TeamLine.SECOND)
    supplier = TeamFactory(organisation=provider, name="Leverancier", line=TeamLine.THIRD)
    response = post(clients["agent"], url(ticket, "transfers"), {"toTeam": second.pk, "note": "Graag oppakken"})
    assert response.status_code == 201, response.content
    assert response.json()["toTeam"] == second.pk
    assert Ticket.objects.unrestricted().get(pk=ticket.pk).team == second
    names = invalid_names(post(clients["agent"], url(ticket, "transfers"), {"toTeam": supplier.pk, "note": "Naar HP"}))
    assert names == {"supplierReference"}
    response = post(clients["agent"], url(ticket, "transfers"),
                    {"toTeam": supplier.pk, "note": "Naar HP", "supplierReference": "HP-123"})
    assert response.status_code == 201
    assert Ticket.objects.unrestricted().get(pk=ticket.pk).status == TicketStatus.WAITING_FOR_SUPPLIER
    assert TicketTransfer.objects.filter(ticket=ticket).count() == 2


def test_bad_transfers_are_refused(ticket, clients, provider):
    team = TeamFactory(organisation=provider)
    for body, field in [({"toTeam": team.pk}, "note"), ({"note": "x"}, "toTeam"),
                        ({"toTeam": 999_999, "note": "x"}, "toTeam"), ({"toTeam": team.pk, "note": "   "}, "note")]:
        assert field in invalid_names(post(clients["agent"], url(ticket, "transfers"), body)), body
    problem(post(clients["employee"], url(ticket, "transfers"), {"toTeam": team.pk, "note": "zelf"}), 403)
    assert not TicketTransfer.objects.filter(ticket=ticket).exists()


def test_escalation_steps(ticket, people, clients):
    response = post(clients["manager"], url(ticket, "escalations"), {"step": 1, "reason": "Duurt te lang"})
    assert response.status_code == 201, response.content
    problem(post(clients["manager"], url(ticket, "escalations"), {"step": 2, "reason": "Nog steeds"}), 403)
    assert "step" in invalid_names(post(clients["agent"], url(ticket, "escalations"), {"step": 3, "reason": "x"}))
    assert "step" in invalid_names(post(clients["agent"], url(ticket, "escalations"), {"step": 1, "reason": "x"}))
    assert "step" in invalid_names(post(clients["agent"], url(ticket, "escalations"), {"step": 4, "reason": "x"}))
    assert "reason" in invalid_names(post(clients["agent"], url(ticket, "escalations"), {"step": 2, "reason": " "}))
    assert post(clients["agent"], url(ticket, "escalations"), {"step": 2, "reason": "Teamleider"}).status_code == 201
    listed = clients["employee"].get(url(ticket, "escalations")).json()["results"]
    assert [row["step"] for row in listed] == [1, 2]
    assert Escalation.objects.filter(ticket=ticket).count() == 2


def test_employee_cannot_escalate_own_call(ticket, clients):
    problem(post(clients["employee"], url(ticket, "escalations"), {"step": 1, "reason": "Ik wil sneller"}), 403)
    assert not Escalation.objects.filter(ticket=ticket).exists()


# --- resolving through PATCH, reopening ----------------------------------------------------


def resolve(client, ticket, **extra):
    body = {"status": "resolved", "resolutionCode": "solved", "resolutionText": "Toner vervangen", **extra}
    return client.patch(f"/api/v1/tickets/{ticket.reference}", json.dumps(body), content_type="application/json")


def test_agent_resolves_with_code_and_text_through_patch(ticket, clients):
    response = clients["agent"].patch(f"/api/v1/tickets/{ticket.reference}", json.dumps({"status": "resolved"}),
                                      content_type="application/json")
    assert "resolutionText" in invalid_names(response)
    response = resolve(clients["agent"], ticket)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "resolved" and body["resolutionCode"] == "solved" and body["resolvedAt"]
    assert "resolutionCode" in invalid_names(resolve(clients["agent"], ticket, resolutionCode="maybe"))


def test_requester_cannot_set_the_resolution(ticket, clients):
    assert "resolutionText" in invalid_names(resolve(clients["employee"], ticket))
    assert Ticket.objects.unrestricted().get(pk=ticket.pk).status == TicketStatus.NEW


def test_requester_reopens_through_the_api(ticket, people, clients):
    assert resolve(clients["agent"], ticket).status_code == 200
    response = post(clients["employee"], url(ticket, "reopen"), {"reason": "Hij piept nog"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_progress"
    assert TicketMessage.objects.unrestricted().filter(ticket=ticket, body_html__contains="Hij piept nog").exists()


def test_reopen_refusals(ticket, people, clients):
    # Not resolved yet.
    assert "status" in invalid_names(post(clients["employee"], url(ticket, "reopen"), {"reason": "x"}))
    assert resolve(clients["agent"], ticket).status_code == 200
    assert "reason" in invalid_names(post(clients["employee"], url(ticket, "reopen"), {}))
    assert "reason" in invalid_names(post(clients["employee"], url(ticket, "reopen"), {"reason": "   "}))
    problem(post(clients["account_manager"], url(ticket, "reopen"), {"reason": "x"}), 403)
    Ticket.objects.unrestricted().filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=6))
    assert "status" in invalid_names(post(clients["employee"], url(ticket, "reopen"), {"reason": "Te laat"}))
    assert Ticket.objects.unrestricted().get(pk=ticket.pk).status == TicketStatus.RESOLVED
    assert not TicketMessage.objects.unrestricted().filter(ticket=ticket).exists()


def test_reopen_of_a_closed_call_is_refused(ticket, people, clients):
    resolved = services.update_ticket(people["agent"], ticket, {
        "status": TicketStatus.RESOLVED, "resolution_code": ResolutionCode.SOLVED, "resolution_text": "Klaar"})
    services.update_ticket(people["agent"], resolved, {"status": TicketStatus.CLOSED})
    assert "status" in invalid_names(post(clients["employee"], url(ticket, "reopen"), {"reason": "Toch niet"}))
    assert Ticket.objects.unrestricted().get(pk=ticket.pk).status == TicketStatus.CLOSED


# --- isolation ------------------------------------------------------------------------------


def test_another_municipality_gets_404_everywhere(ticket, people, clients, provider):
    conversation.add_message(people["agent"], ticket, "Antwoord")
    time_entries.register_time(people["agent"], ticket, 30)
    team = TeamFactory(organisation=provider)
    outsider = clients["roermond"]
    for suffix in ("messages", "time-entries", "escalations"):
        problem(outsider.get(url(ticket, suffix)), 404)
    for suffix, body in [("messages", {"body": "hallo"}), ("time-entries", {"minutes": 5}),
                         ("escalations", {"step": 1, "reason": "x"}), ("transfers", {"toTeam": team.pk, "note": "x"}),
                         ("reopen", {"reason": "x"})]:
        problem(post(outsider, url(ticket, suffix), body), 404)
    assert TicketMessage.objects.unrestricted().filter(ticket=ticket).count() == 1
    assert TimeEntry.objects.unrestricted().count() == 1


def test_a_colleague_without_sight_of_the_call_gets_404(ticket, venlo, make_user):
    colleague = bearer_client(make_user(venlo, "employee"))
    problem(colleague.get(url(ticket, "messages")), 404)
    problem(colleague.get(url(ticket, "time-entries")), 404)


def test_lowercase_references_are_accepted(ticket, clients):
    response = clients["agent"].get(f"/api/v1/tickets/{ticket.reference.lower()}/messages")
    assert response.status_code == 200


def test_anonymous_gets_401(ticket):
    problem(Client().get(url(ticket, "messages")), 401)
