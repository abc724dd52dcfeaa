"""API v1: the agreement's versions (/api/v1/agreement-versions, read-only, with their
signatories) and change proposals (/api/v1/agreement-proposals) with their NLGov action
sub-resources: `consents` and `refusals` (a representative's decision) and `status-changes`
(open for consent, withdraw). The agreement is common to all parties: whoever holds
agreement.view_agreement reads it all; others see nothing."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from regie.api.base import ScopedReadOnlyViewSet, ScopedViewSetMixin, StrictFieldsMixin
from regie.api.pagination import KeysetCursorPagination
from regie.cmdb.contract_api import domain_errors

from . import services
from .choices import ProposalStatus
from .models import VIEW_PERMISSION, AgreementVersion, ChangeProposal


class _PartyMixin:
    """Names of other participants and their people only for those who may see them."""

    def _visible(self, obj):
        return services.party_visible(self.context["request"].user, obj.organisation_id, obj.organisation.kind)

    def get_organisation(self, obj) -> int | None:
        return obj.organisation_id if self._visible(obj) else None

    def get_organisationName(self, obj) -> str:
        return services.party_label(self.context["request"].user, obj.organisation)

    def get_person(self, obj) -> int | None:
        return obj.person_id if self._visible(obj) else None


class SignatorySerializer(_PartyMixin, serializers.Serializer):
    organisation = serializers.SerializerMethodField()
    organisationName = serializers.SerializerMethodField()
    person = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    signed = serializers.BooleanField()
    signedOn = serializers.DateField(source="signed_on", allow_null=True)

    def get_name(self, obj) -> str:
        return obj.name if self._visible(obj) else ""


class AgreementVersionSerializer(serializers.ModelSerializer):
    agreement = serializers.IntegerField(source="agreement_id", read_only=True)
    agreementTitle = serializers.CharField(source="agreement.title", read_only=True)
    effectiveDate = serializers.DateField(source="effective_date", read_only=True)
    proposal = serializers.IntegerField(source="source_proposal_id", read_only=True, allow_null=True)
    documentName = serializers.CharField(source="document_name", read_only=True)
    signatories = SignatorySerializer(many=True, read_only=True)

    class Meta:
        model = AgreementVersion
        fields = ["id", "agreement", "agreementTitle", "number", "effectiveDate", "summary", "text", "proposal",
                  "documentName", "signatories"]
        read_only_fields = fields


class ConsentSerializer(_PartyMixin, serializers.Serializer):
    organisation = serializers.SerializerMethodField()
    organisationName = serializers.SerializerMethodField()
    person = serializers.SerializerMethodField()
    decision = serializers.CharField()
    reason = serializers.SerializerMethodField()
    decidedAt = serializers.DateTimeField(source="decided_at")

    def get_reason(self, obj) -> str:
        return services.consent_reason(self.context["request"].user, obj)


class ChangeProposalSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    reference = serializers.CharField(read_only=True)
    changes = serializers.CharField(help_text=_("What changes: the changed clauses, described or quoted."))
    reason = serializers.CharField(help_text=_("Why the agreement should change."))
    proposedText = serializers.CharField(source="proposed_text", required=False, allow_blank=True)
    status = serializers.CharField(read_only=True)
    proposer = serializers.SerializerMethodField()
    baseVersion = serializers.IntegerField(source="base_version_id", read_only=True, allow_null=True)
    resultingVersion = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    openedAt = serializers.DateTimeField(source="opened_at", read_only=True)
    closedAt = serializers.DateTimeField(source="closed_at", read_only=True)
    consents = ConsentSerializer(many=True, read_only=True)
    consentsGiven = serializers.SerializerMethodField()
    consentsRequired = serializers.SerializerMethodField()
    pending = serializers.SerializerMethodField()

    class Meta:
        model = ChangeProposal
        fields = ["id", "reference", "title", "changes", "reason", "proposedText", "status", "proposer",
                  "baseVersion", "resultingVersion", "createdAt", "openedAt", "closedAt", "consents",
                  "consentsGiven", "consentsRequired", "pending"]

    def _progress(self, obj):
        known = self.context.get("progress") or {}
        if obj.pk not in known:
            known[obj.pk] = services.ConsentProgress(obj)
            self.context["progress"] = known
        return known[obj.pk]

    def get_resultingVersion(self, obj) -> int | None:
        try:
            return obj.resulting_version.pk
        except AgreementVersion.DoesNotExist:
            return None

    def get_proposer(self, obj) -> str:
        return services.proposer_label(self.context["request"].user, obj)

    def get_consentsGiven(self, obj) -> int:
        return self._progress(obj).consented

    def get_consentsRequired(self, obj) -> int:
        return self._progress(obj).required

    def get_pending(self, obj) -> list[str]:
        """The participants (and their representatives) who still have to decide."""
        if obj.status != ProposalStatus.OPEN:
            return []
        return self._progress(obj).pending_names(self.context["request"].user)

    def create(self, validated_data):
        request = self.context["request"]
        try:
            return services.propose(request.user, services.current_agreement(), validated_data)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            raise serializers.ValidationError(domain_errors(exc, self.fields)) from exc


class RefusalSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                   help_text=_("Why the participant declines (required)."))


class ProposalStatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[ProposalStatus.OPEN, ProposalStatus.WITHDRAWN])


class VersionPagination(KeysetCursorPagination):
    ordering = ("-number", "-id")


class ProposalPagination(KeysetCursorPagination):
    ordering = ("-created_at", "-id")


class AgreementVersionViewSet(ScopedReadOnlyViewSet):
    """The versions of the service agreement (DVO), newest first, with their signatories."""

    model = AgreementVersion
    queryset = AgreementVersion.objects.none()
    view_permission = VIEW_PERMISSION
    serializer_class = AgreementVersionSerializer
    pagination_class = VersionPagination
    select_related = ("agreement",)

    def get_queryset(self):
        return super().get_queryset().prefetch_related("signatories__organisation")


class ChangeProposalViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                            mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Change proposals of the agreement with their consents and who still has to consent.
    POST creates a draft (provider staff with agreement.add_changeproposal, or a participant's
    representative); a proposal takes effect only when every participant's representative consented."""

    model = ChangeProposal
    queryset = ChangeProposal.objects.none()
    view_permission = VIEW_PERMISSION
    serializer_class = ChangeProposalSerializer
    pagination_class = ProposalPagination
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("resulting_version", "proposer__organisation").prefetch_related(
            "consents__organisation")

    def get_serializer(self, *args, **kwargs):
        # A page of proposals: their consent progress in two queries, not per proposal.
        if kwargs.get("many") and args:
            args = (list(args[0]), *args[1:])
            context = self.get_serializer_context()
            context["progress"] = services.progress_for(args[0])
            kwargs["context"] = context
        return super().get_serializer(*args, **kwargs)

    def _respond(self, proposal):
        proposal = self.get_queryset().get(pk=proposal.pk)
        return Response(ChangeProposalSerializer(proposal, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    def _run(self, function, *args):
        try:
            return function(self.request.user, *args)
        except DjangoPermissionDenied as exc:
            # Not yours to steer: as elsewhere in Regie, 404 rather than 403.
            raise exceptions.NotFound() from exc
        except DjangoValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            raise serializers.ValidationError(errors) from exc

    @extend_schema(request=None, responses={201: ChangeProposalSerializer})
    @action(detail=True, methods=["post"], url_path="consents", url_name="consents")
    def consents(self, request, pk=None):
        """The representative of a participant consents; the last consent makes the change effective."""
        return self._respond(self._run(services.consent, self.get_object()))

    @extend_schema(request=RefusalSerializer, responses={201: ChangeProposalSerializer})
    @action(detail=True, methods=["post"], url_path="refusals", url_name="refusals")
    def refusals(self, request, pk=None):
        """The representative of a participant declines, with a reason; the proposal is rejected."""
        proposal = self.get_object()
        self._run(services.check_may_decide, proposal)  # before the body is read: the reason first
        body = RefusalSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(self._run(services.decline, proposal, body.validated_data.get("reason", "")))

    @extend_schema(request=ProposalStatusChangeSerializer, responses={201: ChangeProposalSerializer})
    @action(detail=True, methods=["post"], url_path="status-changes", url_name="status-changes")
    def status_changes(self, request, pk=None):
        """Open a draft for consent (the representatives are told) or withdraw a draft or open proposal."""
        proposal = self.get_object()
        if not services.may_steer(request.user, proposal):
            raise exceptions.NotFound()
        body = ProposalStatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        function = services.open_for_consent if body.validated_data["status"] == ProposalStatus.OPEN \
            else services.withdraw
        return self._respond(self._run(function, proposal))
