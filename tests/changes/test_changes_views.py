"""The change pages: list (filters, CSV, query count), calendar, detail, form, actions, CI panel."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from regie.changes import services
from regie.changes.choices import ChangeStatus
from regie.changes.factories import ChangeFactory
from regie.changes.models import Change

pytestmark = pytest.mark.django_db


def test_list_filters_and_query_count(client_for, engineer, provider, venlo, storage, venlo_server,
                                      django_assert_max_num_queries):
    for index in range(12):
        ChangeFactory(organisation=venlo if index % 2 else provider, owner=engineer, title=f"Wijziging {index}",
                      items=[venlo_server if index % 2 else storage])
    client = client_for(engineer)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("changes:list"))
    assert response.status_code == 200
    assert response.content.decode().count("WZG-1999-") >= 12
    response = client.get(reverse("changes:list"), {"organisation": venlo.pk})
    assert response.content.decode().count("<tr>") == 7  # header + 6
    response = client.get(reverse("changes:list"), {"ci": "NML-SAN-VLO-01"})
    assert response.content.decode().count("<tr>") == 7
    response = client.get(reverse("changes:list"), {"item": venlo_server.pk, "status": "draft", "kind": "normal"})
    assert response.content.decode().count("<tr>") == 7


def test_csv_export(client_for, engineer, draft):
    response = client_for(engineer).get(reverse("changes:list"), {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    assert draft.reference in body and "NML-SAN-VLO-01" in body


def test_participant_sees_only_own_changes_read_only(client_for, venlo_reader, venlo, roermond, engineer,
                                                     venlo_server, roermond_server):
    own = ChangeFactory(organisation=venlo, owner=engineer, items=[venlo_server], title="Venlo-wijziging")
    other = ChangeFactory(organisation=roermond, owner=engineer, items=[roermond_server], title="Roermond-wijziging")
    client = client_for(venlo_reader)
    body = client.get(reverse("changes:list")).content.decode()
    assert "Venlo-wijziging" in body and "Roermond-wijziging" not in body
    assert client.get(reverse("changes:detail", args=[other.pk])).status_code == 404
    detail = client.get(reverse("changes:detail", args=[own.pk]))
    assert detail.status_code == 200
    assert reverse("changes:transition", args=[own.pk]).encode() not in detail.content
    assert client.get(reverse("changes:create")).status_code == 404
    assert client.post(reverse("changes:transition", args=[own.pk]), {"status": "submitted"}).status_code == 404


def test_create_through_the_form_warns_about_conflicts(client_for, engineer, provider, storage, draft, window):
    client = client_for(engineer)
    fmt = "%Y-%m-%dT%H:%M"
    start = timezone.localtime(window[0] + datetime.timedelta(hours=1))
    response = client.post(reverse("changes:create"), {
        "title": "Schijven bijplaatsen", "kind": "normal", "organisation": provider.pk, "items": "NML-SAN-VLO-01",
        "risk": "medium", "planned_start": start.strftime(fmt),
        "planned_end": (start + datetime.timedelta(hours=2)).strftime(fmt),
    }, follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    created = Change.objects.unrestricted().get(title="Schijven bijplaatsen")
    assert created.owner == engineer and created.status == ChangeStatus.DRAFT
    assert "overlaps other changes" in body and draft.reference in body
    assert "Conflict warning" in body  # on the change page too
    edit = client.get(reverse("changes:update", args=[created.pk])).content.decode()
    assert "Conflict warning" in edit and draft.reference in edit


def test_form_refusals_become_field_errors(client_for, engineer, provider):
    response = client_for(engineer).post(reverse("changes:create"), {
        "title": "X", "kind": "normal", "organisation": provider.pk, "items": "ONBEKEND-1", "risk": "low",
        "planned_start": "2030-01-02T10:00", "planned_end": "2030-01-02T09:00",
    })
    assert response.status_code == 200
    body = response.content.decode()
    assert "Unknown configuration items: ONBEKEND-1" in body
    assert not Change.objects.unrestricted().exists()


def test_window_refusal_in_the_form(client_for, engineer, provider, storage):
    response = client_for(engineer).post(reverse("changes:create"), {
        "title": "X", "kind": "normal", "organisation": provider.pk, "items": "NML-SAN-VLO-01", "risk": "low",
        "planned_start": "2030-01-02T10:00", "planned_end": "2030-01-02T09:00",
    })
    assert response.status_code == 200
    assert "The window must end after it starts." in response.content.decode()
    assert not Change.objects.unrestricted().exists()


def test_actions_from_the_page(client_for, engineer, lead, ict_manager, draft):
    client = client_for(engineer)
    url = reverse("changes:transition", args=[draft.pk])
    assert client.post(url, {"status": "submitted"}).status_code == 302
    lead_client = client_for(lead)
    page = lead_client.get(reverse("changes:detail", args=[draft.pk])).content.decode()
    assert "Approve" in page
    lead_client.post(reverse("changes:decision", args=[draft.pk]), {"decision": "approve", "comment": "Prima"})
    response = lead_client.post(reverse("changes:decision", args=[draft.pk]), {"decision": "approve"}, follow=True)
    assert "already decided" in response.content.decode()
    client_for(ict_manager).post(reverse("changes:decision", args=[draft.pk]), {"decision": "approve"})
    draft.refresh_from_db()
    assert draft.status == ChangeStatus.APPROVED
    client.post(url, {"status": "scheduled"})
    draft.refresh_from_db()
    assert draft.status == ChangeStatus.SCHEDULED


def test_refusal_from_the_page_is_shown(client_for, engineer, draft):
    Change.all_objects.filter(pk=draft.pk).update(rollback_plan="")
    response = client_for(engineer).post(reverse("changes:transition", args=[draft.pk]), {"status": "submitted"},
                                         follow=True)
    assert "A rollback plan is required before submission" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == ChangeStatus.DRAFT


def test_detail_shows_impact_and_snapshot(client_for, engineer, draft):
    client = client_for(engineer)
    assert "Impact (current analysis)" in client.get(reverse("changes:detail", args=[draft.pk])).content.decode()
    services.submit(engineer, draft)
    assert "Impact at submission" in client.get(reverse("changes:detail", args=[draft.pk])).content.decode()


def test_calendar_month_grid_with_conflicts_and_organisation_filter(client_for, engineer, provider, venlo, storage,
                                                                     draft, window, venlo_server):
    ChangeFactory(organisation=provider, owner=engineer, items=[storage], planned_start=window[0],
                  planned_end=window[1], title="Tweede")
    venlo_change = ChangeFactory(organisation=venlo, owner=engineer, items=[venlo_server],
                                 planned_start=window[0], planned_end=window[1])
    client = client_for(engineer)
    month = f"{window[0]:%Y-%m}"
    body = client.get(reverse("changes:calendar"), {"month": month}).content.decode()
    assert "<table" in body and draft.reference in body and venlo_change.reference in body
    assert "1 conflict this month" in body
    body = client.get(reverse("changes:calendar"), {"month": month, "organisation": venlo.pk}).content.decode()
    assert venlo_change.reference in body and draft.reference not in body
    assert client.get(reverse("changes:calendar"), {"month": "nonsense"}).status_code == 200


def test_item_page_lists_the_changes_of_the_item(client_for, engineer, draft, storage):
    response = client_for(engineer).get(storage.get_absolute_url())
    assert response.status_code == 200
    assert draft.reference in response.content.decode()


def test_item_without_changes_shows_no_change_panel(client_for, engineer, venlo_server):
    response = client_for(engineer).get(venlo_server.get_absolute_url())
    assert "changes" not in [panel["key"] for panel in response.context["panels"]]


def test_item_page_query_count_does_not_grow_with_changes(client_for, engineer, provider, storage,
                                                          django_assert_max_num_queries):
    for _ in range(8):
        ChangeFactory(organisation=provider, owner=engineer, items=[storage])
    client = client_for(engineer)
    client.get(storage.get_absolute_url())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(storage.get_absolute_url())
    for _ in range(8):
        ChangeFactory(organisation=provider, owner=engineer, items=[storage])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(storage.get_absolute_url())
