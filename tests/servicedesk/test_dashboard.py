"""Service-desk dashboard: compliance and lead times per participant, access, queries."""

from datetime import timedelta

import pytest
from django.utils import timezone

from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import Ticket
from regie.servicedesk.stats import resolution_performance

pytestmark = pytest.mark.django_db


def resolved(requester, hours, met, priority=3):
    now = timezone.now() - timedelta(days=1)
    ticket = TicketFactory(requester=requester, status="resolved", priority=priority)
    Ticket.all_objects.filter(pk=ticket.pk).update(
        created_at=now - timedelta(hours=hours), resolved_at=now,
        resolution_due_at=now + timedelta(hours=1) if met else now - timedelta(hours=1),
    )
    return ticket


def test_compliance_and_lead_times(venlo, roermond, make_user):
    caller = make_user(venlo, "employee")
    for hours in (1, 2, 3, 4):
        resolved(caller, hours, met=True)
    resolved(caller, 40, met=False, priority=1)
    resolved(make_user(roermond, "employee"), 5, met=False)
    performance = resolution_performance(Ticket.objects.unrestricted())
    venlo_row = performance["per_participant"]["Gemeente Venlo"]
    assert venlo_row["count"] == 5
    assert venlo_row["within_term_pct"] == 80.0
    assert venlo_row["median_hours"] == 3.0
    assert venlo_row["p90_hours"] == 40.0
    assert performance["per_participant"]["Gemeente Roermond"]["within_term_pct"] == 0.0
    assert performance["per_priority"][1]["count"] == 1


def test_access_and_scope(venlo, roermond, provider, make_user, client_for, django_assert_max_num_queries):
    resolved(make_user(venlo, "employee"), 2, met=True)
    resolved(make_user(roermond, "employee"), 2, met=True)
    assert client_for(make_user(venlo, "employee")).get("/calls/dashboard/").status_code == 404
    page = client_for(make_user(venlo, "account_manager")).get("/calls/dashboard/").content.decode()
    assert "Gemeente Venlo" in page and "Gemeente Roermond" not in page
    staff = client_for(make_user(provider, "team_lead"))
    with django_assert_max_num_queries(25):
        response = staff.get("/calls/dashboard/")
    assert response.status_code == 200
    assert "Gemeente Roermond" in response.content.decode()
