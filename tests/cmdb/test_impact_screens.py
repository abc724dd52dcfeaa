"""The relation, impact, network and datacenter pages in a real browser (Debian Chromium):
they render without console errors or CSP violations (strict CSP: no inline script or
style), the call page loads its items panel, and each page is kept as a screenshot in
test-artifacts/ to look at."""

import os
import random
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]
CHROMIUM = os.environ.get("REGIE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CSP_REPORTER = """document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline code"}`); });"""


@pytest.fixture
def page_as(live_server, client_for, monkeypatch):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        problems = []

        def open_as(user):
            client = client_for(user)
            context = browser.new_context(base_url=live_server.url, locale="nl-NL",
                                          viewport={"width": 1280, "height": 900})
            context.add_init_script(CSP_REPORTER)
            host = live_server.url.split("//")[1].split(":")[0]
            context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                  "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                                  "domain": host, "path": "/"}])
            page = context.new_page()
            page.on("console", lambda m: m.type == "error" and problems.append(f"{page.url}: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
            return page

        yield open_as, problems
        browser.close()
        connections.close_all()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"cmdb-{name}.png"), full_page=True)


def test_pages_render_cleanly(page_as, provider, make_user):
    from regie.cmdb.models import AffectedItem, ConfigurationItem
    from regie.cmdb.network_demo import load_demo
    from regie.core.factories import OrganisationFactory
    from regie.servicedesk.factories import TicketFactory

    orgs = {code: OrganisationFactory(name=name, code=code) for name, code in [
        ("Gemeente Venlo", "VNL"), ("Gemeente Roermond", "RMD"), ("Gemeente Weert", "WRT"),
        ("Gemeente Nederweert", "NDW")]}
    load_demo(random.Random(1))
    staff = make_user(provider, "engineer", first_name="Eva", last_name="Engineer")
    open_as, problems = page_as
    page = open_as(staff)
    server = ConfigurationItem.all_objects.get(name="BRP-VLO-01")
    san = ConfigurationItem.all_objects.get(name="SAN-VLO-01")
    ticket = TicketFactory(requester=make_user(orgs["VNL"], "employee"), title="BRP traag")
    AffectedItem.all_objects.create(ticket=ticket, item=server, added_by=staff)
    for name, url in [
        ("impact-server", reverse("cmdb:item-impact", args=[server.pk])),
        ("impact-storage", reverse("cmdb:item-impact", args=[san.pk])),
        ("relations", reverse("cmdb:item-relations", args=[server.pk])),
        ("network", reverse("cmdb:network-list")),
        ("network-form", reverse("cmdb:network-create")),
        ("datacenters", reverse("cmdb:datacenter-list")),
        ("call-items", reverse("cmdb:ticket-affected", args=[ticket.reference])),
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        shot(page, name)
    page.goto(reverse("servicedesk:ticket-detail", args=[ticket.reference]))
    page.wait_for_selector("#affected-heading + ul")
    assert "BRP-VLO-01" in page.inner_text("section[aria-labelledby=affected-heading]")
    shot(page, "call-page")
    assert problems == []
