"""Tenancy-walker routes of CMDB relations, impact analysis, the affected items of calls,
the impact of calamities, network links and datacenters (merged into
tenancy_routes.ROUTES; see its docstring)."""

from tenancy_routes import A_AND_PROVIDER, DETAIL, LIST, Route, _calamity, _reference


def _items_of_a(world):
    """Two of A's items, one needing the other, and A's business service on top."""
    from regie.cmdb.choices import RelationKind
    from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory, RelationFactory

    server = ConfigurationItemFactory(organisation=world.venlo, name=f"Server {world.canary}")
    app = ConfigurationItemFactory(organisation=world.venlo, name=f"Zaaksysteem {world.canary}")
    service = ConfigurationItemFactory(organisation=world.venlo, name=f"Burgerzaken {world.canary}",
                                       ci_type=ItemTypeFactory(code="bedrijfsdienst"))
    RelationFactory(source=app, kind=RelationKind.RUNS_ON, target=server, note=world.canary)
    RelationFactory(source=service, kind=RelationKind.DEPENDS_ON, target=app, note=world.canary)
    return {"server": server, "app": app, "service": service}


def _item(world):
    return {"pk": world.once("cmdb-items", _items_of_a)["server"].pk}


def _relation(world):
    from regie.cmdb.models import Relation

    app = world.once("cmdb-items", _items_of_a)["app"]
    return {"pk": Relation.all_objects.get(source=app, kind="runs_on").pk}


def _relation_to_delete(world):
    from regie.cmdb.choices import RelationKind
    from regie.cmdb.factories import ConfigurationItemFactory, RelationFactory

    def build(w):
        return RelationFactory(source=ConfigurationItemFactory(organisation=w.venlo, name=f"Laptop {w.canary}"),
                               kind=RelationKind.CONNECTED_TO, target=w.once("cmdb-items", _items_of_a)["server"])

    return {"pk": world.once("cmdb-relation-to-delete", build).pk}


def _affected_to_delete(world):
    from regie.cmdb.models import AffectedItem

    def build(w):
        items = w.once("cmdb-items", _items_of_a)
        AffectedItem.all_objects.create(ticket=w.ticket, item=items["app"], added_by=w.provider_staff)
        return AffectedItem.all_objects.create(ticket=w.ticket, item=items["server"], added_by=w.provider_staff)

    return {"pk": world.once("cmdb-affected", build).pk}


def _calamity_with_items(world):
    _affected_to_delete(world)  # A's call (linked to the calamity) is about A's items
    return _calamity(world)


def _link_of_a(world):
    from regie.cmdb.choices import NetworkLinkKind
    from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory
    from regie.cmdb.models import NetworkLink
    from regie.core.choices import LocationKind
    from regie.core.factories import LocationFactory

    def build(w):
        item = ConfigurationItemFactory(organisation=w.venlo, name=f"Glasvezel {w.canary}",
                                        ci_type=ItemTypeFactory(code="netwerkverbinding"))
        site = LocationFactory(organisation=w.venlo, name=f"Gemeentewerf {w.canary}", kind=LocationKind.SITE)
        return NetworkLink.all_objects.create(item=item, kind=NetworkLinkKind.INTRA_MUNICIPAL, end_a=w.location,
                                              end_b=site, bandwidth_mbps=1000)

    return {"pk": world.once("cmdb-link", build).pk}


ROUTES = {
    # --- relations of an item (A's account manager reads, provider staff keep) ---
    "cmdb:item-relations": Route(DETAIL, kwargs=_item, seen_by=A_AND_PROVIDER),
    "cmdb:relation-add": Route(DETAIL, kwargs=_item, method="POST", seen_by=A_AND_PROVIDER,
                               note="empty form: 400 for whoever may see the item"),
    "cmdb:relation-delete": Route(DETAIL, kwargs=_relation_to_delete, method="POST",
                                  note="provider staff delete it; participants 404"),
    "api:relation-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:relation-detail": Route(DETAIL, kwargs=_relation, seen_by=A_AND_PROVIDER),
    # --- graph and impact ---
    "cmdb:item-impact": Route(DETAIL, kwargs=_item, seen_by=A_AND_PROVIDER),
    "api:configuration-item-impact-detail": Route(DETAIL, kwargs=_item, seen_by=A_AND_PROVIDER),
    # --- the items of a call, and their impact ---
    "cmdb:ticket-affected": Route(DETAIL, kwargs=_reference, seen_by=A_AND_PROVIDER),
    "cmdb:ticket-affected-panel": Route(DETAIL, kwargs=_reference, seen_by=A_AND_PROVIDER),
    "cmdb:ticket-affected-add": Route(DETAIL, kwargs=_reference, method="POST", note="empty form: 400"),
    "cmdb:affected-item-delete": Route(DETAIL, kwargs=_affected_to_delete, method="POST"),
    # --- the impact of a calamity's items ---
    "cmdb:calamity-impact": Route(DETAIL, kwargs=_calamity_with_items, seen_by=A_AND_PROVIDER),
    "cmdb:calamity-impact-panel": Route(DETAIL, kwargs=_calamity_with_items, seen_by=A_AND_PROVIDER),
    # --- network links and datacenters ---
    "cmdb:network-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "cmdb:network-create": Route(LIST, note="form; provider staff who keep the CMDB, others 404"),
    "cmdb:network-update": Route(DETAIL, kwargs=_link_of_a),
    "cmdb:datacenter-list": Route(LIST, note="the provider's datacenter items; participants see none"),
}
