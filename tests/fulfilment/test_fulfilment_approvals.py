"""Approval chains end to end in the services: resolution, order, refusals (a non-approver,
a second decision), rejection, delegation, the signed link, reminders and the time-out,
the SLA clock paused while approval is pending, cost acceptance and the effects of
fulfilment (CIs, certificate register, quota, leaver's withdrawal tasks)."""

import base64
import datetime
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from regie.cmdb.certificates.generate import make_ca, make_leaf
from regie.cmdb.certificates.models import Certificate, Installation
from regie.cmdb.factories import (
    ConfigurationItemFactory,
    ContractFactory,
    ContractLineFactory,
    ItemModelFactory,
    ItemTypeFactory,
)
from regie.cmdb.models import ConfigurationItem
from regie.core.models import AuditRecord
from regie.fulfilment import services
from regie.fulfilment.choices import Decision, RequestStatus, TaskStatus
from regie.fulfilment.factories import DelegationFactory
from regie.fulfilment.models import Approval, FulfilmentTask
from regie.servicedesk.models import Ticket, TicketPause

pytestmark = pytest.mark.django_db

ACCESS = {"system": "AD", "group": "GG_Financien_Lezen", "rights": "lezen"}


def approvals(request):
    return list(Approval.all_objects.filter(request=request).order_by("position", "id"))


def tasks(request):
    return list(FulfilmentTask.all_objects.filter(request=request).order_by("position", "id"))


def finish(agent, request):
    for task in tasks(request):
        services.complete_task(agent, task, "klaar")
    return type(request).all_objects.get(pk=request.pk)


def test_manager_approves_tasks_follow_and_done_resolves(employee, manager, agent, rtype):
    request = services.submit_request(employee, rtype("toegang"), ACCESS)
    services.decide(manager, approvals(request)[0], True, "Akkoord")
    request.refresh_from_db()
    assert request.status == RequestStatus.FULFILMENT
    ticket = Ticket.all_objects.get(pk=request.ticket_id)
    assert ticket.status == "in_progress" and ticket.sla_paused_since is None
    [task] = tasks(request)
    assert task.status == TaskStatus.OPEN
    request = finish(agent, request)
    ticket.refresh_from_db()
    assert request.status == RequestStatus.FULFILLED and ticket.status == "resolved"
    assert ticket.resolution_code == "solved"
    assert AuditRecord.all_objects.filter(object_repr__contains="manager", changes__decision__isnull=False).exists() \
        or AuditRecord.all_objects.filter(content_type__model="approval").count() >= 2


def test_sla_clock_waits_while_approval_is_pending(employee, manager, rtype):
    start = timezone.now()
    request = services.submit_request(employee, rtype("toegang"), ACCESS, now=start)
    ticket = Ticket.all_objects.get(pk=request.ticket_id)
    assert ticket.is_paused and ticket.resolution_due_at is None
    [pause] = TicketPause.objects.filter(ticket=ticket)
    assert pause.reason == "waiting_for_approval" and pause.ended_at is None
    services.decide(manager, approvals(request)[0], True, now=start + datetime.timedelta(hours=3))
    pause.refresh_from_db()
    ticket.refresh_from_db()
    assert pause.ended_at == start + datetime.timedelta(hours=3)
    assert ticket.resolution_due_at is not None


def test_a_non_approver_and_a_second_decision_are_refused(employee, manager, make_user, venlo, rtype):
    request = services.submit_request(employee, rtype("toegang"), ACCESS)
    [approval] = approvals(request)
    colleague = make_user(venlo, "manager", username="venlo.other.manager")
    with pytest.raises(PermissionDenied):
        services.decide(colleague, approval, True)
    with pytest.raises(PermissionDenied):
        services.decide(employee, approval, True)
    approval.refresh_from_db()
    assert approval.decision == Decision.PENDING
    services.decide(manager, approval, True)
    with pytest.raises(ValidationError) as info:
        services.decide(manager, approval, False, "toch niet")
    assert "already been decided" in info.value.message_dict["decision"][0]
    approval.refresh_from_db()
    assert approval.decision == Decision.APPROVED


def test_rejection_needs_a_reason_and_closes_the_request(employee, manager, rtype):
    request = services.submit_request(employee, rtype("toegang"), ACCESS)
    [approval] = approvals(request)
    with pytest.raises(ValidationError):
        services.decide(manager, approval, False, "")
    services.decide(manager, approval, False, "Geen zakelijke noodzaak")
    request.refresh_from_db()
    ticket = Ticket.all_objects.get(pk=request.ticket_id)
    assert request.status == RequestStatus.REJECTED and "Geen zakelijke noodzaak" in request.outcome
    assert ticket.status == "closed" and "Geen zakelijke noodzaak" in ticket.resolution_text
    assert not tasks(request)


