"""Time registration on calls (R-2.1 hours): who may book time, on what, and what a
participant gets to see of it.

Rules (views and the API both come here):
- only the provider's agents book time; the person is always the one booking;
- time is charged to a participant, and only to the call's own organisation;
- 1 to 1,440 minutes per entry, dated today or up to `BACKDATE_DAYS` back, never ahead;
- an entry is changed or removed only by its own person, within `EDIT_DAYS` of booking.

Participants see the totals for their calls (total and extra-cost minutes), never who
booked what: per-person detail is the provider's business (and the finance reports').
"""

from dataclasses import dataclass
from datetime import date as date_type
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from regie.core.choices import OrganisationKind
from regie.core.tenancy import is_provider_staff

from . import services
from .models import Ticket, TimeEntry

MAX_MINUTES = 24 * 60
BACKDATE_DAYS = 60
EDIT_DAYS = 7
NOTE_MAX_CHARS = 300


@dataclass(frozen=True)
class TimeTotals:
    total_minutes: int
    extra_cost_minutes: int
    entry_count: int


def _visible_ticket(actor, ticket):
    if not Ticket.objects.for_user(actor).filter(pk=ticket.pk).exists():
        raise Ticket.DoesNotExist


def _clean_minutes(value, errors):
    if isinstance(value, bool):
        value = None
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        errors["minutes"] = _("Give the time spent as a whole number of minutes.")
        return None
    if isinstance(value, float) and value != minutes:
        errors["minutes"] = _("Give the time spent as a whole number of minutes.")
        return None
    if not 1 <= minutes <= MAX_MINUTES:
        errors["minutes"] = _("Give between 1 and %(max)s minutes (24 hours).") % {"max": MAX_MINUTES}
        return None
    return minutes


def _clean_date(value, errors, today):
    if value in (None, ""):
        return today
    if isinstance(value, str):
        try:
            parsed = parse_date(value)
        except ValueError:
            parsed = None
        value = parsed
    if not isinstance(value, date_type):
        errors["date"] = _("Give a valid date (YYYY-MM-DD).")
        return None
    if hasattr(value, "date") and callable(value.date):  # a datetime: keep its date
        value = value.date()
    if value > today:
        errors["date"] = _("Time cannot be booked on a date in the future.")
    elif value < today - timedelta(days=BACKDATE_DAYS):
        errors["date"] = _("Time can be booked at most %(days)s days back.") % {"days": BACKDATE_DAYS}
    return value


def _clean_note(value, errors):
    note = (value or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        errors["note"] = _("Keep the note to %(max)s characters.") % {"max": NOTE_MAX_CHARS}
    return note


def _check_organisation(ticket, organisation, errors):
    """Only a participant is charged, and only the call's own organisation."""
    organisation_id = getattr(organisation, "pk", organisation)
    charged = ticket.organisation if organisation_id in (None, ticket.organisation_id) else None
    if charged is None:
        errors["organisation"] = _("Time on a call is charged to the call's own organisation.")
        return None
    if charged.kind != OrganisationKind.PARTICIPANT:
        errors["organisation"] = _("Only a participating municipality can be charged for time.")
        return None
    return charged


def may_register_time(actor, ticket=None):
    return bool(actor and actor.is_authenticated and services.is_agent(actor))


def register_time(actor, ticket, minutes, date=None, note="", extra_cost=False, organisation=None, now=None):
    """Book `minutes` on `ticket` for `actor`. All checks first; nothing written on an error."""
    if not may_register_time(actor, ticket):
        raise PermissionDenied(_("Only the service desk books time on calls."))
    _visible_ticket(actor, ticket)
    now = now or timezone.now()
    today = timezone.localdate(now)
    errors = {}
    minutes = _clean_minutes(minutes, errors)
    day = _clean_date(date, errors, today)
    note = _clean_note(note, errors)
    charged = _check_organisation(ticket, organisation, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        return TimeEntry.objects.unrestricted().create(
            ticket=ticket, person=actor, organisation=charged, date=day, minutes=minutes,
            extra_cost=bool(extra_cost), note=note, created_at=now,
        )


def may_change(actor, entry, now=None):
    """Own entries only, within EDIT_DAYS of booking, and only while one is an agent."""
    now = now or timezone.now()
    return bool(
        actor
        and actor.is_authenticated
        and services.is_agent(actor)
        and entry.person_id == actor.pk
        and now - entry.created_at <= timedelta(days=EDIT_DAYS)
    )


def _check_may_change(actor, entry, now):
    if not services.is_agent(actor) or entry.person_id != actor.pk:
        raise PermissionDenied(_("You can only change your own time entries."))
    if not may_change(actor, entry, now):
        raise ValidationError(
            _("A time entry can only be changed within %(days)s days of booking it.") % {"days": EDIT_DAYS}
        )


EDITABLE = {"minutes", "date", "note", "extra_cost"}


def update_time_entry(actor, entry, changes, now=None):
    """Change an own, recent entry. The call and the organisation charged stay as they are."""
    now = now or timezone.now()
    refused = set(changes) - EDITABLE
    if refused:
        raise ValidationError({name: _("This field cannot be changed.") for name in sorted(refused)})
    _check_may_change(actor, entry, now)
    today = timezone.localdate(now)
    errors = {}
    values = {}
    if "minutes" in changes:
        values["minutes"] = _clean_minutes(changes["minutes"], errors)
    if "date" in changes:
        # A changed entry keeps to the same window as a new one, counted from today.
        values["date"] = _clean_date(changes["date"], errors, today)
    if "note" in changes:
        values["note"] = _clean_note(changes["note"], errors)
    if "extra_cost" in changes:
        values["extra_cost"] = bool(changes["extra_cost"])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        current = TimeEntry.objects.unrestricted().select_for_update().get(pk=entry.pk)
        _check_may_change(actor, current, now)
        for name, value in values.items():
            setattr(current, name, value)
        current.save()
    return current


def delete_time_entry(actor, entry, now=None):
    now = now or timezone.now()
    _check_may_change(actor, entry, now)
    with transaction.atomic():
        current = TimeEntry.objects.unrestricted().select_for_update().get(pk=entry.pk)
        _check_may_change(actor, current, now)
        current.delete()


def entries_for(actor, ticket):
    """The entries of a call, with the person: provider staff only (participants get
    totals_for). A fixed number of queries, however many entries."""
    if not is_provider_staff(actor):
        return TimeEntry.objects.none()
    return (
        TimeEntry.objects.for_user(actor)
        .filter(ticket=ticket, ticket__in=Ticket.objects.for_user(actor).values("pk"))
        .select_related("person", "organisation")
        .order_by("date", "id")
    )


def totals_for(actor, ticket):
    """Total and extra-cost minutes on a call, for anyone who can see the call: one query."""
    row = (
        TimeEntry.objects.for_user(actor)
        .filter(ticket=ticket, ticket__in=Ticket.objects.for_user(actor).values("pk"))
        .aggregate(
            total=Sum("minutes"),
            extra=Sum("minutes", filter=Q(extra_cost=True)),
            count=Count("id"),
        )
    )
    return TimeTotals(row["total"] or 0, row["extra"] or 0, row["count"] or 0)


def format_minutes(minutes):
    """90 → "1:30" (hours:minutes), the way time sheets show it."""
    minutes = int(minutes or 0)
    return f"{minutes // 60}:{minutes % 60:02d}"
