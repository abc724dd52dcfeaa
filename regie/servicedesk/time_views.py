"""Time registration on the call page: book, change and remove time entries (agents),
and the totals a participant sees. The rules live in time_entries.py."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from regie.core.forms import AccessibleFormMixin

from . import time_entries
from .models import Ticket
from .page_actions import apply_form_action, rerender_call_page


class TimeEntryForm(AccessibleFormMixin, forms.Form):
    minutes = forms.IntegerField(
        label=gettext_lazy("Minutes"), min_value=1, max_value=time_entries.MAX_MINUTES,
        widget=forms.NumberInput(attrs={"step": 1}),
    )
    date = forms.DateField(
        label=gettext_lazy("Date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("Today, or at most 60 days back."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), required=False, max_length=time_entries.NOTE_MAX_CHARS)
    extra_cost = forms.BooleanField(label=gettext_lazy("Extra-cost work"), required=False)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("prefix", "time")
        super().__init__(*args, **kwargs)
        if not self.is_bound and "date" not in self.initial:
            self.initial["date"] = timezone.localdate()


def _ticket(request, reference):
    return get_object_or_404(Ticket.objects.for_user(request.user), reference=reference)


def _entry(request, ticket, pk):
    """An entry of this call that the user may see (provider staff only; 404 otherwise)."""
    return get_object_or_404(time_entries.entries_for(request.user, ticket), pk=pk)


def _back(ticket):
    return redirect(f"{ticket.get_absolute_url()}#time-entries")


@login_required
@require_POST
def time_entry_add(request, reference):
    ticket = _ticket(request, reference)
    if not time_entries.may_register_time(request.user, ticket):
        raise PermissionDenied

    def act(data):
        time_entries.register_time(
            request.user, ticket, data["minutes"], date=data.get("date"), note=data.get("note", ""),
            extra_cost=data.get("extra_cost", False),
        )

    if apply_form_action(request, TimeEntryForm(request.POST), act, _("The time has been booked.")):
        return _back(ticket)
    return rerender_call_page(request, reference)


@login_required
@require_POST
def time_entry_update(request, reference, pk):
    ticket = _ticket(request, reference)
    entry = _entry(request, ticket, pk)
    form = TimeEntryForm(request.POST, prefix=f"time-{entry.pk}")

    def act(data):
        changes = {name: data[name] for name in ("minutes", "note", "extra_cost")}
        if data.get("date"):
            changes["date"] = data["date"]
        time_entries.update_time_entry(request.user, entry, changes)

    if apply_form_action(request, form, act, _("The time entry has been changed.")):
        return _back(ticket)
    return rerender_call_page(request, reference)


@login_required
@require_POST
def time_entry_delete(request, reference, pk):
    ticket = _ticket(request, reference)
    entry = _entry(request, ticket, pk)

    def act(_data):
        time_entries.delete_time_entry(request.user, entry)

    if apply_form_action(request, None, act, _("The time entry has been removed.")):
        return _back(ticket)
    return rerender_call_page(request, reference)


def time_context(request, ticket):
    """What the call page shows of the time spent: agents every entry (with forms for
    their own recent ones), participants only the totals. A fixed number of queries."""
    user = request.user
    totals = time_entries.totals_for(user, ticket)
    now = timezone.now()
    entries = list(time_entries.entries_for(user, ticket))
    rows = []
    for entry in entries:
        changeable = time_entries.may_change(user, entry, now)
        rows.append({
            "entry": entry,
            "duration": time_entries.format_minutes(entry.minutes),
            "form": TimeEntryForm(prefix=f"time-{entry.pk}", initial={
                "minutes": entry.minutes, "date": entry.date, "note": entry.note, "extra_cost": entry.extra_cost,
            }) if changeable else None,
        })
    return {
        "time_totals": totals,
        "time_total_display": time_entries.format_minutes(totals.total_minutes),
        "time_extra_display": time_entries.format_minutes(totals.extra_cost_minutes),
        "time_rows": rows,
        "time_form": TimeEntryForm() if time_entries.may_register_time(user, ticket) else None,
        "time_edit_days": time_entries.EDIT_DAYS,
    }

