"""The service-desk dashboard: workload, terms about to be missed, SLA compliance and
lead times per participant, priority and month."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from .choices import TicketStatus
from .filtersets import BREACHING_SOON_HOURS
from .models import Ticket
from .stats import open_by_team_and_participant, resolution_performance


@login_required
def dashboard(request):
    user = request.user
    if not (user.is_provider_staff or user.has_perm("servicedesk.view_organisation_tickets")):
        raise Http404
    tickets = Ticket.objects.for_user(user)
    now = timezone.now()
    open_calls = tickets.filter(status__in=TicketStatus.open_values())
    workload = open_by_team_and_participant(tickets)
    participants = sorted({org for counts in workload.values() for org in counts})
    performance = resolution_performance(tickets)
    return render(request, "servicedesk/dashboard.html", {
        "open_count": open_calls.count(),
        "breaching_soon": open_calls.filter(
            resolution_due_at__gte=now, resolution_due_at__lt=now + timezone.timedelta(hours=BREACHING_SOON_HOURS)
        ).count(),
        "breached": open_calls.filter(resolution_due_at__lt=now).count(),
        "unassigned": open_calls.filter(assignee__isnull=True).count(),
        "workload": [(team, [counts.get(org, 0) for org in participants]) for team, counts in workload.items()],
        "participants": participants,
        "performance": performance,
        "chart": {"labels": performance["months"], "series": performance["compliance_series"]},
        "breaching_soon_hours": BREACHING_SOON_HOURS,
    })
