"""Lines (1st → 2nd → supplier) and the three escalation steps of §5.1; term watching."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from regie.catalogue.models import BusinessCalendar
from regie.core.choices import TeamLine
from regie.core.factories import TeamFactory
from regie.servicedesk import escalation as rules
from regie.servicedesk import services
from regie.servicedesk.choices import TicketStatus
from regie.servicedesk.models import Escalation, TermNotice, TicketTransfer

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def at(*args):
    return datetime(*args, tzinfo=AMS)


@pytest.fixture
def setting(provider, venlo, make_user):
    BusinessCalendar.objects.create(
        name="Venlo", organisation=venlo, weekly_hours={str(d): [["08:00", "17:00"]] for d in range(5)}
    )
    agent = make_user(provider, "first_line")
    lead = make_user(provider, "team_lead")
    manager = make_user(venlo, "manager")
    caller = make_user(venlo, "employee", manager=manager)
    second_line = TeamFactory(organisation=provider, name="Werkplek", line=TeamLine.SECOND, lead=lead)
    supplier = TeamFactory(organisation=provider, name="Leverancier X", line=TeamLine.THIRD)
    ticket = services.create_ticket(agent, title="Laptop start niet", requester=caller, impact=2, urgency=2,
                                    now=at(2026, 11, 24, 9, 0))
    return {"agent": agent, "lead": lead, "manager": manager, "caller": caller, "second": second_line,
            "supplier": supplier, "ticket": ticket, "venlo": venlo}


def test_hand_over_needs_a_note_and_is_kept(setting):
    with pytest.raises(ValidationError) as excinfo:
        rules.transfer(setting["agent"], setting["ticket"], to_team=setting["second"], note=" ")
    assert "note" in excinfo.value.message_dict
    ticket = rules.transfer(setting["agent"], setting["ticket"], to_team=setting["second"], note="Hardware-defect?")
    assert ticket.team == setting["second"] and ticket.status == TicketStatus.IN_PROGRESS
    assert TicketTransfer.objects.get(ticket=ticket).note == "Hardware-defect?"


def test_hand_over_to_supplier_needs_reference_and_pauses_the_clock(setting):
    with pytest.raises(ValidationError) as excinfo:
        rules.transfer(setting["agent"], setting["ticket"], to_team=setting["supplier"], note="Garantie")
    assert "supplier_reference" in excinfo.value.message_dict
    ticket = rules.transfer(setting["agent"], setting["ticket"], to_team=setting["supplier"], note="Garantie",
                            supplier_reference="RMA-4471", contract_terms="NBD on-site")
    assert ticket.status == TicketStatus.WAITING_FOR_SUPPLIER
    assert ticket.resolution_due_at is None  # clock paused
    transfer = TicketTransfer.objects.get(ticket=ticket)
    assert (transfer.supplier_reference, transfer.contract_terms) == ("RMA-4471", "NBD on-site")


def test_participants_cannot_hand_over(setting):
    with pytest.raises(PermissionDenied):
        rules.transfer(setting["caller"], setting["ticket"], to_team=setting["second"], note="x")


def test_three_steps_in_order_with_who_when_why(setting):
    ticket = setting["ticket"]
    with pytest.raises(ValidationError):
        rules.escalate(setting["agent"], ticket, step=2, reason="Te lang")  # step 1 first
    first = rules.escalate(setting["manager"], ticket, step=1, reason="Medewerker kan niet werken")
    assert (first.raised_by, first.step) == (setting["manager"], 1)
    with pytest.raises(PermissionDenied):
        rules.escalate(setting["manager"], ticket, step=2, reason="Nog steeds niet")  # only staff from step 2
    rules.escalate(setting["agent"], ticket, step=2, reason="Nog steeds niet")
    rules.escalate(setting["agent"], ticket, step=3, reason="Bestuurlijk gevoelig")
    with pytest.raises(ValidationError):
        rules.escalate(setting["agent"], ticket, step=3, reason="Nog eens")
    assert list(Escalation.objects.filter(ticket=ticket).values_list("step", flat=True)) == [1, 2, 3]
    rules.close_escalation(setting["lead"], first, outcome="Vervangende laptop geleverd")
    first.refresh_from_db()
    assert first.outcome and first.closed_by == setting["lead"]


def test_escalation_needs_a_reason_and_an_open_call(setting):
    with pytest.raises(ValidationError) as excinfo:
        rules.escalate(setting["agent"], setting["ticket"], step=1, reason="")
    assert "reason" in excinfo.value.message_dict


def test_step_three_reaches_the_participants_representative(setting, make_user):
    representative = make_user(setting["venlo"], "representative")
    setting["venlo"].representative = representative
    setting["venlo"].save()
    ticket = setting["ticket"]
    ticket.organisation.refresh_from_db()
    rules.escalate(setting["agent"], ticket, step=1, reason="a")
    rules.escalate(setting["agent"], ticket, step=2, reason="b")
    third = rules.escalate(setting["agent"], ticket, step=3, reason="c")
    assert representative in rules.escalation_recipients(third)


def test_term_watch_warns_once_and_stays_quiet_at_night(setting):
    ticket = setting["ticket"]  # P3: 1620 working minutes from Tue 24 Nov 09:00
    assert rules.check_terms(now=at(2026, 11, 24, 12, 0)) == 0
    # 75 % of 27 h = 20.25 working hours → Thursday 26 Nov 12:15. Past that, but at night:
    # a working-hours SLA stays quiet until the next working moment.
    assert rules.check_terms(now=at(2026, 11, 25, 23, 0)) == 0
    assert rules.check_terms(now=at(2026, 11, 26, 13, 0)) == 1
    assert rules.check_terms(now=at(2026, 11, 26, 13, 5)) == 0  # once per event
    assert rules.check_terms(now=at(2026, 11, 26, 22, 0)) == 0
    assert TermNotice.objects.filter(ticket=ticket, kind="warning").count() == 1
    assert rules.check_terms(now=at(2026, 11, 27, 9, 5)) == 1  # 27 h used: breach, caller informed
    assert TermNotice.objects.filter(ticket=ticket, kind="breach").exists()
