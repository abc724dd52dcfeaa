"""The service-desk dashboard: workload, terms about to be missed, SLA compliance and
lead times per participant, priority and month.

A fixed number of statements per request whatever the number of calls: one grouped
query for every open-call figure, and the six-month resolution figures from a short
per-scope cache (three aggregate queries when it is cold); see docs/performance.md."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from .filtersets import BREACHING_SOON_HOURS
from .models import Ticket
from .stats import cached_resolution_performance, open_call_figures, performance_cache_seconds


@login_required
def dashboard(request):
    user = request.user
    if not (user.is_provider_staff or user.has_perm("servicedesk.view_organisation_tickets")):
        raise Http404
    tickets = Ticket.objects.for_user(user)
    figures = open_call_figures(tickets, timezone.now(), BREACHING_SOON_HOURS)
    workload = figures["workload"]
    participants = sorted({org for counts in workload.values() for org in counts})
    performance, computed_at = cached_resolution_performance(tickets)
    return render(request, "servicedesk/dashboard.html", {
        "open_count": figures["open"],
        "breaching_soon": figures["breaching_soon"],
        "breached": figures["breached"],
        "unassigned": figures["unassigned"],
        "workload": [(team, [counts.get(org, 0) for org in participants]) for team, counts in workload.items()],
        "participants": participants,
        "performance": performance,
        "performance_as_of": computed_at,
        "performance_cache_minutes": performance_cache_seconds() // 60,
        "chart": {"labels": performance["months"], "series": performance["compliance_series"]},
        "breaching_soon_hours": BREACHING_SOON_HOURS,
    })
