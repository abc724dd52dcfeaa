"""Relation rules (regie/cmdb/relations.py), the relations page and /api/v1/relations."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from regie.cmdb import relations as rules
from regie.cmdb.choices import RelationKind
from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory, RelationFactory
from regie.cmdb.models import Relation
from regie.core.models import AuditRecord

pytestmark = pytest.mark.django_db
K = RelationKind


@pytest.fixture
def staff(provider, make_user):
    return make_user(provider, "engineer")


@pytest.fixture
def items(venlo, roermond, provider):
    return {
        "vm": ConfigurationItemFactory(organisation=provider, name="VM-01", ci_type=ItemTypeFactory(
            code="virtuele-server")),
        "app": ConfigurationItemFactory(organisation=venlo, name="Zaaksysteem", ci_type=ItemTypeFactory(
            code="applicatie")),
        "laptop": ConfigurationItemFactory(organisation=venlo, name="LT-001", ci_type=ItemTypeFactory(code="laptop")),
        "roermond": ConfigurationItemFactory(organisation=roermond, name="RoermondGeheim"),
        "dc": ConfigurationItemFactory(organisation=provider, name="DC Venlo", ci_type=ItemTypeFactory(
            code="datacenter")),
    }


def test_add_and_remove_are_audited(staff, items):
    relation = rules.add_relation(staff, items["app"], K.RUNS_ON, items["vm"], "productie")
    assert str(relation) == "Zaaksysteem runs on VM-01"
    assert AuditRecord.objects.unrestricted().filter(action="create", object_repr="Zaaksysteem runs on VM-01",
                                                     organisation_id=items["app"].organisation_id).exists()
    rules.remove_relation(staff, relation)
    assert not Relation.all_objects.filter(pk=relation.pk).exists()
    assert AuditRecord.objects.unrestricted().filter(action="delete", object_repr="Zaaksysteem runs on VM-01").exists()


def test_self_relation_is_refused_by_the_service_and_the_database(staff, items):
    with pytest.raises(ValidationError) as exc:
        rules.add_relation(staff, items["vm"], K.DEPENDS_ON, items["vm"])
    assert "itself" in str(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.all_objects.create(source=items["vm"], kind=K.DEPENDS_ON, target=items["vm"])


def test_duplicates_are_refused_by_the_service_and_the_database(staff, items):
    rules.add_relation(staff, items["app"], K.RUNS_ON, items["vm"])
    with pytest.raises(ValidationError) as exc:
        rules.add_relation(staff, items["app"], K.RUNS_ON, items["vm"])
    assert "already exists" in str(exc.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        Relation.all_objects.create(source=items["app"], kind=K.RUNS_ON, target=items["vm"])
    # Another kind between the same items, and the reverse direction, are fine (cycles are allowed).
    rules.add_relation(staff, items["app"], K.DEPENDS_ON, items["vm"])
    rules.add_relation(staff, items["vm"], K.CONNECTED_TO, items["app"])


def test_cheap_type_checks(staff, items):
    with pytest.raises(ValidationError, match="datacenter"):
        rules.add_relation(staff, items["vm"], K.LOCATED_IN, items["app"])
    rules.add_relation(staff, items["vm"], K.LOCATED_IN, items["dc"])
    with pytest.raises(ValidationError, match="Only software"):
        rules.add_relation(staff, items["laptop"], K.INSTALLED_ON, items["vm"])
    rules.add_relation(staff, items["app"], K.INSTALLED_ON, items["vm"])
    with pytest.raises(ValidationError, match="same type"):
        rules.add_relation(staff, items["vm"], K.FAILS_OVER_TO, items["app"])


def test_participants_may_not_add_and_items_must_be_visible(venlo, make_user, items):
    from django.core.exceptions import PermissionDenied

    manager = make_user(venlo, "account_manager")
    with pytest.raises(PermissionDenied):
        rules.add_relation(manager, items["app"], K.DEPENDS_ON, items["laptop"])
    with pytest.raises(ValidationError, match="was found"):
        rules.find_item(manager, "RoermondGeheim")
    assert rules.find_item(manager, "lt-001") == items["laptop"]


def test_relations_page_lists_adds_and_removes(staff, items, client_for):
    client = client_for(staff)
    url = reverse("cmdb:item-relations", args=[items["app"].pk])
    response = client.post(reverse("cmdb:relation-add", args=[items["app"].pk]),
                           {"direction": "outgoing", "kind": K.RUNS_ON, "other": "VM-01", "note": ""})
    assert response.status_code == 302
    relation = Relation.all_objects.get(source=items["app"], target=items["vm"])
    response = client.post(reverse("cmdb:relation-add", args=[items["laptop"].pk]),
                           {"direction": "incoming", "kind": K.CONNECTED_TO, "other": "Zaaksysteem"})
    assert Relation.all_objects.filter(source=items["app"], kind=K.CONNECTED_TO, target=items["laptop"]).exists()
    body = client.get(url).content.decode()
    assert "VM-01" in body and "LT-001" in body
    # Bad input: a field message and a 400, nothing written.
    response = client.post(reverse("cmdb:relation-add", args=[items["app"].pk]),
                           {"direction": "outgoing", "kind": K.RUNS_ON, "other": "Zaaksysteem"})
    assert response.status_code == 400 and "itself" in response.content.decode()
    response = client.post(reverse("cmdb:relation-add", args=[items["app"].pk]),
                           {"direction": "outgoing", "kind": K.RUNS_ON, "other": "nope"})
    assert response.status_code == 400 and "was found" in response.content.decode()
    response = client.post(reverse("cmdb:relation-delete", args=[relation.pk]), {"item": items["app"].pk})
    assert response.status_code == 302
    assert not Relation.all_objects.filter(pk=relation.pk).exists()


def test_relations_page_tenancy_and_redaction(venlo, roermond, make_user, items, client_for, staff):
    rules.add_relation(staff, items["app"], K.RUNS_ON, items["vm"])
    rules.add_relation(staff, items["laptop"], K.DEPENDS_ON, items["app"])
    venlo_client = client_for(make_user(venlo, "account_manager"))
    response = venlo_client.get(reverse("cmdb:item-relations", args=[items["app"].pk]))
    body = response.content.decode()
    assert response.status_code == 200 and "LT-001" in body and "VM-01" not in body
    assert "1 more relation" in body
    assert "Add a relation" not in body
    roermond_client = client_for(make_user(roermond, "account_manager"))
    assert roermond_client.get(reverse("cmdb:item-relations", args=[items["app"].pk])).status_code == 404
    relation = Relation.all_objects.get(source=items["laptop"])
    assert roermond_client.post(reverse("cmdb:relation-delete", args=[relation.pk])).status_code == 404
    assert venlo_client.post(reverse("cmdb:relation-delete", args=[relation.pk])).status_code == 404
    assert Relation.all_objects.filter(pk=relation.pk).exists()


def test_relations_page_statements_do_not_grow(staff, items, client_for, venlo):
    client = client_for(staff)
    url = reverse("cmdb:item-relations", args=[items["vm"].pk])
    RelationFactory(source=ConfigurationItemFactory(organisation=venlo), target=items["vm"])
    RelationFactory(source=items["vm"], kind=K.DEPENDS_ON, target=ConfigurationItemFactory(organisation=venlo))
    client.get(url)
    with CaptureQueriesContext(connection) as first:
        client.get(url)
    for _n in range(10):
        RelationFactory(source=ConfigurationItemFactory(organisation=venlo), target=items["vm"])
        RelationFactory(source=items["vm"], kind=K.DEPENDS_ON, target=ConfigurationItemFactory(organisation=venlo))
    with CaptureQueriesContext(connection) as second:
        assert client.get(url).status_code == 200
    assert len(second) == len(first)


# --- API ------------------------------------------------------------------------------------


def test_api_create_list_delete(staff, items, client_for):
    client = client_for(staff)
    response = client.post(reverse("api:relation-list"), {"source": items["app"].pk, "kind": "runs_on",
                                                          "target": items["vm"].pk}, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kindName"] == "runs on" and data["targetName"] == "VM-01"
    listed = client.get(reverse("api:relation-list"), {"item": items["vm"].pk}).json()
    assert [r["id"] for r in listed["results"]] == [data["id"]]
    assert client.get(reverse("api:relation-list"), {"kind": "bogus"}).status_code == 400
    assert client.delete(reverse("api:relation-detail", args=[data["id"]])).status_code == 204
    assert not Relation.all_objects.exists()


def test_api_bad_input_is_problem_json(staff, items, client_for):
    client = client_for(staff)
    url = reverse("api:relation-list")

    def post(body):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert response["Content-Type"].startswith("application/problem+json")
        return {p["name"] for p in response.json()["invalidParams"]}

    assert post({"source": items["vm"].pk, "kind": "runs_on", "target": items["vm"].pk}) == {"target"}
    assert post({"source": items["vm"].pk, "kind": "runs_on", "target": items["roermond"].pk + 999}) == {"target"}
    assert post({"source": items["vm"].pk, "kind": "floats_on", "target": items["app"].pk}) == {"kind"}
    assert post({"source": items["app"].pk, "kind": "runs_on", "target": items["vm"].pk, "organisation": 1}) == {
        "organisation"}
    client.post(url, {"source": items["app"].pk, "kind": "runs_on", "target": items["vm"].pk},
                content_type="application/json")
    assert post({"source": items["app"].pk, "kind": "runs_on", "target": items["vm"].pk}) == {"target"}
    assert Relation.all_objects.count() == 1


def test_api_tenancy(venlo, roermond, make_user, items, client_for, staff):
    relation = rules.add_relation(staff, items["laptop"], K.DEPENDS_ON, items["app"])
    venlo_client = client_for(make_user(venlo, "account_manager"))
    assert venlo_client.get(reverse("api:relation-detail", args=[relation.pk])).status_code == 200
    assert venlo_client.delete(reverse("api:relation-detail", args=[relation.pk])).status_code == 403
    roermond_client = client_for(make_user(roermond, "account_manager"))
    assert roermond_client.get(reverse("api:relation-detail", args=[relation.pk])).status_code == 404
    assert roermond_client.get(reverse("api:relation-list")).json()["results"] == []
    # Roermond cannot even name Venlo's item: "no such item", never a hint it exists.
    response = roermond_client.post(reverse("api:relation-list"), {
        "source": items["roermond"].pk, "kind": "depends_on", "target": items["app"].pk},
        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["invalidParams"] == [{"name": "target", "code": "invalid",
                                                 "reason": "No such configuration item."}]
