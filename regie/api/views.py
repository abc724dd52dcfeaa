from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.renderers import OpenApiJsonRenderer2
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import exceptions, filters, mixins, serializers, viewsets
from rest_framework.decorators import action, api_view, permission_classes
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.reverse import reverse

from regie.core.models import Organisation, User
from regie.servicedesk import conversation, escalation, portal, services, time_entries
from regie.servicedesk.filtersets import TicketFilterSet
from regie.servicedesk.models import Attachment, CannedResponse, Ticket, TicketMessage, TimeEntry

from .base import ScopedModelViewSet, ScopedReadOnlyViewSet
from .pagination import KeysetCursorPagination
from .problems import problem_response
from .serializers import (
    AttachmentPageSerializer,
    AttachmentSerializer,
    AttachmentUploadResultSerializer,
    AttachmentUploadSerializer,
    CannedResponseSerializer,
    EscalationCreateSerializer,
    EscalationPageSerializer,
    EscalationSerializer,
    OrganisationSerializer,
    PersonSerializer,
    ReopenSerializer,
    TicketMessageCreateSerializer,
    TicketMessagePageSerializer,
    TicketMessageSerializer,
    TicketSerializer,
    TimeEntryCreateSerializer,
    TimeEntrySerializer,
    TimeSheetSerializer,
    TransferCreateSerializer,
    TransferSerializer,
    _domain_errors,
)


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = gettext_lazy("Conflict")
    default_code = "conflict"


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_detail = gettext_lazy("The call has changed since you read it (If-Match). Read it again and retry.")
    default_code = "precondition_failed"


class DownloadRenderer(BaseRenderer):
    """Lets a file download answer whatever the client accepts (the body is the file itself)."""

    media_type = "*/*"
    format = "download"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


def if_match_versions(request):
    """The versions named in If-Match ("7", W/"7", a list), None without the header, or
    "*" for any. A tag that is not a version matches nothing."""
    header = request.headers.get("If-Match")
    if header is None:
        return None
    if header.strip() == "*":
        return "*"
    versions = set()
    for tag in header.split(","):
        tag = tag.strip().removeprefix("W/").strip('"')
        if tag.isdigit():
            versions.add(int(tag))
    return versions


IF_MATCH_PARAMETER = OpenApiParameter(
    "If-Match", str, location=OpenApiParameter.HEADER, required=False,
    description="The call's ETag (its version, e.g. \"7\") as read; a stale one is refused with 412, and "
                "nothing is written. Alternative to sending `version` in the body (stale → 409).",
)
ETAG_HEADER = OpenApiParameter(
    "ETag", str, location=OpenApiParameter.HEADER, response=[200],
    description="The call's version as an entity tag (e.g. \"7\"); send it back in If-Match.",
)


class NameCursorPagination(KeysetCursorPagination):
    ordering = ("name", "id")


class NestedCursorPagination(KeysetCursorPagination):
    """Lists under a call (messages, time entries, escalations): oldest first."""

    ordering = ("created_at", "id")

    def get_ordering(self, request, queryset, view):
        # Not the call list's ordering (the view's OrderingFilter): the nested list's own.
        return tuple(self.ordering)


CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", str, description="Opaque cursor from `next` or `previous`."),
    OpenApiParameter("pageSize", int, description="Rows per page (at most 100)."),
]


class OrganisationViewSet(ScopedReadOnlyViewSet):
    """Organisations: the provider and the participating municipalities."""

    model = Organisation
    serializer_class = OrganisationSerializer
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["name", "id"]
    ordering = ["name", "id"]
    pagination_class = NameCursorPagination


class PersonViewSet(ScopedReadOnlyViewSet):
    """People within the caller's scope."""

    model = User
    queryset = User.objects.none()  # for schema generation; requests use get_queryset()
    serializer_class = PersonSerializer
    select_related = ("organisation",)
    filter_backends = []
    ordering = ["last_name", "first_name", "id"]

    def get_queryset(self):
        from regie.core.views import PersonListView

        return PersonListView(request=self.request._request).get_scoped_queryset().select_related("organisation")

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("last_name", "first_name", "id")
        return super().paginate_queryset(queryset)


