"""The service desk at scale (issue #3, Performance): a fixed number of statements per
queue list, search and dashboard request whatever the number of calls, the dashboard's
figures right (and the same on SQLite and PostgreSQL), its short cache scoped, and on
PostgreSQL the free-text search answered by the trigram index of migration 0009.
The timings themselves are measured by hand: bench/desk_at_scale.py."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from regie.core.factories import TeamFactory
from regie.servicedesk import stats
from regie.servicedesk.choices import TicketStatus
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db

QUEUES = ["mine", "my_teams", "unassigned", "breaching_soon", "breached"]


@pytest.fixture
def team(provider, agent):
    team = TeamFactory(organisation=provider)
    team.members.add(agent)
    return team


def make_calls(count, caller, agent, team, *, other=None):
    """`count` open calls of every queue's kind (assigned, unassigned, due soon, past due)
    and as many closed ones; `other`: another municipality's caller."""
    now = timezone.now()
    made = []
    for index in range(count):
        for requester in [caller] + ([other] if other else []):
            ticket = TicketFactory(requester=requester, title=f"Printer storing {index}")
            due = now + timedelta(hours=1) if index % 3 == 0 else now - timedelta(hours=2) if index % 3 == 1 else (
                now + timedelta(days=3))
            Ticket.all_objects.filter(pk=ticket.pk).update(
                status=TicketStatus.IN_PROGRESS, team=team, assignee=agent if index % 2 else None,
                resolution_due_at=due, response_due_at=due - timedelta(hours=1),
            )
            closed = TicketFactory(requester=requester, title=f"Scherm zwart {index}")
            Ticket.all_objects.filter(pk=closed.pk).update(
                status=TicketStatus.CLOSED, team=team, assignee=agent, resolved_at=now - timedelta(days=1),
                created_at=now - timedelta(days=1, hours=index + 1), resolution_due_at=now - timedelta(hours=12),
            )
            made.append(ticket)
    return made


def statements(client, path):
    client.get(path)  # warm: once-per-session writes (language, last seen) are not the page's
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(captured), response


def count_per_page(client, paths):
    return {path: statements(client, path)[0] for path in paths}


QUEUE_PATHS = [f"/calls/?queue={queue}" for queue in QUEUES] + [
    "/calls/?queue=breaching_soon&sort=due", "/calls/?q=printer", "/calls/?q=VNL-2026-000001",
    "/api/v1/tickets?queue=mine", "/api/v1/tickets?queue=breaching_soon", "/api/v1/tickets?q=printer",
]


def test_queue_lists_and_search_take_the_same_statements_for_3_or_40_calls(agent, caller, team, client_for):
    client = client_for(agent)
    make_calls(3, caller, agent, team)
    few = count_per_page(client, QUEUE_PATHS)
    make_calls(37, caller, agent, team)  # more than a page of 25 in every queue
    many = count_per_page(client, QUEUE_PATHS)
    assert few == many
    # And the second page of a list costs what the first does.
    _count, response = statements(client, "/calls/?queue=my_teams")
    cursor = response.context["page"].next_cursor
    assert cursor, "40 open calls of the agent's team make more than one page"
    assert statements(client, f"/calls/?queue=my_teams&cursor={cursor}")[0] == many["/calls/?queue=my_teams"]


