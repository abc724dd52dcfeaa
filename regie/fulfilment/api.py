"""API v1 of request fulfilment: /request-types (the catalogue), /service-requests (submit
and read, with the NLGov action sub-resources `approvals`, `rejections` and
`cost-acceptances`), /approvals (read; `?waiting=true` for "waiting for me") and
/fulfilment-tasks (the provider's agents; action `completions`)."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from regie.api.base import ScopedReadOnlyViewSet, ScopedViewSetMixin, StrictFieldsMixin
from regie.api.pagination import KeysetCursorPagination

from . import services
from .choices import Decision
from .models import Approval, FulfilmentTask, RequestType, ServiceRequest


class RequestTypeSerializer(serializers.ModelSerializer):
    approvalSteps = serializers.JSONField(source="approval_steps", read_only=True)
    taskTemplates = serializers.JSONField(source="task_templates", read_only=True)
    extraCost = serializers.BooleanField(source="extra_cost", read_only=True)
    outOfScope = serializers.BooleanField(source="out_of_scope", read_only=True)
    outOfScopeText = serializers.CharField(source="out_of_scope_text", read_only=True)
    providerDoes = serializers.SerializerMethodField()

    class Meta:
        model = RequestType
        fields = ["id", "code", "name", "group", "description", "service", "fields", "approvalSteps",
                  "taskTemplates", "rule", "extraCost", "outOfScope", "outOfScopeText", "providerDoes"]
        read_only_fields = fields

    def get_providerDoes(self, obj) -> str:
        return obj.service.provider_does if obj.out_of_scope and obj.service_id else ""


class ApprovalSerializer(serializers.ModelSerializer):
    request = serializers.IntegerField(source="request_id", read_only=True)
    approver = serializers.IntegerField(source="approver_id", read_only=True, allow_null=True)
    approverRole = serializers.CharField(source="approver_role", read_only=True)
    delegatedFrom = serializers.IntegerField(source="delegated_from_id", read_only=True, allow_null=True)
    decidedBy = serializers.IntegerField(source="decided_by_id", read_only=True, allow_null=True)
    decidedAt = serializers.DateTimeField(source="decided_at", read_only=True)
    requestedAt = serializers.DateTimeField(source="requested_at", read_only=True)

    class Meta:
        model = Approval
        fields = ["id", "request", "position", "step", "approver", "approverRole", "delegatedFrom", "decision",
                  "comment", "decidedBy", "decidedAt", "requestedAt"]
        read_only_fields = fields


class TaskSerializer(serializers.ModelSerializer):
    request = serializers.IntegerField(source="request_id", read_only=True)
    team = serializers.IntegerField(source="team_id", read_only=True, allow_null=True)
    assignee = serializers.IntegerField(source="assignee_id", read_only=True, allow_null=True)
    doneBy = serializers.IntegerField(source="done_by_id", read_only=True, allow_null=True)
    doneAt = serializers.DateTimeField(source="done_at", read_only=True)

    class Meta:
        model = FulfilmentTask
        fields = ["id", "request", "position", "title", "team", "assignee", "status", "note", "doneBy", "doneAt"]
        read_only_fields = fields


def _public_values(values):
    """The submitted values, with an attached file's content left out (only name and size)."""
    return {name: ({k: v for k, v in value.items() if k != "content"} if isinstance(value, dict) else value)
            for name, value in (values or {}).items()}


class ServiceRequestSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    requestType = serializers.SlugRelatedField(
        source="request_type", slug_field="code", queryset=RequestType.objects.unrestricted().filter(is_active=True),
        help_text="The code of the request type (see /request-types).")
    values = serializers.JSONField(help_text="The form's values by field name, as the request type declares them; "
                                             "a file as {\"name\": …, \"content\": base64}.")
    reference = serializers.CharField(source="ticket.reference", read_only=True)
    ticket = serializers.CharField(source="ticket.reference", read_only=True)
    requester = serializers.IntegerField(source="requester_id", read_only=True)
    organisation = serializers.IntegerField(source="organisation_id", read_only=True)
    grantedQuotaGb = serializers.IntegerField(source="granted_quota_gb", read_only=True, allow_null=True)
    frameworkContract = serializers.IntegerField(source="framework_contract_id", read_only=True, allow_null=True)
    costAcceptedBy = serializers.IntegerField(source="cost_accepted_by_id", read_only=True, allow_null=True)
    costAcceptedAt = serializers.DateTimeField(source="cost_accepted_at", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    completedAt = serializers.DateTimeField(source="completed_at", read_only=True)
    approvals = ApprovalSerializer(many=True, read_only=True)
    tasks = TaskSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceRequest
        fields = ["id", "reference", "ticket", "requestType", "values", "requester", "organisation", "status",
                  "outcome", "grantedQuotaGb", "frameworkContract", "costAcceptedBy", "costAcceptedAt", "createdAt",
                  "completedAt", "approvals", "tasks"]
        read_only_fields = ["status", "outcome"]

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["values"] = _public_values(instance.values)
        return data

    def validate_values(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("Give the values as an object by field name."))
        return value

    def create(self, validated_data):
        request_type = validated_data["request_type"]
        try:
            return services.submit_request(self.context["request"].user, request_type, validated_data["values"])
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_errors(exc, request_type)) from exc


