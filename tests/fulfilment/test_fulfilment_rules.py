"""Every rule of the agreement a request type enforces, refused where it must be, and
nothing written on a refusal."""

import base64
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import timezone

from regie.cmdb.choices import ContractKind, ModelApproval, RelationKind
from regie.cmdb.factories import (
    ConfigurationItemFactory,
    ContractFactory,
    ContractLineFactory,
    ItemModelFactory,
    ItemTypeFactory,
    RelationFactory,
)
from regie.fulfilment import services
from regie.fulfilment.choices import RequestStatus
from regie.fulfilment.factories import RequestTypeFactory
from regie.fulfilment.models import Approval, FulfilmentTask, ServiceRequest
from regie.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


def refused(call):
    with pytest.raises(ValidationError) as info:
        call()
    assert not ServiceRequest.objects.unrestricted().exists()
    assert not Ticket.objects.unrestricted().exists()
    return info.value.message_dict if hasattr(info.value, "error_dict") else {"__all__": info.value.messages}


ACCESS = {"system": "AD", "group": "GG_Financien_Lezen", "rights": "lezen"}


def test_access_to_a_group_is_submitted_and_waits_for_the_manager(employee, manager, rtype):
    request = services.submit_request(employee, rtype("toegang"), ACCESS)
    assert request.status == RequestStatus.APPROVAL
    assert request.ticket.kind == "service_request" and request.ticket.status == "waiting_for_approval"
    assert request.ticket.sla_paused_since is not None
    [approval] = Approval.all_objects.filter(request=request)
    assert approval.approver == manager and approval.step == "manager" and approval.requested_at


def test_access_for_an_individual_account_is_refused_with_the_reason(employee, rtype):
    errors = refused(lambda: services.submit_request(employee, rtype("toegang"), {**ACCESS, "group": "venlo.femke"}))
    assert "never to a single account" in errors["group"][0]
    errors = refused(lambda: services.submit_request(
        employee, rtype("toegang"), {**ACCESS, "group": "femke.janssen@venlo.example.nl"}))
    assert "personal account" in errors["group"][0]


@pytest.mark.parametrize("folder", [r"\\fs01\financien\begroting.xlsx", r"\\fs01\financien\*", ""])
def test_share_rights_only_on_a_whole_folder(employee, rtype, folder):
    errors = refused(lambda: services.submit_request(
        employee, rtype("toegang"), {**ACCESS, "system": "Netwerkschijf", "folder": folder}))
    assert "folder" in errors


def test_share_rights_on_a_folder_are_accepted(employee, rtype):
    request = services.submit_request(employee, rtype("toegang"),
                                      {**ACCESS, "system": "Netwerkschijf", "folder": r"\\fs01\financien\2026"})
    assert request.values["folder"] == r"\\fs01\financien\2026"


def test_missing_required_field_and_wrong_types_are_refused(employee, rtype):
    errors = refused(lambda: services.submit_request(employee, rtype("toegang"), {"system": "AD"}))
    assert errors["group"] == ["This field is required."] and errors["rights"] == ["This field is required."]
    errors = refused(lambda: services.submit_request(
        employee, rtype("extra-opslag"), {"folder": "H:", "extra_gb": "veel", "reason": "x"}))
    assert errors["extra_gb"] == ["Enter a number."]
    errors = refused(lambda: services.submit_request(
        employee, rtype("restore"), {"system": "abc", "path": "x", "point_in_time": "gisteren"}))
    assert set(errors) == {"system", "point_in_time"}
    errors = refused(lambda: services.submit_request(employee, rtype("toegang"), {**ACCESS, "system": "Excel"}))
    assert "Choose one of" in errors["system"][0]
    errors = refused(lambda: services.submit_request(employee, rtype("toegang"), {**ACCESS, "colour": "red"}))
    assert "colour" in errors


def test_a_person_of_another_municipality_is_unknown(employee, outsider, rtype):
    errors = refused(lambda: services.submit_request(employee, rtype("mailboxdelegatie"), {
        "mailbox": employee.email, "delegate": outsider.pk, "rights": "lezen"}))
    assert errors["delegate"] == ["Unknown person."]


def test_mailbox_delegation_only_by_the_owner_and_without_approval(employee, manager, rtype):
    errors = refused(lambda: services.submit_request(employee, rtype("mailboxdelegatie"), {
        "mailbox": "burgemeester@venlo.example.nl", "delegate": manager.pk, "rights": "lezen"}))
    assert "Only the owner" in errors["mailbox"][0]
    request = services.submit_request(employee, rtype("mailboxdelegatie"), {
        "mailbox": employee.email.upper(), "delegate": manager.pk, "rights": "lezen"})
    assert request.status == RequestStatus.FULFILMENT and not Approval.all_objects.filter(request=request).exists()
    assert request.ticket.status == "in_progress" and FulfilmentTask.all_objects.filter(request=request).count() == 1


def _server(venlo, backed_up=True):
    server = ConfigurationItemFactory(organisation=venlo, name="SRV-FIN-01")
    if backed_up:
        RelationFactory(source=server, kind=RelationKind.BACKED_UP_BY,
                        target=ConfigurationItemFactory(organisation=venlo, name="Veeam"))
    return server


def test_restore_61_days_back_is_refused_60_is_accepted(employee, venlo, rtype):
    server = _server(venlo)
    today = timezone.localdate()
    values = {"system": server.pk, "path": r"D:\data", "point_in_time": str(today - datetime.timedelta(days=61))}
    errors = refused(lambda: services.submit_request(employee, rtype("restore"), values))
    assert "kept 60 days" in errors["point_in_time"][0]
    values["point_in_time"] = str(today - datetime.timedelta(days=60))
    request = services.submit_request(employee, rtype("restore"), values)
    assert request.status == RequestStatus.FULFILMENT


