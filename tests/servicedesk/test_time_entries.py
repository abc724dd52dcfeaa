"""Time registration on calls (regie/servicedesk/time_entries.py and the call page):
who may book, what may be charged, the minutes and date windows, changing and removing
own recent entries, and what a participant sees (totals, never who booked what)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from regie.core.factories import UserFactory
from regie.servicedesk import time_entries
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import Ticket, TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(provider, make_user):
    return make_user(provider, "first_line")


@pytest.fixture
def engineer(provider, make_user):
    return make_user(provider, "engineer")


@pytest.fixture
def caller(venlo, make_user):
    return make_user(venlo, "employee")


@pytest.fixture
def ticket(caller):
    return TicketFactory(requester=caller)


def entries():
    return TimeEntry.objects.unrestricted()


def error_fields(excinfo):
    return set(excinfo.value.message_dict)


# --- booking --------------------------------------------------------------------------------


def test_agent_books_time_for_themselves_charged_to_the_calls_organisation(ticket, agent, venlo):
    entry = time_entries.register_time(agent, ticket, 45, note="Printer opnieuw geïnstalleerd", extra_cost=True)
    assert entry.person == agent
    assert entry.organisation == venlo
    assert entry.minutes == 45 and entry.extra_cost and entry.note == "Printer opnieuw geïnstalleerd"
    assert entry.date == timezone.localdate()


def test_participants_cannot_book_time(ticket, caller, venlo, make_user):
    account_manager = make_user(venlo, "account_manager")
    for person in (caller, account_manager):
        with pytest.raises(PermissionDenied):
            time_entries.register_time(person, ticket, 30)
    assert not entries().exists()


def test_provider_staff_without_the_agent_role_cannot_book(ticket, provider, make_user):
    auditor = make_user(provider, "auditor")
    with pytest.raises(PermissionDenied):
        time_entries.register_time(auditor, ticket, 30)
    assert not entries().exists()


def test_only_the_calls_own_organisation_is_charged(ticket, agent, roermond):
    with pytest.raises(ValidationError) as excinfo:
        time_entries.register_time(agent, ticket, 30, organisation=roermond)
    assert error_fields(excinfo) == {"organisation"}
    assert not entries().exists()


def test_a_call_of_the_provider_itself_cannot_be_charged(agent, provider, make_user):
    colleague = make_user(provider, "engineer")
    own_call = TicketFactory(requester=colleague)
    with pytest.raises(ValidationError) as excinfo:
        time_entries.register_time(agent, own_call, 30)
    assert error_fields(excinfo) == {"organisation"}
    assert not entries().exists()


@pytest.mark.parametrize("minutes", [0, -5, 1441, "abc", None, 2.5, True])
def test_minutes_must_be_1_to_1440(ticket, agent, minutes):
    with pytest.raises(ValidationError) as excinfo:
        time_entries.register_time(agent, ticket, minutes)
    assert error_fields(excinfo) == {"minutes"}
    assert not entries().exists()


@pytest.mark.parametrize("minutes", [1, 1440, "90"])
def test_minutes_at_the_limits_are_accepted(ticket, agent, minutes):
    assert time_entries.register_time(agent, ticket, minutes).minutes == int(minutes)


def test_date_not_in_the_future_nor_more_than_60_days_back(ticket, agent):
    today = timezone.localdate()
    for bad in (today + timedelta(days=1), today - timedelta(days=61), "2026-02-30", "gisteren"):
        with pytest.raises(ValidationError) as excinfo:
            time_entries.register_time(agent, ticket, 30, date=bad)
        assert error_fields(excinfo) == {"date"}, bad
    assert not entries().exists()
    assert time_entries.register_time(agent, ticket, 30, date=today - timedelta(days=60)).date == (
        today - timedelta(days=60))
    assert time_entries.register_time(agent, ticket, 30, date=today.isoformat()).date == today


def test_every_bad_field_is_named_at_once(ticket, agent, roermond):
    with pytest.raises(ValidationError) as excinfo:
        time_entries.register_time(agent, ticket, 0, date="morgen", note="x" * 301, organisation=roermond)
    assert error_fields(excinfo) == {"minutes", "date", "note", "organisation"}


# --- changing and removing ------------------------------------------------------------------


def test_own_entry_is_changed_and_removed_within_seven_days(ticket, agent):
    entry = time_entries.register_time(agent, ticket, 30)
    changed = time_entries.update_time_entry(agent, entry, {"minutes": 50, "extra_cost": True, "note": "langer"})
    assert (changed.minutes, changed.extra_cost, changed.note) == (50, True, "langer")
    time_entries.delete_time_entry(agent, changed, now=changed.created_at + timedelta(days=6, hours=23))
    assert not entries().exists()


def test_someone_elses_entry_cannot_be_changed_or_removed(ticket, agent, engineer):
    entry = time_entries.register_time(agent, ticket, 30)
    with pytest.raises(PermissionDenied):
        time_entries.update_time_entry(engineer, entry, {"minutes": 5})
    with pytest.raises(PermissionDenied):
        time_entries.delete_time_entry(engineer, entry)
    entry.refresh_from_db()
    assert entry.minutes == 30


def test_entries_older_than_seven_days_are_fixed(ticket, agent):
    entry = time_entries.register_time(agent, ticket, 30)
    later = entry.created_at + timedelta(days=7, minutes=1)
    with pytest.raises(ValidationError):
        time_entries.update_time_entry(agent, entry, {"minutes": 5}, now=later)
    with pytest.raises(ValidationError):
        time_entries.delete_time_entry(agent, entry, now=later)
    assert entries().get().minutes == 30


def test_a_change_keeps_to_the_same_rules(ticket, agent, roermond):
    entry = time_entries.register_time(agent, ticket, 30)
    with pytest.raises(ValidationError) as excinfo:
        time_entries.update_time_entry(agent, entry, {"minutes": 2000})
    assert error_fields(excinfo) == {"minutes"}
    with pytest.raises(ValidationError) as excinfo:
        time_entries.update_time_entry(agent, entry, {"organisation": roermond, "ticket": ticket})
    assert error_fields(excinfo) == {"organisation", "ticket"}
    assert entries().get().minutes == 30


# --- who sees what --------------------------------------------------------------------------


def test_participants_see_totals_but_not_the_entries(ticket, agent, engineer, caller, venlo, make_user):
    time_entries.register_time(agent, ticket, 30)
    time_entries.register_time(engineer, ticket, 45, extra_cost=True)
    account_manager = make_user(venlo, "account_manager")
    for person in (caller, account_manager):
        assert time_entries.totals_for(person, ticket) == time_entries.TimeTotals(75, 45, 2)
        assert list(time_entries.entries_for(person, ticket)) == []
    assert time_entries.entries_for(agent, ticket).count() == 2


def test_other_municipality_and_colleagues_see_nothing(ticket, agent, venlo, roermond, make_user):
    time_entries.register_time(agent, ticket, 30)
    for outsider in (make_user(roermond, "account_manager"), make_user(venlo, "employee")):
        assert time_entries.totals_for(outsider, ticket) == time_entries.TimeTotals(0, 0, 0)


# --- the call page --------------------------------------------------------------------------


def url(ticket, suffix=""):
    return f"/calls/{ticket.reference}/time-entries/{suffix}"


def test_agent_books_time_from_the_call_page(ticket, agent, client_for):
    client = client_for(agent)
    response = client.post(url(ticket), {"time-minutes": "25", "time-note": "Telefonisch geholpen",
                                         "time-date": timezone.localdate().isoformat()})
    assert response.status_code == 302
    entry = entries().get()
    assert (entry.minutes, entry.person, entry.note) == (25, agent, "Telefonisch geholpen")
    page = client.get(ticket.get_absolute_url())
    assert "Telefonisch geholpen" in page.content.decode() and "0:25" in page.content.decode()


def test_bad_input_on_the_page_is_a_400_and_writes_nothing(ticket, agent, client_for):
    client = client_for(agent)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    for data in ({"time-minutes": "0"}, {"time-minutes": "abc"}, {"time-minutes": "30", "time-date": future}, {}):
        response = client.post(url(ticket), data)
        assert response.status_code == 400, data
    assert not entries().exists()


def test_future_date_message_is_shown(ticket, agent, client_for):
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client_for(agent).post(url(ticket), {"time-minutes": "30", "time-date": future})
    assert response.status_code == 400
    assert "Time cannot be booked on a date in the future." in response.content.decode()


def test_participant_page_shows_the_total_but_no_names(ticket, agent, caller, client_for):
    agent.first_name, agent.last_name = "Geheime", "Monteur"
    agent.save()
    time_entries.register_time(agent, ticket, 90, note="Interne notitie over de printer")
    page = client_for(caller).get(ticket.get_absolute_url()).content.decode()
    assert "1:30" in page
    assert "Monteur" not in page and "Interne notitie" not in page
    assert url(ticket) not in page  # no booking form


def test_participant_cannot_post_time(ticket, caller, client_for):
    response = client_for(caller).post(url(ticket), {"time-minutes": "30"})
    assert response.status_code == 403
    assert not entries().exists()


def test_other_municipality_gets_404(ticket, agent, roermond, make_user, client_for):
    entry = time_entries.register_time(agent, ticket, 30)
    client = client_for(make_user(roermond, "account_manager"))
    assert client.post(url(ticket), {"time-minutes": "30"}).status_code == 404
    assert client.post(url(ticket, f"{entry.pk}/delete/")).status_code == 404
    assert client.post(url(ticket, f"{entry.pk}/edit/"), {f"time-{entry.pk}-minutes": "5"}).status_code == 404
    assert entries().get().minutes == 30


def test_own_entry_is_changed_and_removed_from_the_page(ticket, agent, engineer, client_for):
    entry = time_entries.register_time(agent, ticket, 30)
    prefix = f"time-{entry.pk}"
    response = client_for(engineer).post(url(ticket, f"{entry.pk}/edit/"), {f"{prefix}-minutes": "5"})
    assert response.status_code == 400
    assert entries().get().minutes == 30
    client = client_for(agent)
    response = client.post(url(ticket, f"{entry.pk}/edit/"), {f"{prefix}-minutes": "40", f"{prefix}-note": "meer"})
    assert response.status_code == 302
    assert (entries().get().minutes, entries().get().note) == (40, "meer")
    assert client.post(url(ticket, f"{entry.pk}/delete/")).status_code == 302
    assert not entries().exists()


def test_entry_of_another_call_is_not_found_through_this_one(ticket, agent, caller, client_for):
    other = TicketFactory(requester=caller)
    entry = time_entries.register_time(agent, other, 30)
    assert client_for(agent).post(url(ticket, f"{entry.pk}/delete/")).status_code == 404
    assert entries().filter(pk=entry.pk).exists()


def test_call_page_queries_do_not_grow_with_the_entries(ticket, agent, client_for):
    client = client_for(agent)
    time_entries.register_time(agent, ticket, 10)
    client.get(ticket.get_absolute_url())
    with CaptureQueriesContext(connection) as few:
        assert client.get(ticket.get_absolute_url()).status_code == 200
    for n in range(8):
        time_entries.register_time(UserFactory(organisation=agent.organisation, roles=["engineer"]), ticket, n + 1)
    with CaptureQueriesContext(connection) as many:
        assert client.get(ticket.get_absolute_url()).status_code == 200
    assert len(many.captured_queries) <= len(few.captured_queries) + 1
    assert Ticket.objects.unrestricted().count() == 1