def test_the_queues_hold_the_right_calls(agent, caller, team, client_for, make_user):
    calls = make_calls(6, caller, agent, team)
    client = client_for(agent)

    def listed(queue):
        return {ticket.pk for ticket in client.get(f"/calls/?queue={queue}").context["page"].items}

    now = timezone.now()
    open_calls = Ticket.all_objects.filter(pk__in=[t.pk for t in calls])
    assert listed("mine") == set(open_calls.filter(assignee=agent).values_list("pk", flat=True))
    assert listed("unassigned") == set(open_calls.filter(assignee__isnull=True).values_list("pk", flat=True))
    assert listed("breaching_soon") == set(
        open_calls.filter(resolution_due_at__gte=now, resolution_due_at__lt=now + timedelta(hours=4))
        .values_list("pk", flat=True))
    assert listed("breached") == set(open_calls.filter(resolution_due_at__lt=now).values_list("pk", flat=True))
    assert listed("my_teams") == {t.pk for t in calls}
    second = TeamFactory(organisation=agent.organisation)
    second.members.add(agent)
    elsewhere = TicketFactory(requester=caller)
    Ticket.all_objects.filter(pk=elsewhere.pk).update(status=TicketStatus.NEW, team=second)
    assert listed("my_teams") == {t.pk for t in calls} | {elsewhere.pk}
    loner = client_for(make_user(agent.organisation, "first_line"))  # in no team
    assert list(loner.get("/calls/?queue=my_teams").context["page"].items) == []


def test_dashboard_takes_the_same_statements_whatever_the_calls(agent, caller, team, roermond, make_user,
                                                                client_for):
    client = client_for(make_user(agent.organisation, "team_lead"))
    other = make_user(roermond, "employee")
    make_calls(2, caller, agent, team)
    few, _response = statements(client, "/calls/dashboard/")
    make_calls(12, caller, agent, team, other=other)
    make_calls(3, caller, agent, TeamFactory(organisation=agent.organisation), other=other)
    many, response = statements(client, "/calls/dashboard/")
    assert few == many
    assert many <= 16
    page = response.content.decode()
    assert "Gemeente Roermond" in page


def test_open_call_figures_count_what_the_queues_list(agent, caller, team, roermond, make_user):
    other = make_user(roermond, "employee")
    make_calls(7, caller, agent, team, other=other)
    tickets = Ticket.objects.unrestricted()
    now = timezone.now()
    figures = stats.open_call_figures(tickets, now, 4)
    open_calls = tickets.filter(status__in=TicketStatus.open_values())
    assert figures["open"] == open_calls.count() == 14
    assert figures["breaching_soon"] == open_calls.filter(
        resolution_due_at__gte=now, resolution_due_at__lt=now + timedelta(hours=4)).count() == 6
    assert figures["breached"] == open_calls.filter(resolution_due_at__lt=now).count() == 4
    assert figures["unassigned"] == open_calls.filter(assignee__isnull=True).count() == 8
    assert figures["workload"] == {team.name: {"Gemeente Venlo": 7, "Gemeente Roermond": 7}}
    venlo_only = stats.open_call_figures(tickets.filter(organisation=caller.organisation), now, 4)
    assert venlo_only["open"] == 7 and list(venlo_only["workload"][team.name]) == ["Gemeente Venlo"]


def test_percentiles_are_nearest_rank():
    values = [1, 2, 3, 4, 5, 6, 7]
    # ceil(0.9 × 7) = 7th value; the median of 7 is the 4th.
    assert stats._percentile(values, 0.9) == 7
    assert stats._percentile(values, 0.5) == 4
    assert stats._percentile(list(range(1, 11)), 0.5) == 5
    assert stats._percentile([], 0.5) is None


def test_sql_and_python_resolution_figures_agree(caller, roermond, make_user):
    now = timezone.now() - timedelta(days=2)
    other = make_user(roermond, "employee")
    for index in range(23):
        ticket = TicketFactory(requester=caller if index % 3 else other, priority=1 + index % 5)
        Ticket.all_objects.filter(pk=ticket.pk).update(
            status=TicketStatus.CLOSED, created_at=now - timedelta(hours=index * 7 % 31 + 1),
            resolved_at=now - timedelta(days=index % 60), resolution_due_at=now - timedelta(hours=index % 4),
        )
    resolved = Ticket.objects.unrestricted().filter(resolved_at__gte=stats._first_month(6))
    python = stats._performance_in_python(resolved)
    assert python["per_participant"]["Gemeente Venlo"]["count"] == 15
    if connection.vendor != "postgresql":
        pytest.skip("the SQL path (percentile_disc) needs PostgreSQL")
    assert stats._performance_in_sql(resolved) == python