@override_settings(REGIE_RESTORE_RETENTION_DAYS=30)
def test_restore_retention_is_configurable(employee, venlo, rtype):
    values = {"system": _server(venlo).pk, "path": "x",
              "point_in_time": str(timezone.localdate() - datetime.timedelta(days=31))}
    assert "kept 30 days" in refused(lambda: services.submit_request(employee, rtype("restore"), values))[
        "point_in_time"][0]


def test_restore_of_a_system_not_in_backup_is_refused(employee, venlo, rtype):
    server = _server(venlo, backed_up=False)
    values = {"system": server.pk, "path": "x", "point_in_time": str(timezone.localdate())}
    assert "not in back-up" in refused(lambda: services.submit_request(employee, rtype("restore"), values))[
        "system"][0]
    server.attributes = {"backup": "ja"}
    server.save()
    assert services.submit_request(employee, rtype("restore"), values).pk


def test_restore_of_another_municipalitys_system_is_unknown(employee, roermond, rtype):
    server = _server(roermond)
    values = {"system": server.pk, "path": "x", "point_in_time": str(timezone.localdate())}
    assert refused(lambda: services.submit_request(employee, rtype("restore"), values))["system"] == [
        "Unknown configuration item."]


def test_spam_release_only_of_own_mail(employee, rtype):
    values = {"recipient": "iemand@venlo.example.nl", "sender": "a@b.nl", "subject": "Factuur",
              "received_on": str(timezone.localdate())}
    assert "own mail" in refused(lambda: services.submit_request(employee, rtype("spam-vrijgeven"), values))[
        "recipient"][0]
    values["recipient"] = employee.email
    assert services.submit_request(employee, rtype("spam-vrijgeven"), values).status == RequestStatus.FULFILMENT


@pytest.fixture
def laptop_model(provider):
    return ItemModelFactory(ci_type=ItemTypeFactory(code="laptop"), manufacturer="HP", name="EliteBook 840")


def test_purchase_outside_any_framework_contract_is_refused(employee, laptop_model, rtype):
    values = {"model": laptop_model.pk, "quantity": 1}
    assert "No valid framework contract" in refused(
        lambda: services.submit_request(employee, rtype("aanschaf-apparatuur"), values))["model"][0]
    expired = ContractFactory(kind=ContractKind.FRAMEWORK, tender="T-1", starts_on=datetime.date(2020, 1, 1),
                              ends_on=datetime.date(2021, 1, 1))
    ContractLineFactory(contract=expired, model=laptop_model)
    refused(lambda: services.submit_request(employee, rtype("aanschaf-apparatuur"), values))


def test_purchase_of_a_non_standard_model_is_refused(employee, laptop_model, rtype):
    laptop_model.approval = ModelApproval.PROPOSED
    laptop_model.save()
    ContractLineFactory(contract=ContractFactory(tender="T-1"), model=laptop_model)
    assert "standards catalogue" in refused(lambda: services.submit_request(
        employee, rtype("aanschaf-apparatuur"), {"model": laptop_model.pk, "quantity": 1}))["model"][0]


def test_purchase_within_a_framework_contract_records_it(employee, laptop_model, rtype):
    contract = ContractFactory(tender="T-1")
    ContractLineFactory(contract=contract, model=laptop_model)
    request = services.submit_request(employee, rtype("aanschaf-apparatuur"),
                                      {"model": laptop_model.pk, "quantity": 2, "user": employee.pk})
    assert request.framework_contract == contract
    assert [a.step for a in Approval.all_objects.filter(request=request)] == ["manager", "provider"]


def test_token_replacement_names_the_old_token(employee, rtype):
    values = {"action": "vervanging", "holder": employee.pk}
    assert "old_token" in refused(lambda: services.submit_request(employee, rtype("rsa-token"), values))


def test_certificate_must_be_a_certificate(employee, venlo, rtype):
    server = _server(venlo)
    values = {"certificate": {"name": "x.crt", "content": base64.b64encode(b"no certificate").decode()},
              "target": server.pk}
    assert "certificate" in refused(lambda: services.submit_request(employee, rtype("certificaat"), values))


def test_out_of_scope_item_explains_and_is_not_submitted(employee, rtype):
    request_type = rtype("buiten-audiovisueel")
    errors = refused(lambda: services.submit_request(employee, request_type, {}))
    assert "outside the agreement" in errors["__all__"][0]
    assert "facilitaire afdeling" in errors["__all__"][0]


def test_no_manager_recorded_is_refused_with_the_reason(venlo, make_user, rtype):
    loner = make_user(venlo, "employee", username="venlo.loner")
    assert "no manager is recorded" in refused(lambda: services.submit_request(loner, rtype("toegang"), ACCESS))[
        "__all__"][0]


def test_a_custom_type_with_every_representative(employee, venlo, roermond, make_user, provider):
    venlo.representative = make_user(venlo, "representative", username="venlo.rep")
    venlo.save()
    request_type = RequestTypeFactory(approval_steps=["representatives"])
    assert "no representative" in refused(lambda: services.submit_request(employee, request_type, {"note": "x"}))[
        "__all__"][0]
    roermond.representative = make_user(roermond, "representative", username="roermond.rep")
    roermond.save()
    request = services.submit_request(employee, request_type, {"note": "x"})
    assert {a.approver.username for a in Approval.all_objects.filter(request=request)} == {"venlo.rep", "roermond.rep"}
