from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.renderers import OpenApiJsonRenderer2
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView
from rest_framework import exceptions, filters
from rest_framework.decorators import api_view, permission_classes
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse

from regie.core.models import Organisation, User
from regie.servicedesk import services
from regie.servicedesk.filtersets import TicketFilterSet
from regie.servicedesk.models import Ticket

from .base import ScopedModelViewSet, ScopedReadOnlyViewSet
from .pagination import KeysetCursorPagination
from .problems import problem_response
from .serializers import OrganisationSerializer, PersonSerializer, TicketSerializer


class Conflict(exceptions.APIException):
    status_code = 409
    default_detail = gettext_lazy("Conflict")
    default_code = "conflict"


class NameCursorPagination(KeysetCursorPagination):
    ordering = ("name", "id")


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

    def perform_update(self, serializer):
        try:
            serializer.save()
        except services.ConflictError as exc:
            raise Conflict(str(exc)) from exc


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
            "openapi": request.build_absolute_uri("/api/v1/openapi.json"),
            "docs": request.build_absolute_uri("/api/v1/docs"),
            "message": _("Regie API"),
        }
    )
