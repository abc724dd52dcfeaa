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