@pytest.fixture
def laptop(provider):
    model = ItemModelFactory(ci_type=ItemTypeFactory(code="laptop"), manufacturer="HP", name="EliteBook 840")
    ContractLineFactory(contract=ContractFactory(tender="Werkplek 2025"), model=model)
    return model


def test_chain_is_in_order_provider_role_decides_and_delivery_creates_cis(employee, manager, team_lead, agent,
                                                                          laptop, rtype):
    request = services.submit_request(employee, rtype("aanschaf-apparatuur"),
                                      {"model": laptop.pk, "quantity": 2, "user": employee.pk})
    first, provider_step = approvals(request)
    assert provider_step.approver is None and provider_step.approver_role == "team_lead"
    assert provider_step.requested_at is None
    assert list(services.waiting_approvals(team_lead)) == []
    with pytest.raises(ValidationError):
        services.decide(team_lead, provider_step, True, "ok")
    services.decide(manager, first, True)
    assert list(services.waiting_approvals(team_lead)) == [provider_step]
    with pytest.raises(PermissionDenied):
        services.decide(agent, provider_step, True, "ok")
    services.decide(team_lead, provider_step, True, "Standaardmodel, leverbaar")
    request = finish(agent, request)
    created = ConfigurationItem.all_objects.filter(model=laptop, organisation=employee.organisation)
    assert created.count() == 2
    assert all(item.assigned_to == employee and item.framework_contract == request.framework_contract
               for item in created)


def test_application_purchase_needs_the_streaming_assessment(employee, venlo, make_user, team_lead, rtype):
    venlo.information_advisor = make_user(venlo, "information_advisor", username="venlo.ia")
    venlo.save()
    request = services.submit_request(employee, rtype("aanschaf-applicatie"),
                                      {"application": "GeoViewer", "supplier": "Geo BV", "licences": 5})
    advisor_step, provider_step = approvals(request)
    assert advisor_step.approver == venlo.information_advisor
    services.decide(venlo.information_advisor, advisor_step, True)
    with pytest.raises(ValidationError) as info:
        services.decide(team_lead, provider_step, True, "")
    assert "streaming" in info.value.message_dict["comment"][0]
    services.decide(team_lead, provider_step, True, "Geschikt voor App-V streaming")
    request.refresh_from_db()
    assert request.status == RequestStatus.FULFILMENT


def test_delegation_routes_new_and_waiting_approvals_to_the_delegate(employee, manager, make_user, venlo, rtype):
    waiting = services.submit_request(employee, rtype("toegang"), ACCESS)
    deputy = make_user(venlo, "manager", username="venlo.deputy")
    today = timezone.localdate()
    services.save_delegation(manager, deputy, today, today + datetime.timedelta(days=7))
    [approval] = approvals(waiting)
    assert approval.approver == deputy and approval.delegated_from == manager
    fresh = services.submit_request(employee, rtype("toegang"), ACCESS)
    [approval] = approvals(fresh)
    assert approval.approver == deputy and approval.delegated_from == manager
    assert services.waiting_count(deputy) == 2
    services.decide(deputy, approval, True)
    with pytest.raises(ValidationError):
        services.save_delegation(manager, manager, today, today)


def test_a_past_delegation_does_not_apply(employee, manager, make_user, venlo, rtype):
    deputy = make_user(venlo, "manager", username="venlo.deputy")
    DelegationFactory(approver=manager, delegate=deputy, starts_on=datetime.date(2020, 1, 1),
                      ends_on=datetime.date(2020, 1, 31))
    [approval] = approvals(services.submit_request(employee, rtype("toegang"), ACCESS))
    assert approval.approver == manager


def test_signed_link_decides_once_and_forgery_or_expiry_is_refused(employee, manager, rtype):
    request = services.submit_request(employee, rtype("toegang"), ACCESS)
    [approval] = approvals(request)
    token = services.approval_token(approval, manager)
    found, user = services.read_token(token)
    assert (found, user) == (approval, manager)
    with pytest.raises(ValidationError):
        services.read_token(token[:-2] + "xx")
    with override_settings(REGIE_APPROVAL_LINK_DAYS=0), pytest.raises(ValidationError) as info:
        time.sleep(1.1)
        services.read_token(token)
    assert "expired" in info.value.messages[0]


def test_reminder_once_per_period_and_time_out_rejects(employee, manager, rtype):
    start = timezone.now() - datetime.timedelta(days=3)
    request = services.submit_request(employee, rtype("toegang"), ACCESS, now=start)
    now = timezone.now()
    assert services.remind_and_expire(now) == {"reminded": 1, "expired": 0}
    assert services.remind_and_expire(now) == {"reminded": 0, "expired": 0}
    with override_settings(REGIE_APPROVAL_TIMEOUT_DAYS=2):
        assert services.remind_and_expire(now)["expired"] == 1
        assert services.remind_and_expire(now)["expired"] == 0
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    assert approvals(request)[0].decision == Decision.EXPIRED


