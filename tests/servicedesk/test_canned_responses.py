"""Canned responses: who keeps them (team leads, administrators), the rules (sanitised like
replies, a provider team or none), the management pages, and the reply form offering them
(per team; the text goes in through regie/canned.js, no inline script)."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from regie.core.factories import TeamFactory
from regie.core.models import AuditRecord
from regie.servicedesk import conversation
from regie.servicedesk.factories import CannedResponseFactory
from regie.servicedesk.models import CannedResponse, MessageKind, TicketMessage

pytestmark = pytest.mark.django_db

LIST = reverse("canned:list")
CREATE = reverse("canned:create")


@pytest.fixture
def lead(provider, make_user):
    return make_user(provider, "team_lead", username="teamleider")


@pytest.fixture
def admin(provider, make_user):
    return make_user(provider, "administrator", username="beheerder")


@pytest.fixture
def team(provider):
    return TeamFactory(organisation=provider, name="Werkplekbeheer")


# --- the rules --------------------------------------------------------------------------------


def test_only_team_leads_and_administrators_keep_them(lead, admin, agent, caller):
    assert conversation.may_manage_canned(lead)
    assert conversation.may_manage_canned(admin)
    assert not conversation.may_manage_canned(agent)
    assert not conversation.may_manage_canned(caller)
    with pytest.raises(PermissionDenied):
        conversation.save_canned_response(agent, title="Titel", body="Tekst")
    with pytest.raises(PermissionDenied):
        conversation.delete_canned_response(agent, CannedResponseFactory())
    assert CannedResponse.objects.count() == 1


def test_html_is_reduced_to_the_reply_set_and_plain_text_kept(lead):
    canned = conversation.save_canned_response(
        lead, title="  Wachtwoord  ",
        body='<p onclick="x()">Beste,</p><script>alert(1)</script><a href="javascript:alert(1)">klik</a>',
    )
    assert canned.title == "Wachtwoord"
    assert "script" not in canned.body and "onclick" not in canned.body and "javascript" not in canned.body
    assert canned.body.startswith("<p>Beste,</p>")
    plain = conversation.save_canned_response(lead, title="Plat", body="Regel 1\r\nRegel 2")
    assert plain.body == "Regel 1\nRegel 2"
    assert plain.body_html == "<p>Regel 1<br>Regel 2</p>"


def test_bad_input_names_the_field_and_writes_nothing(lead, venlo):
    municipal_team = TeamFactory(organisation=venlo)
    with pytest.raises(ValidationError) as caught:
        conversation.save_canned_response(lead, title=" ", body="<p> </p>", team=municipal_team)
    assert set(caught.value.message_dict) == {"title", "body", "team"}
    with pytest.raises(ValidationError) as caught:
        conversation.save_canned_response(lead, title="x" * 121, body="y" * 10_001)
    assert set(caught.value.message_dict) == {"title", "body"}
    assert CannedResponse.objects.count() == 0


def test_changes_are_audited(lead):
    canned = conversation.save_canned_response(lead, title="Titel", body="Tekst")
    pk = canned.pk
    conversation.save_canned_response(lead, canned, title="Titel", body="Tekst", is_active=False)
    conversation.delete_canned_response(lead, canned)
    actions = list(AuditRecord.objects.unrestricted().filter(
        content_type__model="cannedresponse", object_id=str(pk)).values_list("action", flat=True))
    assert sorted(actions) == ["create", "delete", "update"]


def test_offered_per_team_and_only_active_ones_to_agents_only(agent, caller, team, provider):
    general = CannedResponseFactory(title="Algemeen")
    own_team = CannedResponseFactory(title="Eigen team", team=team)
    CannedResponseFactory(title="Ander team", team=TeamFactory(organisation=provider, name="Netwerk"))
    CannedResponseFactory(title="Uit", is_active=False)
    team.members.add(agent)
    assert list(conversation.canned_responses_for(agent)) == [general, own_team]
    assert list(conversation.canned_responses_for(caller)) == []


# --- the pages --------------------------------------------------------------------------------


def test_pages_are_404_for_everyone_but_the_keepers(client_for, agent, caller):
    canned = CannedResponseFactory()
    for user in (agent, caller):
        client = client_for(user)
        assert client.get(LIST).status_code == 404
        assert client.get(CREATE).status_code == 404
        assert client.get(reverse("canned:update", args=[canned.pk])).status_code == 404
        assert client.post(reverse("canned:delete", args=[canned.pk])).status_code == 404
    assert CannedResponse.objects.filter(pk=canned.pk).exists()


def test_lead_creates_edits_switches_off_and_deletes(client_for, lead, team):
    client = client_for(lead)
    assert client.get(CREATE).status_code == 200
    response = client.post(CREATE, {"title": "Printer", "body": "Zet de printer uit en aan.", "team": team.pk,
                                    "is_active": "on"})
    assert response.status_code == 302, response.content[:400]
    canned = CannedResponse.objects.get()
    assert (canned.title, canned.team, canned.is_active) == ("Printer", team, True)

    url = reverse("canned:update", args=[canned.pk])
    page = client.get(url).content.decode()
    assert "Zet de printer uit en aan." in page
    response = client.post(url, {"title": "Printer (oud)", "body": "Zet de printer uit en aan.", "team": ""})
    assert response.status_code == 302
    canned.refresh_from_db()
    assert (canned.title, canned.team, canned.is_active) == ("Printer (oud)", None, False)

    listing = client.get(LIST, {"active": "0"}).content.decode()
    assert "Printer (oud)" in listing
    assert "Printer (oud)" not in client.get(LIST, {"active": "1"}).content.decode()

    response = client.post(reverse("canned:delete", args=[canned.pk]))
    assert response.status_code == 302
    assert not CannedResponse.objects.exists()


def test_form_errors_are_shown_and_nothing_is_written(client_for, lead, venlo):
    client = client_for(lead)
    response = client.post(CREATE, {"title": "", "body": "<script>x</script>",
                                    "team": TeamFactory(organisation=venlo).pk})
    assert response.status_code == 400
    assert response.content.decode().count('aria-invalid="true"') == 2
    # The service's own check: a text that is nothing once sanitised.
    response = client.post(CREATE, {"title": "Leeg", "body": "<script>x</script>"})
    assert response.status_code == 400
    assert "Write the text of the canned response." in response.content.decode()
    assert not CannedResponse.objects.exists()


def test_list_filters_and_a_fixed_number_of_queries(client_for, admin, team, django_assert_max_num_queries):
    for n in range(30):
        CannedResponseFactory(title=f"Antwoord {n:02}", team=team if n % 2 else None)
    client = client_for(admin)
    with django_assert_max_num_queries(14):
        response = client.get(LIST)
    assert response.status_code == 200
    assert response.content.decode().count("canned-responses/") >= 25
    page = client.get(LIST, {"team": "none", "q": "Antwoord 0"}).content.decode()
    assert "Antwoord 00" in page and "Antwoord 01" not in page


# --- the reply form on the call page ----------------------------------------------------------


def test_reply_form_offers_them_with_their_text_and_a_script_file(client_for, agent, ticket):
    CannedResponseFactory(title="Wachtwoord", body='Reset via <a href="https://wachtwoord.example">de site</a>.')
    page = client_for(agent).get(ticket.get_absolute_url()).content.decode()
    option = re.search(r'<option value="\d+" data-body="([^"]*)">Wachtwoord</option>', page)
    assert option, page[page.find("id_canned") - 200: page.find("id_canned") + 600]
    assert "&lt;a href=" in option.group(1)  # attribute-escaped, never raw markup
    assert 'data-canned-target="id_body"' in page
    assert re.search(r'<script src="[^"]*/regie/canned\.js" defer></script>', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "no inline script"


def test_reply_form_has_no_canned_responses_for_the_caller(client_for, caller, ticket):
    CannedResponseFactory(title="Wachtwoord")
    page = client_for(caller).get(ticket.get_absolute_url()).content.decode()
    assert "Wachtwoord" not in page and "canned.js" not in page


def test_without_javascript_the_chosen_text_is_added_on_sending(client_for, agent, ticket):
    canned = CannedResponseFactory(body="Kunt u de computer herstarten?")
    response = client_for(agent).post(reverse("servicedesk:ticket-reply", args=[ticket.reference]),
                                      {"body": "Beste,", "canned": canned.pk})
    assert response.status_code == 302
    message = TicketMessage.objects.unrestricted().get(ticket=ticket)
    assert message.kind == MessageKind.PUBLIC
    assert "Beste," in message.body_html and "Kunt u de computer herstarten?" in message.body_html


def test_another_teams_response_cannot_be_posted(client_for, agent, ticket, provider):
    other = CannedResponseFactory(team=TeamFactory(organisation=provider, name="Netwerk"))
    response = client_for(agent).post(reverse("servicedesk:ticket-reply", args=[ticket.reference]),
                                      {"body": "", "canned": other.pk})
    assert response.status_code == 400
    assert not TicketMessage.objects.unrestricted().exists()


def test_the_script_inserts_and_resets_the_choice():
    from pathlib import Path

    from django.conf import settings

    script = (Path(settings.BASE_DIR) / "regie" / "static" / "regie" / "canned.js").read_text()
    assert "data-canned-target" in script and 'select.value = ""' in script and "data-body" in script
