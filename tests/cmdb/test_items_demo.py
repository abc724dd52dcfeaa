"""The item register's demo estate: realistic for the four municipalities and both
datacenters, meaningful for impact analysis, and idempotent (also with the network and
contract loaders run after it)."""

import random

import pytest

from regie.cmdb import contract_demo, network_demo
from regie.cmdb.choices import RelationKind
from regie.cmdb.demo import load_demo
from regie.cmdb.impact import analyse
from regie.cmdb.models import ConfigurationItem, Relation
from regie.core.demo import MUNICIPALITIES
from regie.core.factories import OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def municipalities(provider):
    organisations = {}
    for name, code, workplaces, *_rest in MUNICIPALITIES:
        organisations[code] = OrganisationFactory(name=name, code=code, workplace_count=workplaces)
        for index in range(4):
            UserFactory(organisation=organisations[code], username=f"{code.lower()}.demo{index}", roles=["employee"])
    UserFactory(organisation=provider, username="nml.demo", roles=["engineer"])
    return organisations


def test_estate_is_representative_and_idempotent(municipalities):
    first = load_demo(random.Random(2026))
    items = ConfigurationItem.all_objects
    assert first["items"] == items.count() > 300
    relations = Relation.all_objects.count()
    # Every municipality has a sample in proportion to its workplaces (Venlo 1,100 … Nederweert 200).
    per_org = {code: items.filter(organisation=org).count() for code, org in municipalities.items()}
    assert per_org["VNL"] > per_org["RMD"] > per_org["WRT"] > per_org["NDW"] >= 20
    assert all(count <= 120 for count in per_org.values())
    # Both datacenters hold storage, hosts, servers and network gear of the provider.
    for centre in ("Datacenter Venlo", "Datacenter Roermond"):
        placed = items.filter(location__name=centre, organisation__kind="provider")
        assert {"opslagsysteem", "fysieke-server", "virtuele-server", "firewall", "switch"} <= set(
            placed.values_list("ci_type__code", flat=True))
    # Non-standard models, warranties ending soon, tokens, streaming suitability.
    assert items.filter(model__approval="proposed").exists()
    assert items.filter(model__approval="rejected").exists()
    assert items.filter(model__standard_until__isnull=False, model__approval="approved").exists()
    assert items.filter(ci_type__code="rsa-token", attributes__token_kind="hardware").exists()
    assert set(items.filter(ci_type__code="applicatie").values_list("attributes__streaming_suitable", flat=True)) == {
        "ja", "nee", "niet beoordeeld"}
    # The lifecycle's end is there too: replaced pcs, retired and disposed, related to nothing.
    ended = items.filter(status__in=["retired", "disposed"])
    assert set(ended.values_list("status", flat=True)) == {"retired", "disposed"}
    assert not Relation.all_objects.filter(source__in=ended).exists()
    # A second run (and the loaders that build on it) adds nothing of ours.
    assert load_demo(random.Random(7))["items"] == 0
    assert Relation.all_objects.count() == relations
    network_demo.load_demo(random.Random(2026))
    contract_demo.load_demo(random.Random(2026))
    extra_items = items.exclude(ci_type__code="netwerkverbinding").count() - first["total"]
    assert extra_items == 0, "network_demo and contract_demo reuse the items demo's estate"
    # Every supplier the demos name has its details and contacts, once, whichever demo named it first.
    from regie.cmdb.models import Supplier, SupplierContact

    contacts = SupplierContact.objects.count()
    contract_demo.load_demo(random.Random(2026))
    assert SupplierContact.objects.count() == contacts
    for supplier in Supplier.objects.all():
        assert supplier.phone and supplier.email and supplier.support_hours, supplier.name
        assert supplier.contacts.exists(), supplier.name


def test_impact_of_a_host_reaches_services_and_municipalities(municipalities):
    load_demo(random.Random(2026))
    # ESX-VLO-02 carries the BAG server (no twin), the application and database servers:
    # BAG of every municipality, and BRP of those served from Venlo (through their BRP application).
    host = ConfigurationItem.all_objects.get(name="ESX-VLO-02")
    impact = analyse([host.pk])
    services = {item.name for item in impact.business_services}
    assert {"BAG Venlo", "BAG Roermond", "BAG Weert", "BAG Nederweert", "BRP Venlo", "BRP Weert"} <= services
    assert "BRP Roermond" not in services
    assert {name for _pk, name, _count in impact.participants()} == {
        "Gemeente Venlo", "Gemeente Roermond", "Gemeente Weert", "Gemeente Nederweert"}
    # ESX-VLO-01's servers fail over to their twins in Roermond: no business service is hit.
    assert analyse([ConfigurationItem.all_objects.get(name="ESX-VLO-01").pk]).business_services == []
    # Workplaces depend on the municipality's services, which run on virtual servers in the datacenters.
    pc = ConfigurationItem.all_objects.get(name="VNL-PC-0001")
    assert Relation.all_objects.filter(source=pc, kind=RelationKind.DEPENDS_ON).count() == 2
