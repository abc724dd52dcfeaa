"""Portal pages: the catalogue by group with search, the form rendered from its declaration
with field errors, out-of-scope explanation, my requests, the approval page, "waiting for
me" with the menu badge, the signed link (GET confirms, POST decides) and the task lists."""

import re

import pytest

from regie.fulfilment import services
from regie.fulfilment.factories import ServiceRequestFactory, seeded_type
from regie.fulfilment.models import Approval, FulfilmentTask, ServiceRequest

pytestmark = pytest.mark.django_db

ACCESS = {"system": "AD", "group": "GG_Financien_Lezen", "rights": "lezen"}


def test_catalogue_groups_and_search(client_for, employee):
    seeded_type("toegang")
    client = client_for(employee)
    page = client.get("/requests/").content.decode()
    assert "Access and accounts" in page and "Toegang of autorisatie" in page and "Outside the agreement" in page
    page = client.get("/requests/?q=restore").content.decode()
    assert "Terugzetten" in page and "Toegang of autorisatie" not in page


def test_form_is_rendered_from_the_declaration_and_shows_field_errors(client_for, employee):
    seeded_type("toegang")
    client = client_for(employee)
    page = client.get("/requests/new/toegang/").content.decode()
    assert '<label class="form-label" for="id_group">Groep' in page
    assert 'name="system"' in page and "<option value=\"Netwerkschijf\">" in page
    response = client.post("/requests/new/toegang/", {"system": "AD", "group": "venlo.femke", "rights": ""})
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_group_error"' in page and "never to a single account" in page
    assert re.search(r'aria-describedby="[^"]*id_rights_error', page)
    assert not ServiceRequest.objects.unrestricted().exists()
    response = client.post("/requests/new/toegang/", ACCESS)
    request = ServiceRequest.objects.unrestricted().get()
    assert response.status_code == 302 and response["Location"] == request.get_absolute_url()


def test_out_of_scope_item_explains_who_to_turn_to(client_for, employee):
    seeded_type("toegang")
    page = client_for(employee).get("/requests/new/buiten-websites/").content.decode()
    assert "outside the agreement" in page and "hosting" in page and "webredactie" in page
    assert "<form method=\"post\"" not in page


def test_manager_sees_badge_and_approves_on_the_page(client_for, employee, manager):
    request = services.submit_request(employee, seeded_type("toegang"), ACCESS)
    client = client_for(manager)
    page = client.get("/requests/waiting/").content.decode()
    assert request.ticket.reference in page
    assert re.search(r'text-bg-danger">1<', page)
    approval = Approval.all_objects.get(request=request)
    response = client.post(f"/requests/{request.pk}/approvals/{approval.pk}/", {"decision": "approve", "comment": ""})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == "fulfilment"
    page = client_for(employee).get(request.get_absolute_url()).content.decode()
    assert "Groep en rechten instellen" in page and "approved" in page


def test_non_approver_cannot_decide_on_the_page(client_for, employee, manager, venlo, make_user):
    request = services.submit_request(employee, seeded_type("toegang"), ACCESS)
    approval = Approval.all_objects.get(request=request)
    response = client_for(employee).post(f"/requests/{request.pk}/approvals/{approval.pk}/", {"decision": "approve"})
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.decision == "pending"


def test_signed_link_get_confirms_and_post_decides_once(client, employee, manager):
    client.cookies["django_language"] = "en"  # an anonymous visitor: the page's language by cookie
    request = services.submit_request(employee, seeded_type("toegang"), ACCESS)
    approval = Approval.all_objects.get(request=request)
    url = services.approval_link(approval, manager)
    page = client.get(url).content.decode()
    assert "csrfmiddlewaretoken" in page and "GG_Financien_Lezen" in page
    approval.refresh_from_db()
    assert approval.decision == "pending"  # a GET (a mail scanner) decides nothing
    assert client.post(url, {"decision": "approve"}).status_code == 200
    approval.refresh_from_db()
    assert approval.decision == "approved" and approval.decided_by == manager
    response = client.post(url, {"decision": "reject", "comment": "x"})
    assert response.status_code == 400 and "already been decided" in response.content.decode()
    assert client.get("/requests/link/forged/").status_code == 200


