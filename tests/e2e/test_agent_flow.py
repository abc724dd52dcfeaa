"""The service desk at work on a portal call: a 1st-line agent (password and TOTP) picks
it from the "Unassigned" queue, classifies it, writes an internal note, hands it to the
2nd line and on to a supplier (clock paused), takes it back, resolves it; the caller sees
it resolved and rates it; the agent closes it. The timeline shows the steps in order,
and the service-desk dashboard draws its chart."""

import re

import pytest
from django.apps import apps
from django.utils import translation

from regie.catalogue import seed
from regie.catalogue.choices import Level, Priority
from regie.catalogue.models import Service
from regie.core.choices import TeamLine
from regie.core.factories import TeamFactory
from regie.servicedesk import services
from regie.servicedesk.choices import ResolutionCode, TicketStatus
from regie.servicedesk.models import SatisfactionRating, TicketTransfer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALL_TITLE = "Laptop start niet meer op na BIOS-update"
OTHER_TITLE = "Wachtwoord van de raadsinformatie-app vergeten"
INTERNAL_NOTE = "Intern: BIOS-versie 1.14 is teruggetrokken door de fabrikant, zie bulletin."
SECOND_LINE_NOTE = "Graag BIOS terugzetten; 1e lijn kreeg het toestel niet meer aan."
SUPPLIER_NOTE = "Moederbord defect na flash, valt onder garantie."
SUPPLIER_REFERENCE = "LEV-INC-48213"
CONTRACT_TERMS = "Garantie tot 1 maart 2027, herstel op locatie binnen 2 werkdagen"
TAKE_BACK_NOTE = "Leverancier heeft het moederbord vervangen; 1e lijn rondt af met de gebruiker."
RESOLUTION = "Moederbord vervangen door de leverancier; BIOS 1.13 teruggezet en getest met de gebruiker."
RATING_COMMENT = "Snel geholpen, ook al moest de leverancier erbij."


