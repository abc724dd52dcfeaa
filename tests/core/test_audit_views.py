"""The global audit view, its CSV export and the history tab of an object."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from regie.core.audit import audit_context, write_record
from regie.core.choices import OrganisationKind
from regie.core.factories import OrganisationFactory
from regie.core.models import AuditRecord, Organisation

LIST = "/audit/"
EXPORT = "/audit/export.csv"


@pytest.fixture
def team_lead(provider, make_user):
    return make_user(provider, "team_lead", username="teamleider")


@pytest.fixture
def auditor(make_user):
    firm = OrganisationFactory(name="Audit & Co", code="AUD", kind=OrganisationKind.SUPPLIER)
    return make_user(firm, "auditor", username="auditor")


@pytest.fixture
def trail(venlo, roermond):
    """A few records of different kinds, with known addresses."""
    with audit_context(actor_label="venlo.medewerker", remote_addr="192.0.2.1", user_agent="Firefox"):
        write_record("login_failed", result="failure", object_repr="venlo.medewerker", organisation_id=venlo.pk)
    with audit_context(actor_label="helpdesk", remote_addr="192.0.2.2"):
        venlo.phone = "077 359 6666"
        venlo.save()
        roermond.phone = "=cmd|' /C calc'!A0"
        roermond.save()
    return venlo, roermond


def rows(response):
    return list(response.context["records"])


@pytest.mark.parametrize("who", ["team_lead", "auditor"])
def test_provider_staff_and_auditors_see_the_whole_trail(request, client_for, trail, who):
    user = request.getfixturevalue(who)
    response = client_for(user).get(LIST)
    assert response.status_code == 200
    labels = {r.actor_label for r in rows(response)}
    assert {"venlo.medewerker", "helpdesk"} <= labels
    body = response.content.decode()
    assert "192.0.2.1" in body and "Firefox" in body
    assert "077 359 6666" in body  # the change itself
    assert " UTC" in body  # both UTC and local time


@pytest.mark.parametrize("roles", [("account_manager",), ("representative",), ("employee",)])
def test_participants_get_404(client_for, venlo, make_user, trail, roles):
    user = make_user(venlo, *roles)
    assert client_for(user).get(LIST).status_code == 404
    assert client_for(user).get(EXPORT).status_code == 404


def test_provider_staff_without_the_permission_get_404(client_for, provider, make_user):
    engineer = make_user(provider, "engineer")
    assert client_for(engineer).get(LIST).status_code == 404


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(LIST)
    assert response.status_code == 302
    assert "/account/login/" in response["Location"]


def test_filters(client_for, team_lead, trail):
    venlo, roermond = trail
    client = client_for(team_lead)

    def labels(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200
        return [(r.action, r.object_repr) for r in rows(response)]

    assert labels(action="login_failed") == [("login_failed", "venlo.medewerker")]
    assert labels(result="failure") == [("login_failed", "venlo.medewerker")]
    assert {a for a, _o in labels(who="helpdesk")} == {"update"}
    assert labels(organisation=roermond.pk, action="update") == [("update", str(roermond))]
    assert labels(q="Roermond", action="update") == [("update", str(roermond))]
    org_type = ContentType.objects.get_for_model(Organisation)
    assert {o for _a, o in labels(object_type=org_type.pk, who="helpdesk")} == {str(venlo), str(roermond)}
    today = timezone.localdate()
    assert len(labels(date_from=today.isoformat(), date_to=today.isoformat(), who="helpdesk")) == 2
    assert labels(date_to=(today - timedelta(days=1)).isoformat()) == []
    assert labels(date_from=(today + timedelta(days=1)).isoformat()) == []


def test_date_filter_uses_local_days(client_for, team_lead, db):
    # 23:30 UTC on 1 June is 01:30 on 2 June in Amsterdam (summer time).
    late = timezone.datetime(2025, 6, 1, 23, 30, tzinfo=timezone.get_fixed_timezone(0))
    rec = AuditRecord(timestamp=late, actor_label="night", action="update", object_repr="x")
    rec.record_hash = "0" * 64
    AuditRecord.all_objects.bulk_create([rec])
    client = client_for(team_lead)
    on = [r.actor_label for r in rows(client.get(LIST, {"date_from": "2025-06-02", "date_to": "2025-06-02"}))]
    before = [r.actor_label for r in rows(client.get(LIST, {"date_from": "2025-06-01", "date_to": "2025-06-01"}))]
    assert on == ["night"]
    assert before == []


@pytest.mark.parametrize(
    "params",
    [{"action": "launch"}, {"result": "maybe"}, {"date_from": "yesterday"}, {"date_to": "9999-12-31"},
     {"organisation": "abc"}, {"object_type": "999999"}],
)
def test_bad_filters_get_a_clear_400(client_for, team_lead, trail, params):
    client = client_for(team_lead)
    response = client.get(LIST, params)
    assert response.status_code == 400
    assert "alert-danger" in response.content.decode()
    assert rows(response) == []
    export = client.get(EXPORT, params)
    assert export.status_code == 400
    assert next(iter(params)) in export.content.decode()
    assert not AuditRecord.all_objects.filter(action="export").exists()


def test_organisation_choices_come_from_the_users_scope(client_for, team_lead, trail):
    response = client_for(team_lead).get(LIST)
    choices = set(response.context["filterset"].filters["organisation"].queryset)
    assert set(trail) <= choices


def test_keyset_pagination_walks_the_whole_trail(client_for, team_lead, db):
    with audit_context(actor_label="bulk"):
        for i in range(120):
            write_record("update", object_repr=f"object {i:03d}")
    client = client_for(team_lead)
    seen, params = [], {"who": "bulk"}
    for _page in range(5):
        response = client.get(LIST, params)
        page = response.context["page"]
        seen += [r.object_repr for r in page.items]
        if not page.has_next:
            break
        assert "cursor=" in response.content.decode()
        params = {"who": "bulk", "cursor": page.next_cursor}
    assert seen == [f"object {i:03d}" for i in reversed(range(120))]


def test_forged_cursor_shows_the_first_page(client_for, team_lead, trail):
    response = client_for(team_lead).get(LIST, {"cursor": "not-a-cursor!"})
    assert response.status_code == 200
    assert response.context["cursor_error"]
    assert rows(response)


def test_csv_export_follows_the_filters_and_is_audited(client_for, team_lead, trail):
    response = client_for(team_lead).get(EXPORT, {"who": "helpdesk"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row["who"] for row in table} == {"helpdesk"}
    assert len(table) == 2
    assert {row["from_address"] for row in table} == {"192.0.2.2"}
    assert all(row["timestamp_utc"].endswith("+00:00") for row in table)
    export = AuditRecord.all_objects.get(action="export")
    assert export.actor_id == team_lead.pk
    assert "who=helpdesk" in export.message


def test_csv_defuses_formulas(client_for, team_lead, db):
    with audit_context(actor_label="=HYPERLINK(\"http://evil\")"):
        write_record("update", object_repr="@SUM(1)")
    response = client_for(team_lead).get(EXPORT, {"action": "update"})
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    (row,) = table
    assert row["who"].startswith("'=")
    assert row["object"] == "'@SUM(1)"


# --- object history ---------------------------------------------------------------------


def history_url(org):
    return f"/audit/core/organisation/{org.pk}/"


def test_history_tab_keeps_the_scope_check(client_for, venlo, roermond, make_user, trail):
    venlo_am = make_user(venlo, "account_manager")
    client = client_for(venlo_am)
    response = client.get(history_url(venlo))
    assert response.status_code == 200
    assert "077 359 6666" in response.content.decode()
    assert client.get(history_url(roermond)).status_code == 404
    assert client.get("/audit/core/nosuchmodel/1/").status_code == 404
    assert client.get("/audit/auth/group/1/").status_code == 404  # not a scoped model


def test_history_tab_is_paginated(client_for, team_lead, venlo):
    with audit_context(actor_label="helpdesk"):
        for i in range(30):
            venlo.workplace_count = i + 1
            venlo.save()
    client = client_for(team_lead)
    first = client.get(history_url(venlo))
    assert first.status_code == 200
    page = first.context["page"]
    assert len(page.items) == 25 and page.has_next
    second = client.get(history_url(venlo), {"cursor": page.next_cursor})
    ids = [r.id for r in page.items] + [r.id for r in second.context["page"].items]
    expected = AuditRecord.all_objects.filter(
        content_type=ContentType.objects.get_for_model(Organisation), object_id=str(venlo.pk)
    ).order_by("-id").values_list("id", flat=True)
    assert ids == list(expected)
    assert client.get(history_url(venlo), {"cursor": "%%%"}).status_code == 200


# --- API ----------------------------------------------------------------------------------

API = "/api/v1/audit-records"


def test_api_lists_the_trail_for_auditors_with_the_same_filters(client_for, auditor, trail):
    response = client_for(auditor).get(API, {"action": "login_failed"})
    assert response.status_code == 200
    (item,) = response.json()["results"]
    assert (item["who"], item["result"], item["fromAddress"], item["object"]) == (
        "venlo.medewerker", "failure", "192.0.2.1", "venlo.medewerker"
    )
    detail = client_for(auditor).get(f"{API}/{item['id']}")
    assert detail.status_code == 200 and detail.json()["recordHash"]


def test_api_is_read_only(client_for, auditor, trail):
    client = client_for(auditor)
    record_id = AuditRecord.all_objects.order_by("id").first().id
    assert client.post(API, {}, content_type="application/json").status_code == 405
    assert client.delete(f"{API}/{record_id}").status_code == 405
    assert client.patch(f"{API}/{record_id}", {}, content_type="application/json").status_code == 405


def test_api_is_404_without_the_permission(client_for, venlo, make_user, trail):
    account_manager = make_user(venlo, "account_manager")
    assert client_for(account_manager).get(API).status_code == 404
    record_id = AuditRecord.all_objects.order_by("id").first().id
    assert client_for(account_manager).get(f"{API}/{record_id}").status_code == 404


def test_api_bad_filter_is_a_problem_with_invalid_params(client_for, auditor, trail):
    response = client_for(auditor).get(API, {"action": "launch"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "action" in str(response.json())
