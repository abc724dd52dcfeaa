"""Reopening a resolved call from the portal (regie/servicedesk/portal.py): by the
requester or their manager, within REGIE_REOPEN_DAYS, with a reason that lands on the
call as a reply; status back to in progress through the normal transition rules and
the SLA deadlines recomputed. Refused after the window, on closed calls, for others."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regie.catalogue.models import BusinessCalendar
from regie.servicedesk import portal, services
from regie.servicedesk.choices import ResolutionCode, TicketStatus
from regie.servicedesk.models import MessageKind, Ticket, TicketMessage

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def at(*args):
    return datetime(*args, tzinfo=AMS)


@pytest.fixture
def agent(provider, make_user):
    return make_user(provider, "first_line")


@pytest.fixture
def manager(venlo, make_user):
    return make_user(venlo, "manager")


@pytest.fixture
def caller(venlo, make_user, manager):
    BusinessCalendar.objects.create(
        name="Venlo", organisation=venlo, weekly_hours={str(d): [["08:00", "17:00"]] for d in range(5)}
    )
    return make_user(venlo, "employee", manager=manager)


CREATED = at(2026, 11, 24, 9, 0)  # Tuesday; priority 3 → resolve by Friday 27 November 09:00
RESOLVED = at(2026, 11, 24, 15, 0)


@pytest.fixture
def resolved(agent, caller):
    ticket = services.create_ticket(agent, title="Printer kapot", requester=caller, impact=2, urgency=2, now=CREATED)
    return services.update_ticket(agent, ticket, {
        "status": TicketStatus.RESOLVED, "resolution_code": ResolutionCode.SOLVED, "resolution_text": "Toner",
    }, now=RESOLVED)


def reload(ticket):
    return Ticket.objects.unrestricted().get(pk=ticket.pk)


def messages(ticket):
    return list(TicketMessage.objects.unrestricted().filter(ticket=ticket))


def test_requester_reopens_within_the_window(resolved, caller):
    version = resolved.version
    ticket = portal.reopen_ticket(caller, resolved, "De printer piept nog steeds", now=RESOLVED + timedelta(days=4))
    assert ticket.status == TicketStatus.IN_PROGRESS
    assert ticket.resolved_at is None
    assert reload(ticket).version == version + 1
    [message] = messages(ticket)
    assert message.kind == MessageKind.PUBLIC and message.author == caller
    assert "De printer piept nog steeds" in message.body_html


def test_reopen_recomputes_the_sla_deadlines(resolved, caller):
    # Stale stored deadlines must not survive the reopen.
    Ticket.objects.unrestricted().filter(pk=resolved.pk).update(resolution_due_at=None, response_due_at=None)
    ticket = portal.reopen_ticket(caller, reload(resolved), "Nog niet opgelost", now=RESOLVED + timedelta(hours=1))
    assert reload(ticket).resolution_due_at == at(2026, 11, 27, 9, 0)
    assert reload(ticket).response_due_at == at(2026, 11, 24, 13, 0)


def test_manager_of_the_requester_may_reopen(resolved, manager):
    ticket = portal.reopen_ticket(manager, resolved, "Mijn medewerker kan nog steeds niet printen",
                                  now=RESOLVED + timedelta(days=1))
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_refused_after_the_window(resolved, caller, settings):
    settings.REGIE_REOPEN_DAYS = 5
    with pytest.raises(ValidationError) as excinfo:
        portal.reopen_ticket(caller, resolved, "Te laat", now=RESOLVED + timedelta(days=5, minutes=1))
    assert "status" in excinfo.value.message_dict
    assert reload(resolved).status == TicketStatus.RESOLVED
    assert messages(resolved) == []


def test_the_window_follows_the_setting(resolved, caller, settings):
    settings.REGIE_REOPEN_DAYS = 10
    ticket = portal.reopen_ticket(caller, resolved, "Na een week", now=RESOLVED + timedelta(days=9))
    assert ticket.status == TicketStatus.IN_PROGRESS


def test_closed_calls_cannot_be_reopened(resolved, caller, agent):
    services.update_ticket(agent, resolved, {"status": TicketStatus.CLOSED}, now=RESOLVED + timedelta(hours=1))
    with pytest.raises(ValidationError) as excinfo:
        portal.reopen_ticket(caller, reload(resolved), "Toch niet", now=RESOLVED + timedelta(hours=2))
    assert "closed" in " ".join(excinfo.value.messages)
    assert reload(resolved).status == TicketStatus.CLOSED
    assert messages(resolved) == []


def test_open_calls_are_not_reopened(agent, caller):
    ticket = services.create_ticket(agent, title="Scherm flikkert", requester=caller, now=CREATED)
    with pytest.raises(ValidationError):
        portal.reopen_ticket(caller, ticket, "Nog open", now=CREATED + timedelta(hours=1))
    assert reload(ticket).status == TicketStatus.NEW


def test_reason_is_required(resolved, caller):
    for reason in ("", "   ", None, "x" * (portal.REASON_MAX_CHARS + 1)):
        with pytest.raises(ValidationError) as excinfo:
            portal.reopen_ticket(caller, resolved, reason, now=RESOLVED + timedelta(hours=1))
        assert set(excinfo.value.message_dict) == {"reason"}
    assert reload(resolved).status == TicketStatus.RESOLVED


def test_colleagues_account_managers_and_agents_do_not_reopen_this_way(resolved, venlo, make_user, agent):
    account_manager = make_user(venlo, "account_manager")
    with pytest.raises(PermissionDenied):
        portal.reopen_ticket(account_manager, resolved, "Namens de gemeente", now=RESOLVED + timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        portal.reopen_ticket(agent, resolved, "Agent", now=RESOLVED + timedelta(hours=1))
    colleague = make_user(venlo, "employee")
    with pytest.raises(Ticket.DoesNotExist):
        portal.reopen_ticket(colleague, resolved, "Ik ook", now=RESOLVED + timedelta(hours=1))
    assert reload(resolved).status == TicketStatus.RESOLVED


def test_other_municipality_cannot_reopen(resolved, roermond, make_user):
    with pytest.raises(Ticket.DoesNotExist):
        portal.reopen_ticket(make_user(roermond, "account_manager"), resolved, "x", now=RESOLVED)


# --- the call page --------------------------------------------------------------------------


def resolved_days_ago(ticket, days):
    """The fixture resolves at a fixed date; the page works with the real clock."""
    from django.utils import timezone

    Ticket.objects.unrestricted().filter(pk=ticket.pk).update(resolved_at=timezone.now() - timedelta(days=days))
    return reload(ticket)


def recently_resolved(ticket):
    return resolved_days_ago(ticket, 1)


def test_requester_sees_the_button_and_reopens_from_the_page(resolved, caller, client_for):
    ticket = recently_resolved(resolved)
    client = client_for(caller)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert f"/calls/{ticket.reference}/reopen/" in page
    response = client.post(f"/calls/{ticket.reference}/reopen/", {"reopen-reason": "Werkt nog steeds niet"})
    assert response.status_code == 302
    assert reload(ticket).status == TicketStatus.IN_PROGRESS


def test_page_refuses_without_reason_or_after_the_window(resolved, caller, client_for):
    client = client_for(caller)
    late = resolved_days_ago(resolved, 6)
    assert f"/calls/{late.reference}/reopen/" not in client.get(late.get_absolute_url()).content.decode()
    response = client.post(f"/calls/{late.reference}/reopen/", {"reopen-reason": "Te laat"})
    assert response.status_code == 400
    assert "within 5 days" in response.content.decode()
    assert reload(late).status == TicketStatus.RESOLVED
    ticket = recently_resolved(resolved)
    assert client.post(f"/calls/{ticket.reference}/reopen/", {"reopen-reason": ""}).status_code == 400
    assert reload(ticket).status == TicketStatus.RESOLVED
    assert messages(ticket) == []


def test_no_button_for_others_and_404_for_another_municipality(resolved, agent, roermond, make_user, client_for):
    ticket = recently_resolved(resolved)
    assert f"/calls/{ticket.reference}/reopen/" not in client_for(agent).get(ticket.get_absolute_url()).content.decode()
    response = client_for(agent).post(f"/calls/{ticket.reference}/reopen/", {"reopen-reason": "x"})
    assert response.status_code == 403
    outsider = client_for(make_user(roermond, "account_manager"))
    assert outsider.post(f"/calls/{ticket.reference}/reopen/", {"reopen-reason": "x"}).status_code == 404
    assert reload(ticket).status == TicketStatus.RESOLVED
