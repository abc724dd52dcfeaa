from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from regie.api.fast_lists import FastListSerializer
from regie.catalogue.choices import Level, Priority
from regie.catalogue.models import Service
from regie.core.choices import OrganisationKind
from regie.core.models import Organisation, Team, User
from regie.servicedesk import services, time_entries
from regie.servicedesk.choices import ResolutionCode, TicketChannel, TicketKind, TicketStatus
from regie.servicedesk.conversation import BODY_MAX_CHARS
from regie.servicedesk.models import (
    Attachment,
    CannedResponse,
    Escalation,
    Ticket,
    TicketMessage,
    TicketTransfer,
    TimeEntry,
)
from regie.servicedesk.portal import REASON_MAX_CHARS as REOPEN_REASON_MAX_CHARS

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
    extraCost = serializers.BooleanField(source="extra_cost", required=False, help_text=_("Service desk only."))
    resolutionCode = serializers.ChoiceField(
        source="resolution_code", choices=ResolutionCode.choices, required=False, allow_blank=True,
        help_text=_("Service desk only; required (with resolutionText) to set the status to resolved."),
    )
    resolutionText = serializers.CharField(
        source="resolution_text", required=False, allow_blank=True, max_length=10_000,
        help_text=_("Service desk only."),
    )
    resolvedAt = serializers.DateTimeField(source="resolved_at", read_only=True)
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
            "team", "assignee", "extraCost", "resolutionCode", "resolutionText", "resolvedAt",
            "responseDueAt", "resolutionDueAt", "createdAt", "updatedAt", "version",
        ]
        read_only_fields = ["reference", "organisation", "createdBy", "resolvedAt", "createdAt", "updatedAt"]
        list_serializer_class = FastListSerializer

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
        if version is None:
            # If-Match, already compared by the view; checked again under the row lock.
            version = self.context.get("if_match_version")
        if "requester" in validated_data:
            raise serializers.ValidationError({"requester": [_("The requester of a call cannot be changed.")]})
        try:
            return services.update_ticket(actor, instance, validated_data, expected_version=version)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_domain_errors(exc, self.fields)) from exc


# --- the service desk: conversation, time, hand-over, escalation, reopen ----------------------


class AttachmentSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="original_name", read_only=True)
    size = serializers.IntegerField(read_only=True)
    contentType = serializers.CharField(source="content_type", read_only=True)


class TicketMessageSerializer(serializers.ModelSerializer):
    internal = serializers.BooleanField(source="is_internal", read_only=True,
                                        help_text=_("Internal notes are only ever shown to the service desk."))
    author = serializers.PrimaryKeyRelatedField(read_only=True)
    authorName = serializers.CharField(source="author.get_full_name", read_only=True)
    body = serializers.CharField(source="body_html", read_only=True, help_text=_("Sanitised HTML."))
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    attachments = AttachmentSummarySerializer(many=True, read_only=True)

    class Meta:
        model = TicketMessage
        fields = ["id", "internal", "author", "authorName", "body", "createdAt", "attachments"]
        read_only_fields = fields


class TicketMessageCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    body = serializers.CharField(max_length=BODY_MAX_CHARS,
                                 help_text=_("Plain text or simple HTML (bold, lists, links); the rest is removed."))
    internal = serializers.BooleanField(default=False, help_text=_("An internal note (service desk only)."))


class TicketMessagePageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TicketMessageSerializer(many=True)


