"""Pages of the item register: list filters and export, the item page (attributes by their
labels, non-standard flag, panels, timeline), forms with field errors, lifecycle, tenancy
(another municipality's item is a 404), participants read-only, types and standards."""

import datetime

import pytest
from django.urls import reverse

from regie.cmdb import panels
from regie.cmdb.choices import CIStatus, ModelApproval, RelationKind
from regie.cmdb.factories import ConfigurationItemFactory, ItemModelFactory, ItemTypeFactory, RelationFactory
from regie.cmdb.models import AffectedItem, ConfigurationItem, ConfigurationItemModel, Relation
from regie.core.choices import LocationKind
from regie.core.factories import LocationFactory
from regie.servicedesk.factories import TicketFactory

pytestmark = pytest.mark.django_db


def names(response):
    return [item.name for item in response.context["object_list"]]


@pytest.fixture
def register(venlo, roermond, provider):
    laptop, server = ItemTypeFactory(code="laptop"), ItemTypeFactory(code="virtuele-server")
    standard = ItemModelFactory(ci_type=laptop, manufacturer="HP", name="EliteBook 840 G11")
    ended = ItemModelFactory(ci_type=laptop, manufacturer="HP", name="EliteBook 840 G8",
                             standard_until=datetime.date(2020, 1, 1))
    hall = LocationFactory(organisation=venlo, name="Stadskantoor Venlo", kind=LocationKind.TOWN_HALL)
    return {
        "standard": ConfigurationItemFactory(organisation=venlo, ci_type=laptop, model=standard, name="VNL-LT-0001",
                                             location=hall, serial_number="SNX1"),
        "old": ConfigurationItemFactory(organisation=venlo, ci_type=laptop, model=ended, name="VNL-LT-0002",
                                        status=CIStatus.IN_REPAIR),
        "server": ConfigurationItemFactory(organisation=provider, ci_type=server, name="BRP-VLO-01",
                                           asset_tag="NML-0001", attributes={"os": "Windows Server 2022", "cores": 8}),
        "theirs": ConfigurationItemFactory(organisation=roermond, ci_type=laptop, model=standard, name="RMD-LT-0001"),
        "hall": hall, "standard_model": standard, "laptop": laptop,
    }


def test_list_filters(client_for, item_keeper, register):
    client = client_for(item_keeper)
    url = reverse("cmdb:item-list")
    assert set(names(client.get(url))) == {"VNL-LT-0001", "VNL-LT-0002", "BRP-VLO-01", "RMD-LT-0001"}
    laptop = register["laptop"]
    assert set(names(client.get(url, {"type": laptop.pk}))) == {"VNL-LT-0001", "VNL-LT-0002", "RMD-LT-0001"}
    assert names(client.get(url, {"category": "server"})) == ["BRP-VLO-01"]
    assert set(names(client.get(url, {"organisation": register["theirs"].organisation_id}))) == {"RMD-LT-0001"}
    assert names(client.get(url, {"status": "in_repair"})) == ["VNL-LT-0002"]
    assert names(client.get(url, {"location": register["hall"].pk})) == ["VNL-LT-0001"]
    assert set(names(client.get(url, {"model": register["standard_model"].pk}))) == {"VNL-LT-0001", "RMD-LT-0001"}
    assert names(client.get(url, {"standard": "non_standard"})) == ["VNL-LT-0002"]
    assert names(client.get(url, {"standard": "no_model"})) == ["BRP-VLO-01"]
    assert names(client.get(url, {"q": "snx1"})) == ["VNL-LT-0001"]
    assert names(client.get(url, {"q": "NML-0001"})) == ["BRP-VLO-01"]
    assert names(client.get(url, {"q": "lt-000"})) == ["RMD-LT-0001", "VNL-LT-0001", "VNL-LT-0002"]
    # Nonsense filters are ignored, never a 500.
    assert client.get(url, {"status": "lost", "type": "x", "cursor": "%%%"}).status_code == 200


