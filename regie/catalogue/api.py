"""Business calendars for integrations: the same arithmetic the service desk uses to
promise a caller a time (deadline from an instant plus working minutes, and working
minutes between two instants)."""

from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from regie.api.base import ScopedReadOnlyViewSet
from regie.api.pagination import KeysetCursorPagination

from .models import BusinessCalendar

# A term of ten years in minutes is far beyond any SLA; larger requests are refused.
MAX_MINUTES = 10 * 366 * 24 * 60


class BusinessCalendarSerializer(serializers.ModelSerializer):
    weeklyHours = serializers.JSONField(source="weekly_hours", read_only=True)
    publicHolidays = serializers.BooleanField(source="public_holidays", read_only=True)
    closedDays = serializers.JSONField(source="closed_days", read_only=True)

    class Meta:
        model = BusinessCalendar
        fields = ["id", "name", "organisation", "weeklyHours", "publicHolidays", "closedDays"]
        read_only_fields = fields


class DeadlineQuery(serializers.Serializer):
    start = serializers.DateTimeField(
        help_text=_("ISO 8601 instant; without an offset it is read as Europe/Amsterdam local time.")
    )
    minutes = serializers.IntegerField(min_value=0, max_value=MAX_MINUTES)


class WorkingMinutesQuery(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()

    def validate(self, attrs):
        if attrs["end"] < attrs["start"]:
            raise serializers.ValidationError({"end": _("The end lies before the start.")})
        if (attrs["end"] - attrs["start"]).days > 3660:
            raise serializers.ValidationError({"end": _("The period is too long (at most ten years).")})
        return attrs


class CalendarPagination(KeysetCursorPagination):
    ordering = ("name", "id")


class BusinessCalendarViewSet(ScopedReadOnlyViewSet):
    """Business calendars: opening hours, Dutch public holidays and closed days."""

    model = BusinessCalendar
    queryset = BusinessCalendar.objects.none()
    serializer_class = BusinessCalendarSerializer
    pagination_class = CalendarPagination
    filter_backends = []

    @extend_schema(parameters=[DeadlineQuery], responses={200: {"type": "object"}})
    @action(detail=True, methods=["get"], url_path="deadline")
    def deadline(self, request, pk=None):
        """The instant at which `minutes` working minutes after `start` have passed."""
        query = DeadlineQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        calendar = self.get_object().as_working_calendar()
        due = calendar.add_working_minutes(query.validated_data["start"], query.validated_data["minutes"])
        return Response({"start": localtime(query.validated_data["start"]),
                         "minutes": query.validated_data["minutes"], "deadline": localtime(due)})

    @extend_schema(parameters=[WorkingMinutesQuery], responses={200: {"type": "object"}})
    @action(detail=True, methods=["get"], url_path="working-minutes")
    def working_minutes(self, request, pk=None):
        """Working minutes between two instants."""
        query = WorkingMinutesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        calendar = self.get_object().as_working_calendar()
        minutes = calendar.working_minutes_between(query.validated_data["start"], query.validated_data["end"])
        data = query.validated_data
        return Response({"start": localtime(data["start"]), "end": localtime(data["end"]), "workingMinutes": minutes})
