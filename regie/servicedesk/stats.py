"""Figures for dashboards: aggregate queries over an already-scoped queryset.

At 1,000,000 calls nothing here reads every call per request (docs/performance.md,
section 4): the open-call figures are one grouped query over the open calls only; the
six-month resolution figures are aggregated in PostgreSQL (counts, and lead-time
percentiles with `percentile_disc`) through a covering partial index on `resolved_at`,
and kept for PERFORMANCE_CACHE_SECONDS per scope. SQLite (development, tests) computes
the same figures in Python; both use the nearest-rank percentile, so they agree.
"""

import hashlib
import math
from datetime import timedelta

from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import Aggregate, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

# The resolution figures cover six months; a few minutes' delay does not change them
# materially, and computing them costs ~0.5–1 s at 1,000,000 calls on two cores.
PERFORMANCE_CACHE_SECONDS = 300


def performance_cache_seconds():
    """`REGIE_DASHBOARD_CACHE_SECONDS` if set; else 5 minutes, and no caching under the
    test runner (each test has its own data; tests that check the cache set it)."""
    from django.conf import settings

    default = 0 if getattr(settings, "TESTING", False) else PERFORMANCE_CACHE_SECONDS
    return getattr(settings, "REGIE_DASHBOARD_CACHE_SECONDS", default)


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
    """Nearest rank: the first value whose rank reaches `share` of the values (what
    PostgreSQL's percentile_disc returns, so both databases give the same figure)."""
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, math.ceil(share * len(sorted_values)) - 1))
    return sorted_values[index]


def open_call_figures(tickets, now=None, soon_hours=4):
    """The dashboard's open-call figures: one grouped query over the open calls (on
    PostgreSQL an index-only scan of `ticket_open_team_idx`), grouped by ids and named
    afterwards by one query per small table, not joined per call:
    {"open", "breaching_soon", "breached", "unassigned": totals,
     "workload": {team name (or "—"): {participant: open calls}}}."""
    from regie.core.models import Organisation, Team

    from .choices import TicketStatus

    now = now or timezone.now()
    rows = list(
        tickets.filter(status__in=TicketStatus.open_values())
        .values("team_id", "organisation_id")
        .annotate(
            n=Count("*"),
            soon=Count("created_at", filter=Q(resolution_due_at__gte=now,
                                     resolution_due_at__lt=now + timedelta(hours=soon_hours))),
            breached=Count("created_at", filter=Q(resolution_due_at__lt=now)),
            unassigned=Count("created_at", filter=Q(assignee__isnull=True)),
        )
        .order_by()
    )
    # Names only of teams and organisations that have calls in this scope.
    teams = dict(Team.all_objects.filter(pk__in={row["team_id"] for row in rows}).values_list("pk", "name"))
    organisations = dict(
        Organisation.objects.filter(pk__in={row["organisation_id"] for row in rows}).values_list("pk", "name")
    )
    figures = {"open": 0, "breaching_soon": 0, "breached": 0, "unassigned": 0}
    table = {}
    for row in rows:
        figures["open"] += row["n"]
        figures["breaching_soon"] += row["soon"]
        figures["breached"] += row["breached"]
        figures["unassigned"] += row["unassigned"]
        per_team = table.setdefault(teams.get(row["team_id"], "—"), {})
        name = organisations[row["organisation_id"]]
        per_team[name] = per_team.get(name, 0) + row["n"]
    figures["workload"] = dict(sorted(table.items()))
    return figures


def open_by_team_and_participant(tickets):
    """{team name: {participant: count}} of open calls (unassigned team as "—")."""
    return open_call_figures(tickets)["workload"]


def _first_month(months):
    now = timezone.localtime()
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return (this_month - timedelta(days=31 * (months - 1))).replace(day=1)


def _summary(count, met, median, p90):
    return {
        "count": count,
        "within_term_pct": round(100 * met / count, 1) if count else None,
        "median_hours": round(median, 1) if median is not None else None,
        "p90_hours": round(p90, 1) if p90 is not None else None,
    }


def _report(per_org_month, per_org, per_priority):
    """per_org_month: {org: {"YYYY-MM": (count, met)}}; per_org / per_priority: {key: summary}."""
    month_labels = sorted({m for by_month in per_org_month.values() for m in by_month})
    return {
        "months": month_labels,
        "per_participant": dict(sorted(per_org.items())),
        "per_priority": dict(sorted(per_priority.items())),
        "compliance_series": [
            {"label": org, "data": [
                _summary(*by_month[m], None, None)["within_term_pct"] if m in by_month else None
                for m in month_labels
            ]}
            for org, by_month in sorted(per_org_month.items())
        ],
    }


