"""Figures for dashboards: plain aggregate queries over an already-scoped queryset."""

from datetime import timedelta

from django.db.models import Count
from django.db.models.functions import TruncWeek
from django.utils import timezone


def weekly_intake(tickets, weeks=12):
    """Calls registered per ISO week (oldest first), split per organisation.

    Returns {"labels": ["2026-W36", ...], "series": [{"label": org, "data": [...]}, ...]}."""
    now = timezone.localtime()
    start_of_this_week = (now - timedelta(days=now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    first_week = start_of_this_week - timedelta(weeks=weeks - 1)
    week_starts = [(first_week + timedelta(weeks=i)).date() for i in range(weeks)]
    rows = (
        tickets.filter(created_at__gte=first_week)
        .annotate(week=TruncWeek("created_at"))
        .values("week", "organisation__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {}
    for row in rows:
        week = row["week"].date() if hasattr(row["week"], "date") else row["week"]
        counts.setdefault(row["organisation__name"], {})[week] = row["n"]
    labels = [f"{day.isocalendar().year}-W{day.isocalendar().week:02d}" for day in week_starts]
    series = [
        {"label": name, "data": [per_week.get(day, 0) for day in week_starts]}
        for name, per_week in sorted(counts.items())
    ]
    return {"labels": labels, "series": series}


def _percentile(sorted_values, share):
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[index]


def open_by_team_and_participant(tickets):
    """{team name: {participant: count}} of open calls (unassigned team as "—")."""
    from .choices import TicketStatus

    rows = (
        tickets.filter(status__in=TicketStatus.open_values())
        .values("team__name", "organisation__name")
        .annotate(n=Count("id"))
        .order_by()
    )
    table = {}
    for row in rows:
        table.setdefault(row["team__name"] or "—", {})[row["organisation__name"]] = row["n"]
    return dict(sorted(table.items()))


def resolution_performance(tickets, months=6):
    """Per participant and month: resolved calls, share within the term, lead time
    median and p90 (hours, calendar time). Also per priority over the whole period."""
    from django.db.models.functions import TruncMonth

    now = timezone.localtime()
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    first_month = (this_month - timedelta(days=31 * (months - 1))).replace(day=1)
    rows = (
        tickets.filter(resolved_at__gte=first_month)
        .annotate(month=TruncMonth("resolved_at"))
        .values_list("organisation__name", "priority", "month", "created_at", "resolved_at", "resolution_due_at")
        .order_by()
    )
    per_org_month, per_priority, per_org = {}, {}, {}
    for org, priority, month, created, resolved, due in rows.iterator(chunk_size=5000):
        hours = (resolved - created).total_seconds() / 3600
        met = due is None or resolved <= due
        key = month.strftime("%Y-%m")
        for bucket in (per_org_month.setdefault(org, {}).setdefault(key, []), per_priority.setdefault(priority, []),
                       per_org.setdefault(org, [])):
            bucket.append((hours, met))

    def summary(items):
        hours = sorted(h for h, _met in items)
        return {
            "count": len(items),
            "within_term_pct": round(100 * sum(1 for _h, met in items if met) / len(items), 1) if items else None,
            "median_hours": round(_percentile(hours, 0.5), 1) if hours else None,
            "p90_hours": round(_percentile(hours, 0.9), 1) if hours else None,
        }

    month_labels = sorted({m for by_month in per_org_month.values() for m in by_month})
    return {
        "months": month_labels,
        "per_participant": {org: summary(items) for org, items in sorted(per_org.items())},
        "per_priority": {priority: summary(items) for priority, items in sorted(per_priority.items())},
        "compliance_series": [
            {"label": org, "data": [summary(by_month.get(m, []))["within_term_pct"] for m in month_labels]}
            for org, by_month in sorted(per_org_month.items())
        ],
    }