def _errors(exc, request_type=None):
    declared = {spec["name"] for spec in request_type.fields} if request_type else set()
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    out, values = {}, {}
    for name, messages in errors.items():
        if name in declared:
            values[name] = messages
        else:
            out["non_field_errors" if name == "__all__" else name] = messages
    if values:
        out["values"] = values
    return out


class DecisionSerializer(serializers.Serializer):
    approval = serializers.IntegerField(required=False, help_text="The approval decided; default: yours now waiting.")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CostDecisionSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class CompletionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def _run(call):
    try:
        return call()
    except DjangoPermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc
    except DjangoValidationError as exc:
        raise serializers.ValidationError(_errors(exc)) from exc


class CreatedPagination(KeysetCursorPagination):
    ordering = ("-created_at", "-id")


class NamePagination(KeysetCursorPagination):
    ordering = ("name", "id")


class PositionPagination(KeysetCursorPagination):
    ordering = ("id",)


class RequestTypeViewSet(ScopedReadOnlyViewSet):
    """The request catalogue: each type's form fields, approval chain, tasks and rule."""

    model = RequestType
    queryset = RequestType.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = RequestTypeSerializer
    pagination_class = NamePagination
    select_related = ("service",)


class ServiceRequestViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Service requests: submit one (POST, validated against its type's form and rule) and
    read them with their approvals and tasks. Each request is also a call (`reference`)."""

    model = ServiceRequest
    queryset = ServiceRequest.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = ServiceRequestSerializer
    pagination_class = CreatedPagination
    select_related = ("ticket", "request_type")
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        from django.db.models import Prefetch

        return super().get_queryset().prefetch_related(
            Prefetch("approvals", Approval.all_objects.all()), Prefetch("tasks", FulfilmentTask.all_objects.all()))

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._refreshed(serializer.save())

    def _refreshed(self, request_obj, code=status.HTTP_201_CREATED):
        fresh = self.get_queryset().get(pk=request_obj.pk)
        return Response(ServiceRequestSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def _approval(self, request, service_request, approval_id):
        approvals = Approval.all_objects.filter(request=service_request)
        if approval_id is not None:
            approval = approvals.filter(pk=approval_id).first()
            if approval is None:
                raise exceptions.NotFound()
            return approval
        waiting = services.waiting_approvals(request.user).filter(request=service_request).first()
        if waiting is not None:
            return waiting
        decided = approvals.exclude(decision=Decision.PENDING).filter(decided_by=request.user).first()
        if decided is not None:
            return decided  # the service refuses the second decision with its reason
        raise exceptions.PermissionDenied(_("You are not an approver of this request now."))

    def _decide(self, request, approve):
        service_request = self.get_object()
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        approval = self._approval(request, service_request, body.validated_data.get("approval"))
        _run(lambda: services.decide(request.user, approval, approve, body.validated_data.get("comment", "")))
        return self._refreshed(service_request)

    @extend_schema(request=DecisionSerializer, responses={201: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], url_path="approvals", url_name="approvals")
    def approvals(self, request, pk=None):
        """The approver (or their delegate) approves their step, with an optional comment."""
        return self._decide(request, True)

    @extend_schema(request=DecisionSerializer, responses={201: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], url_path="rejections", url_name="rejections")
    def rejections(self, request, pk=None):
        """The approver rejects; the comment (the reason) is required and closes the request."""
        return self._decide(request, False)

    @extend_schema(request=CostDecisionSerializer, responses={201: ServiceRequestSerializer})
    @action(detail=True, methods=["post"], url_path="cost-acceptances", url_name="cost-acceptances")
    def cost_acceptances(self, request, pk=None):
        """An authorised person of the participant accepts (or declines, with a reason) extra-cost work."""
        service_request = self.get_object()
        body = CostDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        _run(lambda: services.accept_cost(request.user, service_request, body.validated_data["accept"],
                                          body.validated_data.get("comment", "")))
        return self._refreshed(service_request)


class ApprovalViewSet(ScopedReadOnlyViewSet):
    """Approvals of the requests you may see; `?waiting=true`: those waiting for you now."""

    model = Approval
    queryset = Approval.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = ApprovalSerializer
    pagination_class = PositionPagination

    def get_queryset(self):
        user = self.request.user
        if not services.may_view(user):
            return Approval.objects.none()
        if self.request.query_params.get("waiting") == "true":
            return services.waiting_approvals(user)
        return Approval.all_objects.filter(request__in=ServiceRequest.objects.for_user(user).values("pk"))

    @extend_schema(parameters=[OpenApiParameter("waiting", bool, description="Only those waiting for you now.")])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class FulfilmentTaskViewSet(ScopedReadOnlyViewSet):
    """The provider's fulfilment tasks; `completions` marks one done (the last one fulfils the request)."""

    model = FulfilmentTask
    queryset = FulfilmentTask.objects.none()
    view_permission = "fulfilment.view_fulfilmenttask"
    serializer_class = TaskSerializer
    pagination_class = PositionPagination

    @extend_schema(request=CompletionSerializer, responses={201: TaskSerializer})
    @action(detail=True, methods=["post"], url_path="completions", url_name="completions")
    def completions(self, request, pk=None):
        task = self.get_object()
        body = CompletionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = _run(lambda: services.complete_task(request.user, task, body.validated_data.get("note", "")))
        return Response(TaskSerializer(task).data, status=status.HTTP_201_CREATED)
