"""Calendars through the API: deadline and working minutes, bad input, tenancy."""

import pytest

from regie.catalogue.models import BusinessCalendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def venlo_hours(venlo):
    return BusinessCalendar.objects.create(
        name="Venlo", organisation=venlo, weekly_hours={str(d): [["08:00", "17:00"]] for d in range(5)}
    )


def test_deadline_and_working_minutes(venlo, venlo_hours, make_user, client_for):
    client = client_for(make_user(venlo, "employee"))
    url = f"/api/v1/business-calendars/{venlo_hours.pk}/deadline"
    response = client.get(url, {"start": "2026-11-27T16:00:00+01:00", "minutes": 120})
    assert response.status_code == 200, response.content
    assert response.json()["deadline"].startswith("2026-11-30T09:00:00+01:00")
    response = client.get(f"/api/v1/business-calendars/{venlo_hours.pk}/working-minutes",
                          {"start": "2026-11-27T16:00:00+01:00", "end": "2026-11-30T10:00:00+01:00"})
    assert response.json()["workingMinutes"] == 180
    assert response["API-Version"]


@pytest.mark.parametrize(("params", "field"), [
    ({"start": "2026-13-27T16:00:00+01:00", "minutes": 10}, "start"),
    ({"start": "gisteren", "minutes": 10}, "start"),
    ({"start": "2026-11-27T16:00:00+01:00", "minutes": -5}, "minutes"),
    ({"start": "2026-11-27T16:00:00+01:00"}, "minutes"),
])
def test_bad_input_names_the_field(venlo, venlo_hours, make_user, client_for, params, field):
    client = client_for(make_user(venlo, "employee"))
    response = client.get(f"/api/v1/business-calendars/{venlo_hours.pk}/deadline", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert field in {param["name"] for param in response.json()["invalidParams"]}


def test_end_before_start_is_refused(venlo, venlo_hours, make_user, client_for):
    client = client_for(make_user(venlo, "employee"))
    response = client.get(f"/api/v1/business-calendars/{venlo_hours.pk}/working-minutes",
                          {"start": "2026-11-30T10:00:00+01:00", "end": "2026-11-27T16:00:00+01:00"})
    assert response.status_code == 400


def test_another_municipalitys_hours_are_404(venlo, roermond, venlo_hours, make_user, client_for):
    client = client_for(make_user(roermond, "employee"))
    assert client.get(f"/api/v1/business-calendars/{venlo_hours.pk}").status_code == 404
    assert client.get(f"/api/v1/business-calendars/{venlo_hours.pk}/deadline",
                      {"start": "2026-11-27T16:00:00+01:00", "minutes": 1}).status_code == 404
    names = [row["name"] for row in client.get("/api/v1/business-calendars").json()["results"]]
    assert "Venlo" not in names and "24×7" in names
