"""API v1 /changes with its action sub-resources, and the standard change templates."""

import json

import pytest
from django.test import Client

from regie.api.models import ApiToken
from regie.changes.choices import ChangeStatus
from regie.changes.factories import ChangeFactory
from regie.changes.models import Change, ChangeApproval

pytestmark = pytest.mark.django_db


def api(user):
    _token, raw = ApiToken.issue(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.cookies["django_language"] = "en"
    return client


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_create_submit_approve_schedule_through_the_api(engineer, lead, ict_manager, provider, storage, window):
    client = api(engineer)
    response = post(client, "/api/v1/changes", {
        "title": "Firmware SAN", "kind": "normal", "organisation": provider.pk, "items": [storage.pk],
        "risk": "high", "riskAssessment": "Uitval opslag", "testPlan": "Acceptatie", "testResult": "Geslaagd",
        "rollbackPlan": "Vorige firmware", "plannedStart": window[0].isoformat(), "plannedEnd": window[1].isoformat(),
    })
    assert response.status_code == 201, response.content
    change = response.json()
    assert change["reference"].startswith("WZG-") and change["itemIds"] == [storage.pk]
    path = f"/api/v1/changes/{change['id']}"
    response = post(client, f"{path}/status-changes", {"status": "submitted"})
    assert response.status_code == 201, response.content
    assert response.json()["impactSnapshot"]["item_count"] == 1
    assert post(api(lead), f"{path}/approvals", {"comment": "ok"}).status_code == 201
    response = post(api(ict_manager), f"{path}/approvals", {})
    assert response.json()["status"] == ChangeStatus.APPROVED
    assert len(response.json()["approvals"]) == 2
    response = post(client, f"{path}/status-changes", {"status": "scheduled"})
    assert response.json()["status"] == ChangeStatus.SCHEDULED


def test_refusals_are_problems_with_field_messages(engineer, lead, provider, draft, window):
    client = api(engineer)
    response = post(client, "/api/v1/changes", {
        "title": "X", "organisation": provider.pk, "items": [], "plannedStart": window[1].isoformat(),
        "plannedEnd": window[0].isoformat(),
    })
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "plannedEnd" in json.dumps(response.json())
    Change.all_objects.filter(pk=draft.pk).update(test_result="")
    response = post(client, f"/api/v1/changes/{draft.pk}/status-changes", {"status": "submitted"})
    assert response.status_code == 400 and "testResult" in json.dumps(response.json())
    response = post(api(lead), f"/api/v1/changes/{draft.pk}/approvals", {})
    assert response.status_code == 400 and "submitted" in json.dumps(response.json())
    response = post(client, f"/api/v1/changes/{draft.pk}/approvals", {})
    assert response.status_code == 400 and "advisory board" in json.dumps(response.json())
    assert not ChangeApproval.objects.exists()


def test_rejection_through_the_api(engineer, lead, draft):
    post(api(engineer), f"/api/v1/changes/{draft.pk}/status-changes", {"status": "submitted"})
    response = post(api(lead), f"/api/v1/changes/{draft.pk}/rejections", {})
    assert response.status_code == 400 and "comment" in json.dumps(response.json())
    response = post(api(lead), f"/api/v1/changes/{draft.pk}/rejections", {"comment": "Te riskant"})
    assert response.json()["status"] == ChangeStatus.REJECTED


def test_tenancy_and_read_only_for_participants(venlo_reader, venlo, roermond, engineer, venlo_server,
                                                roermond_server, django_assert_max_num_queries):
    own = ChangeFactory(organisation=venlo, owner=engineer, items=[venlo_server])
    other = ChangeFactory(organisation=roermond, owner=engineer, items=[roermond_server])
    for _ in range(5):
        ChangeFactory(organisation=venlo, owner=engineer, items=[venlo_server])
    client = api(venlo_reader)
    with django_assert_max_num_queries(16):
        response = client.get("/api/v1/changes")
    ids = {row["id"] for row in response.json()["results"]}
    assert own.pk in ids and other.pk not in ids
    assert client.get(f"/api/v1/changes/{other.pk}").status_code == 404
    assert post(client, f"/api/v1/changes/{other.pk}/approvals", {}).status_code == 404
    response = post(client, f"/api/v1/changes/{own.pk}/status-changes", {"status": "cancelled"})
    assert response.status_code == 403
    response = post(client, "/api/v1/changes", {"title": "X", "organisation": venlo.pk, "items": [venlo_server.pk]})
    assert response.status_code == 403


def test_filters_and_templates(engineer, draft, storage, template):
    client = api(engineer)
    assert client.get("/api/v1/changes", {"item": storage.pk}).json()["results"][0]["id"] == draft.pk
    assert client.get("/api/v1/changes", {"status": "approved"}).json()["results"] == []
    names = [row["code"] for row in client.get("/api/v1/standard-change-templates").json()["results"]]
    assert "windows-patches" in names


def test_openapi_documents_changes(db):
    schema = Client().get("/api/v1/openapi.json").json()
    for path in ("/changes", "/changes/{id}/approvals", "/changes/{id}/rejections", "/changes/{id}/status-changes",
                 "/standard-change-templates"):
        assert path in schema["paths"], path


def test_conflicts_in_list_and_detail(engineer, provider, draft, storage, window):
    other = ChangeFactory(organisation=provider, owner=engineer, items=[storage], planned_start=window[0],
                          planned_end=window[1])
    client = api(engineer)
    assert client.get(f"/api/v1/changes/{draft.pk}").json()["conflicts"] == [other.reference]
    rows = {row["id"]: row["conflicts"] for row in client.get("/api/v1/changes").json()["results"]}
    assert rows == {draft.pk: [other.reference], other.pk: [draft.reference]}
