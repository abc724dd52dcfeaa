"""Network links and datacenters (regie/cmdb/network.py): validation, redundancy warnings,
the pages, the datacenter overview and the demo data."""

import datetime
import random

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from regie.cmdb import network
from regie.cmdb.choices import NetworkLinkKind, RelationKind
from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory, RelationFactory, SupplierFactory
from regie.cmdb.models import ConfigurationItem, NetworkLink
from regie.core.choices import LocationKind
from regie.core.factories import LocationFactory

pytestmark = pytest.mark.django_db
N = NetworkLinkKind


@pytest.fixture
def staff(provider, make_user):
    return make_user(provider, "engineer")


@pytest.fixture
def places(provider, venlo):
    return {
        "dc_venlo": LocationFactory(organisation=provider, name="Datacenter Venlo", kind=LocationKind.DATACENTER),
        "dc_roermond": LocationFactory(organisation=provider, name="Datacenter Roermond",
                                       kind=LocationKind.DATACENTER),
        "hall": LocationFactory(organisation=venlo, name="Stadskantoor Venlo", kind=LocationKind.TOWN_HALL),
    }


def data(provider, **changes):
    values = {"name": "Gemnet DC Venlo", "organisation": provider, "kind": N.GEMNET, "end_a": None, "end_b": None,
              "bandwidth_mbps": 1000, "provider": None, "redundant_with": None, "notes": ""}
    values.update(changes)
    return values


def test_validation(staff, provider, places):
    with pytest.raises(ValidationError) as exc:
        network.save_link(staff, data(provider, kind=N.INTER_MUNICIPAL, end_a=places["hall"], bandwidth_mbps=0))
    assert set(exc.value.message_dict) == {"end_b", "bandwidth_mbps"}
    with pytest.raises(ValidationError) as exc:
        network.save_link(staff, data(provider, kind=N.LAN_WIFI, end_a=places["hall"], end_b=places["hall"]))
    assert set(exc.value.message_dict) == {"end_b"}
    with pytest.raises(ValidationError) as exc:
        network.save_link(staff, data(provider, kind="", end_a=None))
    assert set(exc.value.message_dict) == {"kind", "end_a"}
    gemnet = network.save_link(staff, data(provider, end_a=places["dc_venlo"]))
    assert gemnet.item.ci_type.code == "netwerkverbinding" and gemnet.end_b is None
    internet = network.save_link(staff, data(provider, name="Internet", kind=N.INTERNET, end_a=places["dc_venlo"]))
    with pytest.raises(ValidationError) as exc:
        network.save_link(staff, data(provider, name="Gemnet 2", end_a=places["dc_roermond"], redundant_with=internet))
    assert "same kind" in str(exc.value)
    assert ConfigurationItem.all_objects.filter(ci_type__code="netwerkverbinding").count() == 2


def test_participants_may_not_keep_links(venlo, make_user, provider, places):
    with pytest.raises(PermissionDenied):
        network.save_link(make_user(venlo, "account_manager"), data(provider, end_a=places["dc_venlo"]))


def test_redundant_pairs_and_warnings(staff, provider, places):
    first = network.save_link(staff, data(provider, end_a=places["dc_venlo"]))
    assert network.link_warnings(first) and "No redundant partner" in network.link_warnings(first)[0]
    second = network.save_link(staff, data(provider, name="Gemnet DC Roermond", end_a=places["dc_roermond"],
                                            redundant_with=first))
    first.refresh_from_db()
    assert first.redundant_with == second and second.redundant_with == first
    assert network.link_warnings(first) == [] and network.link_warnings(second) == []
    # A third link cannot take a partner that is already paired.
    with pytest.raises(ValidationError, match="already has"):
        network.save_link(staff, data(provider, name="Gemnet 3", end_a=places["dc_roermond"], redundant_with=first))
    # A partner from the same datacenter is warned about.
    same = network.save_link(staff, data(provider, name="Gemnet 3", end_a=places["dc_venlo"]))
    network.save_link(staff, data(provider, name="Gemnet DC Roermond", end_a=places["dc_venlo"],
                                  redundant_with=same), link=second)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.redundant_with is None
    assert "same place" in network.link_warnings(second)[0]


