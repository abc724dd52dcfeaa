"""API v1: /request-types, /service-requests (submit, read, approvals/rejections/cost
acceptances as action sub-resources), /approvals, /fulfilment-tasks (completions)."""

import json

import pytest

from regie.api.models import ApiToken
from regie.fulfilment.factories import ServiceRequestFactory, seeded_type
from regie.fulfilment.models import FulfilmentTask, ServiceRequest

pytestmark = pytest.mark.django_db

ACCESS = {"system": "AD", "group": "GG_Financien_Lezen", "rights": "lezen"}


def api(user):
    from django.test import Client

    _token, raw = ApiToken.issue(user)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.cookies["django_language"] = "en"
    return client


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def reasons(response):
    return {p["name"]: p["reason"] for p in response.json()["invalidParams"]}


def test_request_types_are_listed_with_their_forms(employee):
    seeded_type("toegang")
    response = api(employee).get("/api/v1/request-types?pageSize=100")
    assert response.status_code == 200
    codes = {row["code"]: row for row in response.json()["results"]}
    assert codes["toegang"]["approvalSteps"] == ["manager"]
    assert codes["buiten-raas"]["outOfScope"] and codes["buiten-raas"]["providerDoes"]


def test_submit_approve_complete_through_the_api(employee, manager, agent):
    seeded_type("toegang")
    response = post(api(employee), "/api/v1/service-requests", {"requestType": "toegang", "values": ACCESS})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "approval" and data["reference"].startswith("VNL-")
    assert data["approvals"][0]["approver"] == manager.pk
    url = f"/api/v1/service-requests/{data['id']}"
    assert post(api(employee), f"{url}/approvals", {}).status_code == 403
    response = post(api(manager), f"{url}/approvals", {"comment": "Akkoord"})
    assert response.status_code == 201 and response.json()["status"] == "fulfilment"
    again = post(api(manager), f"{url}/rejections", {"comment": "toch niet"})
    assert again.status_code == 400 and "already been decided" in reasons(again)["decision"]
    task = response.json()["tasks"][0]["id"]
    assert post(api(employee), f"/api/v1/fulfilment-tasks/{task}/completions", {}).status_code == 404
    done = post(api(agent), f"/api/v1/fulfilment-tasks/{task}/completions", {"note": "Groep gevuld"})
    assert done.status_code == 201 and done.json()["status"] == "done"
    assert api(employee).get(url).json()["status"] == "fulfilled"


def test_refusals_are_problem_details_with_field_messages(employee):
    seeded_type("toegang")
    client = api(employee)
    response = post(client, "/api/v1/service-requests", {"requestType": "toegang",
                                                         "values": {**ACCESS, "group": "venlo.femke"}})
    assert response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")
    assert "single account" in reasons(response)["values.group"]
    response = post(client, "/api/v1/service-requests", {"requestType": "extra-opslag", "values": {
        "folder": "H:", "extra_gb": [1], "reason": "x"}})
    assert reasons(response)["values.extra_gb"] == "Enter a number."
    response = post(client, "/api/v1/service-requests", {"requestType": "toegang", "values": {}})
    assert "values.group" in reasons(response)
    response = post(client, "/api/v1/service-requests", {"requestType": "toegang", "values": ACCESS, "status": "x"})
    assert response.status_code == 400 and "status" in reasons(response)
    response = post(client, "/api/v1/service-requests", {"requestType": "buiten-raas", "values": {}})
    assert "outside the agreement" in reasons(response)["non_field_errors"]
    assert not ServiceRequest.objects.unrestricted().exists()


def test_another_municipality_gets_404(employee, outsider):
    request = ServiceRequestFactory(requester=employee)
    assert api(outsider).get(f"/api/v1/service-requests/{request.pk}").status_code == 404
    assert post(api(outsider), f"/api/v1/service-requests/{request.pk}/approvals", {}).status_code == 404
    assert api(outsider).get("/api/v1/service-requests").json()["results"] == []


def test_waiting_approvals_for_me(employee, manager):
    seeded_type("toegang")
    post(api(employee), "/api/v1/service-requests", {"requestType": "toegang", "values": ACCESS})
    assert len(api(manager).get("/api/v1/approvals?waiting=true").json()["results"]) == 1
    assert api(employee).get("/api/v1/approvals?waiting=true").json()["results"] == []


def test_list_query_count_does_not_grow(employee, django_assert_max_num_queries):
    for _ in range(5):
        ServiceRequestFactory(requester=employee)
    client = api(employee)
    client.get("/api/v1/service-requests")
    with django_assert_max_num_queries(12):
        response = client.get("/api/v1/service-requests")
    assert len(response.json()["results"]) == 5
    assert FulfilmentTask.objects.unrestricted().count() == 0
