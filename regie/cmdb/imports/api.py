"""CMDB API: imports of configuration items (/api/v1/configuration-item-imports).

POST multipart/form-data (`file`, `itemType`, `dryRun`) checks a CSV or Excel file and, with
`dryRun=false`, imports it when every row is right; GET shows a job with its progress, counts,
preview and row errors; POST …/{id}/apply imports a checked job. A file that is not a table
is a 400 problem (invalidParams: file); nothing is stored then.
"""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, filters, serializers
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from regie.api.base import ScopedReadOnlyViewSet
from regie.api.pagination import KeysetCursorPagination
from regie.cmdb.models import ConfigurationItemType

from . import services
from .models import ImportJob


class ImportJobSerializer(serializers.ModelSerializer):
    itemType = serializers.SlugRelatedField(source="ci_type", slug_field="code", read_only=True)
    fileName = serializers.CharField(source="file_name", read_only=True)
    fileFormat = serializers.CharField(source="file_format", read_only=True)
    dryRun = serializers.SerializerMethodField()
    createdBy = serializers.PrimaryKeyRelatedField(source="created_by", read_only=True)
    rowsTotal = serializers.IntegerField(source="rows_total", read_only=True)
    rowsValidated = serializers.IntegerField(source="rows_validated", read_only=True)
    rowsWritten = serializers.IntegerField(source="rows_written", read_only=True)
    errorCount = serializers.IntegerField(source="error_count", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    finishedAt = serializers.DateTimeField(source="finished_at", read_only=True)
    appliedAt = serializers.DateTimeField(source="applied_at", read_only=True)
    errors = serializers.JSONField(read_only=True, help_text="[{row, column, reason}], the first 500.")
    preview = serializers.JSONField(read_only=True, help_text="The first rows as they would be (or were) written.")

    class Meta:
        model = ImportJob
        fields = [
            "id", "organisation", "itemType", "fileName", "fileFormat", "status", "dryRun", "createdBy", "rowsTotal",
            "rowsValidated", "rowsWritten", "percent", "creates", "updates", "unchanged", "errorCount", "errors",
            "preview", "message", "createdAt", "finishedAt", "appliedAt",
        ]
        read_only_fields = fields

    percent = serializers.IntegerField(read_only=True, help_text="Progress of the current phase, 0-100.")

    def get_dryRun(self, job) -> bool:
        return not job.apply_requested


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, use_url=False,
                                 help_text="CSV (UTF-8, ; or , separated) or Excel .xlsx with a header row.")
    itemType = serializers.SlugRelatedField(
        slug_field="code", queryset=ConfigurationItemType.objects.none(),
        help_text="The item type's code, e.g. laptop.",
    )
    dryRun = serializers.BooleanField(
        default=True, help_text="true: check only (preview and errors); false: import when every row is right.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["itemType"].queryset = services.importable_types()


class ImportPagination(KeysetCursorPagination):
    ordering = ("-created_at", "-id")


class ImportJobViewSet(ScopedReadOnlyViewSet):
    """Imports of configuration items from CSV or Excel files, with their progress and errors."""

    model = ImportJob
    queryset = ImportJob.objects.none()
    serializer_class = ImportJobSerializer
    view_permission = "cmdb.view_configurationitem"
    select_related = ("ci_type",)
    pagination_class = ImportPagination
    filter_backends = [filters.OrderingFilter]
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser, JSONParser]

    def get_queryset(self):
        return super().get_queryset().defer("content")

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={201: ImportJobSerializer, 202: ImportJobSerializer,
                   400: OpenApiResponse(description="Not a CSV or Excel file, or a field is missing (problem+json)."),
                   403: OpenApiResponse(description="No permission to import configuration items.")},
        description="Small files are checked (and, with dryRun=false, imported) at once: 201 with the result. "
                    "Large files go to the worker: 202, then follow the job's `status` and `percent`. The whole "
                    "file is imported or nothing (status `invalid` with row errors).",
    )
    def create(self, request, *args, **kwargs):
        if not services.may_import(request.user):
            raise exceptions.PermissionDenied()
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        try:
            job = services.create_job(request.user, data["itemType"], request.FILES["file"], apply=not data["dryRun"])
        except ValidationError as exc:
            raise exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else
                                             {"file": exc.messages}) from exc
        queued = services.start(job, request.user)
        job = self.get_queryset().get(pk=job.pk)
        return Response(self.get_serializer(job).data, status=202 if queued else 201,
                        headers={"Location": request.build_absolute_uri(f"{request.path.rstrip('/')}/{job.pk}")})

    @extend_schema(request=None, responses={200: ImportJobSerializer, 202: ImportJobSerializer,
                                            400: OpenApiResponse(description="The job is not checked or has errors.")},
                   description="Imports a checked job (status `valid`): every row is checked again and written in "
                               "one transaction. A job already imported is left as it is (200).")
    @action(detail=True, methods=["post"], url_path="apply", url_name="apply")
    def apply(self, request, pk=None):
        job = self.get_object()
        if not services.may_import(request.user):
            raise exceptions.PermissionDenied()
        try:
            queued = services.request_apply(request.user, job)
        except ValidationError as exc:
            raise exceptions.ValidationError({"status": exc.messages}) from exc
        job = self.get_queryset().get(pk=job.pk)
        return Response(self.get_serializer(job).data, status=202 if queued else 200)


ROUTES = [("configuration-item-imports", ImportJobViewSet, "configuration-item-import")]
