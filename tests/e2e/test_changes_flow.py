"""Change management in the browser: a provider engineer registers a normal change on the
storage system and submits it, two members of the change advisory board approve it, the
engineer schedules it and it shows on the change calendar."""

import datetime
import re

import pytest
from django.utils import timezone, translation

from regie.changes.choices import ChangeStatus
from regie.changes.models import Change
from regie.cmdb.factories import ConfigurationItemFactory, ItemTypeFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def nl(text):
    with translation.override("nl"):
        return translation.gettext(text)


def test_normal_change_approved_by_two_cab_members_and_scheduled_on_the_calendar(
    signed_in, provider, make_user
):
    from playwright.sync_api import expect

    engineer = make_user(provider, "engineer", first_name="Tom", last_name="Verhoeven", preferred_language="nl")
    lead = make_user(provider, "team_lead", first_name="Bas", last_name="Coenen", preferred_language="nl")
    manager = make_user(provider, "ict_manager", first_name="Ingrid", last_name="Thijssen", preferred_language="nl")
    ConfigurationItemFactory(organisation=provider, ci_type=ItemTypeFactory(code="opslagsysteem"),
                             name="SAN-VLO-01", asset_tag="NML-SAN-VLO-01")
    start = timezone.localtime().replace(hour=20, minute=0, second=0, microsecond=0) + datetime.timedelta(days=2)
    end = start + datetime.timedelta(hours=3)

    # --- the engineer registers and submits the change ----------------------------------------
    session = signed_in("engineer", engineer, "/changes/")
    page = session.page
    page.locator("main").get_by_role("link", name=nl("New change")).click()
    expect(page).to_have_url(re.compile(r"/changes/new/$"))
    page.fill("#id_title", "Firmware-update NetApp SAN-VLO-01")
    page.select_option("#id_kind", "normal")
    page.select_option("#id_organisation", str(provider.pk))
    page.fill("#id_items", "NML-SAN-VLO-01")
    page.fill("#id_planned_start", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_planned_end", end.strftime("%Y-%m-%dT%H:%M"))
    page.select_option("#id_risk", "high")
    page.fill("#id_risk_assessment", "Alle virtuele servers in Venlo draaien op deze opslag.")
    page.fill("#id_test_plan", "Eerst op de testopslag in acceptatie.")
    page.fill("#id_test_result", "Geslaagd: geen onderbreking gemeten.")
    page.fill("#id_rollback_plan", "Terug naar de vorige firmware via de tweede bootpartitie.")
    page.get_by_role("button", name=nl("Save")).click()
    change = Change.objects.unrestricted().get(title="Firmware-update NetApp SAN-VLO-01")
    expect(page).to_have_url(re.compile(rf"/changes/{change.pk}/$"))
    page.get_by_role("button", name=nl("Submit for approval")).click()
    expect(page.locator("h1")).to_contain_text(nl("submitted for approval"))
    session.assert_clean()

    # --- two CAB members approve --------------------------------------------------------------
    for name, member, comment in (("lead", lead, "Akkoord na controle van de replicatie."),
                                  ("manager", manager, "Akkoord.")):
        cab = signed_in(name, member, f"/changes/{change.pk}/")
        cab.page.fill("#id_comment", comment)
        cab.page.get_by_role("button", name=nl("Approve")).click()
        expect(cab.page.locator("#cab-heading")).to_be_visible()
        expect(cab.page.get_by_text(comment)).to_be_visible()
        cab.assert_clean()
    change.refresh_from_db()
    assert change.status == ChangeStatus.APPROVED

    # --- the engineer schedules it; it is on the calendar -------------------------------------
    page.reload()
    page.get_by_role("button", name=nl("Schedule")).click()
    expect(page.locator("h1")).to_contain_text(nl("scheduled"))
    session.screenshot("1-change-scheduled")
    page.goto(f"/changes/calendar/?month={start:%Y-%m}")
    calendar = page.get_by_role("table")
    expect(calendar.get_by_role("link", name=change.reference)).to_be_visible()
    session.screenshot("2-calendar")
    session.assert_clean()


def test_a_change_raised_from_a_call_starts_from_it_and_shows_on_the_call(signed_in, provider, venlo, make_user):
    from playwright.sync_api import expect

    from regie.cmdb.models import AffectedItem
    from regie.servicedesk.factories import TicketFactory

    engineer = make_user(provider, "engineer", first_name="Tom", last_name="Verhoeven", preferred_language="nl")
    caller = make_user(venlo, "employee", first_name="Femke", last_name="Janssen", preferred_language="nl")
    server = ConfigurationItemFactory(organisation=venlo, ci_type=ItemTypeFactory(code="virtuele-server"),
                                      name="VNL-ARCHIEF-01", asset_tag="VNL-ARCHIEF-01")
    call = TicketFactory(organisation=venlo, requester=caller, kind="service_request",
                         title="Extra opslag voor het archief", description="Het archief is bijna vol.")
    AffectedItem.all_objects.create(ticket=call, item=server, added_by=engineer)

    session = signed_in("engineer", engineer, f"/calls/{call.reference}/")
    page = session.page
    card = page.locator("section", has=page.get_by_role("heading", name=nl("Changes"), exact=True))
    expect(card).to_contain_text(nl("No change raised from this call."))
    card.get_by_role("link", name=nl("Raise a change")).click()
    expect(page).to_have_url(re.compile(r"/changes/new/\?call="))
    expect(page.locator("#id_title")).to_have_value("Extra opslag voor het archief")
    expect(page.locator("#id_items")).to_have_value("VNL-ARCHIEF-01")
    expect(page.locator("#id_ticket_reference")).to_have_value(call.reference)
    session.screenshot("raise-from-call-form")
    page.select_option("#id_risk", "low")
    page.get_by_role("button", name=nl("Save")).click()
    change = Change.objects.unrestricted().get(ticket=call)
    expect(page).to_have_url(re.compile(rf"/changes/{change.pk}/$"))
    page.get_by_role("link", name=call.reference).first.click()
    expect(card).to_contain_text(change.reference)
    session.screenshot("raise-from-call-card")
    session.assert_clean()


def test_the_board_adds_a_standard_change_to_the_catalogue(signed_in, provider, make_user):
    from playwright.sync_api import expect

    lead = make_user(provider, "team_lead", first_name="Bas", last_name="Coenen", preferred_language="nl")
    session = signed_in("lead", lead, "/changes/")
    page = session.page
    page.get_by_role("link", name=nl("Standard changes")).click()
    page.get_by_role("link", name=nl("New standard change")).click()
    page.get_by_label(nl("name").capitalize()).fill("Printerdriver uitrollen")
    page.get_by_label(nl("code").capitalize()).fill("printerdriver-uitrollen")
    page.get_by_label(nl("implementation steps").capitalize()).fill("Driver in de printserver plaatsen.")
    session.expect_failure(r"/changes/standard/new/$")  # without a rollback plan: 400 with the form
    page.get_by_role("button", name=nl("Save")).click()
    expect(page.locator("#id_rollback_plan")).to_have_attribute("aria-invalid", "true")
    page.get_by_label(nl("rollback plan").capitalize()).fill("Vorige driver terugzetten.")
    page.get_by_role("button", name=nl("Save")).click()
    expect(page).to_have_url(re.compile(r"/changes/standard/$"))
    expect(page.locator("tbody")).to_contain_text("Printerdriver uitrollen")
    session.screenshot("standard-changes")
    session.assert_clean()