class TicketViewSet(ScopedModelViewSet):
    """Calls (meldingen). Look up by reference, e.g. `VNL-2026-000123`."""

    model = Ticket
    view_permission = "servicedesk.view_ticket"
    serializer_class = TicketSerializer
    filterset_class = TicketFilterSet
    select_related = ("organisation",)
    lookup_field = "reference"
    ordering_fields = ["created_at", "updated_at", "id"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list":
            # A list row shows the organisation's id only: no join, no Organisation per row.
            queryset = queryset.select_related(None)
        return queryset

    def get_object(self):
        # References are shown upper-case; accept them as typed (vnl-2026-000123 too).
        self.kwargs[self.lookup_field] = self.kwargs[self.lookup_field].upper()
        return super().get_object()

    def get_success_headers(self, data):
        """201 Created carries the new call's address (Location)."""
        reference = data.get("reference")
        if not reference:
            return {}
        return {"Location": reverse("api:ticket-detail", kwargs={"reference": reference}, request=self.request)}

    # --- optimistic concurrency: `version` in the body (409) or If-Match (412) ----------

    def _with_etag(self, response):
        version = response.data.get("version") if isinstance(response.data, dict) else None
        if version is not None:
            response["ETag"] = f'"{version}"'
        return response

    @extend_schema(parameters=[ETAG_HEADER])
    def retrieve(self, request, *args, **kwargs):
        return self._with_etag(super().retrieve(request, *args, **kwargs))

    @extend_schema(parameters=[IF_MATCH_PARAMETER, ETAG_HEADER],
                   responses={200: TicketSerializer,
                              412: OpenApiResponse(description="If-Match names another version than the current.")})
    def update(self, request, *args, **kwargs):
        wanted = if_match_versions(request)
        if wanted is not None and wanted != "*":
            current = self.get_object()
            if current.version not in wanted:
                raise PreconditionFailed()
            # The service checks it again under its row lock (a race then is a 409).
            self._if_match_version = current.version
        return self._with_etag(super().update(request, *args, **kwargs))

    @extend_schema(parameters=[IF_MATCH_PARAMETER, ETAG_HEADER],
                   responses={200: TicketSerializer,
                              412: OpenApiResponse(description="If-Match names another version than the current.")})
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["if_match_version"] = getattr(self, "_if_match_version", None)
        return context

    def perform_update(self, serializer):
        try:
            serializer.save()
        except services.ConflictError as exc:
            raise Conflict(str(exc)) from exc

    # --- the life of a call: conversation, time, hand-over, escalation, reopen -------------
    # Each goes through the same service functions as the call page; the call itself is
    # looked up in the caller's scope first (another municipality's call is a 404).

    def _page(self, queryset, serializer_class, ordering, **extra):
        paginator = NestedCursorPagination()
        paginator.ordering = ordering
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        data = serializer_class(page, many=True, context=self.get_serializer_context()).data
        response = paginator.get_paginated_response(data)
        if extra:
            response.data = {**extra, **response.data}
        return response

    def _domain(self, action, serializer=None):
        """Run a service call; its refusals become problem responses with invalidParams."""
        try:
            return action()
        except DjangoValidationError as exc:
            fields = serializer.fields if serializer is not None else {}
            raise serializers.ValidationError(_domain_errors(exc, fields)) from exc
        except (Ticket.DoesNotExist, TimeEntry.DoesNotExist) as exc:
            raise exceptions.NotFound() from exc
        except services.ConflictError as exc:
            raise Conflict(str(exc)) from exc

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer

    @extend_schema(methods=["GET"], operation_id="tickets_messages_list", summary="Replies and notes of a call",
                   parameters=CURSOR_PARAMETERS, responses={200: TicketMessagePageSerializer},
                   description="Oldest first. Internal notes are listed to the service desk only.")
    @extend_schema(methods=["POST"], summary="Reply to a call, or add an internal note",
                   request=TicketMessageCreateSerializer, responses={201: TicketMessageSerializer})
    @action(detail=True, methods=["get", "post"], url_path="messages", url_name="messages")
    def messages(self, request, reference=None):
        ticket = self.get_object()
        if request.method == "GET":
            queryset = (
                TicketMessage.objects.for_user(request.user).filter(ticket=ticket)
                .select_related("author")
                .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.unrestricted().order_by("id")))
            )
            return self._page(queryset, TicketMessageSerializer, ("created_at", "id"))
        serializer = self._input(TicketMessageCreateSerializer)
        data = serializer.validated_data
        message = self._domain(lambda: conversation.add_message(
            request.user, ticket, data["body"], internal=data["internal"]), serializer)
        return Response(TicketMessageSerializer(message).data, status=201)

    @extend_schema(methods=["GET"], operation_id="tickets_attachments_list", summary="Attachments of a call",
                   parameters=CURSOR_PARAMETERS, responses={200: AttachmentPageSerializer},
                   description="Oldest first. Attachments of internal notes are listed to the service desk only.")
    @extend_schema(methods=["POST"], summary="Attach files to a call",
                   request={"multipart/form-data": AttachmentUploadSerializer},
                   responses={201: AttachmentUploadResultSerializer},
                   description="multipart/form-data with one or more `files` parts and an optional `body`. The "
                               "same rules as the call page: at most REGIE_ATTACHMENT_MAX_COUNT files of "
                               "REGIE_ATTACHMENT_MAX_BYTES each, types checked by content as well as by name, the "
                               "malware scan, stored under a server-made name. All files or none: a refused file "
                               "is a 400 naming it, and nothing is stored. The files come with a reply (or an "
                               "internal note), as on the call page.")
    @action(detail=True, methods=["get", "post"], url_path="attachments", url_name="attachments",
            parser_classes=[MultiPartParser])
    def attachments(self, request, reference=None):
        ticket = self.get_object()
        if request.method == "GET":
            return self._page(conversation.attachments_for(request.user, ticket).select_related("ticket"),
                              AttachmentSerializer, ("created_at", "id"))
        serializer = self._input(AttachmentUploadSerializer)
        data = serializer.validated_data
        # The raw uploads, not the serializer's copies: conversation.check_file decides.
        files = request.FILES.getlist("files")
        message = self._domain(lambda: conversation.add_message(
            request.user, ticket, data.get("body", ""), internal=data["internal"], files=files), serializer)
        stored = list(Attachment.objects.unrestricted().filter(message=message).select_related("ticket")
                      .order_by("id"))
        context = self.get_serializer_context()
        return Response({
            "message": TicketMessageSerializer(message, context=context).data,
            "attachments": AttachmentSerializer(stored, many=True, context=context).data,
        }, status=201)

    @extend_schema(operation_id="tickets_attachments_download", summary="Download an attachment",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
                   description="Only after the same access check as the call (another municipality's call, or "
                               "an internal note's file for a participant: 404). Always a download "
                               "(Content-Disposition: attachment) with X-Content-Type-Options: nosniff.")
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)",
            url_name="attachment-download", renderer_classes=[JSONRenderer, DownloadRenderer])
    def attachment_download(self, request, reference=None, attachment_id=None):
        ticket = self.get_object()
        attachment = conversation.attachments_for(request.user, ticket).filter(pk=attachment_id).first()
        if attachment is None:
            raise exceptions.NotFound()
        return conversation.download_response(attachment)

    @extend_schema(methods=["GET"], operation_id="tickets_time_entries_list", summary="Time spent on a call",
                   parameters=CURSOR_PARAMETERS, responses={200: TimeSheetSerializer},
                   description="Totals for everyone who sees the call; the entries (who booked what) "
                               "for the service desk only.")
    @extend_schema(methods=["POST"], summary="Book time on a call (service desk)",
                   request=TimeEntryCreateSerializer, responses={201: TimeEntrySerializer})
    @action(detail=True, methods=["get", "post"], url_path="time-entries", url_name="time-entries")
    def time_entries(self, request, reference=None):
        ticket = self.get_object()
        if request.method == "GET":
            totals = time_entries.totals_for(request.user, ticket)
            return self._page(
                time_entries.entries_for(request.user, ticket), TimeEntrySerializer, ("date", "id"),
                totalMinutes=totals.total_minutes, extraCostMinutes=totals.extra_cost_minutes,
            )
        serializer = self._input(TimeEntryCreateSerializer)
        data = serializer.validated_data
        entry = self._domain(lambda: time_entries.register_time(
            request.user, ticket, data["minutes"], date=data.get("date"), note=data.get("note", ""),
            extra_cost=data["extra_cost"], organisation=data.get("organisation"),
        ), serializer)
        return Response(TimeEntrySerializer(entry).data, status=201)

    @extend_schema(summary="Hand a call over to another line (service desk)",
                   request=TransferCreateSerializer, responses={201: TransferSerializer})
    @action(detail=True, methods=["post"], url_path="transfers", url_name="transfers")
    def transfers(self, request, reference=None):
        ticket = self.get_object()
        if not services.is_agent(request.user):
            # Before the input: a caller choosing among teams they cannot see would get a 400.
            raise exceptions.PermissionDenied(_("Only the service desk hands calls over."))
        serializer = self._input(TransferCreateSerializer)
        self._domain(lambda: escalation.transfer(request.user, ticket, **serializer.validated_data), serializer)
        transfer = ticket.transfers.order_by("-transferred_at", "-id").first()
        return Response(TransferSerializer(transfer).data, status=201)

    @extend_schema(methods=["GET"], operation_id="tickets_escalations_list", summary="Escalation steps of a call",
                   parameters=CURSOR_PARAMETERS, responses={200: EscalationPageSerializer})
    @extend_schema(methods=["POST"], summary="Escalate a call one step",
                   request=EscalationCreateSerializer, responses={201: EscalationSerializer},
                   description="Step 1 may be raised by the caller's manager; steps 2 and 3 by the service desk, "
                               "one step at a time.")
    @action(detail=True, methods=["get", "post"], url_path="escalations", url_name="escalations")
    def escalations(self, request, reference=None):
        ticket = self.get_object()
        if request.method == "GET":
            return self._page(ticket.escalations.all(), EscalationSerializer, ("raised_at", "id"))
        serializer = self._input(EscalationCreateSerializer)
        data = serializer.validated_data
        raised = self._domain(lambda: escalation.escalate(
            request.user, ticket, step=data["step"], reason=data["reason"]), serializer)
        return Response(EscalationSerializer(raised).data, status=201)

    @extend_schema(summary="Reopen a resolved call (the caller or their manager)",
                   request=ReopenSerializer, responses={200: TicketSerializer},
                   description="Within REGIE_REOPEN_DAYS of resolution; the reason is added as a reply.")
    @action(detail=True, methods=["post"], url_path="reopen", url_name="reopen")
    def reopen(self, request, reference=None):
        ticket = self.get_object()
        serializer = self._input(ReopenSerializer)
        reopened = self._domain(lambda: portal.reopen_ticket(request.user, ticket, serializer.validated_data["reason"]),
                                serializer)
        return Response(TicketSerializer(reopened, context=self.get_serializer_context()).data)