class TimeEntrySerializer(serializers.ModelSerializer):
    person = serializers.PrimaryKeyRelatedField(read_only=True)
    personName = serializers.CharField(source="person.get_full_name", read_only=True)
    organisation = serializers.PrimaryKeyRelatedField(read_only=True, help_text=_("The participant charged."))
    extraCost = serializers.BooleanField(source="extra_cost", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = TimeEntry
        fields = ["id", "person", "personName", "organisation", "date", "minutes", "extraCost", "note", "createdAt"]
        read_only_fields = fields


class ParticipantField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Organisation.objects.for_user(self.context["request"].user)


class TimeEntryCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    minutes = serializers.IntegerField(min_value=1, max_value=time_entries.MAX_MINUTES)
    date = serializers.DateField(required=False, help_text=_("Defaults to today; at most 60 days back."))
    note = serializers.CharField(required=False, allow_blank=True, max_length=time_entries.NOTE_MAX_CHARS)
    extraCost = serializers.BooleanField(source="extra_cost", default=False)
    organisation = ParticipantField(
        required=False, pk_field=serializers.IntegerField(),
        help_text=_("Defaults to (and must be) the call's organisation."),
    )


class TimeSheetSerializer(serializers.Serializer):
    totalMinutes = serializers.IntegerField(help_text=_("All time booked on the call."))
    extraCostMinutes = serializers.IntegerField(help_text=_("Of which extra-cost work."))
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = TimeEntrySerializer(many=True, help_text=_("The entries; empty for participants, who see totals."))


STEP_HELP = _("1 = incident manager, 2 = team lead helpdesk & service management, "
              "3 = ICT manager and the participant's representative.")


class TransferSerializer(serializers.ModelSerializer):
    fromTeam = serializers.PrimaryKeyRelatedField(source="from_team", read_only=True)
    toTeam = serializers.PrimaryKeyRelatedField(source="to_team", read_only=True)
    supplierReference = serializers.CharField(source="supplier_reference", read_only=True)
    contractTerms = serializers.CharField(source="contract_terms", read_only=True)
    transferredBy = serializers.PrimaryKeyRelatedField(source="transferred_by", read_only=True)
    transferredAt = serializers.DateTimeField(source="transferred_at", read_only=True)

    class Meta:
        model = TicketTransfer
        fields = ["id", "fromTeam", "toTeam", "note", "supplierReference", "contractTerms", "transferredBy",
                  "transferredAt"]
        read_only_fields = fields


class TransferCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    toTeam = ScopedTeamField(source="to_team", pk_field=serializers.IntegerField())
    note = serializers.CharField(help_text=_("Hand-over note for the next line."))
    supplierReference = serializers.CharField(
        source="supplier_reference", required=False, allow_blank=True, max_length=100,
        help_text=_("Required for a hand-over to a supplier (3rd line)."),
    )
    contractTerms = serializers.CharField(source="contract_terms", required=False, allow_blank=True, max_length=300)


class EscalationSerializer(serializers.ModelSerializer):
    step = serializers.IntegerField(read_only=True, help_text=STEP_HELP)
    raisedBy = serializers.PrimaryKeyRelatedField(source="raised_by", read_only=True)
    raisedAt = serializers.DateTimeField(source="raised_at", read_only=True)
    closedAt = serializers.DateTimeField(source="closed_at", read_only=True)
    closedBy = serializers.PrimaryKeyRelatedField(source="closed_by", read_only=True)

    class Meta:
        model = Escalation
        fields = ["id", "step", "reason", "raisedBy", "raisedAt", "outcome", "closedAt", "closedBy"]
        read_only_fields = fields


class EscalationCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    # An integer rather than an enum: its values 1-3 would clash with the impact/urgency enum.
    step = serializers.IntegerField(min_value=1, max_value=3, help_text=STEP_HELP)
    reason = serializers.CharField(max_length=5000)


class EscalationPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EscalationSerializer(many=True)


class ReopenSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=REOPEN_REASON_MAX_CHARS,
                                   help_text=_("Why the call is not solved; added to the call as a reply."))


# --- attachments and canned responses -------------------------------------------------------


class AttachmentSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="original_name", read_only=True)
    contentType = serializers.CharField(source="content_type", read_only=True)
    message = serializers.PrimaryKeyRelatedField(read_only=True, help_text=_("The reply or note it came with."))
    uploadedBy = serializers.PrimaryKeyRelatedField(source="uploaded_by", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    scanStatus = serializers.CharField(source="scan_status", read_only=True)
    download = serializers.SerializerMethodField(help_text=_("Where to download the file (after the same access "
                                                             "check as the call; always as a download)."))

    class Meta:
        model = Attachment
        fields = ["id", "name", "size", "contentType", "sha256", "message", "uploadedBy", "createdAt", "scanStatus",
                  "download"]
        read_only_fields = fields

    def get_download(self, attachment) -> str:
        from rest_framework.reverse import reverse

        return reverse("api:ticket-attachment-download",
                       kwargs={"reference": attachment.ticket.reference, "attachment_id": attachment.pk},
                       request=self.context.get("request"))


class AttachmentPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = AttachmentSerializer(many=True)


class AttachmentUploadSerializer(StrictFieldsMixin, serializers.Serializer):
    """multipart/form-data: one or more `files` parts, with an optional message."""

    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True, use_url=False), allow_empty=False,
        help_text=_("The files (repeat the part for several). Limits, types and the malware scan as in the UI."),
    )
    body = serializers.CharField(required=False, allow_blank=True, max_length=BODY_MAX_CHARS,
                                 help_text=_("An optional message the files come with."))
    internal = serializers.BooleanField(default=False, help_text=_("Attach to an internal note (service desk only)."))


class AttachmentUploadResultSerializer(serializers.Serializer):
    message = TicketMessageSerializer(help_text=_("The reply or note carrying the files."))
    attachments = AttachmentSerializer(many=True)


class CannedResponseSerializer(serializers.ModelSerializer):
    body = serializers.CharField(read_only=True, help_text=_("The text to put into a reply (simple HTML kept)."))
    bodyHtml = serializers.CharField(source="body_html", read_only=True, help_text=_("Sanitised HTML, as a reply "
                                                                                     "shows it."))
    team = serializers.PrimaryKeyRelatedField(read_only=True, help_text=_("Only for this team; null for everyone."))
    teamName = serializers.CharField(source="team.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = CannedResponse
        fields = ["id", "title", "body", "bodyHtml", "team", "teamName"]
        read_only_fields = fields
