"""Raising a change from a call (e.g. a service request that alters infrastructure): the
call's page lists the changes raised from it and offers "Raise a change" to change staff;
the change form starts from the call."""

import pytest
from django.urls import reverse

from regie.changes.factories import ChangeFactory
from regie.changes.models import Change
from regie.cmdb.models import AffectedItem
from regie.servicedesk.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(venlo, venlo_server, engineer, make_user):
    requester = make_user(venlo, "employee", username="chg.caller")
    ticket = TicketFactory(organisation=venlo, requester=requester, kind="service_request",
                           title="Extra schijf voor VNL-APP-01", description="Ruimte voor het archief.")
    AffectedItem.all_objects.create(ticket=ticket, item=venlo_server, added_by=engineer)
    return ticket


def panel(client, ticket):
    return client.get(reverse("changes:ticket-panel", args=[ticket.reference]))


def test_call_page_loads_the_changes_card(client_for, engineer, call):
    page = client_for(engineer).get(reverse("servicedesk:ticket-detail", args=[call.reference])).content.decode()
    assert reverse("changes:ticket-panel", args=[call.reference]) in page


def test_panel_offers_raise_a_change_and_the_form_starts_from_the_call(client_for, engineer, call, venlo):
    client = client_for(engineer)
    body = panel(client, call).content.decode()
    assert "No change raised from this call." in body
    create_url = f"{reverse('changes:create')}?call={call.reference}"
    assert create_url in body
    form = client.get(create_url).context["form"]
    assert form.initial["ticket_reference"] == call.reference
    assert form.initial["items"] == "VNL-APP-01"
    assert form.initial["organisation"] == venlo.pk and form.initial["title"] == call.title
    assert call.reference in form.initial["description"]


def test_saving_the_prefilled_form_links_the_change_and_the_panel_lists_it(client_for, engineer, call, venlo):
    client = client_for(engineer)
    response = client.post(reverse("changes:create"), {
        "title": call.title, "kind": "normal", "organisation": venlo.pk, "items": "VNL-APP-01", "risk": "low",
        "ticket_reference": call.reference,
    })
    assert response.status_code == 302
    change = Change.objects.unrestricted().get(ticket=call)
    body = panel(client, call).content.decode()
    assert change.reference in body and "No change raised" not in body


def test_an_unknown_or_foreign_call_starts_an_empty_form(client_for, engineer):
    form = client_for(engineer).get(f"{reverse('changes:create')}?call=M-0000-0000").context["form"]
    assert "ticket_reference" not in form.initial


def test_a_reader_sees_the_list_but_not_the_button(client_for, venlo_reader, call, engineer, venlo):
    ChangeFactory(organisation=venlo, owner=engineer, ticket=call, title="Schijf bijplaatsen")
    body = panel(client_for(venlo_reader), call).content.decode()
    assert "Schijf bijplaatsen" in body and "Raise a change" not in body


def test_another_municipality_gets_404(client_for, roermond_reader, call):
    assert panel(client_for(roermond_reader), call).status_code == 404


def test_without_the_change_permission_404(client_for, call):
    caller = call.requester
    assert panel(client_for(caller), call).status_code == 404


def test_panel_query_count_does_not_grow(client_for, engineer, call, venlo, django_assert_max_num_queries):
    client = client_for(engineer)
    for index in range(8):
        ChangeFactory(organisation=venlo, owner=engineer, ticket=call, title=f"Wijziging {index}")
    panel(client, call)
    with django_assert_max_num_queries(10):
        assert panel(client, call).status_code == 200