def test_extra_cost_needs_acceptance_by_an_authorised_person(employee, venlo, make_user, agent, rtype):
    account_manager = make_user(venlo, "account_manager", username="venlo.am")
    request = services.submit_request(employee, rtype("advies"), {"subject": "Advies over Wi-Fi"})
    assert request.status == RequestStatus.COST_ACCEPTANCE
    assert Ticket.all_objects.get(pk=request.ticket_id).extra_cost is True
    with pytest.raises(PermissionDenied):
        services.accept_cost(employee, request)
    assert services.waiting_count(account_manager) == 1
    services.accept_cost(account_manager, request)
    request.refresh_from_db()
    assert request.status == RequestStatus.FULFILMENT and request.cost_accepted_by == account_manager
    with pytest.raises(ValidationError):
        services.accept_cost(account_manager, request)


def test_extra_storage_records_the_granted_quota(employee, manager, agent, rtype):
    request = services.submit_request(employee, rtype("extra-opslag"),
                                      {"folder": r"\\fs01\home\femke", "extra_gb": "25", "reason": "Beeldmateriaal"})
    services.decide(manager, approvals(request)[0], True)
    request.refresh_from_db()
    assert request.granted_quota_gb == 25
    assert "25 GB" in finish(agent, request).outcome


def test_token_issue_creates_the_token_ci_and_replacement_retires_the_old(employee, manager, agent, venlo, rtype):
    token_type = ItemTypeFactory(code="rsa-token")
    old = ConfigurationItemFactory(organisation=venlo, ci_type=token_type, assigned_to=employee)
    request = services.submit_request(employee, rtype("rsa-token"), {
        "action": "vervanging", "holder": employee.pk, "old_token": old.pk, "reason": "Defect"})
    services.decide(manager, approvals(request)[0], True)
    finish(agent, request)
    old.refresh_from_db()
    assert old.status == "retired"
    assert ConfigurationItem.all_objects.filter(ci_type=token_type, assigned_to=employee, status="in_use").count() == 1


def test_certificate_installation_registers_where_installed(employee, venlo, agent, rtype):
    server = ConfigurationItemFactory(organisation=venlo, name="WEB-01")
    leaf = make_leaf(make_ca(), "www.venlo.example.nl")
    request = services.submit_request(employee, rtype("certificaat"), {
        "certificate": {"name": "www.crt", "content": base64.b64encode(leaf.pem).decode()}, "target": server.pk})
    assert request.status == RequestStatus.FULFILMENT
    finish(agent, request)
    certificate = Certificate.objects.unrestricted().get(organisation=venlo)
    assert certificate.common_name == "www.venlo.example.nl"
    assert Installation.objects.unrestricted().filter(certificate=certificate, item=server).exists()


def test_leaver_lists_access_and_equipment_for_withdrawal(employee, manager, venlo, make_user, rtype):
    ConfigurationItemFactory(organisation=venlo, name="LT-0042", assigned_to=employee)
    director = make_user(venlo, "manager", username="venlo.director")
    manager.manager = director
    manager.save()
    request = services.submit_request(manager, rtype("vertrekkende-medewerker"), {
        "person": employee.pk, "last_day": str(timezone.localdate())})
    services.decide(director, approvals(request)[0], True)
    titles = [task.title for task in tasks(request)]
    assert len(titles) == 2 and "LT-0042" in titles[1]


def test_new_employee_has_sub_tasks_and_token_only_when_asked(employee, manager, rtype):
    values = {"full_name": "Sanne de Vries", "starts_on": "2026-02-01", "department": "Burgerzaken",
              "manager": manager.pk, "workplace": "laptop"}
    request = services.submit_request(employee, rtype("nieuwe-medewerker"), values)
    services.decide(manager, approvals(request)[0], True)
    assert len(tasks(request)) == 3
    request = services.submit_request(employee, rtype("nieuwe-medewerker"), {**values, "token": True})
    services.decide(manager, approvals(request)[0], True)
    assert len(tasks(request)) == 4


def test_a_participant_cannot_complete_tasks_and_twice_is_refused(employee, agent, rtype):
    request = services.submit_request(employee, rtype("spam-vrijgeven"), {
        "recipient": employee.email, "sender": "x@y.nl", "subject": "Offerte", "received_on": "2026-01-05"})
    [task] = tasks(request)
    with pytest.raises(PermissionDenied):
        services.complete_task(employee, task)
    services.complete_task(agent, task)
    with pytest.raises(ValidationError):
        services.complete_task(agent, task)
