"""Statements per registered call through the API (docs/performance.md tracks the budget).

In production: token, role names, requester, BEGIN, reference UPDATE…RETURNING, INSERT
call, INSERT audit record, 4 for the requester's notification (preference, outbox,
outbox id, in-app), COMMIT = 12. In tests the worker's delivery runs eagerly after the
commit and adds 3."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from regie.api.models import ApiToken

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_stays_within_the_statement_budget(provider, venlo, make_user):
    agent = make_user(provider, "first_line")
    caller = make_user(venlo, "employee")
    _token, raw = ApiToken.issue(agent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.post("/api/v1/tickets", {"title": "warm-up", "requester": caller.pk}, format="json")
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/tickets", {"title": "Printer", "requester": caller.pk}, format="json")
    assert response.status_code == 201, response.content
    assert len(queries.captured_queries) <= 12 + 3, [q["sql"][:80] for q in queries.captured_queries]
