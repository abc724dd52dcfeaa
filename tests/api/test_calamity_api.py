"""/api/v1/calamities: the calamity procedure through the API with the UI's rules (the
services in calamity.py decide) and the UI's visibility: provider staff see all; an affected
participant's account manager or representative reads the calamity and the communication
with their own organisation, nothing more; anyone else a 404. Bad input is a 4xx problem
with field messages, and nothing is written."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from regie.api.models import ApiToken
from regie.core.models import AuditRecord
from regie.servicedesk import calamity as rules
from regie.servicedesk.calamity_models import (
    Calamity,
    CalamityCommunication,
    CalamityDecision,
    CalamityStatus,
    TriageOutcome,
)
from regie.servicedesk.factories import TicketFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/calamities"
EVALUATION = {"whatHappened": "Mail lag 5 uur plat.", "cause": "Ransomware.", "wentWell": "Snelle isolatie.",
              "improvements": "Bijlagen strenger filteren."}


def bearer_client(user):
    _token, raw = ApiToken.issue(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.cookies["django_language"] = "en"
    return client


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
    return {
        "agent": make_user(provider, "first_line", username="helpdesk"),
        "lead": make_user(provider, "team_lead", username="teamleider"),
        "venlo_am": make_user(venlo, "account_manager", username="venlo.am"),
        "venlo_employee": make_user(venlo, "employee", username="venlo.medewerker"),
        "roermond_am": make_user(roermond, "account_manager", username="roermond.am"),
    }


@pytest.fixture
def call(people):
    return TicketFactory(requester=people["venlo_employee"], title="Mail doet het niet")


@pytest.fixture
def outbreak(people, call, roermond):
    calamity = rules.declare(people["agent"], title="Virusuitbraak", kind="virus_outbreak", ticket=call)
    rules.add_decision(people["agent"], calamity, decision="Mailserver uit", decision_type="shut_down")
    venlo = call.organisation
    rules.add_communication(people["agent"], calamity, organisation=venlo, channel="phone", message="Gebeld")
    rules.add_participant(people["agent"], calamity, roermond)
    rules.add_communication(people["agent"], calamity, organisation=roermond, channel="email", message="Gemaild")
    return calamity


# --- visibility -------------------------------------------------------------------------------


def test_who_sees_which_calamity(people, outbreak, venlo):
    other = rules.declare(people["agent"], title="Alleen intern", affected_participants=[])
    staff = bearer_client(people["agent"])
    assert [row["id"] for row in staff.get(URL).json()["results"]] == [other.pk, outbreak.pk]
    venlo_am = bearer_client(people["venlo_am"])
    assert [row["id"] for row in venlo_am.get(URL).json()["results"]] == [outbreak.pk]
    assert bearer_client(people["venlo_employee"]).get(URL).json()["results"] == []
    problem(bearer_client(people["venlo_employee"]).get(f"{URL}/{outbreak.pk}"), 404)
    problem(venlo_am.get(f"{URL}/{other.pk}"), 404)


def test_a_participant_reads_only_what_concerns_them(people, outbreak, venlo):
    client = bearer_client(people["venlo_am"])
    detail = client.get(f"{URL}/{outbreak.pk}").json()
    assert detail["title"] == "Virusuitbraak" and detail["crisisTeam"] == [] and detail["triage"] is None
    assert [phase["phase"] for phase in detail["phases"]] == ["identify", "isolate", "remove", "repair"]
    messages = [row["message"] for row in client.get(f"{URL}/{outbreak.pk}/communications").json()["results"]]
    assert messages == ["Gebeld"]
    problem(client.get(f"{URL}/{outbreak.pk}/decisions"), 404)
    problem(client.get(f"{URL}/{outbreak.pk}/incidents"), 404)
    # Read only: every write is refused, and nothing is written.
    problem(post(client, f"{URL}/{outbreak.pk}/communications",
                 {"organisation": venlo.pk, "channel": "phone", "message": "x"}), 403)
    problem(post(client, f"{URL}/{outbreak.pk}/close", EVALUATION), 403)
    problem(post(client, URL, {"title": "Zelf uitgeroepen"}), 403)
    assert CalamityCommunication.objects.count() == 2 and Calamity.objects.unrestricted().count() == 1


def test_staff_see_everything(people, outbreak, call):
    client = bearer_client(people["agent"])
    detail = client.get(f"{URL}/{outbreak.pk}").json()
    assert detail["crisisTeam"] == [people["agent"].pk]
    assert detail["nextUpdateAt"] is not None and detail["evaluation"] is None
    decisions = client.get(f"{URL}/{outbreak.pk}/decisions").json()["results"]
    assert [(d["decisionType"], d["shutDown"]) for d in decisions] == [("shut_down", True)]
    assert len(client.get(f"{URL}/{outbreak.pk}/communications").json()["results"]) == 2
    assert [c["reference"] for c in client.get(f"{URL}/{outbreak.pk}/incidents").json()["results"]] == [
        call.reference]


def test_list_filters_and_a_fixed_number_of_queries(people, venlo):
    for n in range(8):
        calamity = rules.declare(people["agent"], title=f"Storing {n}", affected_participants=[venlo])
        if n % 2:
            rules.close(people["agent"], calamity, evaluation_what_happened="a", evaluation_cause="b",
                        evaluation_went_well="c", evaluation_improvements="d")
    client = bearer_client(people["agent"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200 and len(response.json()["results"]) == 8
    assert len(queries) <= 12, [q["sql"] for q in queries.captured_queries]
    assert len(client.get(URL, {"status": "open"}).json()["results"]) == 4
    assert len(client.get(URL, {"status": "closed"}).json()["results"]) == 4
    assert invalid_names(client.get(URL, {"status": "onzin"})) == {"status"}


# --- declaring ----------------------------------------------------------------------------------


def test_declare_from_a_call_with_its_triage(people, call, roermond):
    agent = people["agent"]
    triage = rules.triage(agent, call, {"beveiliging": "yes"})
    assert triage.outcome == TriageOutcome.CALAMITY
    response = post(bearer_client(agent), URL, {
        "title": "Ransomware", "kind": "virus_outbreak", "ticket": call.reference.lower(), "triage": triage.pk,
        "affectedParticipants": [roermond.pk], "crisisTeam": [people["lead"].pk], "updateIntervalMinutes": 30,
    })
    assert response.status_code == 201, response.content[:600]
    body = response.json()
    assert response["Location"].endswith(f"{URL}/{body['id']}")
    assert set(body["affectedParticipants"]) == {call.organisation_id, roermond.pk}
    assert set(body["crisisTeam"]) == {agent.pk, people["lead"].pk}
    assert body["triage"] == triage.pk and body["updateIntervalMinutes"] == 30
    assert len(body["phases"]) == 4
    calamity = Calamity.objects.unrestricted().get(pk=body["id"])
    assert list(calamity.incidents.through.objects.values_list("ticket_id", flat=True)) == [call.pk]
    assert AuditRecord.objects.unrestricted().filter(content_type__model="calamity", action="create").exists()


@pytest.mark.parametrize(("body", "fields"), [
    ({}, {"title"}),
    ({"title": " "}, {"title"}),
    ({"title": "x", "kind": "brand"}, {"kind"}),
    ({"title": "x", "updateIntervalMinutes": 2}, {"updateIntervalMinutes"}),
    ({"title": "x", "ticket": "VNL-1999-000001"}, {"ticket"}),
    ({"title": "x", "triage": 1}, {"triage"}),
    ({"title": "x", "crisisTeam": ["venlo"]}, {"crisisTeam"}),
    ({"title": "x", "organisation": 1}, {"organisation"}),
])
def test_bad_declarations_are_refused_and_nothing_is_written(people, body, fields):
    assert invalid_names(post(bearer_client(people["agent"]), URL, body)) == fields
    assert not Calamity.objects.unrestricted().exists()


def test_a_participant_or_the_municipal_staff_cannot_be_crisis_team_or_affected(people, provider, venlo):
    client = bearer_client(people["agent"])
    assert invalid_names(post(client, URL, {"title": "x", "crisisTeam": [people["venlo_am"].pk]})) == {"crisisTeam"}
    assert invalid_names(post(client, URL, {"title": "x", "affectedParticipants": [provider.pk]})) == {
        "affectedParticipants"}
    assert not Calamity.objects.unrestricted().exists()


def test_a_participant_cannot_declare_even_from_their_own_call(people, call):
    response = post(bearer_client(people["venlo_am"]), URL, {"title": "x", "ticket": call.reference})
    problem(response, 403)
    assert not Calamity.objects.unrestricted().exists()


# --- logs, links, status and closure ------------------------------------------------------------


def test_decisions_communications_and_links(people, outbreak, roermond, make_user, venlo):
    client = bearer_client(people["agent"])
    response = post(client, f"{URL}/{outbreak.pk}/decisions", {"decisionType": "recovery", "decision": "Back-up"})
    assert response.status_code == 201 and response.json()["decidedBy"] == people["agent"].pk
    assert invalid_names(post(client, f"{URL}/{outbreak.pk}/decisions", {"decision": " "})) == {"decision"}
    assert invalid_names(post(client, f"{URL}/{outbreak.pk}/decisions",
                              {"decision": "x", "decisionType": "paniek"})) == {"decisionType"}
    assert CalamityDecision.objects.count() == 2

    other = make_user(roermond, "employee")
    roermond_call = TicketFactory(requester=other)
    response = post(client, f"{URL}/{outbreak.pk}/incidents", {"reference": roermond_call.reference})
    assert response.status_code == 201 and response.json()["reference"] == roermond_call.reference
    assert invalid_names(post(client, f"{URL}/{outbreak.pk}/incidents", {"reference": roermond_call.reference})) == {
        "reference"}
    assert invalid_names(post(client, f"{URL}/{outbreak.pk}/incidents", {"reference": "XXX-1"})) == {"reference"}

    from regie.core.factories import OrganisationFactory

    weert = OrganisationFactory(name="Gemeente Weert", code="WRT")
    assert invalid_names(post(client, f"{URL}/{outbreak.pk}/communications",
                              {"organisation": weert.pk, "channel": "phone", "message": "x"})) == {"organisation"}
    response = post(client, f"{URL}/{outbreak.pk}/communications",
                    {"organisation": roermond.pk, "channel": "in_person", "message": "Overleg",
                     "contacts": "Burgemeester"})
    assert response.status_code == 201 and response.json()["scheduledSlot"] is None
    assert CalamityCommunication.objects.count() == 3


def test_scheduled_updates_show_in_the_communication_log(people, venlo):
    start = timezone.now() - timedelta(minutes=65)
    calamity = rules.declare(people["agent"], title="Uitval BRP", affected_participants=[venlo],
                             update_interval_minutes=60, now=start)
    assert rules.send_due_updates() == 1
    rows = bearer_client(people["venlo_am"]).get(f"{URL}/{calamity.pk}/communications").json()["results"]
    assert len(rows) == 1 and rows[0]["scheduledSlot"] and rows[0]["sentBy"] is None and rows[0]["channel"] == (
        "notification")


def test_status_forward_only_and_closure_with_evaluation(people, outbreak):
    client = bearer_client(people["agent"])
    response = post(client, f"{URL}/{outbreak.pk}/status-changes", {"status": "recovering"})
    assert response.json()["status"] == "recovering"
    assert invalid_names(post(client, f"{URL}/{outbreak.pk}/status-changes", {"status": "declared"})) == {"status"}
    assert invalid_names(post(client, f"{URL}/{outbreak.pk}/status-changes", {"status": "closed"})) == {"status"}

    assert invalid_names(post(client, f"{URL}/{outbreak.pk}/close", {"whatHappened": "x"})) == {
        "cause", "wentWell", "improvements"}
    # A virus outbreak closes only once its four phases are done.
    assert invalid_names(post(client, f"{URL}/{outbreak.pk}/close", EVALUATION)) == {"non_field_errors"}
    outbreak.refresh_from_db()
    assert outbreak.status == CalamityStatus.RECOVERING and outbreak.closed_at is None
    for phase in outbreak.phases.all():
        rules.complete_phase(people["agent"], phase)
    response = post(client, f"{URL}/{outbreak.pk}/close", EVALUATION)
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert body["status"] == "closed" and body["closedBy"] == people["agent"].pk
    assert body["evaluation"] == EVALUATION and body["nextUpdateAt"] is None
    # Closed: no more decisions, no second closure.
    problem(post(client, f"{URL}/{outbreak.pk}/decisions", {"decision": "Te laat"}), 400)
    problem(post(client, f"{URL}/{outbreak.pk}/close", EVALUATION), 400)
    # The evaluation is read by the affected participant too.
    assert bearer_client(people["venlo_am"]).get(f"{URL}/{outbreak.pk}").json()["evaluation"] == EVALUATION


def test_another_municipality_gets_404_everywhere(people, outbreak):
    rules_free = Calamity.objects.unrestricted().get(pk=outbreak.pk)
    rules_free.affected_participants.remove(outbreak.affected_participants.get(code="RMD"))
    client = bearer_client(people["roermond_am"])
    for suffix in ("", "/communications", "/decisions", "/incidents"):
        problem(client.get(f"{URL}/{outbreak.pk}{suffix}"), 404)
    for suffix, body in (("/close", EVALUATION), ("/status-changes", {"status": "recovering"}),
                         ("/decisions", {"decision": "x"})):
        problem(post(client, f"{URL}/{outbreak.pk}{suffix}", body), 404)
