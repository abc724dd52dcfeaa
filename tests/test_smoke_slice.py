"""The vertical slice: register a call, find it, open it, and the tenancy rule."""

import pytest

from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


def test_employee_registers_and_follows_a_call(venlo, make_user, client_for):
    employee = make_user(venlo, "employee")
    client = client_for(employee)
    response = client.post(
        "/calls/new/", {"title": "Printer op 2e verdieping doet niets", "description": "Papier vast"}
    )
    assert response.status_code == 302
    ticket = Ticket.objects.for_user(employee).get()
    assert ticket.reference.startswith("VNL-")
    assert ticket.organisation == venlo
    listing = client.get("/calls/")
    assert ticket.reference in listing.content.decode()
    detail = client.get(ticket.get_absolute_url())
    assert detail.status_code == 200


def test_other_municipality_gets_404(venlo, roermond, make_user, client_for):
    ticket = TicketFactory(requester=make_user(venlo, "employee"))
    outsider = make_user(roermond, "account_manager")
    response = client_for(outsider).get(ticket.get_absolute_url())
    assert response.status_code == 404
    assert ticket.title not in response.content.decode()


def test_unscoped_manager_returns_nothing(venlo, make_user):
    TicketFactory(requester=make_user(venlo, "employee"))
    assert Ticket.objects.count() == 0
    assert Ticket.objects.unrestricted().count() == 1
