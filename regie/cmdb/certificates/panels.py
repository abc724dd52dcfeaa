"""The certificate panel on a configuration item's page: the certificates installed on it."""

from django.utils import timezone

from . import services
from .models import Certificate

SHOWN = 20


def certificate_panel(request, item):
    if not request.user.has_perm(services.VIEW_PERMISSION):
        return None
    rows = list(Certificate.objects.for_user(request.user).filter(items=item).order_by("not_after", "id")[: SHOWN + 1])
    return {"certificates": rows[:SHOWN], "more": len(rows) > SHOWN, "now": timezone.now()}
