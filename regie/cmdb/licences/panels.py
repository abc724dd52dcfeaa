"""The licence panel on a configuration item's page: the licences assigned to the item."""

from . import services
from .models import Assignment

SHOWN = 20


def licence_panel(request, item):
    if not request.user.has_perm(services.VIEW_PERMISSION):
        return None
    rows = list(
        Assignment.objects.for_user(request.user).filter(item=item).select_related("product", "entitlement")
        .order_by("product__name", "id")[: SHOWN + 1]
    )
    return {"assignments": rows[:SHOWN], "more": len(rows) > SHOWN}
