"""SLA clocks on calls: deadlines in working time, pauses, recomputation, transitions.
Edge cases of the agreement: weekends, Dutch holidays, midnight, daylight saving,
pauses across weekends, a priority change mid-way."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from regie.catalogue.models import BusinessCalendar, SlaTarget
from regie.servicedesk import services
from regie.servicedesk.choices import ResolutionCode, TicketStatus
from regie.servicedesk.models import TicketPause

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def at(*args):
    return datetime(*args, tzinfo=AMS)


@pytest.fixture
def agent(provider, make_user):
    return make_user(provider, "first_line")


@pytest.fixture
def caller(venlo, make_user):
    BusinessCalendar.objects.create(
        name="Venlo", organisation=venlo, weekly_hours={str(d): [["08:00", "17:00"]] for d in range(5)}
    )
    return make_user(venlo, "employee")


def register(agent, caller, when, **values):
    values.setdefault("impact", 2)
    values.setdefault("urgency", 2)  # → priority 3: 240 min response, 1620 min (3 working days) resolution
    return services.create_ticket(agent, title="Printer kapot", requester=caller, now=when, **values)


def test_deadlines_skip_the_weekend(agent, caller):
    ticket = register(agent, caller, at(2026, 11, 27, 15, 0))  # Friday 15:00
    assert ticket.priority == 3
    assert ticket.response_due_at == at(2026, 11, 30, 10, 0)  # 2 h Friday + 2 h Monday
    assert ticket.resolution_due_at == at(2026, 12, 2, 15, 0)  # 27 working hours: 2 + 9 + 9 + 7


def test_call_at_midnight_starts_counting_at_opening(agent, caller):
    ticket = register(agent, caller, at(2026, 11, 24, 0, 0), impact=1, urgency=1)  # P1: 30 / 240 min
    assert ticket.response_due_at == at(2026, 11, 24, 8, 30)
    assert ticket.resolution_due_at == at(2026, 11, 24, 12, 0)


def test_dutch_holidays_do_not_count(agent, caller):
    ticket = register(agent, caller, at(2025, 12, 24, 16, 0), impact=1, urgency=1)
    assert ticket.resolution_due_at == at(2025, 12, 29, 11, 0)  # 1 h on the 24th, Christmas skipped


def test_daylight_saving_change_over_a_24x7_service(agent, caller):
    from regie.catalogue.models import Service

    always = BusinessCalendar.objects.get(name="24×7")
    service = Service.objects.unrestricted().get(code="connectiviteit")
    service.calendar = always
    service.save()
    ticket = register(agent, caller, at(2026, 3, 28, 22, 0), impact=1, urgency=1, service=service)
    # 4 real hours: 22:00 + 4 h on the night the clocks go forward is 03:00 CEST.
    assert ticket.resolution_due_at == at(2026, 3, 29, 3, 0)


def test_pause_across_a_weekend_extends_by_working_time_only(agent, caller):
    ticket = register(agent, caller, at(2026, 11, 26, 9, 0))  # Thursday 09:00, due Mon 30 Nov 9:00 + ...
    due_before = ticket.resolution_due_at
    ticket = services.update_ticket(agent, ticket, {"status": TicketStatus.WAITING_FOR_CALLER},
                                    now=at(2026, 11, 27, 16, 0))
    assert ticket.resolution_due_at is None and ticket.sla_paused_since is not None
    ticket = services.update_ticket(agent, ticket, {"status": TicketStatus.IN_PROGRESS},
                                    now=at(2026, 11, 30, 9, 0))
    # Paused Friday 16:00 → Monday 09:00 is 2 working hours (Fri 16–17, Mon 8–9).
    assert ticket.resolution_due_at == due_before + timedelta(hours=2)
    assert TicketPause.objects.get(ticket=ticket).ended_at == at(2026, 11, 30, 9, 0)


def test_priority_change_midway_keeps_paused_time(agent, caller):
    ticket = register(agent, caller, at(2026, 11, 23, 9, 0))  # Monday
    ticket = services.update_ticket(agent, ticket, {"status": TicketStatus.WAITING_FOR_SUPPLIER},
                                    now=at(2026, 11, 23, 10, 0))
    ticket = services.update_ticket(agent, ticket, {"status": TicketStatus.IN_PROGRESS},
                                    now=at(2026, 11, 23, 13, 0))
    ticket = services.update_ticket(agent, ticket, {"impact": 1, "urgency": 1}, now=at(2026, 11, 23, 14, 0))
    assert ticket.priority == 1
    # P1 resolution is 240 working minutes from 09:00, plus the 3 h pause: 16:00.
    assert ticket.resolution_due_at == at(2026, 11, 23, 16, 0)


def test_participant_specific_target(agent, caller, venlo):
    SlaTarget.objects.create(organisation=venlo, priority=3, response_minutes=60, resolution_minutes=120)
    ticket = register(agent, caller, at(2026, 11, 24, 9, 0))
    assert ticket.resolution_due_at == at(2026, 11, 24, 11, 0)


def test_priority_override_needs_a_reason(agent, caller):
    with pytest.raises(ValidationError) as excinfo:
        register(agent, caller, at(2026, 11, 24, 9, 0), priority=1)
    assert "priority_reason" in excinfo.value.message_dict
    ticket = register(agent, caller, at(2026, 11, 24, 9, 0), priority=1, priority_reason="Raadsvergadering vanavond")
    assert ticket.priority == 1


def test_resolving_needs_a_resolution_and_closing_needs_resolving(agent, caller):
    ticket = register(agent, caller, at(2026, 11, 24, 9, 0))
    with pytest.raises(ValidationError) as excinfo:
        services.update_ticket(agent, ticket, {"status": TicketStatus.CLOSED})
    assert "status" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        services.update_ticket(agent, ticket, {"status": TicketStatus.RESOLVED})
    assert "resolution_text" in excinfo.value.message_dict
    ticket = services.update_ticket(agent, ticket, {
        "status": TicketStatus.RESOLVED, "resolution_code": ResolutionCode.SOLVED, "resolution_text": "Toner vervangen",
    })
    assert ticket.resolved_at is not None
    ticket = services.update_ticket(agent, ticket, {"status": TicketStatus.CLOSED})
    assert ticket.closed_at is not None
    assert services.editable_fields(agent, ticket) == set()


def test_portal_user_cannot_set_agent_fields(caller):
    with pytest.raises(ValidationError) as excinfo:
        services.create_ticket(caller, title="Hoge prioriteit graag", priority=1, priority_reason="ik wil het")
    assert "priority" in excinfo.value.message_dict


def test_assignee_must_be_provider_staff(agent, caller, venlo, make_user):
    with pytest.raises(ValidationError) as excinfo:
        register(agent, caller, at(2026, 11, 24, 9, 0), assignee=make_user(venlo, "employee"))
    assert "assignee" in excinfo.value.message_dict
