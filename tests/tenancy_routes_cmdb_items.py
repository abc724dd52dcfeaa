"""Tenancy-walker routes of the item register, item types and the standards catalogue
(merged into tenancy_routes.ROUTES; see its docstring)."""

from tenancy_routes import A_AND_PROVIDER, DETAIL, LIST, Route


def _item_of_a(world):
    def build(w):
        from regie.cmdb.factories import ConfigurationItemFactory, ItemModelFactory, ItemTypeFactory
        from regie.core.factories import LocationFactory

        server = ItemTypeFactory(code="virtuele-server")
        # Models are shared reference data (the standards catalogue): no canary in their names.
        model = ItemModelFactory(ci_type=server, manufacturer="VMware", name="VM walker")
        return ConfigurationItemFactory(
            organisation=w.venlo, ci_type=server, model=model, name=f"Server {w.canary}",
            serial_number=f"SN-{w.canary}", notes=f"Notitie {w.canary}",
            location=LocationFactory(organisation=w.venlo, name=f"Serverruimte {w.canary}"),
            attributes={"os": "Windows Server 2022", "cores": 4},
        )

    return {"pk": world.once("cmdb-item-register", build).pk}


def _item_to_delete(world):
    def build(w):
        from regie.cmdb.factories import ConfigurationItemFactory

        return ConfigurationItemFactory(organisation=w.venlo, name=f"Vergissing {w.canary}")

    return {"pk": world.once("cmdb-item-to-delete", build).pk}


def _type(world):
    from regie.cmdb.factories import ItemTypeFactory

    return {"pk": ItemTypeFactory(code="tablet").pk}


def _model(world):
    def build(w):
        from regie.cmdb.choices import ModelApproval
        from regie.cmdb.factories import ItemModelFactory, ItemTypeFactory

        return ItemModelFactory(ci_type=ItemTypeFactory(code="tablet"), manufacturer="Apple", name="iPad walker",
                                approval=ModelApproval.PROPOSED)

    return {"pk": world.once("cmdb-model", build).pk}


ROUTES = {
    # --- the overview: counts and owner names within the user's scope ---
    "cmdb:overview": Route(LIST, note="counts within the user's scope; B sees none of A's figures or name"),
    # --- the register (A's account manager reads their own; provider staff keep it) ---
    "cmdb:item-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "cmdb:item-create": Route(LIST, query={"type": "virtuele-server"},
                              note="form; those who may register items (provider staff), others 404"),
    "cmdb:item-detail": Route(DETAIL, kwargs=_item_of_a, seen_by=A_AND_PROVIDER),
    "cmdb:item-timeline": Route(DETAIL, kwargs=_item_of_a, seen_by=A_AND_PROVIDER),
    "cmdb:item-update": Route(DETAIL, kwargs=_item_of_a, note="participants are read-only: 404"),
    "cmdb:item-status": Route(DETAIL, kwargs=_item_of_a, method="POST",
                              note="empty form: no valid status, a message and back to the item"),
    "cmdb:item-delete": Route(DETAIL, kwargs=_item_to_delete, method="POST"),
    "api:configuration-item-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:configuration-item-detail": Route(DETAIL, kwargs=_item_of_a, seen_by=A_AND_PROVIDER),
    # --- item types and the standards catalogue: reference data every CMDB reader sees ---
    "cmdb:item-type-list": Route(LIST),
    "cmdb:item-type-update": Route(LIST, kwargs=_type, note="the provider's CMDB managers; others 404"),
    "cmdb:model-list": Route(LIST),
    "cmdb:model-create": Route(LIST, note="CMDB keepers and participants' CMDB readers propose"),
    "cmdb:model-review": Route(LIST, kwargs=_model, note="the provider's approvers; others 404"),
    "api:configuration-item-type-list": Route(LIST),
    "api:configuration-item-type-detail": Route(LIST, kwargs=_type),
    "api:configuration-item-model-list": Route(LIST),
    "api:configuration-item-model-detail": Route(LIST, kwargs=_model),
    "api:configuration-item-model-approve": Route(LIST, kwargs=_model, method="POST",
                                                  note="403 without the approval permission"),
    "api:configuration-item-model-reject": Route(LIST, kwargs=_model, method="POST",
                                                 note="403 without the approval permission"),
}
