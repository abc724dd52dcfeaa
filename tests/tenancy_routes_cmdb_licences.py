"""Tenancy walker routes of suppliers, contracts and licences (merged by tenancy_routes.py).

A's objects: a maintenance contract of Venlo (A) with a product line's contract (a Venlo
framework contract), and Venlo's licence entitlement and assignment, all carrying the canary.
Suppliers and licence products are shared reference data (every CMDB reader sees them)."""

from tenancy_routes import A_AND_PROVIDER, DETAIL, LIST, Route


def _framework_of_a(world):
    from regie.cmdb.choices import ContractKind
    from regie.cmdb.factories import ContractFactory, ContractLineFactory, ItemModelFactory, SupplierFactory

    contract = ContractFactory(
        organisation=world.venlo, kind=ContractKind.FRAMEWORK, reference=f"RC-{world.canary}",
        name=f"Raamcontract {world.canary}", tender=f"Aanbesteding {world.canary}",
        # Suppliers are shared reference data: no canary in the supplier itself.
        supplier=SupplierFactory(name="Leverancier van A B.V."),
    )
    ContractLineFactory(contract=contract, model=ItemModelFactory(), description=f"Laptop {world.canary}")
    return contract


def _contract(world):
    return {"pk": world.once("framework", _framework_of_a).pk}


def _line_to_delete(world):
    from regie.cmdb.factories import ContractLineFactory

    contract = world.once("framework", _framework_of_a)
    line = world.once("line", lambda w: ContractLineFactory(contract=contract, description=f"Dock {w.canary}"))
    return {"pk": contract.pk, "line_pk": line.pk}


def _shared_supplier(world):
    """A supplier is reference data; the walker proves B cannot reach A's *contracts* through it."""
    from regie.cmdb.factories import SupplierContactFactory

    contract = world.once("framework", _framework_of_a)
    SupplierContactFactory(supplier=contract.supplier, name="Contact")
    SupplierContactFactory(supplier=contract.supplier, name="Contact (removed by the walk)")
    return contract.supplier


def _supplier(world):
    return {"pk": world.once("supplier", _shared_supplier).pk}


def _contact(world, index):
    supplier = world.once("supplier", _shared_supplier)
    return {"pk": supplier.pk, "contact_pk": supplier.contacts.order_by("pk")[index].pk}


def _entitlement_of_a(world):
    from regie.cmdb.licences.factories import EntitlementFactory, LicenceProductFactory

    return EntitlementFactory(
        organisation=world.venlo, reference=f"LIC-{world.canary}", notes=world.canary,
        product=LicenceProductFactory(code="microsoft-office"),
    )


def _assignment_of_a(world):
    from regie.cmdb.factories import ConfigurationItemFactory
    from regie.cmdb.licences.factories import AssignmentFactory

    entitlement = world.once("entitlement", _entitlement_of_a)
    item = ConfigurationItemFactory(organisation=world.venlo, name=f"Werkplek {world.canary}")
    return AssignmentFactory(product=entitlement.product, item=item, entitlement=entitlement,
                             note=f"Toegewezen {world.canary}")


def _entitlement(world):
    return {"pk": world.once("entitlement", _entitlement_of_a).pk}


def _assignment(world):
    return {"pk": world.once("assignment", _assignment_of_a).pk}


def _assignment_to_delete(world):
    from regie.cmdb.factories import ConfigurationItemFactory
    from regie.cmdb.licences.factories import AssignmentFactory

    def build(w):
        entitlement = w.once("entitlement", _entitlement_of_a)
        item = ConfigurationItemFactory(organisation=w.venlo, name=f"Laptop {w.canary}")
        return AssignmentFactory(product=entitlement.product, item=item)

    return {"pk": world.once("assignment-to-delete", build).pk}


def _product(world):
    return {"pk": world.once("entitlement", _entitlement_of_a).product_id}


ROUTES = {
    # --- suppliers (reference data) and contracts (tenant-owned) ---
    "cmdb:supplier-list": Route(LIST),
    "cmdb:supplier-create": Route(LIST, note="provider CMDB managers only; others 404"),
    "cmdb:supplier-detail": Route(
        LIST, kwargs=_supplier, note="shared reference data; lists only the contracts in the reader's scope",
    ),
    "cmdb:supplier-update": Route(DETAIL, kwargs=_supplier, note="provider CMDB managers only; others 404"),
    "cmdb:supplier-contact-create": Route(DETAIL, kwargs=_supplier, note="provider CMDB managers only"),
    "cmdb:supplier-contact-update": Route(DETAIL, kwargs=lambda w: _contact(w, 0)),
    "cmdb:supplier-contact-delete": Route(DETAIL, kwargs=lambda w: _contact(w, 1), method="POST"),
    "cmdb:contract-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "cmdb:contract-create": Route(LIST, note="provider CMDB managers only"),
    "cmdb:contract-detail": Route(DETAIL, kwargs=_contract, seen_by=A_AND_PROVIDER),
    "cmdb:contract-update": Route(DETAIL, kwargs=_contract),
    "cmdb:contract-line-add": Route(DETAIL, kwargs=_contract, method="POST"),
    "cmdb:contract-line-delete": Route(DETAIL, kwargs=_line_to_delete, method="POST"),
    "cmdb:contract-purchase-check": Route(DETAIL, kwargs=_contract, seen_by=A_AND_PROVIDER),
    "api:supplier-list": Route(LIST),
    "api:supplier-detail": Route(LIST, kwargs=_supplier, note="shared reference data"),
    "api:contract-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:contract-detail": Route(DETAIL, kwargs=_contract, seen_by=A_AND_PROVIDER),
    "api:contract-purchase-check": Route(
        DETAIL, kwargs=_contract, seen_by=A_AND_PROVIDER,
        query={"model": "1"}, note="model id may be unknown: 400, still not 404 for A",
    ),
    # --- licences ---
    "cmdb:licence-compliance": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "cmdb:licence-product-list": Route(LIST),
    "cmdb:licence-product-detail": Route(
        LIST, kwargs=_product, provider_sees_canary=True, seen_by=A_AND_PROVIDER,
        note="shared product; its entitlements and compliance within the reader's scope",
    ),
    "cmdb:licence-entitlement-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "cmdb:licence-entitlement-create": Route(LIST, note="provider CMDB managers only"),
    "cmdb:licence-entitlement-detail": Route(DETAIL, kwargs=_entitlement, seen_by=A_AND_PROVIDER),
    "cmdb:licence-entitlement-update": Route(DETAIL, kwargs=_entitlement),
    "cmdb:licence-assignment-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "cmdb:licence-assignment-create": Route(LIST, note="provider CMDB keepers only"),
    "cmdb:licence-assignment-delete": Route(DETAIL, kwargs=_assignment_to_delete, method="POST"),
    "api:licence-product-list": Route(LIST),
    "api:licence-product-detail": Route(LIST, kwargs=_product, note="shared reference data"),
    "api:licence-entitlement-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:licence-entitlement-detail": Route(DETAIL, kwargs=_entitlement, seen_by=A_AND_PROVIDER),
    "api:licence-assignment-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:licence-assignment-detail": Route(DETAIL, kwargs=_assignment, seen_by=A_AND_PROVIDER),
    "api:licence-compliance-list": Route(LIST, seen_by=A_AND_PROVIDER),
}
