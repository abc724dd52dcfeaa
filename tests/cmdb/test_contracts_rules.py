"""Contract rules: a purchase names a valid framework contract; expiring contracts are
signalled once per threshold; a 3rd-line hand-over shows the supplier's terms."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from regie.cmdb import contracts as rules
from regie.cmdb.choices import ContractKind, ModelApproval
from regie.cmdb.factories import (
    ConfigurationItemFactory,
    ContractFactory,
    ContractLineFactory,
    ItemModelFactory,
    SupplierFactory,
)
from regie.cmdb.models import AffectedItem
from regie.core.factories import TeamFactory, UserFactory
from regie.integrations.models import Notification, OutboxMessage

DAY = datetime.date(2026, 6, 1)


@pytest.fixture
def framework(provider):
    return ContractFactory(organisation=provider, kind=ContractKind.FRAMEWORK, reference="RC-2025-001",
                           starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2027, 12, 31))


@pytest.fixture
def laptop_model(db):
    return ItemModelFactory(manufacturer="HP", name="EliteBook 840 G11")


def _reasons(excinfo):
    return {field: " ".join(messages) for field, messages in excinfo.value.message_dict.items()}


def test_purchase_allowed_with_a_line_for_the_model(framework, laptop_model, venlo):
    ContractLineFactory(contract=framework, model=laptop_model, unit_price="1049.00")
    rules.check_purchase(laptop_model, framework, DAY, organisation=venlo)
    assert rules.valid_framework_contract_for(laptop_model, DAY, organisation=venlo) == framework


def test_purchase_refused_without_contract(laptop_model):
    with pytest.raises(ValidationError) as excinfo:
        rules.check_purchase(laptop_model, None, DAY)
    assert "must name a valid framework contract" in _reasons(excinfo)["framework_contract"]


def test_purchase_refused_outside_the_period(framework, laptop_model):
    ContractLineFactory(contract=framework, model=laptop_model)
    with pytest.raises(ValidationError) as excinfo:
        rules.check_purchase(laptop_model, framework, datetime.date(2028, 1, 2))
    assert "is not valid on" in _reasons(excinfo)["framework_contract"]
    assert rules.valid_framework_contract_for(laptop_model, datetime.date(2028, 1, 2)) is None


def test_purchase_refused_without_a_line_for_the_model(framework, laptop_model):
    ContractLineFactory(contract=framework, model=ItemModelFactory(name="Other"))
    with pytest.raises(ValidationError) as excinfo:
        rules.check_purchase(laptop_model, framework, DAY)
    assert "has no product line for HP EliteBook 840 G11" in _reasons(excinfo)["framework_contract"]
    assert rules.valid_framework_contract_for(laptop_model, DAY) is None


def test_purchase_refused_for_a_model_outside_the_standards(framework):
    proposed = ItemModelFactory(name="Prototype", approval=ModelApproval.PROPOSED)
    ContractLineFactory(contract=framework, model=proposed)
    with pytest.raises(ValidationError) as excinfo:
        rules.check_purchase(proposed, framework, DAY)
    assert "not in the standards catalogue" in _reasons(excinfo)["model"]
    assert rules.valid_framework_contract_for(proposed, DAY) is None


def test_purchase_refused_under_a_maintenance_contract(laptop_model, provider):
    maintenance = ContractFactory(organisation=provider, kind=ContractKind.MAINTENANCE, response_hours=4)
    with pytest.raises(ValidationError) as excinfo:
        rules.check_purchase(laptop_model, maintenance, DAY)
    assert "not a framework contract" in _reasons(excinfo)["framework_contract"]


def test_purchase_refused_under_another_participants_contract(laptop_model, venlo, roermond):
    theirs = ContractFactory(organisation=roermond, kind=ContractKind.FRAMEWORK)
    ContractLineFactory(contract=theirs, model=laptop_model)
    with pytest.raises(ValidationError) as excinfo:
        rules.check_purchase(laptop_model, theirs, DAY, organisation=venlo)
    assert "belongs to another participant" in _reasons(excinfo)["framework_contract"]
    assert rules.valid_framework_contract_for(laptop_model, DAY, organisation=venlo) is None
    assert rules.valid_framework_contract_for(laptop_model, DAY, organisation=roermond) == theirs


# --- expiry -----------------------------------------------------------------------------------

def test_expiring_uses_notice_period_or_thirty_days(provider):
    today = DAY
    long_notice = ContractFactory(organisation=provider, notice_days=90, ends_on=today + datetime.timedelta(days=80))
    short_notice = ContractFactory(organisation=provider, notice_days=10, ends_on=today + datetime.timedelta(days=25))
    far = ContractFactory(organisation=provider, notice_days=10, ends_on=today + datetime.timedelta(days=40))
    ended = ContractFactory(organisation=provider, starts_on=datetime.date(2020, 1, 1),
                            ends_on=today - datetime.timedelta(days=1))
    from regie.cmdb.models import Contract

    soon = set(rules.expiring(Contract.objects.unrestricted(), today))
    assert soon == {long_notice, short_notice}
    assert rules.is_expiring(long_notice, today) and not rules.is_expiring(far, today)
    assert not rules.is_expiring(ended, today)


def test_due_threshold_picks_the_smallest_reached():
    end = DAY + datetime.timedelta(days=20)
    assert rules.due_threshold(end, DAY, [90, 30]) == 30
    assert rules.due_threshold(end, DAY, [90, 10]) == 90
    assert rules.due_threshold(end, DAY, [10]) is None
    assert rules.due_threshold(DAY - datetime.timedelta(days=1), DAY, [90]) is None


def test_expiry_warning_once_per_threshold(provider, venlo):
    lead = UserFactory(organisation=provider, roles=["team_lead"], email="lead@ictnml.example.nl")
    manager = UserFactory(organisation=provider, roles=["ict_manager"], email="ict@ictnml.example.nl")
    UserFactory(organisation=provider, roles=["first_line"])  # not told
    contract = ContractFactory(organisation=provider, kind=ContractKind.MAINTENANCE, response_hours=4,
                               notice_days=90, ends_on=DAY + datetime.timedelta(days=85))
    assert rules.send_expiry_warnings(DAY) == 1
    assert rules.send_expiry_warnings(DAY) == 1  # run twice: still one message each
    notes = Notification.all_objects.filter(event="contract.expiring")
    assert sorted(notes.values_list("user_id", flat=True)) == sorted([lead.pk, manager.pk])
    assert contract.reference in notes.first().title
    assert OutboxMessage.objects.filter(event="contract.expiring").count() == 2
    # The next day within the same threshold: nothing new.
    rules.send_expiry_warnings(DAY + datetime.timedelta(days=1))
    assert notes.count() == 2
    # Thirty days before the end: the second threshold, once.
    later = contract.ends_on - datetime.timedelta(days=30)
    rules.send_expiry_warnings(later)
    rules.send_expiry_warnings(later)
    assert notes.count() == 4
    # Extended to a new end date: signalled anew when that one comes near.
    contract.ends_on = DAY + datetime.timedelta(days=400)
    contract.save()
    rules.send_expiry_warnings(contract.ends_on - datetime.timedelta(days=60))
    assert notes.count() == 6


def test_participant_contract_also_tells_its_account_manager(provider, venlo):
    UserFactory(organisation=provider, roles=["team_lead"])
    account_manager = UserFactory(organisation=venlo, roles=["account_manager"])
    venlo.account_manager = account_manager
    venlo.save()
    ContractFactory(organisation=venlo, notice_days=30, ends_on=DAY + datetime.timedelta(days=10))
    rules.send_expiry_warnings(DAY)
    assert Notification.all_objects.filter(event="contract.expiring", user=account_manager).count() == 1


def test_expiry_task_is_scheduled():
    from regie.schedules import SCHEDULE

    tasks = {task for task, _every in SCHEDULE.values()}
    assert {"regie.cmdb.contract_expiry_warnings", "regie.cmdb.licence_expiry_warnings"} <= tasks


# --- keeping contracts ------------------------------------------------------------------------

def test_save_contract_refuses_bad_input_and_writes_nothing(provider):
    manager = UserFactory(organisation=provider, roles=["ict_manager"])
    supplier = SupplierFactory()
    from regie.cmdb.models import Contract

    with pytest.raises(ValidationError) as excinfo:
        rules.save_contract(manager, None, {
            "reference": "OC-1", "name": "Onderhoud", "kind": ContractKind.MAINTENANCE, "supplier": supplier,
            "starts_on": DAY, "ends_on": DAY - datetime.timedelta(days=1),
        })
    errors = excinfo.value.message_dict
    assert "ends_on" in errors
    assert not Contract.objects.unrestricted().exists()
    with pytest.raises(ValidationError) as excinfo:
        rules.save_contract(manager, None, {
            "reference": "OC-1", "name": "Onderhoud", "kind": ContractKind.MAINTENANCE, "supplier": supplier,
            "starts_on": DAY,
        })
    assert "response_hours" in excinfo.value.message_dict
    contract = rules.save_contract(manager, None, {
        "reference": "OC-1", "name": "Onderhoud", "kind": ContractKind.MAINTENANCE, "supplier": supplier,
        "starts_on": DAY, "response_hours": 4, "resolution_hours": 8,
    })
    assert contract.organisation == provider


def test_only_provider_managers_keep_contracts(provider, venlo):
    from django.core.exceptions import PermissionDenied

    engineer = UserFactory(organisation=provider, roles=["engineer"])
    with pytest.raises(PermissionDenied):
        rules.save_supplier(engineer, None, {"name": "X"})
    account_manager = UserFactory(organisation=venlo, roles=["account_manager"])
    with pytest.raises(PermissionDenied):
        rules.save_contract(account_manager, None, {"reference": "X"})


# --- 3rd-line hand-over -----------------------------------------------------------------------

def test_hand_over_form_shows_the_supplier_terms(provider, venlo, client_for):
    from regie.servicedesk.factories import TicketFactory

    agent = UserFactory(organisation=provider, roles=["first_line"])
    maintenance = ContractFactory(
        organisation=provider, kind=ContractKind.MAINTENANCE, reference="OC-2025-DC", name="Onderhoud servers",
        supplier=SupplierFactory(name="Roerdal Systeemhuis B.V."), response_hours=4, resolution_hours=8,
        starts_on=datetime.date(2025, 1, 1), ends_on=None,
    )
    server = ConfigurationItemFactory(organisation=venlo, name="VNL-SRV-01", maintenance_contract=maintenance)
    ticket = TicketFactory(requester=UserFactory(organisation=venlo, roles=["employee"]))
    AffectedItem.objects.unrestricted().create(ticket=ticket, item=server, added_by=agent)
    TeamFactory(organisation=provider, name="Leverancier (3e lijn)", line="third")
    assert rules.terms_for_ticket(ticket) == [(server, maintenance)]
    response = client_for(agent).get(ticket.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "Supplier terms of the affected items" in body
    assert "OC-2025-DC" in body and "response 4 h" in body
    # The terms field of the hand-over form is filled in as well.
    assert "VNL-SRV-01: OC-2025-DC (Roerdal Systeemhuis B.V.), response 4 h, resolution 8 h" in body


def test_hand_over_without_affected_items_shows_no_terms(provider, venlo, client_for):
    from regie.servicedesk.factories import TicketFactory

    agent = UserFactory(organisation=provider, roles=["first_line"])
    ticket = TicketFactory(requester=UserFactory(organisation=venlo, roles=["employee"]))
    body = client_for(agent).get(ticket.get_absolute_url()).content.decode()
    assert "Supplier terms of the affected items" not in body
