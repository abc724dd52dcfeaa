"""FastListSerializer renders lists exactly as DRF's ListSerializer would."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework import serializers

from regie.api.fast_lists import FastListSerializer, _column_reader, shared_plan
from regie.api.serializers import TicketSerializer
from regie.core.factories import TeamFactory
from regie.servicedesk.choices import ResolutionCode, TicketStatus
from regie.servicedesk.factories import TicketFactory
from regie.servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


def drf_list(serializer_class, instances, **context):
    return serializers.ListSerializer(child=serializer_class(context=context), instance=instances).data


@pytest.fixture
def calls(provider, venlo, make_user):
    """Calls in different states: nulls, foreign keys set and empty, choices, dates, flags."""
    caller = make_user(venlo, "employee")
    agent = make_user(provider, "engineer")
    team = TeamFactory(organisation=provider)
    now = timezone.now()
    plain = TicketFactory(requester=caller)
    worked = TicketFactory(requester=caller, title="Regel\u2028met scheiding ë")
    Ticket.all_objects.filter(pk=worked.pk).update(
        status=TicketStatus.RESOLVED, team=team, assignee=agent, extra_cost=True, priority=1,
        resolution_code=ResolutionCode.SOLVED,
        resolution_text="Opgelost", resolved_at=now, response_due_at=now - timedelta(hours=3),
        resolution_due_at=now + timedelta(days=2, microseconds=123),
    )
    child = TicketFactory(requester=caller, parent=plain)
    return list(Ticket.all_objects.filter(pk__in=[plain.pk, worked.pk, child.pk]).order_by("pk"))


def test_the_call_list_is_the_same_as_drf_renders_it(calls):
    fast = TicketSerializer(calls, many=True)
    assert isinstance(fast, FastListSerializer)
    assert fast.data == drf_list(TicketSerializer, calls)
    assert len(fast.data) == 3 and fast.data[1]["assignee"] is not None and fast.data[0]["assignee"] is None


def test_other_fields_take_drf_steps(calls):
    """Dotted sources, methods, nested serializers and skipped fields are not columns:
    they go through DRF's own steps, and the result is still the same."""

    class Mixed(serializers.ModelSerializer):
        organisationName = serializers.CharField(source="organisation.name")
        shout = serializers.SerializerMethodField()
        parentRef = serializers.SlugRelatedField(source="parent", slug_field="reference", read_only=True)
        everything = serializers.SerializerMethodField()
        secret = serializers.CharField(write_only=True, required=False)

        class Meta:
            model = Ticket
            fields = ["reference", "organisationName", "shout", "parentRef", "everything", "secret", "priority"]
            list_serializer_class = FastListSerializer

        def get_shout(self, obj):
            return obj.title.upper()

        def get_everything(self, obj):
            return {"id": obj.pk, "open": obj.is_open}

    fast = Mixed(calls, many=True).data
    assert fast == drf_list(Mixed, calls)
    assert "secret" not in fast[0] and fast[2]["parentRef"] == calls[0].reference


def test_only_plain_columns_get_the_fast_reader():
    fields = TicketSerializer().fields
    assert _column_reader(fields["title"], Ticket) is not None
    assert _column_reader(fields["createdAt"], Ticket) is not None  # source created_at
    assert _column_reader(fields["assignee"], Ticket) is not None  # primary key of a foreign key

    class WithSlug(serializers.Serializer):
        parent = serializers.SlugRelatedField(slug_field="reference", read_only=True)
        name = serializers.CharField(source="organisation.name")

    slug_fields = WithSlug().fields
    assert _column_reader(slug_fields["parent"], Ticket) is None
    assert _column_reader(slug_fields["name"], Ticket) is None


def test_a_plain_serializer_takes_drf_steps_for_every_field(calls):
    class Plain(serializers.Serializer):
        reference = serializers.CharField()
        createdAt = serializers.DateTimeField(source="created_at")

        class Meta:
            list_serializer_class = FastListSerializer

    assert Plain(calls, many=True).data == drf_list(Plain, calls)


def test_the_call_list_is_planned_once_per_class_without_building_the_row_fields(calls):
    """Every field of a call is a plain column that needs nothing from the request: the plan
    is shared, and a list no longer builds the row serializer's ~20 fields."""
    assert shared_plan(TicketSerializer) is not None
    listing = TicketSerializer(calls, many=True)
    rows = listing.data
    assert "fields" not in listing.child.__dict__  # cached_property never computed
    assert rows == drf_list(TicketSerializer, calls)


def test_a_plan_that_may_depend_on_the_request_is_not_shared(calls):
    class WithMethod(serializers.ModelSerializer):
        shout = serializers.SerializerMethodField()

        class Meta:
            model = Ticket
            fields = ["reference", "shout"]
            list_serializer_class = FastListSerializer

        def get_shout(self, obj):
            return self.context["request"].user.username

    class ChoosingFields(serializers.ModelSerializer):
        class Meta:
            model = Ticket
            fields = ["reference", "title"]
            list_serializer_class = FastListSerializer

        def get_fields(self):
            fields = super().get_fields()
            if not self.context.get("staff"):
                fields.pop("title")
            return fields

    class CustomRow(serializers.ModelSerializer):
        class Meta:
            model = Ticket
            fields = ["reference"]
            list_serializer_class = FastListSerializer

        def to_representation(self, instance):
            return {**super().to_representation(instance), "seen_by": self.context.get("who")}

    assert shared_plan(WithMethod) is None
    assert shared_plan(ChoosingFields) is None
    assert shared_plan(CustomRow) is None
    assert ChoosingFields(calls, many=True, context={"staff": True}).data[0]["title"] == calls[0].title
    assert "title" not in ChoosingFields(calls, many=True, context={}).data[0]
    assert CustomRow(calls, many=True, context={"who": "b"}).data[0]["seen_by"] == "b"


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "UTC", "America/St_Johns"])
def test_date_times_are_written_as_drf_writes_them_in_the_current_time_zone(calls, zone):
    with timezone.override(zone):
        fast = TicketSerializer(calls, many=True).data
        assert fast == drf_list(TicketSerializer, calls)
    worked = fast[1]
    if zone == "UTC":
        assert worked["resolvedAt"].endswith("Z")
    else:
        assert not worked["resolvedAt"].endswith("Z") and worked["resolvedAt"][-6] in "+-"
    assert worked["resolutionDueAt"].split(".")[1][:6] == timezone.localtime(
        calls[1].resolution_due_at, timezone.get_current_timezone()).strftime("%f")


def test_date_times_with_their_own_format_or_zone_take_drf_steps(calls):
    from zoneinfo import ZoneInfo

    class OwnFormats(serializers.ModelSerializer):
        created = serializers.DateTimeField(source="created_at", format="%d-%m-%Y %H:%M")
        inTokyo = serializers.DateTimeField(source="created_at", default_timezone=ZoneInfo("Asia/Tokyo"))

        class Meta:
            model = Ticket
            fields = ["created", "inTokyo"]
            list_serializer_class = FastListSerializer

    assert OwnFormats(calls, many=True).data == drf_list(OwnFormats, calls)
    assert OwnFormats(calls, many=True).data[0]["inTokyo"].endswith("+09:00")