def test_dashboard_figures_are_cached_per_scope(settings, provider, venlo, roermond, caller, make_user, client_for):
    settings.REGIE_DASHBOARD_CACHE_SECONDS = 60
    cache.clear()
    now = timezone.now() - timedelta(days=1)
    for requester in (caller, make_user(roermond, "employee")):
        ticket = TicketFactory(requester=requester)
        Ticket.all_objects.filter(pk=ticket.pk).update(
            status=TicketStatus.CLOSED, created_at=now - timedelta(hours=2), resolved_at=now)
    staff = client_for(make_user(provider, "team_lead"))
    cold, page = statements(staff, "/calls/dashboard/")  # statements() warms first: this one is cached
    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        staff.get("/calls/dashboard/")
    assert len(captured) > cold  # computing the six-month figures costs queries; the cached page does not
    assert "Gemeente Roermond" in page.content.decode()
    # Venlo's account manager has another scope: never Roermond's figures from the cache.
    manager_page = client_for(make_user(venlo, "account_manager")).get("/calls/dashboard/").content.decode()
    assert "Gemeente Venlo" in manager_page and "Gemeente Roermond" not in manager_page
    cache.clear()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm index exists on PostgreSQL only")
def test_title_search_uses_the_trigram_index_on_postgresql(agent, caller):
    from regie.servicedesk.filtersets import TicketFilterSet

    TicketFactory(requester=caller, title="Printer op de tweede verdieping")
    queryset = TicketFilterSet({"q": "tweede"}, queryset=Ticket.objects.for_user(agent), user=agent).qs
    # Unordered (with a handful of rows any index walk in date order is as cheap): the point is
    # that the WHERE clause Django writes is one the trigram index can answer.
    sql, params = queryset.order_by().query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "ticket_title_trgm_idx" in plan, plan
    assert [t.title for t in queryset] == ["Printer op de tweede verdieping"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the partial indexes exist on PostgreSQL only")
def test_queue_indexes_exist_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'servicedesk_ticket'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"ticket_title_trgm_idx", "ticket_open_assignee_idx", "ticket_open_team_idx", "ticket_open_due_idx",
            "ticket_resolved_idx"} <= names


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the partial indexes exist on PostgreSQL only")
def test_the_open_call_indexes_cover_exactly_the_open_statuses():
    """A status added to the open ones without rebuilding the partial indexes makes every
    queue miss them (0010 did: breaching soon went from < 1 ms to ~100 ms)."""
    import re

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'servicedesk_ticket' "
                       "AND indexname LIKE 'ticket_open_%%'")
        definitions = dict(cursor.fetchall())
    assert set(definitions) == {"ticket_open_assignee_idx", "ticket_open_team_idx", "ticket_open_due_idx"}
    for name, definition in definitions.items():
        predicate = definition.split(" WHERE ", 1)[1]
        assert set(re.findall(r"'([a-z_]+)'", predicate)) == set(TicketStatus.open_values()), name


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the partial indexes exist on PostgreSQL only")
@pytest.mark.parametrize(("queue", "index"), [
    ("mine", "ticket_open_assignee_idx"),
    ("my_teams", "ticket_open_team_idx"),
    ("breaching_soon", "ticket_open_due_idx"),
    ("breached", "ticket_open_due_idx"),
])
def test_each_queue_can_use_its_open_call_index(queue, index, agent, team, caller):
    from regie.servicedesk.filtersets import TicketFilterSet

    make_calls(2, caller, agent, team)
    queryset = TicketFilterSet({"queue": queue}, queryset=Ticket.objects.for_user(agent), user=agent).qs
    ordering = ["resolution_due_at", "id"] if index == "ticket_open_due_idx" else ["-created_at", "-id"]
    sql, params = queryset.order_by(*ordering).query.sql_with_params()
    with connection.cursor() as cursor:
        # With a handful of rows a scan is cheapest; forbid the alternatives to see the index is usable.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert index in plan, plan
