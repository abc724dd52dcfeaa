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


# --- a calendar change moves the deadlines of open calls ------------------------------------

# What a business calendar contributes to a deadline; a change of its name moves nothing.
SLA_CALENDAR_FIELDS = ("weekly_hours", "public_holidays", "closed_days", "organisation_id")


def calendar_changed(calendar, *, deleted=False):
    """Queue the recomputation of the open calls' deadlines after `calendar` changed (in
    the background, once the change is committed: the change page answers at once and
    100,000 open calls take a few seconds). After a deletion every open call is
    recomputed, since the calls measured in it now fall back to another calendar."""
    from django.db import transaction

    from regie.servicedesk.tasks import recompute_deadlines

    calendar_id = None if deleted else calendar.pk
    transaction.on_commit(lambda: recompute_deadlines.delay(calendar_id))


def _sla_fields(calendar):
    return tuple(getattr(calendar, name) for name in SLA_CALENDAR_FIELDS)


def _remember_calendar(sender, instance, raw=False, **kwargs):
    """Before a save: what the stored calendar said (one query; calendars change rarely)."""
    if raw or instance.pk is None:
        instance._sla_fields_before = None
        return
    stored = type(instance).objects.filter(pk=instance.pk).first()
    instance._sla_fields_before = _sla_fields(stored) if stored is not None else None


def _calendar_saved(sender, instance, created=False, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_sla_fields_before", None)
    # A new calendar only matters as a participant's helpdesk hours (services get theirs later).
    if (created and instance.organisation_id) or (not created and before != _sla_fields(instance)):
        calendar_changed(instance)


def _calendar_deleted(sender, instance, **kwargs):
    calendar_changed(instance, deleted=True)


def _connect():
    from django.db.models.signals import post_delete, post_save, pre_save

    pre_save.connect(_remember_calendar, sender=BusinessCalendar, dispatch_uid="calendar-remember-sla-fields")
    post_save.connect(_calendar_saved, sender=BusinessCalendar, dispatch_uid="calendar-saved-recompute")
    post_delete.connect(_calendar_deleted, sender=BusinessCalendar, dispatch_uid="calendar-deleted-recompute")


# Connected on import (the catalogue app imports this module when it is ready); the rule
# itself is `calendar_changed`, the signals only notice every way a calendar is saved.
_connect()