def test_signed_link_needs_csrf(employee, manager):
    from django.test import Client

    request = services.submit_request(employee, seeded_type("toegang"), ACCESS)
    approval = Approval.all_objects.get(request=request)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(services.approval_link(approval, manager), {"decision": "approve"}).status_code == 403
    approval.refresh_from_db()
    assert approval.decision == "pending"


def test_agent_task_list_and_done_button(client_for, employee, manager, agent):
    request = services.submit_request(employee, seeded_type("toegang"), ACCESS)
    services.decide(manager, Approval.all_objects.get(request=request), True)
    client = client_for(agent)
    page = client.get("/requests/tasks/").content.decode()
    assert "Groep en rechten instellen" in page
    task = FulfilmentTask.all_objects.get(request=request)
    response = client.post(f"/requests/tasks/{task.pk}/done/", {"next": "tasks"})
    assert response.status_code == 302 and response["Location"] == "/requests/tasks/"
    request.refresh_from_db()
    assert request.status == "fulfilled"
    assert client_for(employee).get("/requests/tasks/").status_code == 404


def test_my_requests_list_query_count(client_for, employee, django_assert_max_num_queries):
    for _ in range(6):
        ServiceRequestFactory(requester=employee)
    client = client_for(employee)
    client.get("/requests/mine/")
    with django_assert_max_num_queries(16):
        page = client.get("/requests/mine/").content.decode()
    assert page.count("/requests/") >= 6


def test_other_municipality_gets_404(client_for, employee, outsider):
    request = ServiceRequestFactory(requester=employee)
    assert client_for(outsider).get(request.get_absolute_url()).status_code == 404


def test_an_approver_outside_the_requesters_line_sees_the_request(client_for, employee, venlo, make_user):
    venlo.information_advisor = make_user(venlo, "information_advisor", username="venlo.ia")
    venlo.save()
    request = services.submit_request(employee, seeded_type("aanschaf-applicatie"),
                                      {"application": "GeoViewer", "supplier": "Geo BV", "licences": 5})
    page = client_for(venlo.information_advisor).get(request.get_absolute_url())
    assert page.status_code == 200 and "comment-" in page.content.decode()
    assert ServiceRequest.objects.for_user(venlo.information_advisor).count() == 1


def test_the_request_page_names_people_not_numbers(client_for, employee, manager):
    request = services.submit_request(employee, seeded_type("mailboxdelegatie"), {
        "mailbox": employee.email, "delegate": manager.pk, "rights": "lezen"})
    page = client_for(employee).get(request.get_absolute_url()).content.decode()
    assert '<dd class="col-sm-7">Marieke Hendriks</dd>' in page
    assert f'<dd class="col-sm-7">{manager.pk}</dd>' not in page


def test_the_request_page_shows_dates_the_dutch_way(client_for, employee, manager):
    request = services.submit_request(employee, seeded_type("nieuwe-medewerker"), {
        "full_name": "Sanne de Vries", "starts_on": "2027-02-01", "department": "Burgerzaken",
        "manager": manager.pk, "workplace": "laptop"})
    employee.preferred_language = "nl"
    employee.save()
    page = client_for(employee).get(request.get_absolute_url()).content.decode()
    assert '<dd class="col-sm-7">1 februari 2027</dd>' in page
    assert "2027-02-01" not in page


def test_the_breadcrumb_leads_back_where_each_person_came_from(client_for, employee, manager, agent):
    request = services.submit_request(employee, seeded_type("toegang"), ACCESS)
    crumbs = {}
    for person in (employee, manager, agent):
        page = client_for(person).get(request.get_absolute_url()).content.decode()
        crumbs[person.pk] = page[page.index('class="breadcrumb"'):page.index("</ol>")]
    assert 'href="/requests/mine/"' in crumbs[employee.pk]
    assert 'href="/requests/waiting/"' in crumbs[manager.pk]
    assert 'href="/requests/tasks/"' in crumbs[agent.pk]


def test_task_list_query_count(client_for, agent, employee, django_assert_max_num_queries):
    from regie.fulfilment.factories import FulfilmentTaskFactory

    for _ in range(6):
        FulfilmentTaskFactory(request=ServiceRequestFactory(requester=employee, status="fulfilment"))
    client = client_for(agent)
    client.get("/requests/tasks/")
    with django_assert_max_num_queries(16):
        page = client.get("/requests/tasks/").content.decode()
    assert page.count("/done/") == 6