def test_non_standard_items_are_flagged(client_for, item_keeper, register):
    client = client_for(item_keeper)
    listing = client.get(reverse("cmdb:item-list")).content.decode()
    assert listing.count("non-standard</span>") == 1
    page = client.get(reverse("cmdb:item-detail", args=[register["old"].pk])).content.decode()
    assert "is not in the standards catalogue" in page
    page = client.get(reverse("cmdb:item-detail", args=[register["standard"].pk])).content.decode()
    assert "is not in the standards catalogue" not in page and ">standard</span>" in page


def test_list_paginates_and_exports(client_for, item_keeper, venlo):
    laptop = ItemTypeFactory(code="laptop")
    for n in range(55):
        ConfigurationItemFactory(organisation=venlo, ci_type=laptop, name=f"VNL-LT-{n:04d}")
    client = client_for(item_keeper)
    first = client.get(reverse("cmdb:item-list"))
    assert len(first.context["object_list"]) == 50 and first.context["page"].has_next
    second = client.get(reverse("cmdb:item-list"), {"cursor": first.context["page"].next_cursor})
    assert names(second) == [f"VNL-LT-{n:04d}" for n in range(50, 55)]
    export = client.get(reverse("cmdb:item-list"), {"export": "csv", "q": "VNL-LT-005"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("Name;Type;Owner;Status") or lines[0].startswith("Name,Type,Owner,Status")
    assert len(lines) == 1 + 5


def test_list_and_detail_take_a_fixed_number_of_queries(client_for, item_keeper, venlo, provider,
                                                        django_assert_max_num_queries):
    laptop = ItemTypeFactory(code="laptop")
    model = ItemModelFactory(ci_type=laptop)
    hall = LocationFactory(organisation=venlo, name="Stadskantoor Venlo")
    items = [ConfigurationItemFactory(organisation=venlo, ci_type=laptop, model=model, location=hall)
             for _n in range(30)]
    item = items[0]
    for other in items[1:20]:
        RelationFactory(source=other, target=item, kind=RelationKind.DEPENDS_ON)
    for _n in range(5):
        AffectedItem.all_objects.create(ticket=TicketFactory(organisation=venlo), item=item, added_by=item_keeper)
    client = client_for(item_keeper)
    client.get(reverse("cmdb:item-list"))  # warm caches (content types, sessions)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("cmdb:item-list")).status_code == 200
    with django_assert_max_num_queries(22):
        response = client.get(reverse("cmdb:item-detail", args=[item.pk]))
    assert response.status_code == 200


def test_detail_shows_attributes_by_label_owner_contracts_and_panels(client_for, item_keeper, register):
    client = client_for(item_keeper)
    response = client.get(reverse("cmdb:item-detail", args=[register["server"].pk]))
    page = response.content.decode()
    assert "Besturingssysteem" in page and "Windows Server 2022" in page and "vCPU" in page
    assert [panel["key"] for panel in response.context["panels"]][:1] == ["relations"]
    assert 'id="panel-timeline"' in page


def test_detail_states_the_recovery_time_objective_in_hours(client_for, item_keeper, register):
    server = register["server"]
    server.recovery_time_objective = datetime.timedelta(hours=4)
    server.save()
    page = client_for(item_keeper).get(reverse("cmdb:item-detail", args=[server.pk])).content.decode()
    assert "4 h<" in page and "4:00:00" not in page
    server.recovery_time_objective = datetime.timedelta(minutes=90)
    server.save()
    assert "1.5 h<" in client_for(item_keeper).get(reverse("cmdb:item-detail", args=[server.pk])).content.decode()


def test_other_parts_of_the_cmdb_add_panels(client_for, item_keeper, register):
    calls = []

    def context(request, item):
        calls.append(item.pk)
        return {"note": f"panel for {item.name}"} if item.name.startswith("BRP") else None

    panels.register_item_panel("cmdb/item_panel_relations.html", context, order=45, key="test-panel")
    try:
        client = client_for(item_keeper)
        shown = client.get(reverse("cmdb:item-detail", args=[register["server"].pk])).context["panels"]
        hidden = client.get(reverse("cmdb:item-detail", args=[register["standard"].pk])).context["panels"]
    finally:
        panels.unregister_item_panel("test-panel")
    assert [p["key"] for p in shown] == ["relations", "licences", "test-panel", "certificates", "timeline"]
    assert "test-panel" not in [p["key"] for p in hidden]
    assert calls == [register["server"].pk, register["standard"].pk]


def test_another_municipality_gets_404(client_for, roermond_reader, register):
    client = client_for(roermond_reader)
    mine = register["standard"]
    for name in ("cmdb:item-detail", "cmdb:item-update", "cmdb:item-timeline"):
        assert client.get(reverse(name, args=[mine.pk])).status_code == 404
    for name in ("cmdb:item-status", "cmdb:item-delete"):
        assert client.post(reverse(name, args=[mine.pk]), {"status": "retired"}).status_code == 404
    assert "VNL-LT-0001" not in client.get(reverse("cmdb:item-list")).content.decode()


def test_participants_read_their_own_items_only(client_for, venlo_reader, register):
    client = client_for(venlo_reader)
    assert set(names(client.get(reverse("cmdb:item-list")))) == {"VNL-LT-0001", "VNL-LT-0002"}
    page = client.get(reverse("cmdb:item-detail", args=[register["standard"].pk]))
    assert page.status_code == 200
    assert reverse("cmdb:item-update", args=[register["standard"].pk]) not in page.content.decode()
    assert client.get(reverse("cmdb:item-update", args=[register["standard"].pk])).status_code == 404
    assert client.get(reverse("cmdb:item-create")).status_code == 404
    assert client.post(reverse("cmdb:item-status", args=[register["standard"].pk]),
                       {"status": "retired"}).status_code == 404
    assert client.get(reverse("cmdb:item-detail", args=[register["server"].pk])).status_code == 404


def test_register_an_item_with_its_attributes(client_for, item_keeper, venlo):
    client = client_for(item_keeper)
    chooser = client.get(reverse("cmdb:item-create"))
    assert chooser.status_code == 200 and b'name="type"' in chooser.content
    form = client.get(reverse("cmdb:item-create"), {"type": "virtuele-server"})
    assert form.status_code == 200
    fields = form.context["form"].fields
    assert {"attr_os", "attr_cores", "attr_ram_gb"} <= set(fields) and fields["attr_cores"].label == "vCPU's"
    response = client.post(reverse("cmdb:item-create"), {
        "type": "virtuele-server", "name": "APP-VLO-09", "organisation": venlo.pk, "status": "in_use",
        "attr_os": "Windows Server 2025", "attr_cores": "8", "attr_ram_gb": "", "recovery_hours": "4",
    })
    item = ConfigurationItem.all_objects.get(name="APP-VLO-09")
    assert response.status_code == 302 and response.url == reverse("cmdb:item-detail", args=[item.pk])
    assert item.attributes == {"os": "Windows Server 2025", "cores": 8}
    assert item.recovery_time_objective == datetime.timedelta(hours=4)


def test_form_shows_field_errors(client_for, item_keeper, venlo, roermond, venlo_laptop):
    client = client_for(item_keeper)
    response = client.post(reverse("cmdb:item-create"), {
        "type": "virtuele-server", "name": "", "organisation": venlo.pk, "status": "in_use",
        "attr_os": "Windows 95", "attr_cores": "999", "asset_tag": venlo_laptop.asset_tag,
    })
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) >= {"name", "attr_os", "attr_cores"}
    assert b'aria-invalid="true"' in response.content
    # Field-level typing passed, the service refuses: the error lands on the field.
    response = client.post(reverse("cmdb:item-create"), {
        "type": "virtuele-server", "name": "X", "organisation": venlo.pk, "status": "in_use",
        "attr_os": "Windows Server 2022", "attr_cores": "2", "asset_tag": venlo_laptop.asset_tag,
        "location": LocationFactory(organisation=roermond, name="Stadhuis Roermond").pk,
    })
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"asset_tag", "location"}
    assert ConfigurationItem.all_objects.count() == 1


