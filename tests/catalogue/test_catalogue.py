"""Service catalogue (PDC): the agreement's groups and exclusions, SLA target choice,
priority matrix, calendars, and who sees what."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from regie.catalogue import services
from regie.catalogue.choices import ServiceGroup
from regie.catalogue.models import BusinessCalendar, Service, SlaTarget

pytestmark = pytest.mark.django_db
AMS = ZoneInfo("Europe/Amsterdam")


def test_seeded_catalogue_has_the_four_groups_and_the_exclusions():
    groups = set(Service.objects.unrestricted().values_list("group", flat=True))
    assert groups == set(ServiceGroup.values)
    excluded = Service.objects.unrestricted().filter(is_out_of_scope=True)
    assert {s.code for s in excluded} >= {"raas", "websites", "licenties-overig", "audiovisueel", "toegangsbeveiliging"}
    assert all(s.provider_does for s in excluded)
    assert not Service.objects.unrestricted().get(code="projecten").included


def test_out_of_scope_answer_is_the_providers_text():
    raas = Service.objects.unrestricted().get(code="raas")
    assert "tapes" in services.out_of_scope_answer(raas)
    assert services.out_of_scope_answer(Service.objects.unrestricted().get(code="email")) == ""


def test_most_specific_sla_target_wins(venlo, roermond):
    email = Service.objects.unrestricted().get(code="email")
    default = services.sla_target_for(email, venlo, 2)
    assert (default.service, default.organisation) == (None, None)
    service_wide = SlaTarget.objects.create(service=email, priority=2, response_minutes=30, resolution_minutes=300)
    venlo_only = SlaTarget.objects.create(
        service=email, organisation=venlo, priority=2, response_minutes=15, resolution_minutes=120
    )
    assert services.sla_target_for(email, venlo, 2) == venlo_only
    assert services.sla_target_for(email, roermond, 2) == service_wide


def test_sla_target_validation():
    target = SlaTarget(priority=3, response_minutes=600, resolution_minutes=60)
    with pytest.raises(ValidationError) as excinfo:
        target.full_clean()
    assert "resolution_minutes" in excinfo.value.message_dict
    duplicate = SlaTarget(priority=3, response_minutes=10, resolution_minutes=60)
    with pytest.raises(ValidationError):
        duplicate.full_clean()  # the seeded default for P3 already exists


def test_priority_matrix():
    assert services.priority_for(1, 1) == 1
    assert services.priority_for(3, 3) == 5
    assert services.priority_for(2, 2) == 3


def test_calendar_without_working_time_is_refused():
    calendar = BusinessCalendar(name="leeg", weekly_hours={})
    with pytest.raises(ValidationError) as excinfo:
        calendar.full_clean()
    assert "weekly_hours" in excinfo.value.message_dict


def test_participant_desk_hours_apply(venlo):
    BusinessCalendar.objects.create(
        name="Venlo", organisation=venlo, weekly_hours={str(d): [["08:30", "12:30"]] for d in range(5)}
    )
    calendar = services.calendar_for(None, venlo)
    start = datetime(2026, 11, 24, 12, 0, tzinfo=AMS)
    assert calendar.add_working_minutes(start, 60) == datetime(2026, 11, 25, 9, 0, tzinfo=AMS)


def test_participant_sees_its_services_and_the_exclusions(venlo, roermond, make_user, client_for):
    email = Service.objects.unrestricted().get(code="email")
    werkplek = Service.objects.unrestricted().get(code="werkplek")
    email.participants.add(venlo)
    werkplek.participants.add(roermond)
    client = client_for(make_user(venlo, "employee"))
    listing = client.get("/catalogue/").content.decode()
    assert email.name in listing and "RAAS" in listing
    assert werkplek.name not in listing
    assert client.get(werkplek.get_absolute_url()).status_code == 404
    assert client.get(email.get_absolute_url()).status_code == 200


def test_other_participants_specific_targets_stay_hidden(venlo, roermond, make_user, client_for):
    email = Service.objects.unrestricted().get(code="email")
    email.participants.add(venlo, roermond)
    SlaTarget.objects.create(service=email, organisation=roermond, priority=1, response_minutes=7,
                             resolution_minutes=77)
    page = client_for(make_user(venlo, "employee")).get(email.get_absolute_url()).content.decode()
    assert "Gemeente Roermond" not in page
