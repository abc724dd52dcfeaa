"""The portal as a municipal employee uses it: report an incident on a catalogue service,
follow it in "My calls", reply with a PDF; the employee's manager escalates (step 1) from
the call page; a Roermond user gets a 404 for the call and for its attachment."""

import re

import pytest
from django.apps import apps
from django.utils import translation

from regie.catalogue import seed
from regie.catalogue.models import Service
from regie.servicedesk.models import Attachment, Escalation, EscalationStep, Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CALL_TITLE = "Printer op de tweede verdieping drukt alleen lege vellen af"
REPLY_TEXT = "Hierbij de foutmelding van het display, als PDF."
ESCALATION_REASON = "Het hele team kan al twee dagen niet printen; de raadsstukken moeten vandaag de deur uit."


def nl(text):
    """What the Dutch page says for `text` (a message id or a lazy label)."""
    with translation.override("nl"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


def tiny_pdf(text="Foutcode E-302"):
    """A small but well-formed one-page PDF (the upload check reads the content, not the name)."""
    stream = f"BT /F1 18 Tf 40 100 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, content in enumerate(objects, start=1):
        offsets.append(len(body))
        body += b"%d 0 obj\n%s\nendobj\n" % (number, content)
    xref = len(body)
    body += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    body += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    body += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return body


@pytest.fixture
def printer_service(venlo):
    """The seeded catalogue (a transactional test may start on a flushed database),
    with Venlo taking the printer service."""
    seed.load(apps)
    service = Service.objects.unrestricted().get(code="printers-mfp")
    service.participants.add(venlo)
    return service


def test_employee_reports_follows_and_replies_manager_escalates_other_municipality_sees_nothing(
    signed_in, venlo, roermond, make_user, printer_service
):
    from playwright.sync_api import expect

    manager = make_user(venlo, "manager", first_name="Marieke", last_name="Hendriks", preferred_language="nl")
    employee = make_user(venlo, "employee", first_name="Femke", last_name="Janssen", preferred_language="nl",
                         manager=manager)
    outsider = make_user(roermond, "employee", first_name="Ruud", last_name="Peeters", preferred_language="nl")

    # --- the employee reports an incident through the portal form ------------------------
    employee_session = signed_in("employee", employee, "/calls/")
    page = employee_session.page
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.get_by_role("heading", level=1)).to_have_text(nl("My calls"))
    page.locator("main").get_by_role("link", name=nl("Register a call")).first.click()
    expect(page).to_have_url(re.compile(r"/calls/new/$"))
    # The portal form offers only what a caller chooses; the desk classifies.
    expect(page.get_by_label(nl("Impact"))).to_have_count(0)
    expect(page.get_by_label(nl("Requester"))).to_have_count(0)
    page.get_by_label(nl("What is it?")).select_option("incident")
    page.get_by_label(nl("Title")).fill(CALL_TITLE)
    page.get_by_label(nl("Description")).fill("Sinds de update van vanochtend komen alle afdrukken blanco uit.")
    page.get_by_label(nl("Service")).select_option(label=printer_service.name)
    employee_session.screenshot("1-report-form")
    page.get_by_role("button", name=nl("Register"), exact=True).click()

    ticket = Ticket.objects.for_user(employee).get(title=CALL_TITLE)
    expect(page).to_have_url(re.compile(re.escape(ticket.get_absolute_url()) + r"$"))
    assert (ticket.kind, ticket.service, ticket.channel) == ("incident", printer_service, "portal")
    assert ticket.requester == employee and ticket.organisation == venlo
    expect(page.get_by_role("alert").first).to_contain_text(ticket.reference)

    # --- "My calls" shows it with its status; open it --------------------------------------
    page.get_by_role("navigation").get_by_role("link", name=nl("My calls")).first.click()
    row = page.locator("tbody tr", has_text=CALL_TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(nl("new"))
    employee_session.screenshot("2-my-calls")
    row.get_by_role("link", name=ticket.reference).click()
    expect(page).to_have_url(re.compile(re.escape(ticket.get_absolute_url()) + r"$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(CALL_TITLE)
    expect(page.locator("main")).to_contain_text(printer_service.name)
    # No internal-note switch and no hand-over for a caller.
    expect(page.get_by_label(nl("Internal note (not visible to the caller)"))).to_have_count(0)
    expect(page.locator("form[action$='/transfer/']")).to_have_count(0)

    # --- reply with a PDF attachment; it shows in the timeline -----------------------------
    pdf = tiny_pdf()
    page.get_by_role("textbox", name=nl("Message"), exact=True).fill(REPLY_TEXT)
    page.get_by_label(nl("Attachments"), exact=True).set_input_files(
        files=[{"name": "foutmelding.pdf", "mimeType": "application/pdf", "buffer": pdf}]
    )
    page.get_by_role("button", name=nl("Send"), exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(ticket.get_absolute_url()) + r"#timeline$"))
    timeline = page.locator("#timeline")
    reply = timeline.locator("li", has_text=REPLY_TEXT)
    expect(reply).to_have_count(1)
    expect(reply).to_contain_text(employee.get_full_name())
    attachment_link = reply.get_by_role("link", name="foutmelding.pdf")
    expect(attachment_link).to_be_visible()
    employee_session.screenshot("3-reply-in-timeline")
    attachment = Attachment.objects.unrestricted().get(ticket=ticket)
    attachment_url = attachment_link.get_attribute("href")
    assert attachment_url.endswith(f"/attachments/{attachment.pk}/")
    with page.expect_download() as download_info:
        attachment_link.click()
    download = download_info.value
    assert download.suggested_filename == "foutmelding.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read() == pdf
    employee_session.assert_clean()

    # --- the manager (leidinggevende) opens the call and raises escalation step 1 --------
    manager_session = signed_in("manager", manager, ticket.get_absolute_url())
    manager_page = manager_session.page
    expect(manager_page.get_by_role("heading", level=1)).to_contain_text(CALL_TITLE)
    escalate_form = manager_page.locator("form[action$='/escalate/']")
    manager_page.locator("summary", has_text=nl("Escalate")).click()
    expect(escalate_form.get_by_label(nl("Step"))).to_have_value(str(EscalationStep.INCIDENT_MANAGER.value))
    escalate_form.get_by_label(nl("Reason")).fill(ESCALATION_REASON)
    manager_session.screenshot("4-escalate-form")
    escalate_form.get_by_role("button", name=nl("Escalate")).click()
    expect(manager_page).to_have_url(re.compile(re.escape(ticket.get_absolute_url()) + r"$"))
    handling = manager_page.locator("section", has=manager_page.locator("#handling-heading"))
    expect(handling).to_contain_text(nl(EscalationStep.INCIDENT_MANAGER.label))
    expect(handling).to_contain_text(ESCALATION_REASON)
    # Step 2 is the provider's to raise: nothing more is offered to the manager.
    expect(manager_page.locator("form[action$='/escalate/']")).to_have_count(0)
    manager_session.screenshot("5-escalated")
    escalation = Escalation.objects.get(ticket=ticket)
    assert (escalation.step, escalation.raised_by, escalation.reason) == (
        EscalationStep.INCIDENT_MANAGER, manager, ESCALATION_REASON
    )
    manager_session.assert_clean()

    # --- Roermond: a 404 for the call and for its attachment -------------------------------
    outsider_session = signed_in("roermond", outsider, "/calls/")
    outsider_page = outsider_session.page
    for url in (ticket.get_absolute_url(), attachment_url):
        outsider_session.expect_failure(re.escape(url) + r"$")
        response = outsider_page.goto(url)
        assert response.status == 404, url
        assert CALL_TITLE not in outsider_page.content()
        assert "foutmelding" not in outsider_page.content()
        assert ticket.reference not in outsider_page.locator("main").inner_text()
    outsider_session.screenshot("6-attachment-404")
    outsider_session.assert_clean()