def test_edit_and_lifecycle(client_for, item_keeper, item_manager, venlo_laptop):
    client = client_for(item_keeper)
    url = reverse("cmdb:item-update", args=[venlo_laptop.pk])
    form = client.get(url)
    assert form.context["form"]["attr_encrypted"].value() == "true"
    assert [v for v, _l in form.context["form"].fields["status"].choices] == ["in_stock", "in_use", "in_repair",
                                                                             "retired"]
    data = {key: value for key, value in form.context["form"].initial.items() if value is not None}
    data.update(name="VNL-LT-0001 (Jan)", attr_encrypted="false", status="in_repair")
    assert client.post(url, data).status_code == 302
    venlo_laptop.refresh_from_db()
    assert venlo_laptop.name == "VNL-LT-0001 (Jan)" and venlo_laptop.attributes["encrypted"] is False
    status_url = reverse("cmdb:item-status", args=[venlo_laptop.pk])
    client.post(status_url, {"status": "disposed"})
    venlo_laptop.refresh_from_db()
    assert venlo_laptop.status == "in_repair"  # not a step from "in repair"
    client.post(status_url, {"status": "retired"})
    client.post(status_url, {"status": "disposed"})
    venlo_laptop.refresh_from_db()
    assert venlo_laptop.status == "disposed"
    page = client.get(reverse("cmdb:item-detail", args=[venlo_laptop.pk]))
    assert page.context["status_steps"] == []
    # Deleting (an item registered by mistake) is refused while calls are about the item.
    AffectedItem.all_objects.create(ticket=TicketFactory(organisation=venlo_laptop.organisation), item=venlo_laptop,
                                    added_by=item_keeper)
    assert client.post(reverse("cmdb:item-delete", args=[venlo_laptop.pk])).status_code == 302
    assert ConfigurationItem.all_objects.filter(pk=venlo_laptop.pk).exists()
    AffectedItem.all_objects.filter(item=venlo_laptop).delete()
    response = client_for(item_manager).post(reverse("cmdb:item-delete", args=[venlo_laptop.pk]))
    assert response.status_code == 302 and response.url == reverse("cmdb:item-list")
    assert not ConfigurationItem.all_objects.filter(pk=venlo_laptop.pk).exists()


