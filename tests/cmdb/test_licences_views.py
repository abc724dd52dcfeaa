"""Licence pages and API: compliance view with over-use highlighted and a chart, lists,
forms, tenancy (another municipality's entitlement is a 404), query counts, API 4xx."""

import pytest
from django.urls import reverse

from regie.cmdb.factories import ConfigurationItemFactory
from regie.cmdb.licences.choices import LicenceMetric
from regie.cmdb.licences.factories import AssignmentFactory, EntitlementFactory, LicenceProductFactory
from regie.cmdb.licences.models import Assignment, Entitlement
from regie.core.factories import UserFactory


@pytest.fixture
def staff(provider):
    return UserFactory(organisation=provider, roles=["ict_manager"])


@pytest.fixture
def estate(venlo, roermond):
    office = LicenceProductFactory(code="microsoft-office")
    venlo_office = EntitlementFactory(product=office, organisation=venlo, quantity=2, reference="LTSC-VNL")
    roermond_office = EntitlementFactory(product=office, organisation=roermond, quantity=5, reference="LTSC-RMD")
    for index in range(3):
        AssignmentFactory(product=office, entitlement=venlo_office,
                          item=ConfigurationItemFactory(organisation=venlo, name=f"VNL-WP-{index}"))
    AssignmentFactory(product=office, item=ConfigurationItemFactory(organisation=roermond, name="RMD-WP-1"))
    return {"office": office, "venlo": venlo_office, "roermond": roermond_office}


def test_compliance_view_highlights_over_use(staff, estate, client_for, django_assert_max_num_queries):
    client = client_for(staff)
    url = reverse("cmdb:licence-compliance")
    client.get(url)
    with django_assert_max_num_queries(16):  # sign-in, shell, 6 for the compliance itself, 2 filter choices
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="table-danger"' in body and "over-use" in body
    assert "Gemeente Venlo: 3 / 2" in body
    assert 'data-chart="bar"' in body and 'id="compliance-chart"' in body
    assert "Gemeente Roermond" in body
    only_over = client.get(url, {"state": "over"}).content.decode()
    assert "table-warning" not in only_over


def test_compliance_view_of_a_participant(venlo, estate, client_for):
    client = client_for(UserFactory(organisation=venlo, roles=["account_manager"]))
    body = client.get(reverse("cmdb:licence-compliance")).content.decode()
    assert "Gemeente Venlo" in body and "Gemeente Roermond" not in body
    employee = client_for(UserFactory(organisation=venlo, roles=["employee"]))
    assert employee.get(reverse("cmdb:licence-compliance")).status_code == 404


def test_entitlement_pages_and_tenancy(venlo, estate, client_for):
    client = client_for(UserFactory(organisation=venlo, roles=["account_manager"]))
    body = client.get(reverse("cmdb:licence-entitlement-list")).content.decode()
    assert "LTSC-VNL" in body and "LTSC-RMD" not in body
    assert client.get(reverse("cmdb:licence-entitlement-detail", args=[estate["roermond"].pk])).status_code == 404
    body = client.get(reverse("cmdb:licence-entitlement-detail", args=[estate["venlo"].pk])).content.decode()
    assert "3 assignments counted against this entitlement" in body
    assert client.get(reverse("cmdb:licence-entitlement-create")).status_code == 404
    assert client.get(reverse("api:licence-entitlement-detail", args=[estate["roermond"].pk])).status_code == 404
    listed = client.get(reverse("api:licence-assignment-list")).json()["results"]
    assert len(listed) == 3


def test_list_query_counts(staff, estate, venlo, client_for, django_assert_max_num_queries):
    client = client_for(staff)
    for index in range(20):
        AssignmentFactory(product=estate["office"], item=ConfigurationItemFactory(organisation=venlo))
        EntitlementFactory(product=estate["office"], organisation=venlo, reference=f"EXTRA-{index}")
    for name in ("cmdb:licence-assignment-list", "cmdb:licence-entitlement-list", "cmdb:licence-product-list"):
        client.get(reverse(name))
        with django_assert_max_num_queries(14):
            assert client.get(reverse(name)).status_code == 200, name
    with django_assert_max_num_queries(17):  # incl. the navbar's waiting-approvals badge
        assert client.get(reverse("cmdb:licence-product-detail", args=[estate["office"].pk])).status_code == 200


def test_product_page_leads_to_what_is_in_use(staff, estate, venlo, client_for):
    client = client_for(staff)
    other = LicenceProductFactory(code="t-other", name="Other product")
    AssignmentFactory(product=estate["office"], item=ConfigurationItemFactory(organisation=venlo, name="VNL-PC-7"))
    AssignmentFactory(product=other, item=ConfigurationItemFactory(organisation=venlo, name="VNL-PC-8"))
    page = client.get(reverse("cmdb:licence-product-detail", args=[estate["office"].pk])).content.decode()
    link = f'{reverse("cmdb:licence-assignment-list")}?product={estate["office"].pk}'
    assert f'href="{link}"' in page
    listed = client.get(link).content.decode()
    assert "VNL-PC-7" in listed and "VNL-PC-8" not in listed


