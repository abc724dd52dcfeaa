"""Catalogue rules: priority from impact × urgency, which SLA target and which calendar
apply to a call. Used by the service desk when a call is registered or changed."""

from django.db.models import Q
from django.utils.translation import gettext as _

from regie.core.calendars import WorkingCalendar

from .choices import Priority
from .models import BusinessCalendar, PriorityMatrixEntry, SlaTarget

# ITIL's usual matrix, used when the configurable matrix has no entry.
DEFAULT_MATRIX = {(1, 1): 1, (1, 2): 2, (1, 3): 3, (2, 1): 2, (2, 2): 3, (2, 3): 4, (3, 1): 3, (3, 2): 4, (3, 3): 5}


def priority_for(impact, urgency):
    entry = (
        PriorityMatrixEntry.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    )
    return entry or DEFAULT_MATRIX.get((int(impact), int(urgency)), Priority.NORMAL)


def sla_target_for(service, organisation, priority):
    """Most specific target first: service+participant, service, participant, default."""
    service_match = Q(service__isnull=True) | (Q(service=service) if service is not None else Q())
    organisation_match = Q(organisation__isnull=True) | (Q(organisation=organisation) if organisation else Q())
    candidates = SlaTarget.objects.filter(service_match, organisation_match, priority=priority)
    # At most four rows; the most specific wins.
    return min(candidates, key=lambda t: (t.service_id is None, t.organisation_id is None), default=None)


def calendar_for(service, organisation):
    """The service's own calendar (e.g. 24×7), else the participant's helpdesk hours,
    else office hours (Mon–Fri 08:00–17:00 with Dutch holidays)."""
    if service is not None and service.calendar_id:
        return service.calendar.as_working_calendar()
    desk = BusinessCalendar.objects.filter(organisation=organisation).first() if organisation else None
    if desk is not None:
        return desk.as_working_calendar()
    return WorkingCalendar.office_hours()


def out_of_scope_answer(service):
    """The text a caller gets for an item outside the agreement (§4.10)."""
    if service is None or not service.is_out_of_scope:
        return ""
    return service.provider_does or _("This is outside the agreement; the provider cannot handle it.")
