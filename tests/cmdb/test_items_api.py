"""API of the item register: /api/v1/configuration-items (same rules as the pages, 4xx
problem+json with field messages such as attributes.cores), item types, the standards
catalogue with its approval permission, and tenancy (another municipality's item is a 404)."""

import pytest

from regie.cmdb.choices import ModelApproval
from regie.cmdb.factories import ConfigurationItemFactory, ItemModelFactory, ItemTypeFactory
from regie.cmdb.models import ConfigurationItem, ConfigurationItemModel

pytestmark = pytest.mark.django_db

ITEMS = "/api/v1/configuration-items"
TYPES = "/api/v1/configuration-item-types"
MODELS = "/api/v1/configuration-item-models"


class Api:
    """A signed-in client speaking JSON."""

    def __init__(self, client):
        self.client = client

    def get(self, url, params=None):
        return self.client.get(url, params or {})

    def post(self, url, data=None):
        return self.client.post(url, data or {}, content_type="application/json")

    def patch(self, url, data=None):
        return self.client.patch(url, data or {}, content_type="application/json")

    def delete(self, url):
        return self.client.delete(url)


@pytest.fixture
def api_for(client_for):
    return lambda user: Api(client_for(user))


def problem(response, status=400):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    return {param["name"]: param["reason"] for param in body.get("invalidParams", [])}


def test_list_filter_and_read(api_for, item_keeper, venlo, roermond, venlo_laptop,
                              django_assert_max_num_queries):
    for n in range(20):
        ConfigurationItemFactory(organisation=roermond, name=f"RMD-PC-{n:04d}")
    client = api_for(item_keeper)
    client.get(ITEMS)
    with django_assert_max_num_queries(8):
        body = client.get(ITEMS, {"pageSize": 50}).json()
    assert len(body["results"]) == 21
    assert [r["name"] for r in client.get(ITEMS, {"organisation": venlo.pk}).json()["results"]] == ["VNL-LT-0001"]
    assert client.get(ITEMS, {"standard": "non_standard"}).json()["results"] == []
    detail = client.get(f"{ITEMS}/{venlo_laptop.pk}").json()
    assert detail["typeCode"] == "laptop" and detail["isStandard"] is True
    assert detail["attributes"] == {"os": "Windows 11", "encrypted": True}
    assert detail["modelName"] == "HP EliteBook 840 G11"


def test_create_validates_attributes_with_field_messages(api_for, item_keeper, venlo):
    client = api_for(item_keeper)
    server = ItemTypeFactory(code="virtuele-server")
    reasons = problem(client.post(ITEMS, {"name": "APP-01", "type": server.pk, "organisation": venlo.pk,
                                          "attributes": {"os": "OS/2", "cores": 0, "gpu": 1}}))
    assert set(reasons) == {"attributes.os", "attributes.cores", "attributes.gpu"}
    reasons = problem(client.post(ITEMS, {"name": "APP-01", "type": server.pk, "organisation": venlo.pk,
                                          "attributes": {"os": "Windows Server 2022", "cores": "many"}}))
    assert reasons == {"attributes.cores": "Enter a whole number."}
    reasons = problem(client.post(ITEMS, {"name": "APP-01", "type": server.pk, "status": "lost",
                                          "purchaseDate": "31-02-2025", "price": "-1"}))
    assert set(reasons) == {"status", "purchaseDate", "price"}
    assert set(problem(client.post(ITEMS, {"name": "APP-01", "type": server.pk, "secret": 1}))) == {"secret"}
    reasons = problem(client.post(ITEMS, {"name": "APP-01", "organisation": venlo.pk}))
    assert set(reasons) == {"type"}
    assert not ConfigurationItem.all_objects.exists()
    created = client.post(ITEMS, {"name": "APP-01", "type": server.pk, "organisation": venlo.pk,
                                  "recoveryTimeObjective": "04:00:00",
                                  "attributes": {"os": "windows server 2022", "cores": "4"}})
    assert created.status_code == 201, created.content
    assert created.json()["attributes"] == {"os": "Windows Server 2022", "cores": 4}


def test_update_follows_the_lifecycle_and_keeps_the_type(api_for, item_keeper, venlo_laptop):
    client = api_for(item_keeper)
    url = f"{ITEMS}/{venlo_laptop.pk}"
    assert client.patch(url, {"status": "retired"}).json()["status"] == "retired"
    assert client.patch(url, {"status": "disposed"}).status_code == 200
    assert problem(client.patch(url, {"status": "in_use"})) == {"status": "A disposed item stays disposed."}
    assert "type" in problem(client.patch(url, {"type": ItemTypeFactory(code="tablet").pk}))
    assert "attributes.encrypted" in problem(client.patch(url, {"attributes": {"encrypted": "perhaps"}}))
    venlo_laptop.refresh_from_db()
    assert venlo_laptop.attributes["encrypted"] is True


