"""The change history panel on a configuration item's page (shown once a change touched the item)."""

from . import services

SHOWN = 15


def change_panel(request, item):
    if not services.may_view(request.user):
        return None
    rows = list(
        services.changes_of_item(request.user, item).select_related("organisation")
        .order_by("-planned_start", "-id")[: SHOWN + 1]
    )
    if not rows:
        return None  # no change history: no panel (keeps the page short)
    return {"changes": rows[:SHOWN], "more": len(rows) > SHOWN}
