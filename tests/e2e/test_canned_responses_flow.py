"""In Chromium: a team lead writes a canned response on its page; an agent picks it in the
reply form, its text lands in the message (regie/canned.js, under the strict CSP, no inline
script) and the choice is reset, so sending adds it once."""

import re

import pytest
from playwright.sync_api import expect

from regie.core.choices import TeamLine
from regie.core.factories import TeamFactory
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import CannedResponse, TicketMessage

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = "Wilt u de laptop herstarten en het netwerkkabeltje controleren?"


def test_lead_writes_it_and_the_agent_inserts_it(provider, venlo, make_user, signed_in):
    lead = make_user(provider, "team_lead", first_name="Joost", last_name="Hendriks", preferred_language="nl")
    agent = make_user(provider, "first_line", first_name="Sanne", last_name="de Wit", preferred_language="nl")
    desk = TeamFactory(organisation=provider, name="Servicedesk", line=TeamLine.FIRST)
    desk.members.add(agent)
    ticket = TicketFactory(requester=make_user(venlo, "employee"), title="Laptop geen netwerk")

    keeper = signed_in("lead", lead, "/calls/canned-responses/new/")
    page = keeper.page
    page.fill("#id_title", "Netwerk controleren")
    page.fill("#id_body", TEXT)
    page.select_option("#id_team", label="Servicedesk")
    keeper.screenshot("1-new")
    page.get_by_role("button", name=re.compile("Opslaan|Save")).click()
    expect(page).to_have_url(re.compile(r"/calls/canned-responses/$"))
    expect(page.get_by_role("row", name=re.compile("Netwerk controleren"))).to_be_visible()
    keeper.screenshot("2-list")
    keeper.assert_clean()

    session = signed_in("agent", agent, ticket.get_absolute_url())
    page = session.page
    page.fill("#id_body", "Goedemiddag,")
    page.select_option("#id_canned", label="Netwerk controleren")
    expect(page.locator("#id_body")).to_have_value(f"Goedemiddag,\n\n{TEXT}")
    expect(page.locator("#id_canned")).to_have_value("")
    session.screenshot("3-inserted")
    page.locator("form[action$='/reply/'] button[type=submit]").click()
    expect(page.locator("#timeline").get_by_text(TEXT)).to_be_visible()
    session.assert_clean()
    body = TicketMessage.objects.unrestricted().get(ticket=ticket).body_html
    assert body.count(TEXT) == 1
    assert CannedResponse.objects.get().team == desk
