"""The calamity procedure's rules (§5.2, appendix 1, §4.7.1): decision tree, declaration,
logs, the virus checklist in order, closure with an evaluation, scheduled updates."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from regie.core.models import AuditRecord
from regie.integrations.models import Notification, OutboxMessage
from regie.servicedesk import calamity as rules
from regie.servicedesk.calamity_models import (
    Calamity,
    CalamityCommunication,
    CalamityDecision,
    CalamityStatus,
    DecisionTreeNode,
    TriageResult,
)
from regie.servicedesk.factories import TicketFactory

pytestmark = pytest.mark.django_db

EVALUATION = {
    "evaluation_what_happened": "Mail lag 5 uur plat.",
    "evaluation_cause": "Ransomware via een bijlage.",
    "evaluation_went_well": "Snelle isolatie.",
    "evaluation_improvements": "Bijlagen strenger filteren.",
}


@pytest.fixture
def agent(provider, make_user):
    return make_user(provider, "first_line")


@pytest.fixture
def ticket(venlo, make_user):
    return TicketFactory(requester=make_user(venlo, "employee"), title="Mail doet het niet")


# --- the decision tree ------------------------------------------------------------------------

def test_the_seeded_tree_starts_with_security_and_every_answer_leads_somewhere():
    root = rules.root_node()
    assert root is not None and root.key == "beveiliging"
    for node in DecisionTreeNode.objects.all():
        assert bool(node.yes_next_id) != bool(node.yes_outcome)
        assert bool(node.no_next_id) != bool(node.no_outcome)


@pytest.mark.parametrize(("answers", "outcome", "asked"), [
    ({"beveiliging": "yes"}, "calamity", ["beveiliging"]),
    ({"beveiliging": "no", "kritieke-dienst": "no", "meerdere-deelnemers": "no"}, "incident",
     ["beveiliging", "kritieke-dienst", "meerdere-deelnemers"]),
    ({"beveiliging": "no", "kritieke-dienst": "yes", "duur": "yes"}, "calamity",
     ["beveiliging", "kritieke-dienst", "duur"]),
    ({"beveiliging": False, "kritieke-dienst": True, "duur": False, "dienstverlening": False}, "incident",
     ["beveiliging", "kritieke-dienst", "duur", "dienstverlening"]),
    ({"beveiliging": "nee", "kritieke-dienst": "nee", "meerdere-deelnemers": "ja", "duur": "nee",
      "dienstverlening": "ja"}, "calamity",
     ["beveiliging", "kritieke-dienst", "meerdere-deelnemers", "duur", "dienstverlening"]),
])
def test_paths_through_the_tree(answers, outcome, asked):
    result, path = rules.run_decision_tree(answers)
    assert result == outcome
    assert [step["key"] for step in path] == asked
    assert all(isinstance(step["answer"], bool) and step["question"] for step in path)


@pytest.mark.parametrize(("answers", "complaint"), [
    ({}, "beveiliging"),  # nothing answered
    ({"beveiliging": "no"}, "kritieke-dienst"),  # stops halfway
    ({"beveiliging": "maybe"}, "beveiliging"),  # not yes/no
    ({"beveiliging": "yes", "duur": "yes"}, "duur"),  # answer off the path
    (["beveiliging"], "map"),  # not a mapping at all
])
def test_invalid_answers_are_refused_clearly(answers, complaint):
    with pytest.raises(ValidationError) as exc:
        rules.run_decision_tree(answers)
    assert complaint in str(exc.value)


def test_the_tree_is_data_an_edit_changes_the_outcome():
    DecisionTreeNode.objects.filter(key="meerdere-deelnemers").update(no_outcome="calamity")
    outcome, _path = rules.run_decision_tree(
        {"beveiliging": "no", "kritieke-dienst": "no", "meerdere-deelnemers": "no"}
    )
    assert outcome == "calamity"


def test_a_looping_tree_is_refused_not_followed_forever():
    root = DecisionTreeNode.objects.get(key="beveiliging")
    duur = DecisionTreeNode.objects.get(key="duur")
    DecisionTreeNode.objects.filter(pk=duur.pk).update(yes_next=root, yes_outcome="")
    with pytest.raises(ValidationError, match="loops"):
        rules.run_decision_tree({"beveiliging": "no", "kritieke-dienst": "yes", "duur": "yes"})


def test_triage_keeps_answers_on_the_call(agent, ticket):
    result = rules.triage(agent, ticket, {"beveiliging": "yes"})
    stored = TriageResult.objects.get(pk=result.pk)
    assert stored.ticket == ticket and stored.outcome == "calamity"
    assert stored.answers == [{"key": "beveiliging", "question": stored.answers[0]["question"], "answer": True}]


def test_only_provider_agents_triage(venlo, make_user, ticket):
    with pytest.raises(PermissionDenied):
        rules.triage(make_user(venlo, "account_manager"), ticket, {"beveiliging": "yes"})


# --- declaration and handling -----------------------------------------------------------------

def test_declare_from_a_call_links_it_and_affects_its_participant(agent, ticket, venlo, roermond):
    triage = rules.triage(agent, ticket, {"beveiliging": "yes"})
    calamity = rules.declare(agent, title="Uitval mail", ticket=ticket, triage_result=triage,
                             affected_participants=[roermond])
    assert calamity.status == CalamityStatus.DECLARED and calamity.declared_by == agent
    assert calamity.triage == triage
    assert list(rules.linked_incidents(calamity, agent)) == [ticket]
    assert set(calamity.affected_participants.all()) == {venlo, roermond}
    assert list(calamity.crisis_team.all()) == [agent]
    assert not calamity.phases.exists()  # a general calamity has no virus checklist


def test_declare_standalone_and_refusals(agent, provider, venlo, make_user):
    calamity = rules.declare(agent, title="Stroomstoring datacenter", affected_participants=[venlo])
    assert not rules.linked_incidents(calamity, agent).exists()
    with pytest.raises(PermissionDenied):
        rules.declare(make_user(venlo, "account_manager"), title="x")
    with pytest.raises(ValidationError) as exc:
        rules.declare(agent, title=" ", affected_participants=[provider], crisis_team=[make_user(venlo)],
                      update_interval_minutes=1)
    assert set(exc.value.message_dict) == {"title", "affected_participants", "crisis_team", "update_interval_minutes"}


def test_link_incident_of_another_participant(agent, ticket, roermond, make_user):
    calamity = rules.declare(agent, title="Netwerkstoring", ticket=ticket)
    other = TicketFactory(requester=make_user(roermond, "employee"))
    rules.link_incident(agent, calamity, other)
    assert set(rules.linked_incidents(calamity, agent)) == {ticket, other}
    assert roermond in calamity.affected_participants.all()
    with pytest.raises(ValidationError):
        rules.link_incident(agent, calamity, other)


def test_decisions_are_logged_flagged_and_audited(agent):
    calamity = rules.declare(agent, title="Virus", kind="virus_outbreak")
    decision = rules.add_decision(agent, calamity, decision="Mailgateway uitgeschakeld", decision_type="shut_down")
    assert decision.is_flagged and decision.decided_by == agent
    record = AuditRecord.objects.unrestricted().get(
        content_type=ContentType.objects.get_for_model(CalamityDecision), object_id=str(decision.pk)
    )
    assert record.action == "create" and record.changes["decision"][1] == "Mailgateway uitgeschakeld"
    assert AuditRecord.objects.unrestricted().filter(
        content_type=ContentType.objects.get_for_model(Calamity), object_id=str(calamity.pk), action="create"
    ).exists()
    with pytest.raises(ValidationError):
        rules.add_decision(agent, calamity, decision="")
    with pytest.raises(ValidationError):
        rules.add_decision(agent, calamity, decision="x", decision_type="nonsense")


def test_communication_only_with_affected_participants(agent, venlo, roermond):
    calamity = rules.declare(agent, title="Storing", affected_participants=[venlo])
    logged = rules.add_communication(agent, calamity, organisation=venlo, channel="phone", message="Gebeld",
                                     contacts="Piet")
    assert logged.sent_by == agent and logged.scheduled_slot is None
    with pytest.raises(ValidationError) as exc:
        rules.add_communication(agent, calamity, organisation=roermond, channel="pigeon", message="")
    assert set(exc.value.message_dict) == {"organisation", "channel", "message"}


def test_status_moves_forward_only(agent):
    calamity = rules.declare(agent, title="Storing")
    rules.set_status(agent, calamity, CalamityStatus.RECOVERING)
    with pytest.raises(ValidationError):
        rules.set_status(agent, calamity, CalamityStatus.IN_PROGRESS)
    with pytest.raises(ValidationError):
        rules.set_status(agent, calamity, CalamityStatus.CLOSED)


# --- virus checklist and closure --------------------------------------------------------------

def test_virus_outbreak_gets_four_phases_completed_in_order(agent):
    calamity = rules.declare(agent, title="Zero-day", kind="virus_outbreak")
    phases = list(calamity.phases.all())
    assert [p.phase for p in phases] == ["identify", "isolate", "remove", "repair"]
    with pytest.raises(ValidationError, match="earlier phases"):
        rules.complete_phase(agent, phases[1])
    rules.complete_phase(agent, phases[0], notes="Emotet-variant")
    rules.complete_phase(agent, phases[1])
    phases[0].refresh_from_db()
    assert phases[0].completed_by == agent and phases[0].notes == "Emotet-variant"
    with pytest.raises(ValidationError, match="already"):
        rules.complete_phase(agent, phases[0])
    # Closing with phases still open is refused, even with a full evaluation.
    with pytest.raises(ValidationError, match="phase"):
        rules.close(agent, calamity, **EVALUATION)


def test_closure_requires_the_evaluation(agent):
    calamity = rules.declare(agent, title="Storing")
    with pytest.raises(ValidationError) as exc:
        rules.close(agent, calamity, evaluation_what_happened="Iets", evaluation_cause="  ")
    assert set(exc.value.message_dict) == {"evaluation_cause", "evaluation_went_well", "evaluation_improvements"}
    calamity.refresh_from_db()
    assert calamity.is_open
    rules.close(agent, calamity, **EVALUATION)
    calamity.refresh_from_db()
    assert calamity.status == CalamityStatus.CLOSED and calamity.closed_by == agent
    assert calamity.evaluation_cause == "Ransomware via een bijlage."
    with pytest.raises(ValidationError, match="closed"):
        rules.add_decision(agent, calamity, decision="Te laat")


# --- scheduled updates ------------------------------------------------------------------------

def test_updates_go_to_the_contacts_once_per_slot(agent, venlo, roermond, make_user):
    account_manager = make_user(venlo, "account_manager")
    representative = make_user(venlo, "representative")
    employee = make_user(venlo, "employee")
    roermond_am = make_user(roermond, "account_manager")
    venlo.account_manager, venlo.representative = account_manager, representative
    venlo.save()
    start = timezone.now() - timedelta(minutes=95)
    calamity = rules.declare(agent, title="Uitval BRP", affected_participants=[venlo, roermond],
                             update_interval_minutes=30, now=start)
    rules.add_decision(agent, calamity, decision="Leverancier ingeschakeld")

    now = start + timedelta(minutes=95)
    assert rules.send_due_updates(now=now) == 2
    assert rules.send_due_updates(now=now + timedelta(minutes=1)) == 0  # same slot (90 minutes)
    logged = CalamityCommunication.objects.filter(calamity=calamity, scheduled_slot__isnull=False)
    assert {c.organisation for c in logged} == {venlo, roermond}
    assert {c.scheduled_slot for c in logged} == {start + timedelta(minutes=90)}
    assert "Leverancier ingeschakeld" in logged.get(organisation=venlo).message
    told = set(Notification.objects.unrestricted().filter(event="calamity.update").values_list("user", flat=True))
    assert told == {account_manager.pk, representative.pk, roermond_am.pk}
    assert employee.pk not in told
    emails = OutboxMessage.objects.filter(event="calamity.update")
    assert emails.count() == 3
    assert all("Uitval BRP" in message.subject for message in emails)

    # The next slot sends again; a closed calamity gets no more updates.
    assert rules.send_due_updates(now=start + timedelta(minutes=121)) == 2
    assert Notification.objects.unrestricted().filter(event="calamity.update").count() == 6
    rules.close(agent, calamity, **EVALUATION)
    assert rules.send_due_updates(now=start + timedelta(minutes=200)) == 0


def test_no_update_before_the_first_interval(agent, venlo):
    start = timezone.now()
    rules.declare(agent, title="Storing", affected_participants=[venlo], update_interval_minutes=60, now=start)
    assert rules.send_due_updates(now=start + timedelta(minutes=59)) == 0
    assert not CalamityCommunication.objects.exists()


def test_the_beat_task_is_scheduled():
    from regie.schedules import SCHEDULE
    from regie.servicedesk.tasks import calamity_updates

    assert ("regie.servicedesk.calamity_updates" in {task for task, _every in SCHEDULE.values()})
    assert calamity_updates.name == "regie.servicedesk.calamity_updates"
