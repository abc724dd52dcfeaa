"""In Chromium: the ICT manager browses the demo estate — the register with its filters
and non-standard flags, an item's page with attributes, relations and timeline, the item
types and the standards catalogue — under the strict CSP, without console errors."""

import random
import re

import pytest

# The browser fixtures of tests/e2e (Debian's Chromium through Playwright, signed in for real).
from e2e.conftest import browser, chromium_path, open_session, signed_in  # noqa: F401
from playwright.sync_api import expect

from regie.cmdb import demo
from regie.cmdb.models import ConfigurationItem
from regie.core.demo import MUNICIPALITIES
from regie.core.factories import OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_and_item_pages(provider, make_user, signed_in):  # noqa: F811
    for name, code, workplaces, *_rest in MUNICIPALITIES:
        organisation = OrganisationFactory(name=name, code=code, workplace_count=workplaces)
        for _index in range(5):
            make_user(organisation, "employee")
    demo.load_demo(random.Random(2026))
    manager = make_user(provider, "ict_manager", first_name="Lies", last_name="Janssen", preferred_language="nl")
    session = signed_in("manager", manager, "/cmdb/items/")
    page = session.page
    expect(page.get_by_role("heading", name=re.compile("^(Configuratie-items|Configuration items)$"))).to_be_visible()
    expect(page.locator("table tbody tr").first).to_be_visible()
    session.screenshot("1-list")

    page.select_option("#id_standard", "non_standard")
    page.get_by_role("button", name=re.compile("Filter")).click()
    expect(page).to_have_url(re.compile(r"standard=non_standard"))
    expect(page.locator("td .badge.text-bg-warning").first).to_be_visible()
    session.screenshot("2-non-standard")

    host = ConfigurationItem.all_objects.get(name="ESX-VLO-03")
    page.goto(f"/cmdb/items/{host.pk}/")
    expect(page.get_by_role("heading", name="ESX-VLO-03")).to_be_visible()
    expect(page.get_by_text("VMware ESXi 8").first).to_be_visible()
    expect(page.locator("#panel-relations")).to_contain_text("SAN-VLO-01")
    expect(page.locator("#panel-timeline")).to_be_visible()
    session.screenshot("3-host")

    laptop = ConfigurationItem.all_objects.filter(name__startswith="VNL-LT-", status="in_repair").first()
    page.goto(f"/cmdb/items/{laptop.pk}/")
    expect(page.locator("#panel-timeline")).to_contain_text("VNL-")
    session.screenshot("4-laptop")
    page.goto(f"/cmdb/items/{laptop.pk}/edit/")
    session.screenshot("5-edit")
    page.goto("/cmdb/types/")
    session.screenshot("6-types")
    page.goto("/cmdb/standards/")
    expect(page.locator(".badge.text-bg-info").first).to_be_visible()
    session.screenshot("7-standards")
    session.assert_clean()
