from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from regie.core.models import Organisation, User
from regie.servicedesk import services
from regie.servicedesk.choices import TicketChannel, TicketStatus
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


class TicketSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    requester = RequesterField(required=False, help_text=_("Person the call is for; defaults to yourself."))
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    createdBy = serializers.PrimaryKeyRelatedField(source="created_by", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)
    status = serializers.ChoiceField(choices=TicketStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=TicketChannel.choices, required=False)
    version = serializers.IntegerField(required=False, help_text=_("Send back the version you read to avoid lost updates."))

    class Meta:
        model = Ticket
        fields = [
            "reference", "organisation", "requester", "createdBy", "title", "description",
            "status", "channel", "createdAt", "updatedAt", "version",
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
            raise serializers.ValidationError(exc.message_dict) from exc

    def update(self, instance, validated_data):
        actor = self.context["request"].user
        version = validated_data.pop("version", None)
        if "requester" in validated_data:
            raise serializers.ValidationError({"requester": [_("The requester of a call cannot be changed.")]})
        try:
            return services.update_ticket(actor, instance, validated_data, expected_version=version)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
