"""Catalogue rules: priority from impact × urgency, which SLA target and which calendar
apply to a call. Used by the service desk when a call is registered or changed."""

from django.utils.translation import gettext as _

from regie.core.calendars import WorkingCalendar

from .choices import Priority
from .models import BusinessCalendar, PriorityMatrixEntry, SlaTarget

# ITIL's usual matrix, used when the configurable matrix has no entry.
DEFAULT_MATRIX = {(1, 1): 1, (1, 2): 2, (1, 3): 3, (2, 1): 2, (2, 2): 3, (2, 3): 4, (3, 1): 3, (3, 2): 4, (3, 3): 5}


# The matrix, SLA targets and calendars are small and change rarely, but are read on every
# call registered: each process keeps them for CONFIG_CACHE_SECONDS (a change made in this
# process is seen at once; other processes see it within that time).
CONFIG_CACHE_SECONDS = 30
_cache = {"loaded_at": None}


def _config():
    import time

    now = time.monotonic()
    if _cache["loaded_at"] is None or now - _cache["loaded_at"] > CONFIG_CACHE_SECONDS:
        calendars = {c.pk: c for c in BusinessCalendar.objects.all()}
        _cache.update(
            loaded_at=now,
            matrix={(e.impact, e.urgency): e.priority for e in PriorityMatrixEntry.objects.all()},
            targets=list(SlaTarget.objects.all()),
            calendars={pk: c.as_working_calendar() for pk, c in calendars.items()},
            desk_calendars={c.organisation_id: c.pk for c in calendars.values() if c.organisation_id},
        )
    return _cache


def forget_config(**kwargs):
    """Drop the cached configuration (connected to saves and deletes of these models)."""
    _cache["loaded_at"] = None


def priority_for(impact, urgency):
    key = (int(impact), int(urgency))
    return _config()["matrix"].get(key) or DEFAULT_MATRIX.get(key, Priority.NORMAL)


def sla_target_for(service, organisation, priority):
    """Most specific target first: service+participant, service, participant, default."""
    service_id = getattr(service, "pk", None)
    organisation_id = getattr(organisation, "pk", None)
    candidates = [
        target for target in _config()["targets"]
        if target.priority == int(priority)
        and target.service_id in (None, service_id)
        and target.organisation_id in (None, organisation_id)
    ]
    return min(candidates, key=lambda t: (t.service_id is None, t.organisation_id is None), default=None)


def calendar_for(service, organisation):
    """The service's own calendar (e.g. 24×7), else the participant's helpdesk hours,
    else office hours (Mon–Fri 08:00–17:00 with Dutch holidays)."""
    config = _config()
    if service is not None and service.calendar_id in config["calendars"]:
        return config["calendars"][service.calendar_id]
    desk = config["desk_calendars"].get(getattr(organisation, "pk", None))
    if desk is not None:
        return config["calendars"][desk]
    return WorkingCalendar.office_hours()


def out_of_scope_answer(service):
    """The text a caller gets for an item outside the agreement (§4.10)."""
    if service is None or not service.is_out_of_scope:
        return ""
    return service.provider_does or _("This is outside the agreement; the provider cannot handle it.")
