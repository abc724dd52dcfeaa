"""API v1: /agreement-versions and /agreement-proposals with the NLGov action sub-resources
`consents`, `refusals` and `status-changes`; refusals as 400 problem+json with the reason."""

import json

import pytest
from django.test import Client

from regie.agreement import services
from regie.agreement.choices import ProposalStatus
from regie.agreement.models import ChangeProposal, Consent
from regie.api.models import ApiToken

pytestmark = pytest.mark.django_db


def api(user):
    _token, raw = ApiToken.issue(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.cookies["django_language"] = "en"
    return client


def post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def test_versions_are_listed_with_their_signatories(version1, representatives, django_assert_max_num_queries):
    client = api(representatives[0])
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/agreement-versions")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["number"] == 1 and row["effectiveDate"] == "2025-01-01"
    names = [s["organisationName"] for s in row["signatories"]]
    assert "Gemeente Venlo" in names and names.count("another participant") == 3


def test_propose_open_and_consent_until_effective_through_the_api(version1, lead, representatives):
    response = post(api(lead), "/api/v1/agreement-proposals", {
        "title": "Certificaatbeheer", "changes": "Nieuwe §4.7.6", "reason": "Verlopen certificaten"})
    assert response.status_code == 201, response.content
    proposal = response.json()
    assert proposal["status"] == "draft" and proposal["reference"].startswith("DVO-W")
    path = f"/api/v1/agreement-proposals/{proposal['id']}"
    response = post(api(lead), f"{path}/status-changes", {"status": "open"})
    assert response.status_code == 201 and response.json()["status"] == "open"
    for index, representative in enumerate(representatives):
        response = post(api(representative), f"{path}/consents")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["consentsGiven"] == index + 1 and body["consentsRequired"] == 4
        if index < 3:
            assert body["status"] == "open"
            assert body["pending"] == [f"{3 - index} other participant" + ("s" if index < 2 else "")]
            assert len(api(lead).get(path).json()["pending"]) == 3 - index
    assert body["status"] == "effective" and body["resultingVersion"] is not None
    versions = api(lead).get("/api/v1/agreement-versions").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]


def test_refusals_are_problems_with_the_reason(open_proposal, representatives, participants, make_user):
    path = f"/api/v1/agreement-proposals/{open_proposal.pk}"
    response = post(api(make_user(participants[0], "account_manager")), f"{path}/consents")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "Only the representative" in json.dumps(response.json())
    client = api(representatives[0])
    response = post(client, f"{path}/refusals", {"reason": ""})
    assert response.status_code == 400 and "Give the reason for declining." in json.dumps(response.json())
    assert post(client, f"{path}/consents").status_code == 201
    response = post(client, f"{path}/consents")
    assert response.status_code == 400 and "already consented" in json.dumps(response.json())
    assert Consent.objects.unrestricted().count() == 1
    response = post(api(representatives[1]), f"{path}/refusals", {"reason": "Te duur"})
    assert response.status_code == 201 and response.json()["status"] == "rejected"
    response = post(api(representatives[2]), f"{path}/consents")
    assert response.status_code == 400 and "not open for consent" in json.dumps(response.json())


def test_status_changes_by_others_are_404_and_unknown_fields_refused(open_proposal, representatives, lead):
    path = f"/api/v1/agreement-proposals/{open_proposal.pk}"
    assert post(api(representatives[0]), f"{path}/status-changes", {"status": "withdrawn"}).status_code == 404
    response = post(api(lead), "/api/v1/agreement-proposals", {
        "title": "T", "changes": "C", "reason": "R", "status": "effective"})
    assert response.status_code == 400
    assert [param["name"] for param in response.json()["invalidParams"]] == ["status"]
    assert post(api(lead), f"{path}/status-changes", {"status": "withdrawn"}).json()["status"] == "withdrawn"
    assert ChangeProposal.objects.unrestricted().get(pk=open_proposal.pk).status == ProposalStatus.WITHDRAWN


def test_proposal_list_query_count_and_visibility(open_proposal, version1, lead, representatives, participants,
                                                  make_user, django_assert_max_num_queries):
    services.consent(representatives[1], open_proposal)
    for index in range(5):
        services.propose(lead, version1.agreement, {"title": f"T{index}", "changes": "C", "reason": "R"})
    client = api(representatives[0])
    with django_assert_max_num_queries(14):
        response = client.get("/api/v1/agreement-proposals")
    rows = response.json()["results"]
    assert len(rows) == 6
    opened = next(row for row in rows if row["id"] == open_proposal.pk)
    assert opened["consents"][0]["organisationName"] == "another participant"
    assert opened["consents"][0]["organisation"] is None
    assert api(make_user(participants[0], "employee")).get("/api/v1/agreement-proposals").json()["results"] == []


def test_openapi_documents_the_agreement_paths(lead):
    schema = api(lead).get("/api/v1/openapi.json").json()
    for path in ("/agreement-versions", "/agreement-proposals",
                 "/agreement-proposals/{id}/consents", "/agreement-proposals/{id}/refusals",
                 "/agreement-proposals/{id}/status-changes"):
        assert path in schema["paths"], path
