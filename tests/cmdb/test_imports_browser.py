"""In Chromium: a keeper uploads a file with errors (the preview and the row errors in a
table), then watches a large import's progress bar fill as the page polls (regie/cmdb-import.js
under the strict CSP) until the page shows the result."""

import re
import threading

import pytest
from e2e.conftest import browser, chromium_path, open_session, signed_in  # noqa: F401 - fixtures
from playwright.sync_api import expect

from regie.cmdb.factories import ItemModelFactory
from regie.cmdb.imports.factories import ImportJobFactory, csv_bytes, seeded_type
from regie.cmdb.imports.models import ImportJob, ImportStatus
from regie.core.factories import LocationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_preview_with_errors_and_progress(provider, venlo, make_user, signed_in, tmp_path):  # noqa: F811
    laptop = seeded_type("laptop")
    ItemModelFactory(ci_type=laptop, manufacturer="HP", name="EliteBook 840 G10")
    LocationFactory(organisation=venlo, name="Stadskantoor")
    keeper = make_user(provider, "first_line", first_name="Sanne", last_name="de Wit", preferred_language="nl")
    rows = [[f"Laptop {n}", f"VNL-{n:04d}", "VNL", "HP EliteBook 840 G10", "in gebruik", "Stadskantoor",
             "15-03-2025", "1.234,56", "Windows 11", "ja"] for n in range(6)]
    rows.append(["Laptop kapot", "VNL-0001", "VNL", "Dell XPS 13", "stuk", "Stadhuis", "31-02-2025", "12,3,4",
                 "Windows 11", "misschien"])
    header = ["Naam", "Inventarisnummer", "Eigenaar", "Merk en type", "Status", "Locatie", "Aankoopdatum", "Prijs",
              "Besturingssysteem", "Schijf versleuteld"]
    path = tmp_path / "laptops.csv"
    path.write_bytes(csv_bytes(header, *rows))

    session = signed_in("keeper", keeper, "/cmdb/imports/new")
    page = session.page
    page.select_option("#id_ci_type", label="Laptop")
    page.set_input_files("#id_file", str(path))
    session.screenshot("1-form")
    page.get_by_role("button", name=re.compile("Upload")).click()
    expect(page).to_have_url(re.compile(r"/cmdb/imports/\d+$"))
    errors = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name=re.compile("Reden|Reason")))
    expect(errors).to_be_visible()
    # Six errors in the last row, and its asset tag repeats the first row's: all named at once.
    expect(errors.get_by_role("row")).to_have_count(1 + 7)
    expect(page.get_by_text("Dell XPS 13").first).to_be_visible()
    expect(errors.get_by_text(re.compile("VNL-0001.*(twee keer|twice)")).first).to_be_visible()
    session.screenshot("2-preview-with-errors")
    session.assert_clean()

    # A large import in the worker: the page polls and the bar follows.
    job = ImportJobFactory(organisation=provider, created_by=keeper, ci_type=laptop, file_name="groot-bestand.xlsx",
                           status=ImportStatus.APPLYING, rows_total=100_000, rows_validated=100_000,
                           rows_written=20_000, errors=[], error_count=0, creates=100_000)
    page.goto(job.get_absolute_url())
    expect(page.locator("#import-progress-bar")).to_have_attribute("aria-valuenow", "20")

    def advance():
        ImportJob.all_objects.filter(pk=job.pk).update(rows_written=65_000)

    threading.Timer(0.5, advance).start()
    expect(page.locator("#import-progress-bar")).to_have_attribute("aria-valuenow", "65", timeout=10_000)
    expect(page.locator("#import-progress-text")).to_contain_text("65000")
    session.screenshot("3-progress")
    ImportJob.all_objects.filter(pk=job.pk).update(status=ImportStatus.APPLIED, rows_written=100_000)
    expect(page.locator("#import-status")).to_have_text(re.compile("imported|geïmporteerd", re.I), timeout=10_000)
    expect(page.locator("#summary-heading")).to_be_visible(timeout=10_000)
    session.screenshot("4-done")
    session.assert_clean()
