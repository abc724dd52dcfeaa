"""Supplier and contract pages and API: lists with filters, details, create/edit, 4xx on bad
input, tenancy (another municipality's contract is a 404), query counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from regie.cmdb.choices import ContractKind
from regie.cmdb.factories import (
    ConfigurationItemFactory,
    ContractFactory,
    ContractLineFactory,
    ItemModelFactory,
    SupplierContactFactory,
    SupplierFactory,
)
from regie.cmdb.models import Contract, ContractLine, Supplier
from regie.core.factories import UserFactory
from regie.core.models import AuditRecord as Record


@pytest.fixture
def manager(provider):
    return UserFactory(organisation=provider, roles=["ict_manager"])


@pytest.fixture
def contracts(provider, venlo, roermond):
    supplier = SupplierFactory(name="Maasdata Automatisering B.V.")
    today = timezone.localdate()
    return {
        "framework": ContractFactory(organisation=provider, supplier=supplier, reference="RC-2024-WPL",
                                     name="Raamcontract werkplekken", tender="Aanbesteding 2024"),
        "expiring": ContractFactory(organisation=provider, supplier=supplier, kind=ContractKind.MAINTENANCE,
                                    reference="OC-NET", name="Onderhoud netwerk", response_hours=2,
                                    resolution_hours=8, notice_days=60, ends_on=today + datetime.timedelta(days=20)),
        "venlo": ContractFactory(organisation=venlo, supplier=supplier, kind=ContractKind.MAINTENANCE,
                                 reference="VNL-OC-1", name="Onderhoud kaartlezers Venlo", response_hours=8),
        "roermond": ContractFactory(organisation=roermond, supplier=supplier, kind=ContractKind.MAINTENANCE,
                                    reference="RMD-OC-1", name="Onderhoud Roermond", response_hours=8),
    }


def test_contract_list_filters_and_badge(manager, contracts, client_for):
    client = client_for(manager)
    url = reverse("cmdb:contract-list")
    body = client.get(url).content.decode()
    assert all(c.reference in body for c in contracts.values())
    assert "Expiring soon" in body
    body = client.get(url, {"kind": "framework"}).content.decode()
    assert "RC-2024-WPL" in body and "OC-NET" not in body
    body = client.get(url, {"expiring": "true"}).content.decode()
    assert "OC-NET" in body and "RC-2024-WPL" not in body
    other = SupplierFactory(name="Peelnet Netwerken B.V.")
    ContractFactory(supplier=other, reference="RC-NET-9", organisation=contracts["framework"].organisation)
    body = client.get(url, {"supplier": other.pk}).content.decode()
    assert "RC-NET-9" in body and "RC-2024-WPL" not in body
    export = client.get(url, {"export": "csv"})
    assert b"RC-2024-WPL" in b"".join(export.streaming_content)


def test_contract_list_query_count(manager, contracts, client_for, django_assert_max_num_queries):
    client = client_for(manager)
    url = reverse("cmdb:contract-list")
    client.get(url)
    for index in range(20):
        ContractFactory(organisation=contracts["framework"].organisation, reference=f"EXTRA-{index}")
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200


def test_participant_sees_only_its_own_contracts(venlo, contracts, client_for):
    account_manager = UserFactory(organisation=venlo, roles=["account_manager"])
    client = client_for(account_manager)
    body = client.get(reverse("cmdb:contract-list")).content.decode()
    assert "VNL-OC-1" in body and "RMD-OC-1" not in body and "RC-2024-WPL" not in body
    assert client.get(reverse("cmdb:contract-detail", args=[contracts["roermond"].pk])).status_code == 404
    assert client.get(reverse("cmdb:contract-detail", args=[contracts["venlo"].pk])).status_code == 200
    assert client.get(reverse("cmdb:contract-update", args=[contracts["venlo"].pk])).status_code == 404
    api = client.get(reverse("api:contract-detail", args=[contracts["roermond"].pk]))
    assert api.status_code == 404 and api["Content-Type"].startswith("application/problem+json")
    listed = client.get(reverse("api:contract-list")).json()["results"]
    assert [c["reference"] for c in listed] == ["VNL-OC-1"]


def test_contract_detail_shows_lines_and_items(manager, venlo, contracts, client_for, django_assert_max_num_queries):
    framework = contracts["framework"]
    model = ItemModelFactory(manufacturer="HP", name="EliteBook 840 G11")
    ContractLineFactory(contract=framework, model=model, description="Laptop standaard", unit_price="1049.00")
    for index in range(5):
        ConfigurationItemFactory(organisation=venlo, name=f"VNL-LT-{index}", framework_contract=framework)
    client = client_for(manager)
    url = reverse("cmdb:contract-detail", args=[framework.pk])
    client.get(url)
    with django_assert_max_num_queries(16):
        body = client.get(url).content.decode()
    assert "Laptop standaard" in body and ("1.049,00" in body or "1,049.00" in body)
    assert "VNL-LT-4" in body and "5 configuration items under this contract" in body


def test_create_and_edit_contract(manager, client_for):
    supplier = SupplierFactory()
    client = client_for(manager)
    data = {
        "reference": "OC-2026-1", "name": "Onderhoud opslag", "kind": "maintenance",
        "organisation": manager.organisation_id, "supplier": supplier.pk, "starts_on": "2026-01-01",
        "ends_on": "2025-01-01", "notice_days": "90", "response_hours": "4", "resolution_hours": "8",
    }
    response = client.post(reverse("cmdb:contract-create"), data)
    assert response.status_code == 400
    assert not Contract.objects.unrestricted().exists()
    data["ends_on"] = "2028-12-31"
    response = client.post(reverse("cmdb:contract-create"), data)
    contract = Contract.objects.unrestricted().get(reference="OC-2026-1")
    assert response.status_code == 302 and response["Location"] == reverse("cmdb:contract-detail", args=[contract.pk])
    data["response_hours"] = "2"
    client.post(reverse("cmdb:contract-update", args=[contract.pk]), data)
    contract.refresh_from_db()
    assert contract.response_hours == 2
    assert Record.objects.unrestricted().filter(object_id=str(contract.pk), action="update").exists()


def test_add_and_remove_a_product_line(manager, contracts, client_for):
    framework = contracts["framework"]
    model = ItemModelFactory(manufacturer="Dell", name="Latitude 5450")
    client = client_for(manager)
    url = reverse("cmdb:contract-line-add", args=[framework.pk])
    assert client.post(url, {"line-model": model.pk, "line-unit_price": "-1"}).status_code == 400
    response = client.post(url, {"line-model": model.pk, "line-unit_price": "989.00"})
    assert response.status_code == 302
    line = ContractLine.objects.get(contract=framework)
    assert line.description == "Dell Latitude 5450"
    client.post(reverse("cmdb:contract-line-delete", args=[framework.pk, line.pk]))
    assert not ContractLine.objects.filter(pk=line.pk).exists()
    # Not a framework contract: no lines.
    other = contracts["expiring"]
    assert client.post(reverse("cmdb:contract-line-add", args=[other.pk]),
                       {"line-model": model.pk, "line-unit_price": "1"}).status_code == 400


def test_purchase_check_page(manager, contracts, client_for):
    framework = contracts["framework"]
    allowed = ItemModelFactory(name="Standard 1")
    ContractLineFactory(contract=framework, model=allowed)
    client = client_for(manager)
    url = reverse("cmdb:contract-purchase-check", args=[framework.pk])
    assert "may be bought under RC-2024-WPL" in client.get(url, {"model": allowed.pk}).content.decode()
    body = client.get(url, {"model": ItemModelFactory(name="Other 2").pk}).content.decode()
    assert "has no product line for" in body


def test_supplier_pages_and_contacts(manager, contracts, client_for, django_assert_max_num_queries):
    client = client_for(manager)
    supplier = contracts["framework"].supplier
    SupplierContactFactory(supplier=supplier, name="Sanne Jacobs", role="Accountmanager")
    for index in range(10):
        SupplierContactFactory(supplier=SupplierFactory(name=f"Leverancier {index}"))
    with django_assert_max_num_queries(12):
        body = client.get(reverse("cmdb:supplier-list")).content.decode()
    assert "Maasdata Automatisering B.V." in body
    body = client.get(reverse("cmdb:supplier-detail", args=[supplier.pk])).content.decode()
    assert "Sanne Jacobs" in body and "RC-2024-WPL" in body and "RMD-OC-1" in body
    response = client.post(reverse("cmdb:supplier-contact-create", args=[supplier.pk]),
                           {"contact-name": "Ruud Peeters", "contact-email": "geen-mailadres"})
    assert response.status_code == 400
    response = client.post(reverse("cmdb:supplier-contact-create", args=[supplier.pk]),
                           {"contact-name": "Ruud Peeters", "contact-role": "3e lijn"})
    assert response.status_code == 302 and supplier.contacts.filter(name="Ruud Peeters").exists()
    response = client.post(reverse("cmdb:supplier-create"), {"name": "Maasdata Automatisering B.V."})
    assert response.status_code == 400  # the name is taken
    response = client.post(reverse("cmdb:supplier-create"), {"name": "Roerdal Systeemhuis B.V.", "is_active": "on"})
    assert response.status_code == 302 and Supplier.objects.unrestricted().filter(name__startswith="Roerdal").exists()


def test_supplier_page_of_participant_lists_only_own_contracts(venlo, contracts, client_for):
    client = client_for(UserFactory(organisation=venlo, roles=["account_manager"]))
    body = client.get(reverse("cmdb:supplier-detail", args=[contracts["venlo"].supplier_id])).content.decode()
    assert "VNL-OC-1" in body and "RMD-OC-1" not in body
    assert client.get(reverse("cmdb:supplier-create")).status_code == 404


# --- API --------------------------------------------------------------------------------------

def test_api_contracts_crud_and_problems(manager, contracts, client_for):
    client = client_for(manager)
    url = reverse("api:contract-list")
    listed = client.get(url, {"expiring": "true"}).json()["results"]
    assert [c["reference"] for c in listed] == ["OC-NET"] and listed[0]["expiringSoon"] is True
    supplier = contracts["framework"].supplier
    bad = client.post(url, {"reference": "X", "name": "X", "kind": "maintenance", "supplier": supplier.pk,
                            "startsOn": "2026-01-01"}, content_type="application/json")
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    assert {p["name"] for p in bad.json()["invalidParams"]} == {"responseHours"}
    unknown = client.post(url, {"reference": "X", "organisation_id": 1}, content_type="application/json")
    assert unknown.status_code == 400
    created = client.post(url, {"reference": "OC-API-1", "name": "Onderhoud via API", "kind": "maintenance",
                                "supplier": supplier.pk, "startsOn": "2026-01-01", "endsOn": "2027-01-01",
                                "responseHours": 4, "resolutionHours": 8}, content_type="application/json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    changed = client.patch(reverse("api:contract-detail", args=[pk]), {"responseHours": 2},
                           content_type="application/json")
    assert changed.status_code == 200 and changed.json()["responseHours"] == 2
    duplicate = client.post(url, {"reference": "OC-API-1", "name": "Nog een", "kind": "service",
                                  "supplier": supplier.pk, "startsOn": "2026-01-01"}, content_type="application/json")
    assert duplicate.status_code == 400
    assert client.get(reverse("api:contract-list"), {"kind": "nonsense"}).status_code == 400


def test_api_purchase_check(manager, contracts, client_for):
    framework = contracts["framework"]
    model = ItemModelFactory(name="API 1")
    ContractLineFactory(contract=framework, model=model)
    client = client_for(manager)
    url = reverse("api:contract-purchase-check", args=[framework.pk])
    assert client.get(url, {"model": model.pk}).json() == {"allowed": True, "reasons": {}}
    refused = client.get(url, {"model": model.pk, "day": "2030-01-01"}).json()
    assert refused["allowed"] is False and "framework_contract" in refused["reasons"]
    assert client.get(url, {"model": "abc"}).status_code == 400
    assert client.get(url, {"model": 999999}).status_code == 400


def test_api_write_refused_for_participants(venlo, contracts, client_for):
    client = client_for(UserFactory(organisation=venlo, roles=["account_manager"]))
    response = client.patch(reverse("api:contract-detail", args=[contracts["venlo"].pk]), {"name": "Anders"},
                            content_type="application/json")
    assert response.status_code == 403
    assert client.post(reverse("api:supplier-list"), {"name": "X"}, content_type="application/json").status_code == 403


def test_api_suppliers(manager, contracts, client_for):
    client = client_for(manager)
    SupplierContactFactory(supplier=contracts["framework"].supplier, name="Sanne Jacobs")
    data = client.get(reverse("api:supplier-list")).json()["results"]
    assert data[0]["contacts"][0]["name"] == "Sanne Jacobs"
    created = client.post(reverse("api:supplier-list"), {"name": "Kempen Licentiebeheer B.V.",
                                                         "email": "geen adres"}, content_type="application/json")
    assert created.status_code == 400
    created = client.post(reverse("api:supplier-list"), {"name": "Kempen Licentiebeheer B.V."},
                          content_type="application/json")
    assert created.status_code == 201
