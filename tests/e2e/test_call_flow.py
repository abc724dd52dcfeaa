"""What a person clicks and sees: a Venlo employee signs in (password and TOTP), registers
a call, finds and opens it, switches to English; a Roermond user gets a 404 for it."""

import re

import pytest
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from regie.servicedesk.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Gl4zen-Kast-Maas-2026"
CALL_TITLE = "Beamer in raadszaal geeft geen beeld"


def enrol_authenticator(user):
    return TOTPDevice.objects.create(user=user, name="Telefoon", confirmed=True)


def current_code(device):
    totp = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in(session, user, device, path):
    """Through the real pages: the login form, then the second-factor form."""
    from playwright.sync_api import expect

    page = session.page
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/account/login/"))
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    expect(page).to_have_url(re.compile(r"/account/mfa/verify/"))
    session.screenshot("mfa")
    page.fill("#id_code", current_code(device))
    page.press("#id_code", "Enter")
    expect(page).to_have_url(re.compile(re.escape(path) + r"$"))


def nl(text):
    with translation.override("nl"):
        return translation.gettext(text)


def test_call_from_registration_to_english_and_hidden_from_another_municipality(
    open_session, venlo, roermond, make_user
):
    from playwright.sync_api import expect

    employee = make_user(venlo, "employee", password=PASSWORD, first_name="Femke", last_name="Janssen",
                         preferred_language="nl")
    employee_device = enrol_authenticator(employee)
    outsider = make_user(roermond, "account_manager", password=PASSWORD, first_name="Ruud", last_name="Peeters")
    outsider_device = enrol_authenticator(outsider)

    # --- Venlo: sign in, in Dutch, with both factors ---------------------------------------
    venlo_session = open_session("venlo")
    page = venlo_session.page
    sign_in(venlo_session, employee, employee_device, "/calls/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("h1")).to_have_text(nl("My calls"))
    # Bootstrap's CSS and JS (from node_modules, through the static files) are in use.
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "flex"
    assert page.evaluate("typeof window.bootstrap === 'object' && typeof window.htmx === 'object'")
    venlo_session.screenshot("1-list-empty")

    # --- register a call through the form ---------------------------------------------------
    page.locator("main a[href='/calls/new/']").first.click()
    expect(page).to_have_url(re.compile(r"/calls/new/$"))
    page.fill("#id_title", CALL_TITLE)
    page.fill("#id_description", "Sinds vanochtend blijft het scherm zwart, ook na herstarten.")
    venlo_session.screenshot("2-form")
    page.locator("main form[method=post] button[type=submit]").click()
    ticket = Ticket.objects.for_user(employee).get(title=CALL_TITLE)
    expect(page).to_have_url(re.compile(re.escape(ticket.get_absolute_url()) + r"$"))
    assert ticket.organisation == venlo and ticket.requester == employee
    assert ticket.reference.startswith("VNL-")

    # --- find it in the list and open it ----------------------------------------------------
    page.locator("nav a[href='/calls/']").first.click()
    page.fill("#f-q", "raadszaal")
    page.press("#f-q", "Enter")
    row = page.locator("tbody tr", has_text=CALL_TITLE)
    expect(row).to_have_count(1)
    venlo_session.screenshot("3-list-found")
    row.get_by_role("link", name=ticket.reference).click()
    expect(page).to_have_url(re.compile(re.escape(ticket.get_absolute_url()) + r"$"))
    expect(page.locator("h1")).to_contain_text(CALL_TITLE)
    expect(page.locator("main dt", has_text=nl("Requester"))).to_have_count(1)
    venlo_session.screenshot("4-detail-nl")

    # --- switch the interface to English with the navbar button ------------------------------
    page.locator("nav button[name=language][value=en]").click()
    expect(page).to_have_url(re.compile(re.escape(ticket.get_absolute_url()) + r"$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main dt", has_text="Requester")).to_have_count(1)
    expect(page.locator("nav a[href='/calls/']").first).to_have_text("My calls")
    expect(page.get_by_role("tab", name="History")).to_be_visible()
    venlo_session.screenshot("5-detail-en")
    employee.refresh_from_db()
    assert employee.preferred_language == "en"
    venlo_session.assert_clean()

    # --- Roermond: the same URL is a plain 404, without the call's title ---------------------
    roermond_session = open_session("roermond")
    roermond_page = roermond_session.page
    sign_in(roermond_session, outsider, outsider_device, "/calls/")
    expect(roermond_page.locator("tbody")).to_have_count(0)
    roermond_session.expect_failure(re.escape(ticket.get_absolute_url()) + r"$")
    response = roermond_page.goto(ticket.get_absolute_url())
    assert response.status == 404
    roermond_session.screenshot("6-foreign-call-404")
    content = roermond_page.content()
    assert CALL_TITLE not in content
    assert ticket.reference not in roermond_page.locator("main").inner_text()
    roermond_session.assert_clean()
