"""In Chromium: the ICT manager opens the licence compliance view over the demo licences
(over-use highlighted, the chart drawn under the strict CSP) and the contract pages."""

import random
import re

import pytest

# The browser fixtures of tests/e2e (Debian's Chromium through Playwright, signed in for real).
from e2e.conftest import browser, chromium_path, open_session, signed_in  # noqa: F401
from playwright.sync_api import expect

from regie.cmdb import contract_demo
from regie.cmdb.licences import demo
from regie.cmdb.models import Contract
from regie.core.choices import LocationKind
from regie.core.demo import MUNICIPALITIES
from regie.core.factories import LocationFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _demo(provider, make_user):
    LocationFactory(organisation=provider, name="Datacenter Venlo", kind=LocationKind.DATACENTER)
    LocationFactory(organisation=provider, name="Datacenter Roermond", kind=LocationKind.DATACENTER)
    for name, code, *_rest in MUNICIPALITIES:
        organisation = OrganisationFactory(name=name, code=code)
        for _index in range(6):
            make_user(organisation, "employee")
    contract_demo.load_demo(random.Random(2026))
    demo.load_demo(random.Random(2026))


def test_compliance_and_contract_pages(provider, make_user, signed_in):  # noqa: F811
    _demo(provider, make_user)
    manager = make_user(provider, "ict_manager", first_name="Lies", last_name="Janssen", preferred_language="nl")
    session = signed_in("manager", manager, "/cmdb/licences/")
    page = session.page
    expect(page.get_by_role("heading", name=re.compile("^(Licenties|Licences)$"))).to_be_visible()
    over_row = page.locator("tr.table-danger", has_text="Gemeente Venlo").first
    expect(over_row).to_be_visible()
    expect(page.locator("canvas[data-chart='bar']")).to_be_visible()
    page.wait_for_function("() => document.querySelector('canvas[data-chart]').width > 0")
    session.screenshot("1-compliance")

    page.goto("/cmdb/contracts/")
    expect(page.locator("td .badge.text-bg-warning").first).to_be_visible()
    session.screenshot("2-contracts")
    framework = Contract.objects.unrestricted().get(reference="RC-2024-WPL")
    page.goto(f"/cmdb/contracts/{framework.pk}/")
    expect(page.get_by_text("HP EliteBook 840 G11").first).to_be_visible()
    session.screenshot("3-framework-contract")
    page.goto(f"/cmdb/suppliers/{framework.supplier_id}/")
    expect(page.get_by_role("rowheader", name="Sanne Jacobs")).to_be_visible()
    session.screenshot("4-supplier")
    page.goto("/cmdb/licences/entitlements/")
    session.screenshot("5-entitlements")
    session.assert_clean()
