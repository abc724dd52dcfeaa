"""Rules of the item register (services.py): ownership per role, lifecycle steps, references
that must fit the owner and the type, purchases under a framework contract, standards."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regie.cmdb import services
from regie.cmdb.choices import CIStatus, ContractKind, ModelApproval
from regie.cmdb.factories import (
    ConfigurationItemFactory,
    ContractFactory,
    ContractLineFactory,
    ItemModelFactory,
    ItemTypeFactory,
)
from regie.cmdb.models import ConfigurationItem
from regie.core.choices import LocationKind
from regie.core.factories import LocationFactory
from regie.core.models import AuditRecord

pytestmark = pytest.mark.django_db


def refused(callable_, *args):
    with pytest.raises(ValidationError) as excinfo:
        callable_(*args)
    return excinfo.value


def new_server(**values):
    return {"ci_type": ItemTypeFactory(code="virtuele-server"), "name": "SRV-01",
            "attributes": {"os": "Ubuntu Server 24.04", "cores": 4}, **values}


def test_provider_staff_register_for_any_participant(item_keeper, venlo):
    item = services.save_item(item_keeper, None, new_server(organisation=venlo))
    assert item.organisation == venlo and item.attributes == {"os": "Ubuntu Server 24.04", "cores": 4}
    assert AuditRecord.all_objects.filter(object_id=str(item.pk), action="create").exists()


def test_attribute_errors_are_named_by_code(item_keeper, venlo):
    exc = refused(services.save_item, item_keeper, None, new_server(organisation=venlo,
                                                                    attributes={"cores": 0, "x": 1}))
    assert set(exc.attribute_errors) == {"cores", "os", "x"}
    assert "attributes.cores" in exc.message_dict
    assert not ConfigurationItem.all_objects.exists()


def test_participants_are_read_only_by_default(venlo_reader, venlo_laptop, venlo):
    with pytest.raises(PermissionDenied):
        services.save_item(venlo_reader, None, new_server(organisation=venlo))
    with pytest.raises(PermissionDenied):
        services.save_item(venlo_reader, venlo_laptop, {"name": "renamed"})
    assert not services.may_change(venlo_reader, venlo_laptop)


def test_a_participant_with_change_permission_keeps_only_its_own(participant_keeper, venlo, roermond):
    user = participant_keeper
    item = services.save_item(user, None, new_server())
    assert item.organisation == venlo
    exc = refused(services.save_item, user, None, new_server(name="SRV-02", organisation=roermond))
    assert "organisation" in exc.message_dict
    theirs = ConfigurationItemFactory(organisation=roermond)
    with pytest.raises(PermissionDenied):
        services.save_item(user, theirs, {"name": "mine now"})


def test_lifecycle_steps(item_keeper, venlo_laptop):
    assert services.allowed_statuses(None) == [CIStatus.ORDERED, CIStatus.IN_STOCK, CIStatus.IN_USE,
                                               CIStatus.IN_REPAIR]
    assert "status" in refused(services.change_status, item_keeper, venlo_laptop, CIStatus.DISPOSED).message_dict
    services.change_status(item_keeper, venlo_laptop, CIStatus.RETIRED)
    services.change_status(item_keeper, venlo_laptop, CIStatus.DISPOSED)
    exc = refused(services.change_status, item_keeper, venlo_laptop, CIStatus.IN_USE)
    assert exc.message_dict["status"] == ["A disposed item stays disposed."]
    assert "status" in refused(services.change_status, item_keeper, venlo_laptop, "lost").message_dict
    assert "status" in refused(services.save_item, item_keeper, None,
                               new_server(organisation=venlo_laptop.organisation, status="retired")).message_dict


def test_references_must_fit_the_owner_and_the_type(item_keeper, venlo, roermond, provider):
    laptop_model = ItemModelFactory(ci_type=ItemTypeFactory(code="laptop"))
    their_site = LocationFactory(organisation=roermond, name="Stadhuis Roermond")
    datacenter = LocationFactory(organisation=provider, name="Datacenter Venlo", kind=LocationKind.DATACENTER)
    maintenance = ContractFactory(organisation=provider, kind=ContractKind.MAINTENANCE)
    theirs = ContractFactory(organisation=roermond, kind=ContractKind.MAINTENANCE)
    exc = refused(services.save_item, item_keeper, None, new_server(
        organisation=venlo, model=laptop_model, location=their_site, framework_contract=maintenance,
        maintenance_contract=theirs, price=-1))
    assert set(exc.field_errors) >= {"model", "location", "framework_contract", "maintenance_contract", "price"}
    item = services.save_item(item_keeper, None, new_server(organisation=venlo, location=datacenter,
                                                            maintenance_contract=maintenance))
    assert item.location == datacenter


def test_asset_tags_are_unique(item_keeper, venlo, venlo_laptop):
    exc = refused(services.save_item, item_keeper, None, new_server(organisation=venlo,
                                                                    asset_tag=venlo_laptop.asset_tag))
    assert exc.message_dict["asset_tag"] == ["This asset tag is already in use."]


def test_a_purchase_names_a_valid_framework_contract_for_a_standard_model(item_keeper, venlo, provider):
    server_type = ItemTypeFactory(code="virtuele-server")
    standard = ItemModelFactory(ci_type=server_type, manufacturer="VMware", name="VM standaard")
    proposed = ItemModelFactory(ci_type=server_type, manufacturer="VMware", name="VM groot",
                                approval=ModelApproval.PROPOSED)
    framework = ContractFactory(organisation=provider, kind=ContractKind.FRAMEWORK,
                                starts_on=datetime.date(2024, 1, 1), ends_on=datetime.date(2099, 1, 1))
    ContractLineFactory(contract=framework, model=standard)
    exc = refused(services.save_item, item_keeper, None, new_server(organisation=venlo, status=CIStatus.ORDERED,
                                                                    model=standard))
    assert "framework_contract" in exc.message_dict
    exc = refused(services.save_item, item_keeper, None, new_server(organisation=venlo, model=proposed,
                                                                    framework_contract=framework))
    assert "model" in exc.message_dict
    item = services.save_item(item_keeper, None, new_server(organisation=venlo, status=CIStatus.ORDERED,
                                                            model=standard, framework_contract=framework))
    assert item.framework_contract == framework


def test_the_type_of_an_item_stays(item_keeper, venlo_laptop):
    exc = refused(services.save_item, item_keeper, venlo_laptop, {"ci_type": ItemTypeFactory(code="tablet")})
    assert "ci_type" in exc.message_dict


def test_an_item_with_calls_is_retired_not_deleted(item_keeper, item_manager, venlo_laptop, venlo):
    from regie.cmdb.models import AffectedItem
    from regie.servicedesk.factories import TicketFactory

    AffectedItem.all_objects.create(ticket=TicketFactory(organisation=venlo), item=venlo_laptop,
                                    added_by=item_keeper)
    assert "retire it" in refused(services.delete_item, item_manager, venlo_laptop).messages[0]
    spare = ConfigurationItemFactory(organisation=venlo)
    services.delete_item(item_manager, spare)
    assert not ConfigurationItem.all_objects.filter(pk=spare.pk).exists()


def test_models_are_proposed_by_keepers_and_participants_and_approved_by_the_provider(
        item_keeper, item_manager, venlo_reader, make_user, provider):
    tablet = ItemTypeFactory(code="tablet")
    proposal = services.propose_model(venlo_reader, {"ci_type": tablet, "manufacturer": "Apple", "name": "iPad Air"})
    assert proposal.approval == ModelApproval.PROPOSED and not proposal.is_standard
    assert "name" in refused(services.propose_model, item_keeper,
                             {"ci_type": tablet, "manufacturer": "Apple", "name": "iPad Air"}).message_dict
    auditor = make_user(provider, "auditor")
    for user in (auditor,):
        with pytest.raises(PermissionDenied):
            services.propose_model(user, {"ci_type": tablet, "manufacturer": "X", "name": "Y"})
    for user in (item_keeper, venlo_reader):
        with pytest.raises(PermissionDenied):
            services.decide_model(user, proposal, True)
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    assert "standard_until" in refused(services.decide_model, item_manager, proposal, True, yesterday).message_dict
    services.decide_model(item_manager, proposal, True, datetime.date(2099, 12, 31))
    proposal.refresh_from_db()
    assert proposal.is_standard and proposal.approved_by == item_manager
    services.decide_model(item_manager, proposal, False)
    proposal.refresh_from_db()
    assert proposal.approval == ModelApproval.REJECTED and not proposal.is_standard


def test_type_schemas_are_kept_by_the_provider(item_manager, item_keeper):
    tablet = ItemTypeFactory(code="tablet")
    with pytest.raises(PermissionDenied):
        services.save_type_schema(item_keeper, tablet, [])
    services.save_type_schema(item_manager, tablet, [{"code": "imei", "label": "IMEI", "kind": "text"}])
    tablet.refresh_from_db()
    assert tablet.attribute_schema == [{"code": "imei", "label": "IMEI", "kind": "text", "required": False}]
