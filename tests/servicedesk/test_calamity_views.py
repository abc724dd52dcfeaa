"""Calamity pages: triage from a call, declaration, who sees what (404 for participants,
read only for the affected participant's contacts), actions, closure with evaluation."""

import pytest
from django.urls import reverse

from regie.servicedesk import calamity as rules
from regie.servicedesk.calamity_models import Calamity, CalamityStatus, TriageResult
from regie.servicedesk.factories import TicketFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(provider, make_user):
    return make_user(provider, "first_line")


@pytest.fixture
def ticket(venlo, make_user):
    return TicketFactory(requester=make_user(venlo, "employee"), title="Niemand kan inloggen")


@pytest.fixture
def outbreak(agent, ticket):
    calamity = rules.declare(agent, title="Virusuitbraak", kind="virus_outbreak", ticket=ticket)
    rules.add_decision(agent, calamity, decision="Internetverbinding verbroken", decision_type="shut_down")
    return calamity


def test_triage_step_by_step_then_declare(client_for, agent, ticket):
    client = client_for(agent)
    url = reverse("servicedesk:ticket-triage", args=[ticket.reference])
    first = client.get(url)
    assert first.status_code == 200 and first.context["next_node"].key == "beveiliging"
    second = client.post(url, {"answer-beveiliging": "no"})
    assert second.context["next_node"].key == "kritieke-dienst"
    done = client.post(url, {"answer-beveiliging": "no", "answer-kritieke-dienst": "yes", "answer-duur": "yes"})
    assert done.context["outcome"] == "calamity" and done.context["next_node"] is None
    recorded = client.post(url, {"answer-beveiliging": "no", "answer-kritieke-dienst": "yes", "answer-duur": "yes",
                                 "record": "1"})
    result = TriageResult.objects.get(ticket=ticket)
    assert [step["answer"] for step in result.answers] == [False, True, True]
    declare_url = reverse("calamity:declare")
    assert recorded.status_code == 302 and recorded["Location"].startswith(declare_url)

    form = client.get(recorded["Location"])
    assert form.status_code == 200 and form.context["triage"] == result
    declared = client.post(declare_url, {
        "ticket": ticket.reference, "triage": result.pk, "title": "Authenticatie uitgevallen", "kind": "general",
        "update_interval_minutes": 30,
    })
    calamity = Calamity.objects.unrestricted().get(title="Authenticatie uitgevallen")
    assert declared.status_code == 302 and declared["Location"] == calamity.get_absolute_url()
    assert calamity.triage == result and ticket.organisation in calamity.affected_participants.all()


def test_triage_incident_goes_back_to_the_call(client_for, agent, ticket):
    response = client_for(agent).post(
        reverse("servicedesk:ticket-triage", args=[ticket.reference]),
        {"answer-beveiliging": "no", "answer-kritieke-dienst": "no", "answer-meerdere-deelnemers": "no", "record": "1"},
    )
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    assert TriageResult.objects.get(ticket=ticket).outcome == "incident"


def test_triage_with_a_bad_answer_is_a_400(client_for, agent, ticket):
    response = client_for(agent).post(reverse("servicedesk:ticket-triage", args=[ticket.reference]),
                                      {"answer-beveiliging": "perhaps", "record": "1"})
    assert response.status_code == 400
    assert b"yes or no" in response.content
    assert not TriageResult.objects.exists()


def test_record_without_an_outcome_is_a_400(client_for, agent, ticket):
    response = client_for(agent).post(reverse("servicedesk:ticket-triage", args=[ticket.reference]),
                                      {"answer-beveiliging": "no", "record": "1"})
    assert response.status_code == 400 and not TriageResult.objects.exists()