def test_timeline_merges_changes_relations_and_calls(client_for, item_keeper, venlo, venlo_laptop):
    client = client_for(item_keeper)
    other = ConfigurationItemFactory(organisation=venlo, name="VNL-DOCK-0001")
    client.post(reverse("cmdb:relation-add", args=[venlo_laptop.pk]),
                {"direction": "outgoing", "kind": "connected_to", "other": other.asset_tag})
    relation = Relation.all_objects.get(source=venlo_laptop)
    ticket = TicketFactory(organisation=venlo, title="Laptop start niet")
    AffectedItem.all_objects.create(ticket=ticket, item=venlo_laptop, added_by=item_keeper)
    client.post(reverse("cmdb:item-status", args=[venlo_laptop.pk]), {"status": "in_repair"})
    client.post(reverse("cmdb:relation-delete", args=[relation.pk]), {"item": venlo_laptop.pk})
    response = client.get(reverse("cmdb:item-timeline", args=[venlo_laptop.pk]))
    entries = response.context["entries"]
    assert [(e.kind, e.action) for e in entries] == [
        ("relation", "delete"), ("change", "update"), ("call", "linked"), ("relation", "create"), ("change", "create"),
    ]
    assert entries[1].changes == [("status", "in use", "in repair")]
    assert ticket.reference in entries[2].title and entries[2].url == ticket.get_absolute_url()
    assert "VNL-DOCK-0001" in entries[0].title
    # Keyset pages: two at a time give the same entries in the same order.
    from regie.cmdb.timeline import timeline_page

    seen, cursor = [], None
    while True:
        page = timeline_page(item_keeper, venlo_laptop, cursor, page_size=2)
        seen += [(e.kind, e.pk) for e in page.items]
        if not page.has_next:
            break
        cursor = page.next_cursor
    assert seen == [(e.kind, e.pk) for e in entries]
    assert client.get(reverse("cmdb:item-timeline", args=[venlo_laptop.pk]), {"cursor": "nonsense"}).status_code == 200


