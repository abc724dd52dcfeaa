"""Tenancy walker routes of change management (merged by tenancy_routes.py).

A's objects: a submitted normal change of Venlo (A) on a Venlo item, carrying the canary.
Standard change templates are shared reference data."""

from tenancy_routes import A_AND_PROVIDER, DETAIL, LIST, Route


def _change_of_a(world):
    from regie.changes.choices import ChangeStatus
    from regie.changes.factories import ChangeFactory
    from regie.cmdb.factories import ConfigurationItemFactory

    item = ConfigurationItemFactory(organisation=world.venlo, name=f"Server {world.canary}")
    return ChangeFactory(
        organisation=world.venlo, title=f"Wijziging {world.canary}", description=world.canary,
        requester=world.a_person, owner=world.provider_staff, status=ChangeStatus.SUBMITTED, items=[item],
    )


def _change(world):
    return {"pk": world.once("change", _change_of_a).pk}


def _call_with_change(world):
    """A's call with a change raised from it (the change carries the canary)."""
    from regie.changes.factories import ChangeFactory

    def make(w):
        return ChangeFactory(organisation=w.venlo, title=f"Wijziging uit melding {w.canary}", requester=w.a_person,
                             owner=w.provider_staff, ticket=w.ticket)

    world.once("change-of-call", make)
    return {"reference": world.ticket.reference}


def _template(world):
    from regie.changes.factories import StandardChangeTemplateFactory

    return {"pk": world.once("change-template", lambda w: StandardChangeTemplateFactory()).pk}


ROUTES = {
    "changes:list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "changes:calendar": Route(LIST, note="month grid of the changes in scope"),
    "changes:create": Route(LIST, note="provider change staff only; others 404"),
    "changes:detail": Route(DETAIL, kwargs=_change, seen_by=A_AND_PROVIDER),
    "changes:update": Route(DETAIL, kwargs=_change, note="drafts only; provider change staff"),
    "changes:transition": Route(DETAIL, kwargs=_change, method="POST"),
    "changes:decision": Route(DETAIL, kwargs=_change, method="POST"),
    "changes:ticket-panel": Route(DETAIL, kwargs=_call_with_change, seen_by=A_AND_PROVIDER),
    "changes:template-list": Route(LIST, note="shared reference data"),
    "changes:template-create": Route(LIST, note="the change advisory board only; others 404"),
    "changes:template-update": Route(LIST, kwargs=_template, note="shared reference data; the board only"),
    "api:change-list": Route(LIST, provider_sees_canary=True, seen_by=A_AND_PROVIDER),
    "api:change-detail": Route(DETAIL, kwargs=_change, seen_by=A_AND_PROVIDER),
    "api:change-approvals": Route(DETAIL, kwargs=_change, method="POST"),
    "api:change-rejections": Route(DETAIL, kwargs=_change, method="POST"),
    "api:change-status-changes": Route(DETAIL, kwargs=_change, method="POST"),
    "api:standard-change-template-list": Route(LIST),
    "api:standard-change-template-detail": Route(LIST, kwargs=_template, note="shared reference data"),
}