class CannedResponseViewSet(viewsets.GenericViewSet, mixins.ListModelMixin):
    """Canned responses the caller may start a reply from (service desk only): the general
    ones and those of the caller's own teams. Kept by team leads on the canned-responses page."""

    serializer_class = CannedResponseSerializer
    queryset = CannedResponse.objects.none()  # for schema generation; requests use get_queryset()
    filter_backends = []

    def get_queryset(self):
        return conversation.canned_responses_for(self.request.user)

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("title", "id")
        return super().paginate_queryset(queryset)


class FirstRendererNegotiation(BaseContentNegotiation):
    """Always the view's first renderer: the OpenAPI document is JSON whatever is asked."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class OpenApiJsonView(SpectacularAPIView):
    """NLGov API-51: the OpenAPI 3.0 document, in JSON, at /api/v1/openapi.json."""

    renderer_classes = [OpenApiJsonRenderer2]
    content_negotiation_class = FirstRendererNegotiation


@csrf_exempt
def api_not_found(request, *args, **kwargs):
    """Unknown /api/ paths (a typo, a trailing slash, an old version): a problem, not a page."""
    return problem_response(
        404, _("Not found"), _("There is no API resource at this address. See /api/v1/docs."), instance=request.path
    )


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):
    return Response(
        {
            "tickets": reverse("api:ticket-list", request=request),
            "organisations": reverse("api:organisation-list", request=request),
            "people": reverse("api:person-list", request=request),
            "canned-responses": reverse("api:canned-response-list", request=request),
            "calamities": reverse("api:calamity-list", request=request),
            "openapi": request.build_absolute_uri("/api/v1/openapi.json"),
            "docs": request.build_absolute_uri("/api/v1/docs"),
            "message": _("Regie API"),
        }
    )
