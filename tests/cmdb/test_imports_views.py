"""Import pages and API: upload, preview with errors, apply, progress, templates, tenancy, Celery path."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from regie.cmdb.factories import ItemModelFactory
from regie.cmdb.imports import services
from regie.cmdb.imports.factories import ImportJobFactory, csv_bytes, seeded_type
from regie.cmdb.imports.models import ImportJob, ImportStatus
from regie.cmdb.models import ConfigurationItem
from regie.core.factories import LocationFactory

HEADER = ["naam", "inventarisnummer", "eigenaar", "merk en type", "locatie", "aankoopdatum", "prijs"]


@pytest.fixture
def laptop(db, provider, venlo):
    laptop = seeded_type("laptop")
    ItemModelFactory(ci_type=laptop, manufacturer="HP", name="EliteBook 840 G10")
    LocationFactory(organisation=venlo, name="Stadskantoor")
    return laptop


@pytest.fixture
def keeper(make_user, provider):
    return make_user(provider, "first_line")


def good_rows(count, start=0):
    return [[f"Laptop {n}", f"VNL-{n:05d}", "VNL", "HP EliteBook 840 G10", "Stadskantoor", "01-02-2025", "1.099,00"]
            for n in range(start, start + count)]


def upload(client, laptop, content, apply="0", name="laptops.csv"):
    return client.post(reverse("cmdb:import-create"), {
        "ci_type": laptop.pk, "apply": apply, "file": SimpleUploadedFile(name, content),
    })


def test_upload_dry_run_shows_preview_and_errors_then_fix_and_import(laptop, keeper, client_for):
    client = client_for(keeper)
    assert client.get(reverse("cmdb:import-create")).status_code == 200
    bad = [*good_rows(2), *good_rows(1, start=1),
           ["Laptop X", "VNL-00009", "VNL", "Dell XPS", "Stadskantoor", "31-02-2025", "12"]]
    response = upload(client, laptop, csv_bytes(HEADER, *bad))
    assert response.status_code == 302
    job = ImportJob.objects.for_user(keeper).get()
    page = client.get(response.url)
    html = page.content.decode()
    assert page.status_code == 200
    assert job.status == ImportStatus.INVALID and job.error_count == 3
    assert "appears twice" in html and "Unknown model" in html and "not an existing date" in html
    assert "Nothing has been imported" in html and "Import now" not in html
    assert "Laptop 0" in html
    assert ConfigurationItem.objects.unrestricted().count() == 0

    response = upload(client, laptop, csv_bytes(HEADER, *good_rows(3)))
    job = ImportJob.objects.for_user(keeper).order_by("-id").first()
    html = client.get(response.url).content.decode()
    assert job.status == ImportStatus.VALID and "Import now" in html
    assert ConfigurationItem.objects.unrestricted().count() == 0
    response = client.post(reverse("cmdb:import-apply", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED and ConfigurationItem.objects.unrestricted().count() == 3
    progress = client.get(reverse("cmdb:import-progress", args=[job.pk])).json()
    assert progress == {"status": "applied", "statusLabel": "imported", "running": False, "percent": 100,
                        "rowsTotal": 3, "rowsValidated": 3, "rowsWritten": 3, "errorCount": 0}


def test_not_a_table_is_a_form_error(laptop, keeper, client_for):
    client = client_for(keeper)
    response = upload(client, laptop, b"\x89PNG\r\n\x1a\n\x00\x00binary", name="foto.png")
    assert response.status_code == 200
    assert "not a CSV or Excel" in response.content.decode()
    assert ImportJob.all_objects.count() == 0


def test_large_file_runs_on_the_worker_path_with_progress(laptop, keeper, client_for, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    """Celery runs eagerly in tests: the task is queued on commit and runs the real code."""
    monkeypatch.setattr(services, "INLINE_MAX_BYTES", 100)
    monkeypatch.setattr(services, "PROGRESS_EVERY_ROWS", 10)
    client = client_for(keeper)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(client, laptop, csv_bytes(HEADER, *good_rows(45)), apply="1")
    assert len(callbacks) == 1
    job = ImportJob.objects.for_user(keeper).get()
    assert (job.status, job.rows_total, job.rows_validated, job.rows_written, job.creates) == (
        ImportStatus.APPLIED, 45, 45, 45, 45)
    assert ConfigurationItem.objects.unrestricted().count() == 45
    # The task again (a redelivery after acks_late): nothing is applied twice.
    from regie.cmdb.imports.tasks import run_import

    assert run_import.delay(job.pk, keeper.pk).get() == ImportStatus.APPLIED
    assert ConfigurationItem.objects.unrestricted().count() == 45
    assert client.get(response.url).status_code == 200


def test_running_job_page_polls_its_progress(laptop, keeper, client_for):
    job = ImportJobFactory(organisation=keeper.organisation, created_by=keeper, ci_type=laptop,
                           status=ImportStatus.VALIDATING, rows_total=1000, rows_validated=400, errors=[], preview={})
    html = client_for(keeper).get(job.get_absolute_url()).content.decode()
    assert f'data-import-progress="{reverse("cmdb:import-progress", args=[job.pk])}"' in html
    assert 'data-percent="40"' in html and "cmdb-import.js" in html and "<script>" not in html


def test_participants_do_not_import_and_see_only_their_own_jobs(laptop, make_user, venlo, roermond, client_for):
    venlo_user = make_user(venlo, "account_manager")
    roermond_user = make_user(roermond, "account_manager")
    job = ImportJobFactory(organisation=venlo, created_by=venlo_user, ci_type=laptop)
    assert client_for(venlo_user).get(reverse("cmdb:import-create")).status_code == 404
    assert client_for(venlo_user).get(job.get_absolute_url()).status_code == 200
    assert client_for(roermond_user).get(job.get_absolute_url()).status_code == 404
    assert client_for(roermond_user).get(reverse("cmdb:import-progress", args=[job.pk])).status_code == 404
    assert job.file_name not in client_for(roermond_user).get(reverse("cmdb:import-list")).content.decode()
    assert client_for(venlo_user).post(reverse("cmdb:import-apply", args=[job.pk])).status_code == 404


def test_import_list_query_count(laptop, keeper, client_for, django_assert_max_num_queries):
    for _n in range(5):
        ImportJobFactory(organisation=keeper.organisation, created_by=keeper, ci_type=laptop)
    client = client_for(keeper)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("cmdb:import-list"))
    assert response.status_code == 200 and response.content.decode().count("laptops-") >= 5


@pytest.mark.parametrize("language", ["nl", "en"])
def test_templates_have_the_right_headers(laptop, keeper, client_for, language):
    from openpyxl import load_workbook

    keeper.preferred_language = language
    keeper.save()
    client = client_for(keeper)
    csv_response = client.get(reverse("cmdb:import-template", args=["laptop", "csv"]))
    header = csv_response.content.decode("utf-8-sig").strip().split(";")
    assert header[-2:] == ["Besturingssysteem", "Schijf versleuteld"]
    workbook = load_workbook(io.BytesIO(client.get(reverse("cmdb:import-template", args=["laptop", "xlsx"])).content))
    assert [cell.value for cell in workbook.worksheets[0][1]] == header
    # The template as downloaded is a valid (empty) import: every header is recognised.
    outcome = services.validate(laptop, keeper, csv_response.content)
    assert [e for e in outcome.errors if e["row"] == 1] == []
    assert client.get(reverse("cmdb:import-template", args=["laptop", "pdf"])).status_code == 404


# --- API --------------------------------------------------------------------------------------

def test_api_dry_run_then_apply_and_problem_for_bad_file(laptop, keeper, client_for):
    client = client_for(keeper)
    url = reverse("api:configuration-item-import-list")
    response = client.post(url, {"file": SimpleUploadedFile("l.csv", csv_bytes(HEADER, *good_rows(2))),
                                 "itemType": "laptop", "dryRun": "true"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "valid" and body["dryRun"] is True and body["creates"] == 2
    assert body["preview"]["rows"][0]["values"]["asset_tag"] == "VNL-00000"
    assert ConfigurationItem.objects.unrestricted().count() == 0
    detail = client.get(reverse("api:configuration-item-import-detail", args=[body["id"]])).json()
    assert detail["rowsValidated"] == 2 and detail["percent"] == 100
    applied = client.post(reverse("api:configuration-item-import-apply", args=[body["id"]]))
    assert applied.status_code == 200 and applied.json()["status"] == "applied"
    assert ConfigurationItem.objects.unrestricted().count() == 2

    bad = client.post(url, {"file": SimpleUploadedFile("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00"), "itemType": "laptop"})
    assert bad.status_code == 400 and bad["Content-Type"] == "application/problem+json"
    assert bad.json()["invalidParams"][0]["name"] == "file"
    assert "not a CSV or Excel" in bad.json()["invalidParams"][0]["reason"]

    rows = client.post(url, {"file": SimpleUploadedFile("x.csv", csv_bytes(["naam", "kleur"], ["a", "b"])),
                             "itemType": "laptop", "dryRun": "false"})
    assert rows.status_code == 201 and rows.json()["status"] == "invalid"
    assert {"row": 1, "column": "kleur"}.items() <= rows.json()["errors"][0].items()
    assert ConfigurationItem.objects.unrestricted().count() == 2
    missing = client.post(url, {"itemType": "laptop"})
    assert missing.status_code == 400 and missing.json()["invalidParams"][0]["name"] == "file"


def test_api_forbids_participants_and_hides_other_jobs(laptop, make_user, venlo, roermond, client_for):
    venlo_user = make_user(venlo, "account_manager")
    job = ImportJobFactory(organisation=venlo, created_by=venlo_user, ci_type=laptop)
    roermond_client = client_for(make_user(roermond, "account_manager"))
    response = roermond_client.post(reverse("api:configuration-item-import-list"),
                                    {"file": SimpleUploadedFile("l.csv", csv_bytes(HEADER, *good_rows(1))),
                                     "itemType": "laptop"})
    assert response.status_code == 403
    assert roermond_client.get(reverse("api:configuration-item-import-detail", args=[job.pk])).status_code == 404
    assert roermond_client.get(reverse("api:configuration-item-import-list")).json()["results"] == []
    assert client_for(venlo_user).get(reverse("api:configuration-item-import-detail", args=[job.pk])).status_code == 200
