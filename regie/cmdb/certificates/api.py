"""CMDB API: the certificate register. Participants see their own organisation's
certificates; the provider's CMDB keepers register (upload, PEM text or an endpoint),
change and check them."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from regie.api.base import ScopedModelViewSet
from regie.api.pagination import KeysetCursorPagination
from regie.cmdb.contract_api import ListFiltersMixin

from . import services
from .forms import CertificateFilterSet
from .models import Certificate, Endpoint, EndpointCheck, Installation
from .parsing import MAX_UPLOAD_BYTES
from .serializers import (
    CertificateCreateSerializer,
    CertificateSerializer,
    CertificateUpdateSerializer,
    CheckRequestSerializer,
    EndpointCheckPageSerializer,
    EndpointCheckSerializer,
    PreviewSerializer,
)

CURSOR_PARAMETERS = [
    OpenApiParameter("cursor", str, description="Opaque cursor from `next` or `previous`."),
    OpenApiParameter("pageSize", int, description="Rows per page (at most 100)."),
]
DRY_RUN = OpenApiParameter("dryRun", OpenApiTypes.BOOL, description="Read and show, save nothing.")

CreatedSerializer = inline_serializer("CertificateUploadResult", {
    "certificates": CertificateSerializer(many=True),
    "keyDropped": serializers.BooleanField(),
    "messages": serializers.ListField(child=serializers.CharField()),
})


class ExpiryPagination(KeysetCursorPagination):
    ordering = ("not_after", "id")


class CheckPagination(KeysetCursorPagination):
    ordering = ("-checked_at", "-id")


def _domain(call):
    """Run a service; its refusals become 400 problems (field names as in this API) or 403."""
    try:
        return call()
    except DjangoValidationError as exc:
        errors = exc.error_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.error_list}
        renamed = {"warning_thresholds": "warningThresholds"}
        raise serializers.ValidationError({
            renamed.get(name, name): [ErrorDetail(message, code=error.code or "invalid")
                                      for error in errors_of for message in error.messages]
            for name, errors_of in errors.items()
        }) from exc
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc)) from exc


class CertificateViewSet(ListFiltersMixin, ScopedModelViewSet):
    """The certificate register (§4.7.4): subject, SANs, issuer, validity, key, chain, where
    installed, the requesting participant and the status (valid, expiring, expired).
    `status`, `organisation`, `issuer` and `q` (subject, SAN, fingerprint) filter the list."""

    model = Certificate
    queryset = Certificate.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = CertificateSerializer
    pagination_class = ExpiryPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = CertificateFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self):
        return super().get_queryset().prefetch_related(
            Prefetch("installations", queryset=Installation.objects.unrestricted().order_by("id")),
            Prefetch("endpoints", queryset=Endpoint.objects.unrestricted().order_by("host", "port", "id")),
        )

    def _present(self, certificate):
        fresh = self.get_queryset().get(pk=certificate.pk)
        return CertificateSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(
        summary="Register certificates from a PEM/DER/PKCS#12 upload, PEM text or an endpoint",
        parameters=[DRY_RUN], request={"multipart/form-data": CertificateCreateSerializer,
                                       "application/json": CertificateCreateSerializer},
        responses={201: CreatedSerializer, 200: PreviewSerializer(many=True)},
    )
    def create(self, request, *args, **kwargs):
        if not services.may_keep(request.user):
            raise exceptions.PermissionDenied()
        serializer = CertificateCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.get("file")
        payload = upload.read(MAX_UPLOAD_BYTES + 1) if upload else (data.get("pem") or "").encode()
        dry_run = str(request.query_params.get("dryRun", "")).lower() in ("1", "true", "yes")
        options = dict(items=data.get("items", []), thresholds=data.get("warningThresholds"),
                       notes=data.get("notes", ""))
        if data.get("endpoint"):
            if dry_run:
                parsed, _probe = _domain(lambda: services.read_endpoint(
                    *services.clean_endpoints([data["endpoint"]], "endpoint")[0]))
                return Response(PreviewSerializer([parsed], many=True).data)
            certificate = _domain(lambda: services.register_from_endpoint(
                request.user, organisation=data["organisation"], endpoint=data["endpoint"], **options))
            body = {"certificates": [self._present(certificate)], "keyDropped": False, "messages": []}
            return Response(body, status=status.HTTP_201_CREATED, headers={"Location": certificate.get_absolute_url()})
        if dry_run:
            preview = _domain(lambda: services.preview_upload(request.user, data["organisation"], payload,
                                                              data.get("password", "")))
            return Response(PreviewSerializer(preview.certificates, many=True).data)
        outcome = _domain(lambda: services.import_certificates(
            request.user, organisation=data["organisation"], data=payload, password=data.get("password", ""),
            endpoints=data.get("endpoints", []), **options))
        body = {
            "certificates": [self._present(c) for c in outcome.certificates],
            "keyDropped": outcome.key_dropped,
            "messages": [str(m) for m in outcome.messages],
        }
        location = f"/api/v1/certificates/{outcome.certificates[0].pk}"
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})

    @extend_schema(request=CertificateUpdateSerializer, responses={200: CertificateSerializer})
    def update(self, request, *args, **kwargs):
        certificate = self.get_object()
        if not services.may_keep(request.user):
            raise exceptions.PermissionDenied()
        serializer = CertificateUpdateSerializer(data=request.data, context=self.get_serializer_context(),
                                                 partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        _domain(lambda: services.update_certificate(request.user, certificate, serializer.values()))
        return Response(self._present(certificate))

    @extend_schema(request=CertificateUpdateSerializer, responses={200: CertificateSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(methods=["GET"], operation_id="certificates_checks_list", summary="Endpoint check history",
                   parameters=CURSOR_PARAMETERS, responses={200: EndpointCheckPageSerializer})
    @extend_schema(methods=["POST"], summary="Check the endpoints now", request=CheckRequestSerializer,
                   responses={201: EndpointCheckSerializer(many=True)})
    @action(detail=True, methods=["get", "post"], url_path="checks", url_name="checks",
            parser_classes=[JSONParser, FormParser])
    def checks(self, request, pk=None):
        certificate = self.get_object()
        if request.method == "GET":
            queryset = EndpointCheck.objects.for_user(request.user).filter(certificate=certificate)
            paginator = CheckPagination()
            page = paginator.paginate_queryset(queryset, request, view=self)
            return paginator.get_paginated_response(EndpointCheckSerializer(page, many=True).data)
        if not services.may_keep(request.user):
            raise exceptions.PermissionDenied()
        query = CheckRequestSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        checks = _domain(lambda: services.check_certificate(request.user, certificate,
                                                            query.validated_data.get("endpoint")))
        return Response(EndpointCheckSerializer(checks, many=True).data, status=status.HTTP_201_CREATED)


# (prefix, viewset, basename) registered on the API v1 router by regie.cmdb.api_routes.
ROUTES = [
    ("certificates", CertificateViewSet, "certificate"),
]