def test_tenancy_and_read_only_participants(api_for, venlo_reader, roermond_reader, venlo_laptop):
    url = f"{ITEMS}/{venlo_laptop.pk}"
    theirs = api_for(roermond_reader)
    assert problem(theirs.get(url), 404) == {}
    assert theirs.patch(url, {"name": "x"}).status_code == 404
    assert theirs.delete(url).status_code == 404
    assert theirs.get(ITEMS).json()["results"] == []
    mine = api_for(venlo_reader)
    assert mine.get(url).status_code == 200
    assert problem(mine.patch(url, {"name": "x"}), 403) == {}
    assert mine.delete(url).status_code == 403
    assert mine.post(ITEMS, {"name": "x", "type": venlo_laptop.ci_type_id}).status_code == 403
    venlo_laptop.refresh_from_db()
    assert venlo_laptop.name == "VNL-LT-0001"


def test_participant_keeper_registers_only_for_itself(api_for, participant_keeper, venlo, roermond):
    client = api_for(participant_keeper)
    laptop = ItemTypeFactory(code="laptop")
    assert problem(client.post(ITEMS, {"name": "x", "type": laptop.pk, "organisation": roermond.pk}))
    created = client.post(ITEMS, {"name": "VNL-LT-9", "type": laptop.pk})
    assert created.status_code == 201 and created.json()["organisation"] == venlo.pk


def test_delete(api_for, item_keeper, venlo):
    spare = ConfigurationItemFactory(organisation=venlo)
    assert api_for(item_keeper).delete(f"{ITEMS}/{spare.pk}").status_code == 204
    assert not ConfigurationItem.all_objects.filter(pk=spare.pk).exists()


def test_item_types_are_read_only(api_for, venlo_reader):
    client = api_for(venlo_reader)
    body = client.get(TYPES, {"pageSize": 100}).json()
    token = next(t for t in body["results"] if t["code"] == "rsa-token")
    assert {a["code"] for a in token["attributeSchema"]} == {"token_serial", "expires_on", "token_kind"}
    assert client.post(TYPES, {"code": "x"}).status_code == 405


def test_models_propose_and_approval_permission(api_for, item_manager, item_keeper, venlo_reader):
    tablet = ItemTypeFactory(code="tablet")
    proposed = api_for(venlo_reader).post(MODELS, {"type": tablet.pk, "manufacturer": "Apple",
                                                      "name": "iPad Air", "approval": "approved"})
    assert "approval" in problem(proposed)
    proposed = api_for(venlo_reader).post(MODELS, {"type": tablet.pk, "manufacturer": "Apple", "name": "iPad Air"})
    assert proposed.status_code == 201 and proposed.json()["approval"] == "proposed"
    pk = proposed.json()["id"]
    assert "name" in problem(api_for(item_keeper).post(MODELS, {"type": tablet.pk, "manufacturer": "Apple",
                                                                    "name": "iPad Air"}))
    for user in (item_keeper, venlo_reader):
        assert problem(api_for(user).post(f"{MODELS}/{pk}/approvals", {}), 403) == {}
    manager = api_for(item_manager)
    assert "standardUntil" in problem(manager.post(f"{MODELS}/{pk}/approvals", {"standardUntil": "2001-01-01"}))
    approved = manager.post(f"{MODELS}/{pk}/approvals", {"standardUntil": "2099-01-01"}).json()
    assert approved["isStandard"] is True and approved["approvedBy"] == item_manager.username
    assert manager.post(f"{MODELS}/{pk}/rejections", {}).json()["approval"] == "rejected"
    assert ConfigurationItemModel.objects.unrestricted().get(pk=pk).approval == ModelApproval.REJECTED
    listed = manager.get(MODELS, {"approval": "rejected"}).json()["results"]
    assert [m["name"] for m in listed] == ["iPad Air"]
    assert manager.post(f"{MODELS}/999999/approvals", {}).status_code == 404


def test_non_standard_flag_in_the_api(api_for, item_keeper, venlo):
    laptop = ItemTypeFactory(code="laptop")
    odd = ItemModelFactory(ci_type=laptop, approval=ModelApproval.PROPOSED)
    item = ConfigurationItemFactory(organisation=venlo, ci_type=laptop, model=odd)
    client = api_for(item_keeper)
    assert client.get(f"{ITEMS}/{item.pk}").json()["isStandard"] is False
    assert [r["id"] for r in client.get(ITEMS, {"standard": "non_standard"}).json()["results"]] == [item.pk]