def test_create_entitlement_and_assign_through_the_forms(staff, venlo, client_for):
    client = client_for(staff)
    product = LicenceProductFactory(code="t-form", name="VDA", metric=LicenceMetric.PER_USER)
    response = client.post(reverse("cmdb:licence-entitlement-create"), {
        "product": product.pk, "organisation": venlo.pk, "quantity": "0", "starts_on": "2026-01-01",
    })
    assert response.status_code == 400 and not Entitlement.objects.unrestricted().exists()
    response = client.post(reverse("cmdb:licence-entitlement-create"), {
        "product": product.pk, "organisation": venlo.pk, "quantity": "25", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31", "cost": "1250.00",
    })
    assert response.status_code == 302
    person = UserFactory(organisation=venlo, username="venlo.jansen")
    ConfigurationItemFactory(organisation=venlo, asset_tag="VNL-00042")
    refused = client.post(reverse("cmdb:licence-assignment-create"), {"product": product.pk, "item": "VNL-00042"})
    assert refused.status_code == 400 and "assigned to a person, not to an item" in refused.content.decode()
    unknown = client.post(reverse("cmdb:licence-assignment-create"), {"product": product.pk, "person": "niemand"})
    assert unknown.status_code == 400 and "No person with this user name" in unknown.content.decode()
    response = client.post(reverse("cmdb:licence-assignment-create"), {"product": product.pk, "person": "venlo.jansen"})
    assert response.status_code == 302
    assignment = Assignment.objects.unrestricted().get(product=product)
    assert assignment.person == person and assignment.organisation == venlo
    client.post(reverse("cmdb:licence-assignment-delete", args=[assignment.pk]))
    assert not Assignment.objects.unrestricted().exists()


# --- API --------------------------------------------------------------------------------------

def test_api_compliance(staff, estate, venlo, client_for):
    client = client_for(staff)
    data = client.get(reverse("api:licence-compliance-list"), {"state": "over"}).json()
    assert [(r["organisationName"], r["entitled"], r["inUse"], r["state"]) for r in data["results"]] == [
        ("Gemeente Venlo", 2, 3, "over")
    ]
    assert client.get(reverse("api:licence-compliance-list"), {"state": "bogus"}).status_code == 400
    assert client.get(reverse("api:licence-compliance-list"), {"product": 999999}).status_code == 400
    assert client.get(reverse("api:licence-compliance-list"), {"day": "gisteren"}).status_code == 400
    venlo_only = client_for(UserFactory(organisation=venlo, roles=["account_manager"]))
    rows = venlo_only.get(reverse("api:licence-compliance-list")).json()["results"]
    assert {r["organisationName"] for r in rows} == {"Gemeente Venlo"}


def test_api_compliance_pages_with_an_opaque_cursor(staff, estate, client_for):
    client = client_for(staff)
    url = reverse("api:licence-compliance-list")
    everything = client.get(url, {"pageSize": 100}).json()["results"]
    assert len(everything) == 2
    first = client.get(url, {"pageSize": 1}).json()
    assert len(first["results"]) == 1 and first["previous"] is None and first["next"]
    second = client.get(first["next"]).json()
    assert second["previous"] and second["next"] is None
    assert first["results"] + second["results"] == everything
    assert client.get(url, {"cursor": "not-a-cursor"}).status_code == 404
    refused = client.get(url, {"pageSize": "many"})
    assert refused.status_code == 400 and "pageSize" in str(refused.json())


def test_api_entitlements_and_assignments(staff, venlo, roermond, client_for):
    client = client_for(staff)
    core = LicenceProductFactory(code="t-api-core", metric=LicenceMetric.PER_CORE, minimum_cores=16)
    url = reverse("api:licence-entitlement-list")
    bad = client.post(url, {"product": core.pk, "organisation": venlo.pk, "quantity": 0, "startsOn": "2026-01-01"},
                      content_type="application/json")
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    assert {p["name"] for p in bad.json()["invalidParams"]} == {"quantity"}
    backwards = client.post(url, {"product": core.pk, "organisation": venlo.pk, "quantity": 32,
                                  "startsOn": "2026-01-01", "endsOn": "2025-01-01"}, content_type="application/json")
    assert backwards.status_code == 400 and backwards.json()["invalidParams"][0]["name"] == "endsOn"
    created = client.post(url, {"product": core.pk, "organisation": venlo.pk, "quantity": 32,
                                "startsOn": "2026-01-01"}, content_type="application/json")
    assert created.status_code == 201
    server = ConfigurationItemFactory(organisation=venlo, attributes={"cores": 24})
    assignments = reverse("api:licence-assignment-list")
    person = UserFactory(organisation=venlo)
    refused = client.post(assignments, {"product": core.pk, "person": person.pk}, content_type="application/json")
    assert refused.status_code == 400 and refused.json()["invalidParams"][0]["name"] == "person"
    made = client.post(assignments, {"product": core.pk, "item": server.pk}, content_type="application/json")
    assert made.status_code == 201 and made.json()["units"] == 24 and made.json()["organisation"] == venlo.pk
    mass = client.post(assignments, {"product": core.pk, "item": server.pk, "organisation": roermond.pk},
                       content_type="application/json")
    assert mass.status_code == 400
    detail = reverse("api:licence-assignment-detail", args=[made.json()["id"]])
    assert client.delete(detail).status_code == 204
    assert client.get(detail).status_code == 404
    # A participant reads, but cannot write.
    participant = client_for(UserFactory(organisation=venlo, roles=["account_manager"]))
    assert participant.post(url, {"product": core.pk, "organisation": venlo.pk, "quantity": 1,
                                  "startsOn": "2026-01-01"}, content_type="application/json").status_code == 403
    products = participant.get(reverse("api:licence-product-list"), {"metric": "core"}).json()["results"]
    assert any(p["code"] == "windows-server" for p in products)


def test_api_another_municipalitys_item_cannot_be_assigned(venlo, roermond, client_for):
    client = client_for(UserFactory(organisation=venlo, roles=["account_manager"]))
    product = LicenceProductFactory(code="t-api-dev", metric=LicenceMetric.PER_DEVICE)
    other = ConfigurationItemFactory(organisation=roermond)
    response = client.post(reverse("api:licence-assignment-list"), {"product": product.pk, "item": other.pk},
                           content_type="application/json")
    assert response.status_code in (400, 403)
    assert not Assignment.objects.unrestricted().exists()