def test_network_pages(staff, provider, venlo, roermond, places, make_user, client_for):
    client = client_for(staff)
    supplier = SupplierFactory(name="Glasvezel Limburg B.V.")
    response = client.post(reverse("cmdb:network-create"), {
        "name": "Stadskantoor – DC Venlo", "organisation": venlo.pk, "kind": N.INTER_MUNICIPAL,
        "end_a": places["hall"].pk, "end_b": places["dc_venlo"].pk, "bandwidth_mbps": 1000,
        "provider": supplier.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    link = NetworkLink.all_objects.get()
    response = client.post(reverse("cmdb:network-update", args=[link.pk]), {
        "name": "Stadskantoor – DC Venlo", "organisation": venlo.pk, "kind": N.INTER_MUNICIPAL,
        "end_a": places["hall"].pk, "bandwidth_mbps": -5})
    assert response.status_code == 400
    body = response.content.decode()
    assert "only a Gemnet or Internet link has one end" in body and "more than 0" in body
    network.save_link(staff, data(provider, end_a=places["dc_venlo"]))
    body = client.get(reverse("cmdb:network-list")).content.decode()
    assert "Stadskantoor – DC Venlo" in body and "No redundant partner" in body
    # Venlo sees its own link, not the provider's; Roermond sees neither and cannot edit.
    venlo_body = client_for(make_user(venlo, "account_manager")).get(reverse("cmdb:network-list")).content.decode()
    assert "Stadskantoor – DC Venlo" in venlo_body and "Gemnet DC Venlo" not in venlo_body
    roermond_client = client_for(make_user(roermond, "account_manager"))
    assert "Stadskantoor" not in roermond_client.get(reverse("cmdb:network-list")).content.decode()
    assert roermond_client.get(reverse("cmdb:network-update", args=[link.pk])).status_code == 404


def test_datacenter_overview(staff, provider, venlo, places, client_for):
    dc_type = ItemTypeFactory(code="datacenter")
    storage_type = ItemTypeFactory(code="opslagsysteem")
    dc = ConfigurationItemFactory(organisation=provider, ci_type=dc_type, name="Datacenter Venlo",
                                  location=places["dc_venlo"])
    san = ConfigurationItemFactory(organisation=provider, ci_type=storage_type, name="SAN-VLO-01",
                                   recovery_time_objective=datetime.timedelta(hours=4))
    RelationFactory(source=san, kind=RelationKind.LOCATED_IN, target=dc)
    mail = ConfigurationItemFactory(organisation=provider, name="MAIL-VLO-01", location=places["dc_venlo"],
                                    attributes={"critical": True})
    ConfigurationItemFactory(organisation=provider, name="Test-VM", location=places["dc_venlo"])
    service = ConfigurationItemFactory(organisation=venlo, ci_type=ItemTypeFactory(code="bedrijfsdienst"),
                                       name="E-mail Venlo")
    RelationFactory(source=service, kind=RelationKind.DEPENDS_ON, target=mail)
    (centre,) = network.datacenters(staff)
    assert {p.item.name: p.warnings for p in centre.critical} == {
        "SAN-VLO-01": ["no failover partner"], "MAIL-VLO-01": ["no recovery time objective", "no failover partner"]}
    assert centre.other_count == 1
    body = client_for(staff).get(reverse("cmdb:datacenter-list")).content.decode()
    assert "SAN-VLO-01" in body and "4 h" in body and "no failover partner" in body.lower()
    assert "E-mail Venlo" in body  # hit when the datacenter fails as a whole


def test_datacenter_overview_tells_a_participant_why_it_is_empty(provider, venlo, make_user, client_for):
    ConfigurationItemFactory(organisation=provider, ci_type=ItemTypeFactory(code="datacenter"),
                             name="Datacenter Venlo")
    body = client_for(make_user(venlo, "account_manager")).get(reverse("cmdb:datacenter-list")).content.decode()
    assert "Datacenter Venlo" not in body
    assert "kept by the ICT organisation" in body and "No datacenters registered" not in body


def test_demo_is_idempotent_and_impact_of_storage_names_services_and_municipalities(provider, staff):
    from regie.cmdb import impact
    from regie.cmdb.network_demo import load_demo
    from regie.core.factories import OrganisationFactory

    for name, code in [("Gemeente Venlo", "VNL"), ("Gemeente Roermond", "RMD"), ("Gemeente Weert", "WRT"),
                       ("Gemeente Nederweert", "NDW")]:
        OrganisationFactory(name=name, code=code)
    links = load_demo(random.Random(1))
    items = ConfigurationItem.all_objects.count()
    assert links >= 12
    assert load_demo(random.Random(2)) == links and ConfigurationItem.all_objects.count() == items
    san = ConfigurationItem.all_objects.get(name="SAN-VLO-01")
    # The storage fails over to its twin: nothing beyond it is down.
    assert [i.name for i in impact.analyse([san.pk]).items] == ["SAN-VLO-01"]
    # Without the twin, the services and municipalities on it are hit.
    from regie.cmdb.models import Relation

    Relation.all_objects.filter(source=san, kind=RelationKind.FAILS_OVER_TO).delete()
    result = impact.analyse([san.pk])
    assert {"BAG Venlo", "BAG Nederweert"} <= {s.name for s in result.business_services}
    assert {name for _pk, name, _n in result.participants()} == {
        "Gemeente Venlo", "Gemeente Roermond", "Gemeente Weert", "Gemeente Nederweert"}
    centres = {c.item.name: c for c in network.datacenters(staff)}
    assert {"BAG-VLO-01"} == {p.item.name for p in centres["Datacenter Venlo"].critical if p.warnings}
    warned = [link for link in NetworkLink.all_objects.select_related("redundant_with") if network.link_warnings(link)]
    assert [link.item.name for link in warned] == ["Internet DC Venlo"]
