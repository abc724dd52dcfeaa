from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from regie.catalogue.choices import Level, Priority
from regie.catalogue.models import Service
from regie.core.choices import OrganisationKind
from regie.core.models import Organisation, Team, User
from regie.servicedesk import services
from regie.servicedesk.choices import TicketChannel, TicketKind, TicketStatus
from regie.servicedesk.models import Ticket

from .base import StrictFieldsMixin


class OrganisationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["id", "name", "code", "kind", "email", "phone", "opening_hours", "workplace_count", "is_active"]
        read_only_fields = fields


class PersonSerializer(serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    fullName = serializers.CharField(source="get_full_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "fullName", "email", "organisation", "job_title", "phone"]
        read_only_fields = fields


class RequesterField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        request = self.context["request"]
        return services.requester_choices(request.user)


class ScopedTeamField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Team.objects.for_user(self.context["request"].user)


class ScopedServiceField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Service.objects.for_user(self.context["request"].user)


class AssigneeField(serializers.PrimaryKeyRelatedField):
    """Only active provider staff can be assigned (services.py checks it again)."""

    def get_queryset(self):
        return User.objects.for_user(self.context["request"].user).filter(
            is_active=True, organisation__kind=OrganisationKind.PROVIDER
        )


def _domain_errors(exc, fields):
    """A service's ValidationError keyed by model field → keyed by this API's field names."""
    by_source = {field.source: name for name, field in fields.items()}
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return {by_source.get(key, key): value for key, value in errors.items()}


class TicketSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    requester = RequesterField(required=False, help_text=_("Person the call is for; defaults to yourself."))
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    createdBy = serializers.PrimaryKeyRelatedField(source="created_by", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=TicketChannel.choices, required=False)
    kind = serializers.ChoiceField(choices=TicketKind.choices, required=False)
    service = ScopedServiceField(required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Level.choices, required=False,
                                     help_text=_("Service desk only; with urgency it sets the priority."))
    urgency = serializers.ChoiceField(choices=Level.choices, required=False, help_text=_("Service desk only."))
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, help_text=_("Service desk only."))
    priorityReason = serializers.CharField(
        source="priority_reason", max_length=300, required=False, allow_blank=True,
        help_text=_("Required when the priority differs from the impact × urgency matrix."),
    )
    team = ScopedTeamField(required=False, allow_null=True, help_text=_("Service desk only."))
    assignee = AssigneeField(required=False, allow_null=True, help_text=_("Service desk only."))
    responseDueAt = serializers.DateTimeField(source="response_due_at", read_only=True)
    resolutionDueAt = serializers.DateTimeField(source="resolution_due_at", read_only=True)
    version = serializers.IntegerField(
        required=False, help_text=_("Send back the version you read to avoid lost updates.")
    )

    class Meta:
        model = Ticket
        fields = [
            "reference", "organisation", "requester", "createdBy", "title", "description",
            "status", "channel", "kind", "service", "impact", "urgency", "priority", "priorityReason",
            "team", "assignee", "responseDueAt", "resolutionDueAt", "createdAt", "updatedAt", "version",
        ]
        read_only_fields = ["reference", "organisation", "createdBy", "createdAt", "updatedAt"]

    def create(self, validated_data):
        actor = self.context["request"].user
        if "status" in validated_data:
            raise serializers.ValidationError({"status": [_("A new call always starts as new.")]})
        validated_data.pop("version", None)
        try:
            return services.create_ticket(actor, **validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_domain_errors(exc, self.fields)) from exc

    def update(self, instance, validated_data):
        actor = self.context["request"].user
        version = validated_data.pop("version", None)
        if "requester" in validated_data:
            raise serializers.ValidationError({"requester": [_("The requester of a call cannot be changed.")]})
        try:
            return services.update_ticket(actor, instance, validated_data, expected_version=version)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_domain_errors(exc, self.fields)) from exc