def test_timeline_names_relations_in_the_readers_language(item_keeper, venlo, venlo_laptop):
    from django.utils import translation

    from regie.cmdb import relations as relation_rules
    from regie.cmdb.timeline import timeline_page

    dock = ConfigurationItemFactory(organisation=venlo, name="VNL-DOCK-0002")
    with translation.override("nl"):  # recorded by someone working in Dutch
        relation_rules.add_relation(item_keeper, venlo_laptop, RelationKind.CONNECTED_TO, dock)
    relation = Relation.all_objects.get(source=venlo_laptop)
    with translation.override("en"):
        (entry,) = [e for e in timeline_page(item_keeper, venlo_laptop).items if e.kind == "relation"]
        assert entry.title == f"{venlo_laptop.name} connected to VNL-DOCK-0002"
    with translation.override("nl"):
        (entry,) = [e for e in timeline_page(item_keeper, venlo_laptop).items if e.kind == "relation"]
        assert entry.title == f"{venlo_laptop.name} is verbonden met VNL-DOCK-0002"
    # An end deleted since: the words the record kept.
    relation.delete()
    dock.delete()
    removed = [e for e in timeline_page(item_keeper, venlo_laptop).items if e.kind == "relation"]
    assert removed and all("VNL-DOCK-0002" in e.title for e in removed)


def test_timeline_shows_only_what_the_participant_may_see(client_for, venlo_reader, item_keeper, venlo, roermond,
                                                          venlo_laptop):
    AffectedItem.all_objects.create(ticket=TicketFactory(organisation=venlo, title="Venlo-melding"),
                                    item=venlo_laptop, added_by=item_keeper)
    page = client_for(venlo_reader).get(reverse("cmdb:item-detail", args=[venlo_laptop.pk])).content.decode()
    assert "Venlo-melding" in page


def test_item_types_page_and_schema_editing(client_for, item_manager, item_keeper, venlo_reader):
    page = client_for(venlo_reader).get(reverse("cmdb:item-type-list")).content.decode()
    assert "RSA SecurID-token" in page and "token_serial" in page and "Edit attributes" not in page
    tablet = ItemTypeFactory(code="tablet")
    url = reverse("cmdb:item-type-update", args=[tablet.pk])
    assert client_for(item_keeper).get(url).status_code == 404
    client = client_for(item_manager)
    bad = client.post(url, {"attribute_schema": '[{"code": "imei", "kind": "colour"}]'})
    assert bad.status_code == 400 and "attribute_schema" in bad.context["form"].errors
    assert client.post(url, {"attribute_schema": "{not json"}).status_code == 400
    good = client.post(url, {"attribute_schema": '[{"code": "imei", "label": "IMEI", "kind": "text", "max": 20}]'})
    assert good.status_code == 302
    tablet.refresh_from_db()
    assert tablet.attribute_schema == [{"code": "imei", "label": "IMEI", "kind": "text", "required": False, "max": 20}]


def test_standards_catalogue_propose_and_approve(client_for, item_manager, item_keeper, venlo_reader):
    tablet = ItemTypeFactory(code="tablet")
    response = client_for(venlo_reader).post(reverse("cmdb:model-create"), {
        "ci_type": tablet.pk, "manufacturer": "Apple", "name": "iPad Air", "notes": "Voor wijkteams"})
    assert response.status_code == 302
    model = ConfigurationItemModel.objects.unrestricted().get(name="iPad Air")
    assert model.approval == ModelApproval.PROPOSED
    duplicate = client_for(item_keeper).post(reverse("cmdb:model-create"), {
        "ci_type": tablet.pk, "manufacturer": "Apple", "name": "iPad Air"})
    assert duplicate.status_code == 400 and "name" in duplicate.context["form"].errors
    review = reverse("cmdb:model-review", args=[model.pk])
    assert client_for(item_keeper).get(review).status_code == 404
    assert client_for(venlo_reader).post(review, {"decision": "approve"}).status_code == 404
    listing = client_for(item_manager).get(reverse("cmdb:model-list"), {"approval": "proposed"})
    assert [m.name for m in listing.context["object_list"]] == ["iPad Air"]
    assert listing.context["proposed_count"] == 1
    response = client_for(item_manager).post(review, {"decision": "approve", "standard_until": "2099-12-31"})
    assert response.status_code == 302
    model.refresh_from_db()
    assert model.is_standard and model.standard_until == datetime.date(2099, 12, 31)
    listing = client_for(venlo_reader).get(reverse("cmdb:model-list"), {"standard": "true"})
    assert "iPad Air" in [m.name for m in listing.context["object_list"]]
