"""Read-only API of the audit trail (`/api/v1/audit-records`) for auditors and provider
staff with `core.view_auditrecord`; anyone else gets 404, as in the UI. Filters are the
UI's: ?who=&action=&result=&object_type=&organisation=&date_from=&date_to=&q=."""

from rest_framework import exceptions, serializers

from regie.api.base import ScopedReadOnlyViewSet

from .audit_filters import AuditRecordFilterSet
from .models import AuditRecord


class AuditRecordSerializer(serializers.ModelSerializer):
    who = serializers.CharField(source="actor_label", read_only=True)
    whoId = serializers.IntegerField(source="actor_id", read_only=True)
    objectType = serializers.SerializerMethodField(method_name="get_object_type")
    objectId = serializers.CharField(source="object_id", read_only=True)
    object = serializers.CharField(source="object_repr", read_only=True)
    organisation = serializers.IntegerField(source="organisation_id", read_only=True)
    fromAddress = serializers.CharField(source="remote_addr", read_only=True)
    userAgent = serializers.CharField(source="user_agent", read_only=True)
    requestId = serializers.CharField(source="request_id", read_only=True)
    recordHash = serializers.CharField(source="record_hash", read_only=True)

    class Meta:
        model = AuditRecord
        fields = [
            "id", "timestamp", "who", "whoId", "action", "result", "objectType", "objectId", "object",
            "organisation", "fromAddress", "userAgent", "requestId", "message", "changes", "recordHash",
        ]
        read_only_fields = fields

    def get_object_type(self, record) -> str:
        content_type = record.content_type
        return f"{content_type.app_label}.{content_type.model}" if content_type else ""


class AuditRecordViewSet(ScopedReadOnlyViewSet):
    """The audit trail, newest first (read-only)."""

    model = AuditRecord
    queryset = AuditRecord.objects.none()  # for schema generation; requests use get_queryset()
    serializer_class = AuditRecordSerializer
    filterset_class = AuditRecordFilterSet
    select_related = ("content_type",)
    ordering_fields = ["id"]
    ordering = ["-id"]

    def get_queryset(self):
        if not self.request.user.has_perm("core.view_auditrecord"):
            raise exceptions.NotFound
        return super().get_queryset()
