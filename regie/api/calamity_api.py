"""/api/v1/calamities: the calamity procedure (agreement §5.2, appendix 1) through the API.

Every write goes through the services in regie/servicedesk/calamity.py, so the rules are
the UI's. Visibility is the UI's too (`Calamity.objects.for_user`): provider staff see all;
a participant's account manager or representative sees, read only, the calamities that
affect their organisation, and of those only what concerns them (never the decision log,
the crisis team or the linked calls; only the communication with their own organisation).
Anyone else gets a 404.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from regie.core.models import Organisation, User
from regie.servicedesk import calamity as rules
from regie.servicedesk.calamity_models import (
    Calamity,
    CalamityCommunication,
    CalamityDecision,
    CalamityKind,
    CalamityPhase,
    CalamityStatus,
    CommunicationChannel,
    DecisionType,
    TriageResult,
)
from regie.servicedesk.models import Ticket
from regie.servicedesk.services import is_agent

from .base import StrictFieldsMixin
from .pagination import KeysetCursorPagination
from .serializers import _domain_errors

# --- serializers --------------------------------------------------------------------------------


class CalamityPhaseSerializer(serializers.ModelSerializer):
    completedBy = serializers.PrimaryKeyRelatedField(source="completed_by", read_only=True)
    completedAt = serializers.DateTimeField(source="completed_at", read_only=True)

    class Meta:
        model = CalamityPhase
        fields = ["id", "phase", "position", "completedBy", "completedAt", "notes"]
        read_only_fields = fields


class EvaluationSerializer(StrictFieldsMixin, serializers.Serializer):
    whatHappened = serializers.CharField(source="evaluation_what_happened", max_length=20_000)
    cause = serializers.CharField(source="evaluation_cause", max_length=20_000)
    wentWell = serializers.CharField(source="evaluation_went_well", max_length=20_000)
    improvements = serializers.CharField(source="evaluation_improvements", max_length=20_000)


class CalamitySerializer(serializers.ModelSerializer):
    declaredBy = serializers.PrimaryKeyRelatedField(source="declared_by", read_only=True)
    declaredAt = serializers.DateTimeField(source="declared_at", read_only=True)
    affectedParticipants = serializers.PrimaryKeyRelatedField(
        source="affected_participants", many=True, read_only=True,
    )
    crisisTeam = serializers.PrimaryKeyRelatedField(
        source="crisis_team", many=True, read_only=True, help_text=gettext_lazy("Provider staff only; empty for "
                                                                                "participants."),
    )
    triage = serializers.PrimaryKeyRelatedField(read_only=True)
    updateIntervalMinutes = serializers.IntegerField(source="update_interval_minutes", read_only=True)
    nextUpdateAt = serializers.SerializerMethodField(
        help_text=gettext_lazy("When the affected participants get their next scheduled update (open calamities)."),
    )
    closedAt = serializers.DateTimeField(source="closed_at", read_only=True)
    closedBy = serializers.PrimaryKeyRelatedField(source="closed_by", read_only=True)
    phases = CalamityPhaseSerializer(many=True, read_only=True,
                                     help_text=gettext_lazy("A virus outbreak's checklist (§4.7.1), in order."))
    evaluation = serializers.SerializerMethodField(help_text=gettext_lazy("Set at closure."))

    class Meta:
        model = Calamity
        fields = ["id", "title", "description", "kind", "status", "declaredBy", "declaredAt", "triage",
                  "affectedParticipants", "crisisTeam", "updateIntervalMinutes", "nextUpdateAt", "phases",
                  "closedAt", "closedBy", "evaluation"]
        read_only_fields = fields

    def get_nextUpdateAt(self, calamity) -> str | None:
        moment = rules.next_update_at(calamity)
        return serializers.DateTimeField().to_representation(moment) if moment else None

    def get_evaluation(self, calamity) -> dict | None:
        if calamity.closed_at is None:
            return None
        return EvaluationSerializer(calamity).data

    def to_representation(self, calamity):
        data = super().to_representation(calamity)
        request = self.context.get("request")
        if request is None or not is_agent(request.user):
            data["crisisTeam"] = []
            data["triage"] = None
        return data


class ParticipantsField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return rules.organisations_for_choice()


class ProviderStaffField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return User.objects.unrestricted().filter(organisation__kind="provider", is_active=True)


class CalamityCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    title = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=CalamityKind.choices, default=CalamityKind.GENERAL)
    description = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    ticket = serializers.CharField(
        required=False, max_length=20,
        help_text=gettext_lazy("Reference of the call it is declared from: linked, and its organisation affected."),
    )
    triage = serializers.IntegerField(
        source="triage_result", required=False,
        help_text=gettext_lazy("The call's decision-tree result that led here (GET on the call's triages)."),
    )
    affectedParticipants = ParticipantsField(
        source="affected_participants", many=True, required=False, pk_field=serializers.IntegerField(),
    )
    crisisTeam = ProviderStaffField(
        source="crisis_team", many=True, required=False, pk_field=serializers.IntegerField(),
        help_text=gettext_lazy("Provider staff; you are added yourself."),
    )
    updateIntervalMinutes = serializers.IntegerField(
        source="update_interval_minutes", default=60, max_value=24 * 60,
        help_text=gettext_lazy("Scheduled updates to the affected participants, at least 5 minutes apart."),
    )


class CalamityDecisionSerializer(serializers.ModelSerializer):
    decisionType = serializers.CharField(source="decision_type", read_only=True)
    decidedBy = serializers.PrimaryKeyRelatedField(source="decided_by", read_only=True)
    decidedAt = serializers.DateTimeField(source="decided_at", read_only=True)
    shutDown = serializers.BooleanField(source="is_flagged", read_only=True,
                                        help_text=gettext_lazy("A decision to shut part of the infrastructure down."))

    class Meta:
        model = CalamityDecision
        fields = ["id", "decisionType", "decision", "decidedBy", "decidedAt", "shutDown"]
        read_only_fields = fields


class CalamityDecisionCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    decisionType = serializers.ChoiceField(source="decision_type", choices=DecisionType.choices,
                                           default=DecisionType.GENERAL)
    decision = serializers.CharField(max_length=20_000)


class CalamityCommunicationSerializer(serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    sentBy = serializers.PrimaryKeyRelatedField(source="sent_by", read_only=True,
                                                help_text=gettext_lazy("Empty for a scheduled update."))
    sentAt = serializers.DateTimeField(source="sent_at", read_only=True)
    scheduledSlot = serializers.DateTimeField(
        source="scheduled_slot", read_only=True,
        help_text=gettext_lazy("Set for the scheduled updates Regie sends at the calamity's interval."),
    )

    class Meta:
        model = CalamityCommunication
        fields = ["id", "organisation", "channel", "contacts", "message", "sentBy", "sentAt", "scheduledSlot"]
        read_only_fields = fields


class CalamityCommunicationCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.none(), pk_field=serializers.IntegerField(),
        help_text=gettext_lazy("One of the affected participants."),
    )
    channel = serializers.ChoiceField(choices=CommunicationChannel.choices)
    message = serializers.CharField(max_length=20_000)
    contacts = serializers.CharField(required=False, allow_blank=True, max_length=500)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any participant here; the service says whether it is an affected one (with its own message).
        self.fields["organisation"].queryset = rules.organisations_for_choice()


class LinkedCallSerializer(serializers.ModelSerializer):
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Ticket
        fields = ["reference", "title", "status", "organisation"]
        read_only_fields = fields


class LinkCallSerializer(StrictFieldsMixin, serializers.Serializer):
    reference = serializers.CharField(max_length=20, help_text=gettext_lazy("The call to link, e.g. VNL-2026-000123."))


OPEN_STATUS_CHOICES = [(value, label) for value, label in CalamityStatus.choices if value != CalamityStatus.CLOSED]


class CalamityStatusSerializer(StrictFieldsMixin, serializers.Serializer):
    status = serializers.ChoiceField(
        choices=OPEN_STATUS_CHOICES,
        help_text=gettext_lazy("Only forward; close through /close with an evaluation."),
    )


def _page_serializer(name, item):
    return type(name, (serializers.Serializer,), {
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": item(many=True),
    })


CalamityDecisionPageSerializer = _page_serializer("CalamityDecisionPage", CalamityDecisionSerializer)
CalamityCommunicationPageSerializer = _page_serializer("CalamityCommunicationPage", CalamityCommunicationSerializer)
LinkedCallPageSerializer = _page_serializer("LinkedCallPage", LinkedCallSerializer)


# --- the viewset ----------------------------------------------------------------------------------


class CalamityPagination(KeysetCursorPagination):
    ordering = ("-declared_at", "-id")


class NestedPagination(KeysetCursorPagination):
    def get_ordering(self, request, queryset, view):
        return tuple(self.ordering)


STATUS_PARAMETER = OpenApiParameter(
    "status", str, enum=["open", *CalamityStatus.values],
    description="`open` for every calamity not yet closed, or one status.",
)
CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", str, description="Opaque cursor from `next` or `previous`."),
    OpenApiParameter("pageSize", int, description="Rows per page (at most 100)."),
]


class CalamityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                      viewsets.GenericViewSet):
    """Calamities (§5.2): declared by the service desk, read by the affected participants'
    account managers and representatives."""

    serializer_class = CalamitySerializer
    queryset = Calamity.objects.none()  # for schema generation; requests use get_queryset()
    pagination_class = CalamityPagination
    filter_backends = []

    def get_queryset(self):
        queryset = Calamity.objects.for_user(self.request.user).select_related(
            "declared_by", "closed_by",
        ).prefetch_related("affected_participants", "crisis_team", "phases")
        status = self.request.query_params.get("status")
        if status == "open":
            queryset = queryset.exclude(status=CalamityStatus.CLOSED)
        elif status in CalamityStatus.values:
            queryset = queryset.filter(status=status)
        elif status:
            raise serializers.ValidationError({"status": [_("Use open or one of the statuses.")]})
        return queryset

    def _staff(self):
        return is_agent(self.request.user)

    def _require_staff_to_write(self):
        if not self._staff():
            raise exceptions.PermissionDenied(_("Only the provider's service desk staff handle calamities."))

    def _staff_only_part(self):
        # The part exists only for the provider: a participant must not even learn of it.
        if not self._staff():
            raise exceptions.NotFound()

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer

    def _domain(self, run, serializer=None):
        try:
            return run()
        except DjangoValidationError as exc:
            errors = _domain_errors(exc, serializer.fields if serializer is not None else {})
            if "__all__" in errors:
                errors["non_field_errors"] = errors.pop("__all__")
            raise serializers.ValidationError(errors) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc) or None) from exc

    def _page(self, queryset, serializer_class, ordering):
        paginator = NestedPagination()
        paginator.ordering = ordering
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        return paginator.get_paginated_response(
            serializer_class(page, many=True, context=self.get_serializer_context()).data
        )

    def _detail(self, calamity, status=200, headers=None):
        fresh = self.get_queryset().get(pk=calamity.pk)
        return Response(self.get_serializer(fresh).data, status=status, headers=headers)

    @extend_schema(parameters=[STATUS_PARAMETER])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(summary="Declare a calamity (service desk)", request=CalamityCreateSerializer,
                   responses={201: CalamitySerializer},
                   description="From a call (`ticket`: it is linked and its organisation affected; optionally "
                               "with the call's decision-tree result `triage`) or standalone. A virus outbreak "
                               "gets the four phases of §4.7.1 as its checklist.")
    def create(self, request, *args, **kwargs):
        self._require_staff_to_write()
        serializer = self._input(CalamityCreateSerializer)
        data = dict(serializer.validated_data)
        reference = (data.pop("ticket", "") or "").strip().upper()
        triage_id = data.pop("triage_result", None)
        ticket = triage_result = None
        if reference:
            ticket = Ticket.objects.for_user(request.user).filter(reference=reference).first()
            if ticket is None:
                raise serializers.ValidationError({"ticket": [_("There is no call with that reference.")]})
        if triage_id is not None:
            triage_result = TriageResult.objects.filter(pk=triage_id, ticket=ticket).first() if ticket else None
            if triage_result is None:
                raise serializers.ValidationError({"triage": [_("This triage does not belong to the call given.")]})
        calamity = self._domain(lambda: rules.declare(
            request.user, ticket=ticket, triage_result=triage_result, **data), serializer)
        location = reverse("api:calamity-detail", kwargs={"pk": calamity.pk}, request=request)
        return self._detail(calamity, status=201, headers={"Location": location})

    # --- the decision log (provider staff only) ---------------------------------------------

    @extend_schema(methods=["GET"], operation_id="calamities_decisions_list", summary="The decision log",
                   parameters=CURSOR_PARAMETERS, responses={200: CalamityDecisionPageSerializer},
                   description="Provider staff only (404 for participants). Oldest first.")
    @extend_schema(methods=["POST"], summary="Log a decision", request=CalamityDecisionCreateSerializer,
                   responses={201: CalamityDecisionSerializer},
                   description="`shut_down` flags a decision to shut part of the infrastructure down.")
    @action(detail=True, methods=["get", "post"], url_path="decisions", url_name="decisions")
    def decisions(self, request, pk=None):
        calamity = self.get_object()
        self._staff_only_part()
        if request.method == "GET":
            return self._page(calamity.decisions.all(), CalamityDecisionSerializer, ("decided_at", "id"))
        serializer = self._input(CalamityDecisionCreateSerializer)
        decision = self._domain(lambda: rules.add_decision(request.user, calamity, **serializer.validated_data),
                                serializer)
        return Response(CalamityDecisionSerializer(decision).data, status=201)

    # --- the communication log and the scheduled updates ------------------------------------

    @extend_schema(methods=["GET"], operation_id="calamities_communications_list",
                   summary="The communication log (with the scheduled updates)", parameters=CURSOR_PARAMETERS,
                   responses={200: CalamityCommunicationPageSerializer},
                   description="Oldest first. A participant's contact sees only what was told to their own "
                               "organisation. Scheduled updates carry `scheduledSlot`; the next is the "
                               "calamity's `nextUpdateAt`.")
    @extend_schema(methods=["POST"], summary="Log communication with an affected participant",
                   request=CalamityCommunicationCreateSerializer, responses={201: CalamityCommunicationSerializer})
    @action(detail=True, methods=["get", "post"], url_path="communications", url_name="communications")
    def communications(self, request, pk=None):
        calamity = self.get_object()
        if request.method == "GET":
            queryset = calamity.communications.all()
            if not self._staff():
                queryset = queryset.filter(organisation_id=request.user.organisation_id)
            return self._page(queryset, CalamityCommunicationSerializer, ("sent_at", "id"))
        self._require_staff_to_write()
        serializer = self._input(CalamityCommunicationCreateSerializer)
        entry = self._domain(lambda: rules.add_communication(request.user, calamity, **serializer.validated_data),
                             serializer)
        return Response(CalamityCommunicationSerializer(entry).data, status=201)

    # --- linked calls (provider staff only) ---------------------------------------------------

    @extend_schema(methods=["GET"], operation_id="calamities_incidents_list", summary="Linked calls",
                   parameters=CURSOR_PARAMETERS, responses={200: LinkedCallPageSerializer},
                   description="Provider staff only (404 for participants).")
    @extend_schema(methods=["POST"], summary="Link a call", request=LinkCallSerializer,
                   responses={201: LinkedCallSerializer},
                   description="Its organisation becomes an affected participant.")
    @action(detail=True, methods=["get", "post"], url_path="incidents", url_name="incidents")
    def incidents(self, request, pk=None):
        calamity = self.get_object()
        self._staff_only_part()
        if request.method == "GET":
            return self._page(rules.linked_incidents(calamity, request.user), LinkedCallSerializer,
                              ("created_at", "id"))
        serializer = self._input(LinkCallSerializer)
        reference = serializer.validated_data["reference"].strip().upper()
        ticket = Ticket.objects.for_user(request.user).filter(reference=reference).first()
        if ticket is None:
            raise serializers.ValidationError({"reference": [_("There is no call with that reference.")]})
        self._domain(lambda: rules.link_incident(request.user, calamity, ticket), serializer)
        return Response(LinkedCallSerializer(ticket).data, status=201)

    # --- status and closure ----------------------------------------------------------------------

    @extend_schema(summary="Move the status forward (declared → in progress → recovering)",
                   request=CalamityStatusSerializer,
                   responses={200: CalamitySerializer})
    @action(detail=True, methods=["post"], url_path="status-changes", url_name="status-changes")
    def status_changes(self, request, pk=None):
        calamity = self.get_object()
        self._require_staff_to_write()
        serializer = self._input(CalamityStatusSerializer)
        self._domain(lambda: rules.set_status(request.user, calamity, serializer.validated_data["status"]),
                     serializer)
        return self._detail(calamity)

    @extend_schema(summary="Close with the evaluation", request=EvaluationSerializer,
                   responses={200: CalamitySerializer},
                   description="All four parts of the evaluation are required; a virus outbreak's phases must "
                               "all be completed first.")
    @action(detail=True, methods=["post"], url_path="close", url_name="close")
    def close(self, request, pk=None):
        calamity = self.get_object()
        self._require_staff_to_write()
        serializer = self._input(EvaluationSerializer)
        self._domain(lambda: rules.close(request.user, calamity, **serializer.validated_data), serializer)
        return self._detail(calamity)
