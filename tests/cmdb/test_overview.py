"""The CMDB overview (regie/cmdb/overview.py): what needs attention and what the register
holds, within the user's scope; every number is the number of rows behind its link."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from regie.cmdb import network, overview
from regie.cmdb.certificates.factories import CertificateFactory
from regie.cmdb.choices import CIStatus, ModelApproval, NetworkLinkKind
from regie.cmdb.factories import ConfigurationItemFactory, ContractFactory, ItemModelFactory, ItemTypeFactory
from regie.cmdb.licences.factories import AssignmentFactory, EntitlementFactory, LicenceProductFactory
from regie.core.choices import LocationKind
from regie.core.factories import LocationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def estate(provider, venlo, roermond, item_keeper):
    today = timezone.localdate()
    laptop = ItemTypeFactory(code="laptop")
    approved = ItemModelFactory(ci_type=laptop, manufacturer="HP", name="EliteBook 840 G11")
    ended = ItemModelFactory(ci_type=laptop, manufacturer="HP", name="EliteBook 840 G8",
                             standard_until=datetime.date(2020, 1, 1))
    ItemModelFactory(ci_type=laptop, manufacturer="Lenovo", name="ThinkPad X13", approval=ModelApproval.PROPOSED)
    for organisation, prefix in ((venlo, "VNL"), (roermond, "RMD")):
        ConfigurationItemFactory(organisation=organisation, ci_type=laptop, model=approved, name=f"{prefix}-LT-1")
        ConfigurationItemFactory(organisation=organisation, ci_type=laptop, model=ended, name=f"{prefix}-LT-2",
                                 warranty_end=today + datetime.timedelta(days=30))
        ConfigurationItemFactory(organisation=organisation, ci_type=laptop, model=ended, name=f"{prefix}-LT-3",
                                 status=CIStatus.RETIRED, warranty_end=today + datetime.timedelta(days=10))
        CertificateFactory(organisation=organisation, common_name=f"oud.{prefix.lower()}.nl", days_left=-3)
        CertificateFactory(organisation=organisation, common_name=f"bijna.{prefix.lower()}.nl", days_left=10)
        CertificateFactory(organisation=organisation, common_name=f"goed.{prefix.lower()}.nl", days_left=300)
    office = LicenceProductFactory(code="t-office", name="Office")
    EntitlementFactory(product=office, organisation=venlo, quantity=1)
    for name in ("VNL-LT-1", "VNL-LT-2"):
        from regie.cmdb.models import ConfigurationItem

        AssignmentFactory(product=office, item=ConfigurationItem.all_objects.get(name=name))
    ContractFactory(organisation=provider, ends_on=today + datetime.timedelta(days=20), reference="RC-BIJNA")
    ContractFactory(organisation=provider, reference="RC-LANG")
    dc = LocationFactory(organisation=provider, name="Datacenter Venlo", kind=LocationKind.DATACENTER)
    network.save_link(item_keeper, {
        "name": "Gemnet DC Venlo", "organisation": provider, "kind": NetworkLinkKind.GEMNET, "end_a": dc,
        "end_b": None, "bandwidth_mbps": 1000, "provider": None, "redundant_with": None, "notes": "",
    })


def counts(signals):
    return {signal.key: signal.count for signal in signals}


def test_provider_staff_see_every_signal(estate, item_keeper, item_manager):
    assert counts(overview.attention(item_keeper)) == {
        "certificates-expired": 2, "certificates-expiring": 2, "licences-over": 1, "contracts-expiring": 1,
        "items-non-standard": 2, "items-warranty": 2, "network-redundancy": 1, "datacenter-warnings": 0,
    }
    # New models wait for those who may approve them.
    assert counts(overview.attention(item_manager))["models-proposed"] == 1


def test_a_participant_counts_only_their_own(estate, venlo_reader):
    found = counts(overview.attention(venlo_reader))
    assert found["certificates-expired"] == 1 and found["certificates-expiring"] == 1
    assert found["items-non-standard"] == 1 and found["items-warranty"] == 1 and found["licences-over"] == 1
    assert "network-redundancy" not in found and "datacenter-warnings" not in found
    assert "models-proposed" not in found  # approving new models is the provider's
    composition = overview.composition(venlo_reader)
    assert composition["by_owner"]["labels"] == ["Gemeente Venlo"]
    assert composition["total"] == 3 and composition["live"] == 2


@pytest.mark.parametrize("who", ["item_keeper", "item_manager", "venlo_reader"])
def test_every_number_is_the_number_of_rows_behind_its_link(estate, who, request, client_for):
    user = request.getfixturevalue(who)
    client = client_for(user)
    for signal in overview.attention(user):
        if signal.key in ("network-redundancy", "datacenter-warnings"):
            continue  # these link to the whole page, where the warnings are marked
        response = client.get(signal.url)
        assert response.status_code == 200, signal.url
        rows = response.context.get("rows")
        listed = response.context["object_list"] if rows is None else rows
        assert len(listed) == signal.count, (signal.key, signal.url)


def test_page_charts_and_menu(estate, item_keeper, venlo_reader, client_for):
    page = client_for(item_keeper).get(reverse("cmdb:overview")).content.decode()
    assert 'data-signal="certificates-expired"' in page and 'id="category-data"' in page and 'id="owner-data"' in page
    assert "Gemeente Roermond" in page
    assert re.search(r'data-signal="certificates-expired".*?>2</span>\s*<span[^>]*>certificates have expired<', page,
                     re.DOTALL)
    assert f'href="{reverse("cmdb:overview")}"' in page  # in the CMDB menu
    theirs = client_for(venlo_reader).get(reverse("cmdb:overview")).content.decode()
    assert "Gemeente Roermond" not in theirs and "RMD" not in theirs


def test_without_cmdb_rights_the_page_is_not_found(venlo, make_user, client_for):
    assert client_for(make_user(venlo, "employee")).get(reverse("cmdb:overview")).status_code == 404


def test_an_empty_register_says_so(item_keeper, client_for):
    page = client_for(item_keeper).get(reverse("cmdb:overview")).content.decode()
    assert "No items registered yet." in page and "Nothing needs attention right now." in page


def test_statements_do_not_grow_with_the_estate(estate, item_keeper, venlo, client_for,
                                                django_assert_max_num_queries):
    client = client_for(item_keeper)
    client.get(reverse("cmdb:overview"))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as before:
        client.get(reverse("cmdb:overview"))
    laptop = ItemTypeFactory(code="laptop")
    for n in range(15):
        ConfigurationItemFactory(organisation=venlo, ci_type=laptop, name=f"EXTRA-{n}",
                                 warranty_end=timezone.localdate() + datetime.timedelta(days=5))
        CertificateFactory(organisation=venlo, common_name=f"extra{n}.venlo.nl", days_left=5)
    with django_assert_max_num_queries(len(before)):
        assert client.get(reverse("cmdb:overview")).status_code == 200


def test_item_list_filters_on_warranty(estate, item_keeper, client_for):
    client = client_for(item_keeper)
    url = reverse("cmdb:item-list")
    ending = {item.name for item in client.get(url, {"warranty": "ending"}).context["object_list"]}
    assert ending == {"VNL-LT-2", "VNL-LT-3", "RMD-LT-2", "RMD-LT-3"}
    from regie.cmdb.models import ConfigurationItem

    ConfigurationItem.all_objects.filter(name="VNL-LT-1").update(warranty_end=datetime.date(2020, 1, 1))
    assert [item.name for item in client.get(url, {"warranty": "ended"}).context["object_list"]] == ["VNL-LT-1"]