def resolution_performance(tickets, months=6):
    """Per participant and month: resolved calls, share within the term, lead time
    median and p90 (hours, calendar time). Also per priority over the whole period."""
    resolved = tickets.filter(resolved_at__gte=_first_month(months))
    if connections[resolved.db].vendor == "postgresql":
        return _performance_in_sql(resolved)
    return _performance_in_python(resolved)


MET = Q(resolution_due_at__isnull=True) | Q(resolved_at__lte=F("resolution_due_at"))


class PercentileDisc(Aggregate):
    """PostgreSQL's nearest-rank percentile of an ordered set."""

    function = "percentile_disc"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, fraction, **extra):
        super().__init__(expression, fraction=float(fraction), output_field=DurationField(), **extra)


def _performance_in_sql(resolved):
    """Three grouped queries; PostgreSQL answers them from the covering partial index
    `ticket_resolved_idx` without reading the calls themselves."""
    lead = ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
    per_org_month = {}
    for row in (
        resolved.annotate(month=TruncMonth("resolved_at")).values("organisation__name", "month")
        .annotate(n=Count("*"), met=Count("created_at", filter=MET)).order_by()
    ):
        month = row["month"].strftime("%Y-%m")
        per_org_month.setdefault(row["organisation__name"], {})[month] = (row["n"], row["met"])

    def summaries(field):
        result = {}
        for row in (
            resolved.annotate(lead=lead).values(field)
            .annotate(n=Count("*"), met=Count("created_at", filter=MET), median=PercentileDisc("lead", 0.5),
                      p90=PercentileDisc("lead", 0.9))
            .order_by()
        ):
            result[row[field]] = _summary(row["n"], row["met"], row["median"].total_seconds() / 3600,
                                          row["p90"].total_seconds() / 3600)
        return result

    with transaction.atomic(using=resolved.db), connections[resolved.db].cursor() as cursor:
        # The percentiles sort ~200,000 lead times per grouping at 1,000,000 calls: in memory, not on disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        return _report(per_org_month, summaries("organisation__name"), summaries("priority"))


def _performance_in_python(resolved):
    rows = (
        resolved.annotate(month=TruncMonth("resolved_at"))
        .values_list("organisation__name", "priority", "month", "created_at", "resolved_at", "resolution_due_at")
        .order_by()
    )
    per_org_month, per_priority, per_org = {}, {}, {}
    for org, priority, month, created, resolved_at, due in rows.iterator(chunk_size=5000):
        hours = (resolved_at - created).total_seconds() / 3600
        met = due is None or resolved_at <= due
        key = month.strftime("%Y-%m")
        count, met_count = per_org_month.setdefault(org, {}).get(key, (0, 0))
        per_org_month[org][key] = (count + 1, met_count + met)
        for bucket in (per_priority.setdefault(priority, []), per_org.setdefault(org, [])):
            bucket.append((hours, met))

    def summary(items):
        hours = sorted(h for h, _met in items)
        return _summary(len(items), sum(1 for _h, met in items if met), _percentile(hours, 0.5),
                        _percentile(hours, 0.9))

    return _report(per_org_month, {org: summary(items) for org, items in per_org.items()},
                   {priority: summary(items) for priority, items in per_priority.items()})


def cached_resolution_performance(tickets, months=6, seconds=None):
    """`resolution_performance`, kept for `seconds` (default `performance_cache_seconds()`)
    per scope. The key is a hash of the scoped query itself, so two users share figures
    only if they see exactly the same calls. Returns (figures, computed_at)."""
    seconds = performance_cache_seconds() if seconds is None else seconds
    if seconds <= 0:
        return resolution_performance(tickets, months), timezone.now()
    sql, params = tickets.query.sql_with_params()
    digest = hashlib.sha256(repr((sql, params, months)).encode()).hexdigest()[:32]
    key = f"servicedesk:performance:{digest}"
    cached = cache.get(key)
    if cached is None:
        cached = (resolution_performance(tickets, months), timezone.now())
        cache.set(key, cached, seconds)
    return cached
