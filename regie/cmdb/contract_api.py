"""CMDB API: suppliers (with their contacts) and contracts (with their product lines).

Reading follows the CMDB's read permission and tenancy (a participant sees its own
contracts); writing goes through the rules in contracts.py (the provider's CMDB managers)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from regie.api.base import ScopedModelViewSet, StrictFieldsMixin
from regie.api.pagination import KeysetCursorPagination
from regie.core.models import Organisation

from . import contracts as rules
from .choices import ContractKind
from .contract_views import ContractFilterSet, SupplierFilterSet
from .models import ConfigurationItemModel, Contract, ContractLine, Supplier, SupplierContact


def domain_errors(exc, fields):
    """A service's ValidationError keyed by model field → keyed by this API's field names."""
    by_source = {field.source: name for name, field in fields.items()}
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
    return {by_source.get(key, key): value for key, value in errors.items()}


class ServiceSerializerMixin:
    """create()/update() run a service function `save(actor, instance, values)`; its
    refusals become 400 problems with the API's field names."""

    def _run(self, instance, validated_data):
        request = self.context["request"]
        try:
            return self.service(request.user, instance, validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(domain_errors(exc, self.fields)) from exc

    def create(self, validated_data):
        return self._run(None, validated_data)

    def update(self, instance, validated_data):
        return self._run(instance, validated_data)


class SupplierContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupplierContact
        fields = ["id", "name", "role", "email", "phone"]
        read_only_fields = fields


class SupplierSerializer(ServiceSerializerMixin, StrictFieldsMixin, serializers.ModelSerializer):
    chamberOfCommerce = serializers.CharField(source="chamber_of_commerce", max_length=20, required=False,
                                              allow_blank=True)
    supportHours = serializers.CharField(source="support_hours", max_length=200, required=False, allow_blank=True)
    isActive = serializers.BooleanField(source="is_active", required=False)
    contacts = SupplierContactSerializer(many=True, read_only=True)

    class Meta:
        model = Supplier
        fields = ["id", "name", "chamberOfCommerce", "website", "email", "phone", "supportHours", "notes", "isActive",
                  "contacts"]
        # Uniqueness is checked by the model (a field error), not by a pre-query here.
        extra_kwargs = {"name": {"validators": []}}

    @staticmethod
    def service(actor, instance, values):
        return rules.save_supplier(actor, instance, values)


class ContractLineSerializer(serializers.ModelSerializer):
    unitPrice = serializers.DecimalField(source="unit_price", max_digits=10, decimal_places=2, read_only=True)

    class Meta:
        model = ContractLine
        fields = ["id", "description", "model", "unitPrice"]
        read_only_fields = fields


class ScopedOrganisationField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Organisation.objects.for_user(self.context["request"].user)


class ActiveSupplierField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Supplier.objects.for_user(self.context["request"].user)


class ContractSerializer(ServiceSerializerMixin, StrictFieldsMixin, serializers.ModelSerializer):
    organisation = ScopedOrganisationField(
        required=False, help_text=_("Contracting party: the provider (joint tender) or a participant; "
                                    "defaults to your organisation."))
    supplier = ActiveSupplierField()
    kind = serializers.ChoiceField(choices=ContractKind.choices)
    startsOn = serializers.DateField(source="starts_on")
    endsOn = serializers.DateField(source="ends_on", required=False, allow_null=True)
    noticeDays = serializers.IntegerField(source="notice_days", required=False, min_value=0, max_value=3650)
    responseHours = serializers.IntegerField(source="response_hours", required=False, allow_null=True, min_value=0,
                                             max_value=100_000)
    resolutionHours = serializers.IntegerField(source="resolution_hours", required=False, allow_null=True,
                                               min_value=0, max_value=100_000)
    annualValue = serializers.DecimalField(source="annual_value", max_digits=12, decimal_places=2, required=False,
                                           allow_null=True, min_value=0)
    lines = ContractLineSerializer(many=True, read_only=True)
    expiringSoon = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = ["id", "reference", "name", "kind", "organisation", "supplier", "tender", "startsOn", "endsOn",
                  "noticeDays", "responseHours", "resolutionHours", "annualValue", "notes", "lines", "expiringSoon"]
        # (supplier, reference) uniqueness is checked by the model's full_clean in the service.
        validators = []

    def get_expiringSoon(self, obj) -> bool:
        return rules.is_expiring(obj)

    @staticmethod
    def service(actor, instance, values):
        return rules.save_contract(actor, instance, values)


class PurchaseCheckQuery(serializers.Serializer):
    model = serializers.IntegerField(min_value=1, help_text=_("Id of the model (brand and type) to buy."))
    day = serializers.DateField(required=False, help_text=_("Day of purchase; today when left out."))


class PurchaseCheckSerializer(serializers.Serializer):
    allowed = serializers.BooleanField()
    reasons = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class NamePagination(KeysetCursorPagination):
    ordering = ("name", "id")


class ListFiltersMixin:
    """The list's ?filters narrow the list only, never the lookup of one object."""

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset


class SupplierViewSet(ListFiltersMixin, ScopedModelViewSet):
    """Suppliers with their contacts (reference data: every CMDB reader sees them)."""

    model = Supplier
    queryset = Supplier.objects.none()
    view_permission = "cmdb.view_supplier"
    serializer_class = SupplierSerializer
    pagination_class = NamePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = SupplierFilterSet

    def get_queryset(self):
        return super().get_queryset().prefetch_related("contacts")


class ContractViewSet(ListFiltersMixin, ScopedModelViewSet):
    """Contracts: framework contracts from tenders (with product lines and prices),
    maintenance and warranty contracts (with response and resolution times), licence and
    service contracts. `expiring=true` lists those within their notice period or 30 days
    of their end."""

    model = Contract
    queryset = Contract.objects.none()
    view_permission = "cmdb.view_contract"
    serializer_class = ContractSerializer
    pagination_class = NamePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ContractFilterSet
    select_related = ("supplier", "organisation")

    def get_queryset(self):
        return super().get_queryset().prefetch_related("lines")

    @extend_schema(parameters=[PurchaseCheckQuery],
                   responses={200: PurchaseCheckSerializer})
    @action(detail=True, methods=["get"], url_path="purchase-checks", url_name="purchase-check")
    def purchase_check(self, request, pk=None):
        """May this model be bought under this framework contract (today, or on `day`)?
        `reasons` says why not, per field."""
        contract = self.get_object()
        query = PurchaseCheckQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        model = ConfigurationItemModel.objects.for_user(request.user).filter(pk=query.validated_data["model"]).first()
        if model is None:
            raise serializers.ValidationError({"model": [_("Unknown model.")]})
        day = query.validated_data.get("day") or timezone.localdate()
        reasons = rules.purchase_refusals(model, contract, day)
        return Response({"allowed": not reasons, "reasons": {k: [str(r) for r in v] for k, v in reasons.items()}})


# (prefix, viewset, basename) registered on the API v1 router by regie.cmdb.api_routes.
ROUTES = [
    ("suppliers", SupplierViewSet, "supplier"),
    ("contracts", ContractViewSet, "contract"),
]
