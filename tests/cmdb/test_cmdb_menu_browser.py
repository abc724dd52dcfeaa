"""In Chromium, on the whole demo estate: the ICT manager reaches the CMDB from the menu,
opens a datacenter storage system and sees what a failure would hit if its failover did not
work — the business services and the municipalities — under the strict CSP, without console
errors. A participant's account manager sees the menu too, and no other municipality named."""

import random
import re

import pytest

# The browser fixtures of tests/e2e (Debian's Chromium through Playwright, signed in for real).
from e2e.conftest import browser, chromium_path, open_session, signed_in  # noqa: F401
from playwright.sync_api import expect

from regie.cmdb.models import ConfigurationItem
from regie.core.demo import MUNICIPALITIES, load_cmdb_demo
from regie.core.factories import OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_menu_to_the_impact_of_a_datacenter_storage_system(provider, make_user, signed_in):  # noqa: F811
    organisations = {}
    for name, code, workplaces, *_rest in MUNICIPALITIES:
        organisations[code] = OrganisationFactory(name=name, code=code, workplace_count=workplaces)
        for _index in range(3):
            make_user(organisations[code], "employee")
    load_cmdb_demo(random.Random(2026))
    manager = make_user(provider, "ict_manager", preferred_language="nl")
    session = signed_in("manager", manager, "/")
    page = session.page
    page.get_by_role("button", name="CMDB").click()
    page.get_by_role("link", name=re.compile("^(Datacenters)$")).click()
    expect(page).to_have_url(re.compile(r"/cmdb/datacenters/$"))
    session.screenshot("1-datacenters")

    san = ConfigurationItem.all_objects.get(name="SAN-VLO-01")
    page.goto(f"/cmdb/items/{san.pk}/impact/")
    risk = page.get_by_test_id("if-failover-fails")
    expect(risk).to_be_visible()
    for municipality in ("Gemeente Venlo", "Gemeente Roermond", "Gemeente Weert", "Gemeente Nederweert"):
        expect(risk).to_contain_text(municipality)
    expect(risk.get_by_role("link").first).to_be_visible()
    session.screenshot("2-storage-impact")
    session.assert_clean()

    venlo_manager = make_user(organisations["VNL"], "account_manager", preferred_language="nl")
    venlo = signed_in("venlo", venlo_manager, "/cmdb/items/")
    expect(venlo.page.get_by_role("button", name="CMDB")).to_be_visible()
    expect(venlo.page.locator("main")).not_to_contain_text("Gemeente Roermond")
    venlo.screenshot("3-venlo-items")
    venlo.assert_clean()
