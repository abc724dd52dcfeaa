"""API v1: changes (/api/v1/changes) with their NLGov action sub-resources
(`approvals`, `rejections`, `status-changes`) and the standard change templates.
Participants read their own organisation's changes; provider staff all and keep them."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from regie.api.base import ScopedModelViewSet, ScopedReadOnlyViewSet, StrictFieldsMixin
from regie.api.pagination import KeysetCursorPagination
from regie.cmdb.contract_api import ListFiltersMixin, ScopedOrganisationField, domain_errors
from regie.cmdb.models import ConfigurationItem
from regie.core.models import User
from regie.servicedesk.models import Ticket

from . import services
from .choices import ChangeStatus
from .filters import ChangeFilterSet
from .models import Change, StandardChangeTemplate


class TemplateSerializer(serializers.ModelSerializer):
    implementationSteps = serializers.CharField(source="implementation_steps", read_only=True)
    rollbackPlan = serializers.CharField(source="rollback_plan", read_only=True)
    isActive = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = StandardChangeTemplate
        fields = ["id", "code", "name", "description", "risk", "implementationSteps", "rollbackPlan", "isActive"]
        read_only_fields = fields


class _Scoped(serializers.PrimaryKeyRelatedField):
    model = None

    def get_queryset(self):
        return self.model.objects.for_user(self.context["request"].user)


@extend_schema_field(OpenApiTypes.INT)
class ScopedItemField(_Scoped):
    model = ConfigurationItem


class ScopedPersonField(_Scoped):
    model = User


class ScopedTicketField(_Scoped):
    model = Ticket


class TemplateField(_Scoped):
    model = StandardChangeTemplate


class ChangeApprovalSerializer(serializers.Serializer):
    approver = serializers.IntegerField(source="approver_id")
    decision = serializers.CharField()
    comment = serializers.CharField()
    decidedAt = serializers.DateTimeField(source="decided_at")


class ChangeSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    organisation = ScopedOrganisationField()
    template = TemplateField(required=False, allow_null=True)
    items = ScopedItemField(many=True, write_only=True, help_text=_("The configuration items the change touches."))
    itemIds = serializers.SerializerMethodField()
    requester = ScopedPersonField(required=False)
    owner = ScopedPersonField(required=False)
    ticket = ScopedTicketField(required=False, allow_null=True)
    riskAssessment = serializers.CharField(source="risk_assessment", required=False, allow_blank=True)
    testPlan = serializers.CharField(source="test_plan", required=False, allow_blank=True)
    testResult = serializers.CharField(source="test_result", required=False, allow_blank=True)
    rollbackPlan = serializers.CharField(source="rollback_plan", required=False, allow_blank=True)
    plannedStart = serializers.DateTimeField(source="planned_start", required=False, allow_null=True)
    plannedEnd = serializers.DateTimeField(source="planned_end", required=False, allow_null=True)
    actualStart = serializers.DateTimeField(source="actual_start", read_only=True)
    actualEnd = serializers.DateTimeField(source="actual_end", read_only=True)
    implementationResult = serializers.CharField(source="implementation_result", read_only=True)
    review = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    approval = serializers.CharField(read_only=True)
    reference = serializers.CharField(read_only=True)
    impactSnapshot = serializers.JSONField(source="impact_snapshot", read_only=True)
    approvals = ChangeApprovalSerializer(many=True, read_only=True)
    conflicts = serializers.SerializerMethodField()

    class Meta:
        model = Change
        fields = ["id", "reference", "title", "description", "kind", "template", "status", "approval", "organisation",
                  "items", "itemIds", "requester", "owner", "risk", "riskAssessment", "testPlan", "testResult",
                  "rollbackPlan", "plannedStart", "plannedEnd", "actualStart", "actualEnd", "implementationResult",
                  "review", "ticket", "impactSnapshot", "approvals", "conflicts"]

    def get_itemIds(self, obj) -> list[int]:
        return [link.item_id for link in obj.change_items.all()]

    def get_conflicts(self, obj) -> list[str]:
        """References of the changes (that you may see) touching the same items in an overlapping window."""
        known = self.context.get("conflicts")
        if known is None:
            known = services.conflict_references(self.context["request"].user, [obj])
        return known.get(obj.pk, [])

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.impact_snapshot:
            data["impactSnapshot"] = services.scoped_snapshot(instance.impact_snapshot, self.context["request"].user)
        return data

    def _run(self, instance, validated_data):
        items = validated_data.pop("items", None)
        try:
            return services.save_change(self.context["request"].user, instance, validated_data, items=items)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(domain_errors(exc, self.fields)) from exc

    def create(self, validated_data):
        return self._run(None, validated_data)

    def update(self, instance, validated_data):
        return self._run(instance, validated_data)


class ChangeDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[s for s in ChangeStatus.choices if s[0] in services.TRANSITIONS])
    plannedStart = serializers.DateTimeField(required=False, allow_null=True)
    plannedEnd = serializers.DateTimeField(required=False, allow_null=True)
    at = serializers.DateTimeField(required=False, allow_null=True)
    implementationResult = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    review = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


FIELD_NAMES = {"planned_start": "plannedStart", "planned_end": "plannedEnd", "implementation_result":
               "implementationResult", "risk_assessment": "riskAssessment", "test_plan": "testPlan",
               "test_result": "testResult", "rollback_plan": "rollbackPlan", "actual_end": "at"}


def _api_errors(exc):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return {FIELD_NAMES.get(key, key): value for key, value in errors.items()}


class ChangePagination(KeysetCursorPagination):
    ordering = ("-created_at", "-id")


class ChangeViewSet(ListFiltersMixin, ScopedModelViewSet):
    """Changes to configuration items (standard, normal, emergency), with risk, impact at
    submission, test and rollback plans, planned window, the CAB's decisions and conflicts.
    Create and PATCH (drafts only) are for the provider's change staff."""

    model = Change
    queryset = Change.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = ChangeSerializer
    pagination_class = ChangePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ChangeFilterSet
    select_related = ("organisation",)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("change_items", "approvals")

    def get_serializer(self, *args, **kwargs):
        # A page of changes: their conflicts in one query, not one per change.
        if kwargs.get("many") and args:
            args = (list(args[0]), *args[1:])
            context = self.get_serializer_context()
            context["conflicts"] = services.conflict_references(self.request.user, args[0])
            kwargs["context"] = context
        return super().get_serializer(*args, **kwargs)

    def _refresh(self, change):
        return self.get_queryset().get(pk=change.pk)

    def _decide(self, request, approve):
        change = self.get_object()
        body = ChangeDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            change = services.decide(request.user, change, approve, body.validated_data.get("comment", ""))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_api_errors(exc)) from exc
        return Response(ChangeSerializer(self._refresh(change), context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=ChangeDecisionSerializer, responses={201: ChangeSerializer})
    @action(detail=True, methods=["post"], url_path="approvals", url_name="approvals")
    def approvals(self, request, pk=None):
        """A CAB member approves the change (with an optional comment)."""
        return self._decide(request, True)

    @extend_schema(request=ChangeDecisionSerializer, responses={201: ChangeSerializer})
    @action(detail=True, methods=["post"], url_path="rejections", url_name="rejections")
    def rejections(self, request, pk=None):
        """A CAB member rejects the change; the comment (the reason) is required."""
        return self._decide(request, False)

    @extend_schema(request=StatusChangeSerializer, responses={201: ChangeSerializer})
    @action(detail=True, methods=["post"], url_path="status-changes", url_name="status-changes")
    def status_changes(self, request, pk=None):
        """Move the change on: submitted, scheduled, in_progress, implemented, failed, closed, cancelled."""
        change = self.get_object()
        body = StatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            change = services.transition(
                request.user, change, data["status"], planned_start=data.get("plannedStart"),
                planned_end=data.get("plannedEnd"), at=data.get("at"), result=data.get("implementationResult", ""),
                review=data.get("review", ""), reason=data.get("reason", ""),
            )
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_api_errors(exc)) from exc
        return Response(ChangeSerializer(self._refresh(change), context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)


class TemplatePagination(KeysetCursorPagination):
    ordering = ("name", "id")


class StandardChangeTemplateViewSet(ScopedReadOnlyViewSet):
    """The catalogue of pre-approved standard changes (reference data)."""

    model = StandardChangeTemplate
    queryset = StandardChangeTemplate.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = TemplateSerializer
    pagination_class = TemplatePagination


# Registered on the API v1 router in regie/api/urls.py.
ROUTES = [
    ("changes", ChangeViewSet, "change"),
    ("standard-change-templates", StandardChangeTemplateViewSet, "standard-change-template"),
]