def test_declare_with_bad_input_is_a_400(client_for, agent):
    response = client_for(agent).post(reverse("calamity:declare"), {"title": "", "kind": "meteor",
                                                                    "update_interval_minutes": "x"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"title", "kind", "update_interval_minutes"}
    assert not Calamity.objects.unrestricted().exists()


@pytest.mark.parametrize("role", ["employee", "manager", "application_admin"])
def test_participants_get_404_on_every_calamity_page(client_for, make_user, venlo, outbreak, ticket, role):
    client = client_for(make_user(venlo, role))
    phase = outbreak.phases.first()
    for url in [
        reverse("calamity:list"), reverse("calamity:declare"), reverse("calamity:detail", args=[outbreak.pk]),
        reverse("calamity:close", args=[outbreak.pk]),
        reverse("servicedesk:ticket-triage", args=[ticket.reference]),
    ]:
        assert client.get(url).status_code == 404, url
    for name in ["status", "link-incident", "add-decision", "add-communication", "close"]:
        assert client.post(reverse(f"calamity:{name}", args=[outbreak.pk]), {}).status_code == 404, name
    assert client.post(reverse("calamity:complete-phase", args=[outbreak.pk, phase.pk])).status_code == 404
    phase.refresh_from_db()
    assert phase.completed_at is None


def test_affected_contacts_read_only_others_404(client_for, make_user, venlo, roermond, outbreak):
    venlo_am = client_for(make_user(venlo, "account_manager"))
    detail = venlo_am.get(reverse("calamity:detail", args=[outbreak.pk]))
    assert detail.status_code == 200
    assert b"Virusuitbraak" in detail.content
    assert b"Internetverbinding verbroken" not in detail.content  # no decision log for participants
    assert "decision_form" not in detail.context
    assert b"Virusuitbraak" in venlo_am.get(reverse("calamity:list")).content
    # Read only: actions are 404 for them too.
    assert venlo_am.post(reverse("calamity:add-decision", args=[outbreak.pk]),
                         {"decision_type": "general", "decision": "x"}).status_code == 404

    roermond_am = client_for(make_user(roermond, "account_manager", "representative"))
    assert roermond_am.get(reverse("calamity:detail", args=[outbreak.pk])).status_code == 404
    assert b"Virusuitbraak" not in roermond_am.get(reverse("calamity:list")).content


def test_staff_see_the_logs_and_act(client_for, agent, outbreak, roermond, make_user):
    client = client_for(agent)
    detail = client.get(reverse("calamity:detail", args=[outbreak.pk]))
    assert detail.status_code == 200 and b"Internetverbinding verbroken" in detail.content
    assert client.get(reverse("calamity:list")).context["object_list"] == [outbreak]

    other = TicketFactory(requester=make_user(roermond, "employee"))
    client.post(reverse("calamity:link-incident", args=[outbreak.pk]), {"reference": other.reference})
    assert other in rules.linked_incidents(outbreak, agent)
    client.post(reverse("calamity:add-communication", args=[outbreak.pk]),
                {"organisation": roermond.pk, "channel": "email", "message": "Mail verstuurd"})
    assert outbreak.communications.filter(organisation=roermond, message="Mail verstuurd").exists()
    phases = list(outbreak.phases.all())
    out_of_order = client.post(reverse("calamity:complete-phase", args=[outbreak.pk, phases[2].pk]), follow=True)
    assert b"earlier phases" in out_of_order.content
    client.post(reverse("calamity:complete-phase", args=[outbreak.pk, phases[0].pk]), {"notes": "Gevonden"})
    phases[0].refresh_from_db()
    assert phases[0].completed_by == agent
    client.post(reverse("calamity:status", args=[outbreak.pk]), {"status": "in_progress"})
    outbreak.refresh_from_db()
    assert outbreak.status == CalamityStatus.IN_PROGRESS


def test_close_without_evaluation_is_refused(client_for, agent):
    calamity = rules.declare(agent, title="Opslag vol")
    client = client_for(agent)
    url = reverse("calamity:close", args=[calamity.pk])
    refused = client.post(url, {"evaluation_what_happened": "Vol"})
    assert refused.status_code == 400
    calamity.refresh_from_db()
    assert calamity.is_open
    closed = client.post(url, {"evaluation_what_happened": "Vol", "evaluation_cause": "Logbestanden",
                               "evaluation_went_well": "Snel gezien", "evaluation_improvements": "Monitoring"})
    assert closed.status_code == 302
    calamity.refresh_from_db()
    assert calamity.status == CalamityStatus.CLOSED
    page = client.get(calamity.get_absolute_url())
    assert page.status_code == 200 and b"Logbestanden" in page.content and "status_form" not in page.context
    assert client.get(url).status_code == 302  # closing twice just shows the calamity


def test_ticket_page_offers_triage_to_agents_only(client_for, agent, ticket, venlo, make_user):
    link = reverse("servicedesk:ticket-triage", args=[ticket.reference]).encode()
    assert link in client_for(agent).get(ticket.get_absolute_url()).content
    assert link not in client_for(make_user(venlo, "account_manager")).get(ticket.get_absolute_url()).content


def test_nav_shows_calamities_to_provider_staff(client_for, agent, venlo, make_user):
    url = reverse("calamity:list").encode()
    assert url in client_for(agent).get(reverse("home")).content
    assert url not in client_for(make_user(venlo, "employee")).get(reverse("home")).content