def nl(text):
    """What the Dutch page says for `text` (a message id or a lazy label)."""
    with translation.override("nl"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def url_of(ticket, suffix=""):
    return re.compile(re.escape(ticket.get_absolute_url()) + suffix + r"$")


@pytest.fixture
def desk(provider, venlo, make_user):
    """The provider's teams and people, a Venlo caller, and her call fresh from the portal."""
    seed.load(apps)  # the catalogue (a transactional test may start on a flushed database)
    service = Service.objects.unrestricted().get(code="werkplek")
    service.participants.add(venlo)
    agent = make_user(provider, "first_line", first_name="Sanne", last_name="de Wit", preferred_language="nl")
    colleague = make_user(provider, "engineer", first_name="Bram", last_name="Smeets")
    first_line = TeamFactory(organisation=provider, name="Servicedesk", line=TeamLine.FIRST)
    first_line.members.add(agent)
    second_line = TeamFactory(organisation=provider, name="Werkplekbeheer", line=TeamLine.SECOND)
    second_line.members.add(colleague)
    supplier = TeamFactory(organisation=provider, name="Leverancier laptops", line=TeamLine.THIRD)
    employee = make_user(venlo, "employee", first_name="Femke", last_name="Janssen", preferred_language="nl")
    ticket = services.create_ticket(
        employee, title=CALL_TITLE, description="Na de update blijft het scherm zwart.", kind="incident",
        service=service,
    )
    # Already assigned, so it must stay out of the "Unassigned" queue.
    other = services.create_ticket(agent, title=OTHER_TITLE, requester=employee, assignee=colleague)
    return {
        "agent": agent, "employee": employee, "ticket": ticket, "other": other,
        "first_line": first_line, "second_line": second_line, "supplier": supplier,
    }


def edit_call(session, ticket, **choices):
    """Through the call's edit page: `choices` are field label → option value or text."""
    page = session.page
    page.get_by_role("link", name=nl("Edit")).click()
    expect_url(page, re.compile(re.escape(ticket.get_absolute_url()) + r"edit/$"))
    form = page.locator("main form[method=post]")
    for label, value in choices.items():
        # A required field's label ends in "* (required)".
        control = form.get_by_label(re.compile(rf"^{re.escape(label)}(\s*\*)?(\s*\(.+\))?$"))
        if control.evaluate("element => element.tagName") == "SELECT":
            control.select_option(str(value))
        else:
            control.fill(value)
    return form


def expect_url(page, pattern):
    from playwright.sync_api import expect

    expect(page).to_have_url(pattern)


def hand_over(page, team, note, **extra):
    form = page.locator("form[action$='/transfer/']")
    page.locator("summary", has_text=nl("Hand over to another line")).click()
    form.get_by_label(nl("To team")).select_option(str(team.pk))
    form.get_by_label(nl("Hand-over note")).fill(note)
    for label, value in extra.items():
        form.get_by_label(label).fill(value)
    form.get_by_role("button", name=nl("Hand over")).click()


def test_agent_takes_a_call_through_the_lines_to_closure_and_the_caller_rates_it(signed_in, desk):
    from playwright.sync_api import expect

    ticket, agent, employee = desk["ticket"], desk["agent"], desk["employee"]
    session = signed_in("agent", agent, "/calls/")
    page = session.page
    expect(page.get_by_role("heading", level=1)).to_have_text(nl("Calls"))

    # --- the "Unassigned" queue holds the new call, not the assigned one --------------------
    page.get_by_role("list", name=nl("Queues")).get_by_role("link", name=nl("Unassigned")).click()
    expect(page).to_have_url(re.compile(r"[?&]queue=unassigned"))
    expect(page.locator("tbody tr", has_text=CALL_TITLE)).to_have_count(1)
    expect(page.locator("tbody tr", has_text=OTHER_TITLE)).to_have_count(0)
    session.screenshot("1-unassigned-queue")
    page.locator("tbody tr", has_text=CALL_TITLE).get_by_role("link", name=ticket.reference).click()
    expect(page).to_have_url(url_of(ticket))

    # --- classification: impact × urgency gives the priority; team and assignee ---------------
    form = edit_call(session, ticket, **{
        nl("Impact"): Level.HIGH.value, nl("Urgency"): Level.MEDIUM.value,
        nl("Team"): desk["first_line"].pk, nl("Assignee"): agent.pk,
    })
    session.screenshot("2-classify")
    form.get_by_role("button", name=nl("Save"), exact=True).click()
    expect(page).to_have_url(url_of(ticket))
    level = page.locator("#sla-heading").locator("xpath=..")
    expect(level).to_contain_text(nl(Priority.HIGH.label))  # matrix: high impact × medium urgency
    details = page.locator("main dl").last
    expect(details).to_contain_text(desk["first_line"].name)
    expect(details).to_contain_text(agent.get_full_name())

    # --- an internal note ---------------------------------------------------------------------
    page.get_by_role("textbox", name=nl("Message"), exact=True).fill(INTERNAL_NOTE)
    page.get_by_label(nl("Internal note (not visible to the caller)")).check()
    page.get_by_role("button", name=nl("Send"), exact=True).click()
    expect(page).to_have_url(url_of(ticket, "#timeline"))
    note = page.locator("#timeline li", has_text=INTERNAL_NOTE)
    expect(note).to_contain_text(nl("Internal note"))

    # --- hand-over to the 2nd line (a note is required) ---------------------------------------
    hand_over(page, desk["second_line"], SECOND_LINE_NOTE)
    expect(page).to_have_url(url_of(ticket))
    status_badge = page.get_by_role("heading", level=1).locator(".badge")
    expect(status_badge).to_have_text(nl("in progress"))
    expect(page.locator("#timeline")).to_contain_text(SECOND_LINE_NOTE)

    # --- on to a supplier (3rd line): waiting for the supplier, the clock paused -------------
    hand_over(page, desk["supplier"], SUPPLIER_NOTE, **{
        nl("Supplier's reference"): SUPPLIER_REFERENCE, nl("Warranty or maintenance terms"): CONTRACT_TERMS,
    })
    expect(status_badge).to_have_text(nl("waiting for supplier"))
    expect(level).to_contain_text(nl("paused"))
    handling = page.locator("#handling-heading").locator("xpath=..")
    expect(handling).to_contain_text(SUPPLIER_REFERENCE)
    expect(handling).to_contain_text(CONTRACT_TERMS)
    session.screenshot("3-with-supplier")

    # --- taken back by the 1st line: in progress, the clock runs again ------------------------
    hand_over(page, desk["first_line"], TAKE_BACK_NOTE)
    expect(status_badge).to_have_text(nl("in progress"))
    expect(level.locator("time")).to_have_count(1)
    expect(level).not_to_contain_text(nl("paused"))
    assert list(TicketTransfer.objects.filter(ticket=ticket).order_by("id").values_list("to_team", flat=True)) == [
        desk["second_line"].pk, desk["supplier"].pk, desk["first_line"].pk
    ]

    # --- resolved with a code and a text -----------------------------------------------------
    form = edit_call(session, ticket, **{
        nl("Status"): TicketStatus.RESOLVED.value, nl("Resolution code"): ResolutionCode.SOLVED.value,
        nl("Resolution"): RESOLUTION,
    })
    form.get_by_role("button", name=nl("Save"), exact=True).click()
    expect(page).to_have_url(url_of(ticket))
    expect(status_badge).to_have_text(nl("resolved"))
    expect(page.locator("main")).to_contain_text(RESOLUTION)
    session.assert_clean()

    # --- the caller sees it resolved (without the internal notes) and rates it ---------------
    caller = signed_in("caller", employee, "/calls/")
    caller_page = caller.page
    row = caller_page.locator("tbody tr", has_text=CALL_TITLE)
    expect(row).to_contain_text(nl("resolved"))
    row.get_by_role("link", name=ticket.reference).click()
    expect(caller_page).to_have_url(url_of(ticket))
    expect(caller_page.locator("main")).to_contain_text(RESOLUTION)
    for internal in (INTERNAL_NOTE, SECOND_LINE_NOTE, SUPPLIER_NOTE, SUPPLIER_REFERENCE):
        expect(caller_page.locator("main")).not_to_contain_text(internal)
    rating = caller_page.locator("section", has=caller_page.locator("#rating-heading"))
    rating.get_by_label("5", exact=True).check()
    rating.get_by_label(nl("Comment")).fill(RATING_COMMENT)
    caller.screenshot("4-resolved-rating")
    rating.get_by_role("button", name=nl("Send rating")).click()
    expect(caller_page).to_have_url(url_of(ticket))
    expect(caller_page.locator("main")).to_contain_text(RATING_COMMENT)
    expect(caller_page.locator("#rating-heading")).to_have_count(0)
    assert SatisfactionRating.objects.get(ticket=ticket).score == 5
    caller.assert_clean()

    # --- the agent closes it ------------------------------------------------------------------
    page.reload()
    form = edit_call(session, ticket, **{nl("Status"): TicketStatus.CLOSED.value})
    form.get_by_role("button", name=nl("Save"), exact=True).click()
    expect(page).to_have_url(url_of(ticket))
    expect(status_badge).to_have_text(nl("closed"))
    expect(page.get_by_role("link", name=nl("Edit"))).to_have_count(0)
    session.screenshot("5-closed")

    # --- the timeline tells the story in order ------------------------------------------------
    entries = page.locator("#timeline > ol > li").all_inner_texts()
    steps = [
        ("registered", lambda text: nl(TicketStatus.NEW.label) in text and "→" not in text),
        ("internal note", lambda text: INTERNAL_NOTE in text),
        ("to the 2nd line", lambda text: SECOND_LINE_NOTE in text),
        ("to the supplier", lambda text: SUPPLIER_NOTE in text),
        ("waiting for supplier", lambda text: text.split("·")[0].strip().endswith(
            nl(TicketStatus.WAITING_FOR_SUPPLIER.label))),
        ("taken back", lambda text: TAKE_BACK_NOTE in text),
        ("resolved", lambda text: text.split("·")[0].strip().endswith(nl(TicketStatus.RESOLVED.label))),
        ("closed", lambda text: text.split("·")[0].strip().endswith(nl(TicketStatus.CLOSED.label))),
    ]
    positions = []
    for name, matches in steps:
        found = [index for index, text in enumerate(entries) if matches(text)]
        assert found, f"{name} is missing from the timeline:\n" + "\n".join(entries)
        positions.append(found[0])
    assert positions == sorted(positions), "\n".join(entries)
    session.assert_clean()

    # --- the service-desk dashboard draws its chart without errors ----------------------------
    page.get_by_role("navigation").get_by_role("link", name=nl("Service desk")).click()
    expect(page).to_have_url(re.compile(r"/calls/dashboard/$"))
    canvas = page.locator("canvas[data-chart]")
    expect(canvas).to_have_count(1)
    expect(canvas).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))")
    assert page.evaluate("document.querySelector('canvas[data-chart]').height") > 0
    session.screenshot("6-dashboard")
    session.assert_clean()
