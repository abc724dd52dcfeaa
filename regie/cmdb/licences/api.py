"""CMDB API: licence products, entitlements, assignments and compliance. Participants see
their own organisation's entitlements, assignments and compliance; the provider all."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.response import Response

from regie.api.base import ScopedModelViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin, StrictFieldsMixin
from regie.api.pagination import ComputedRowsPagination, KeysetCursorPagination
from regie.cmdb.contract_api import ListFiltersMixin, ScopedOrganisationField, ServiceSerializerMixin, domain_errors
from regie.cmdb.models import ConfigurationItem, Contract
from regie.core.models import Organisation, User

from . import services
from .choices import ComplianceState
from .models import Assignment, Entitlement, LicenceProduct
from .views import AssignmentFilterSet, EntitlementFilterSet, ProductFilterSet


class LicenceProductSerializer(serializers.ModelSerializer):
    minimumCores = serializers.IntegerField(source="minimum_cores", read_only=True)
    calFor = serializers.PrimaryKeyRelatedField(source="cal_for", read_only=True)
    isActive = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = LicenceProduct
        fields = ["id", "code", "name", "vendor", "category", "metric", "minimumCores", "calFor", "isActive"]
        read_only_fields = fields


class ScopedContractField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Contract.objects.for_user(self.context["request"].user)


class ActiveProductField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return LicenceProduct.objects.for_user(self.context["request"].user)


class EntitlementSerializer(ServiceSerializerMixin, StrictFieldsMixin, serializers.ModelSerializer):
    product = ActiveProductField()
    organisation = ScopedOrganisationField(help_text=_("The organisation that owns the entitlement."))
    contract = ScopedContractField(required=False, allow_null=True)
    quantity = serializers.IntegerField(min_value=1, max_value=10_000_000)
    startsOn = serializers.DateField(source="starts_on")
    endsOn = serializers.DateField(source="ends_on", required=False, allow_null=True)
    cost = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0)

    class Meta:
        model = Entitlement
        fields = ["id", "product", "organisation", "contract", "reference", "quantity", "startsOn", "endsOn", "cost",
                  "notes"]

    @staticmethod
    def service(actor, instance, values):
        return services.save_entitlement(actor, instance, values)


class ScopedItemField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return ConfigurationItem.objects.for_user(self.context["request"].user)


class ScopedPersonField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return User.objects.for_user(self.context["request"].user)


class ScopedEntitlementField(serializers.PrimaryKeyRelatedField):
    def get_queryset(self):
        return Entitlement.objects.for_user(self.context["request"].user)


class AssignmentSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    product = ActiveProductField()
    item = ScopedItemField(required=False, allow_null=True)
    person = ScopedPersonField(required=False, allow_null=True)
    entitlement = ScopedEntitlementField(required=False, allow_null=True)
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)
    units = serializers.SerializerMethodField()
    assignedAt = serializers.DateTimeField(source="assigned_at", read_only=True)

    class Meta:
        model = Assignment
        fields = ["id", "product", "item", "person", "entitlement", "organisation", "note", "units", "assignedAt"]
        validators = []

    def get_units(self, obj) -> int:
        return services.units_for(obj.product, obj.item.attributes if obj.item_id else None,
                                  is_item=bool(obj.item_id))

    def create(self, validated_data):
        try:
            return services.assign(self.context["request"].user, **validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(domain_errors(exc, self.fields)) from exc


class ComplianceRowSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product.pk")
    productName = serializers.CharField(source="product.name")
    metric = serializers.CharField(source="product.metric")
    organisation = serializers.IntegerField(source="organisation.pk")
    organisationName = serializers.CharField(source="organisation.name")
    entitled = serializers.IntegerField()
    inUse = serializers.IntegerField(source="in_use")
    balance = serializers.IntegerField()
    state = serializers.CharField()
    cost = serializers.DecimalField(max_digits=14, decimal_places=2)


class ComplianceQuery(serializers.Serializer):
    product = serializers.IntegerField(required=False, min_value=1)
    organisation = serializers.IntegerField(required=False, min_value=1)
    day = serializers.DateField(required=False)
    state = serializers.ChoiceField(choices=ComplianceState.choices, required=False)


class NamePagination(KeysetCursorPagination):
    ordering = ("name", "id")


class IdPagination(KeysetCursorPagination):
    ordering = ("id",)


class LicenceProductViewSet(ListFiltersMixin, ScopedReadOnlyViewSet):
    """The licence products of §4.3.2 with their metric (reference data)."""

    model = LicenceProduct
    queryset = LicenceProduct.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = LicenceProductSerializer
    pagination_class = NamePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProductFilterSet


class EntitlementViewSet(ListFiltersMixin, ScopedModelViewSet):
    """Licence entitlements: product, quantity, period, cost, owning organisation, contract."""

    model = Entitlement
    queryset = Entitlement.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = EntitlementSerializer
    pagination_class = IdPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = EntitlementFilterSet


class AssignmentViewSet(ListFiltersMixin, ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                        mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Licence assignments to configuration items or people. Create names either `item` or
    `person`; the organisation follows from it. DELETE removes an assignment."""

    model = Assignment
    queryset = Assignment.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = AssignmentSerializer
    pagination_class = IdPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = AssignmentFilterSet
    select_related = ("product", "item")

    def perform_destroy(self, instance):
        services.unassign(self.request.user, instance)


class ComplianceViewSet(viewsets.ViewSet):
    """The effective licence position: entitled vs in use per product and organisation, within
    your scope (one row per pair; paged like every other list)."""

    pagination = ComputedRowsPagination()

    @extend_schema(parameters=[ComplianceQuery, *ComputedRowsPagination.schema_parameters()],
                   responses={200: ComplianceRowSerializer(many=True)})
    def list(self, request):
        user = request.user
        if not user.has_perm(services.VIEW_PERMISSION):
            return Response({"next": None, "previous": None, "results": []})
        query = ComplianceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        product = organisation = None
        if "product" in data:
            product = LicenceProduct.objects.for_user(user).filter(pk=data["product"]).first()
            if product is None:
                raise serializers.ValidationError({"product": [_("Unknown product.")]})
        if "organisation" in data:
            organisation = Organisation.objects.for_user(user).filter(pk=data["organisation"]).first()
            if organisation is None:
                raise serializers.ValidationError({"organisation": [_("Unknown organisation.")]})
        result = services.compliance(user, data.get("day"), product=product, organisation=organisation)
        rows = result.rows
        state = data.get("state")
        if state:
            rows = [row for row in rows if row.state == state]
        page, envelope = self.pagination.paginate(request, rows)
        return Response({"day": result.day, **envelope, "results": ComplianceRowSerializer(page, many=True).data})


# (prefix, viewset, basename) registered on the API v1 router by regie.cmdb.api_routes.
ROUTES = [
    ("licence-products", LicenceProductViewSet, "licence-product"),
    ("licence-entitlements", EntitlementViewSet, "licence-entitlement"),
    ("licence-assignments", AssignmentViewSet, "licence-assignment"),
    ("licence-positions", ComplianceViewSet, "licence-compliance"),
]
