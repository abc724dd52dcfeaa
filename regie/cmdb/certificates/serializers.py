from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from regie.api.base import StrictFieldsMixin
from regie.cmdb.contract_api import ScopedOrganisationField as _ScopedOrganisationField
from regie.cmdb.models import ConfigurationItem

from . import services
from .models import Certificate, EndpointCheck
from .parsing import MAX_UPLOAD_BYTES


@extend_schema_field(OpenApiTypes.INT)
class ScopedOrganisationField(_ScopedOrganisationField):
    pass


@extend_schema_field(OpenApiTypes.INT)
class ScopedItemField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return ConfigurationItem.objects.for_user(self.context["request"].user).select_related("organisation")


class ChainEntrySerializer(serializers.Serializer):
    subject = serializers.CharField()
    issuer = serializers.CharField()
    fingerprint = serializers.CharField()
    notAfter = serializers.CharField(source="not_after")


class CertificateSerializer(serializers.ModelSerializer):
    commonName = serializers.CharField(source="common_name")
    subjectAlternativeNames = serializers.ListField(source="sans", child=serializers.CharField())
    serialNumber = serializers.CharField(source="serial_number")
    notBefore = serializers.DateTimeField(source="not_before")
    notAfter = serializers.DateTimeField(source="not_after")
    status = serializers.CharField()
    daysLeft = serializers.IntegerField(source="days_left")
    keyType = serializers.CharField(source="key_type")
    keySize = serializers.IntegerField(source="key_size", allow_null=True)
    signatureAlgorithm = serializers.CharField(source="signature_algorithm")
    fingerprintSha256 = serializers.CharField(source="fingerprint_sha256")
    isCa = serializers.BooleanField(source="is_ca")
    chain = ChainEntrySerializer(many=True)
    warningThresholds = serializers.ListField(source="warning_thresholds", child=serializers.IntegerField())
    items = serializers.SerializerMethodField()
    endpoints = serializers.SerializerMethodField()
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Certificate
        fields = ["id", "organisation", "commonName", "subject", "subjectAlternativeNames", "issuer", "serialNumber",
                  "notBefore", "notAfter", "status", "daysLeft", "keyType", "keySize", "signatureAlgorithm",
                  "fingerprintSha256", "isCa", "chain", "warningThresholds", "items", "endpoints", "notes",
                  "createdAt", "pem"]
        read_only_fields = fields

    # Both read the prefetched (unrestricted, the certificate being in scope) rows of the viewset.
    def get_items(self, obj) -> list[int]:
        return [installation.item_id for installation in obj.installations.all()]

    def get_endpoints(self, obj) -> list[str]:
        return [str(endpoint) for endpoint in obj.endpoints.all()]


class PreviewSerializer(serializers.Serializer):
    commonName = serializers.CharField(source="common_name")
    subject = serializers.CharField()
    subjectAlternativeNames = serializers.ListField(source="sans", child=serializers.CharField())
    issuer = serializers.CharField()
    serialNumber = serializers.CharField(source="serial_number")
    notBefore = serializers.DateTimeField(source="not_before")
    notAfter = serializers.DateTimeField(source="not_after")
    keyType = serializers.CharField(source="key_type")
    keySize = serializers.IntegerField(source="key_size", allow_null=True)
    signatureAlgorithm = serializers.CharField(source="signature_algorithm")
    fingerprintSha256 = serializers.CharField(source="fingerprint_sha256")
    isCa = serializers.BooleanField(source="is_ca")
    chain = ChainEntrySerializer(many=True)


class CertificateCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    organisation = ScopedOrganisationField(help_text=gettext_lazy("The requesting participant."))
    file = serializers.FileField(required=False, help_text=gettext_lazy(
        "PEM, DER or PKCS#12 (multipart/form-data). Private keys are never stored: PEM with a key is refused, "
        "the key of a PKCS#12 file is dropped."))
    pem = serializers.CharField(required=False, trim_whitespace=False, max_length=MAX_UPLOAD_BYTES,
                                help_text=gettext_lazy("PEM text (JSON), one or more certificates."))
    password = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=200,
                                     write_only=True)
    endpoint = serializers.CharField(required=False, max_length=300, help_text=gettext_lazy(
        "host:port: take the certificate this endpoint serves (instead of a file or PEM)."))
    items = ScopedItemField(many=True, required=False)
    endpoints = serializers.ListField(child=serializers.CharField(max_length=300), required=False, max_length=20)
    warningThresholds = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=6)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def validate(self, attrs):
        sources = [name for name in ("file", "pem", "endpoint") if attrs.get(name)]
        if len(sources) != 1:
            raise serializers.ValidationError({"file": [_("Give exactly one of file, pem or endpoint.")]})
        return attrs


class CertificateUpdateSerializer(StrictFieldsMixin, serializers.Serializer):
    organisation = ScopedOrganisationField(required=False)
    items = ScopedItemField(many=True, required=False)
    endpoints = serializers.ListField(child=serializers.CharField(max_length=300), required=False, max_length=20)
    warningThresholds = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=6,
                                              min_length=1)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def values(self):
        data = self.validated_data
        names = {"warningThresholds": "warning_thresholds"}
        return {names.get(key, key): value for key, value in data.items()}


class EndpointCheckSerializer(serializers.ModelSerializer):
    endpoint = serializers.SerializerMethodField()
    checkedAt = serializers.DateTimeField(source="checked_at")
    problems = serializers.SerializerMethodField()
    fingerprintSeen = serializers.CharField(source="fingerprint_seen")
    subjectSeen = serializers.CharField(source="subject_seen")
    notAfterSeen = serializers.DateTimeField(source="not_after_seen", allow_null=True)
    matchesRegister = serializers.BooleanField(source="matches_register")
    hostnameMatches = serializers.BooleanField(source="hostname_matches", allow_null=True)
    verifyError = serializers.CharField(source="verify_error")
    tlsVersion = serializers.CharField(source="tls_version")
    chainSeen = ChainEntrySerializer(source="chain_seen", many=True)
    fullChainRead = serializers.BooleanField(source="full_chain_read")

    class Meta:
        model = EndpointCheck
        fields = ["id", "endpoint", "checkedAt", "result", "problems", "error", "fingerprintSeen", "subjectSeen",
                  "notAfterSeen", "matchesRegister", "hostnameMatches", "verified", "verifyError", "tlsVersion",
                  "chainSeen", "fullChainRead"]
        read_only_fields = fields

    def get_endpoint(self, obj) -> str:
        return f"{obj.host}:{obj.port}"

    def get_problems(self, obj) -> list[dict]:
        return [{"code": p.get("code"), "message": services.problem_message(p)} for p in obj.problems]


class EndpointCheckPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = EndpointCheckSerializer(many=True)


class CheckRequestSerializer(StrictFieldsMixin, serializers.Serializer):
    endpoint = serializers.CharField(required=False, max_length=300,
                                     help_text=gettext_lazy("host:port of one endpoint; all when left out."))
