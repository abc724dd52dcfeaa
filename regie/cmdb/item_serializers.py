"""API representations of configuration items, item types and models (standards catalogue).
Writes go through services.py; its refusals become 400 problems with this API's field names
(type-specific attributes as "attributes.<code>")."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from regie.api.base import StrictFieldsMixin
from regie.core.models import Organisation, User

from . import services
from .choices import CIStatus
from .models import ConfigurationItem, ConfigurationItemModel, ConfigurationItemType, Contract, Supplier


def _user(serializer):
    return serializer.context["request"].user


class _ScopedField(serializers.PrimaryKeyRelatedField):
    """A reference the caller may name (another organisation's object is "does not exist")."""

    def __init__(self, scope, **kwargs):
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.scope(_user(self))


def _organisations(user):
    return Organisation.objects.for_user(user)


def _models(user):
    return ConfigurationItemModel.objects.for_user(user)


def _types(user):
    return ConfigurationItemType.objects.for_user(user).filter(is_active=True)


def _locations(user):
    return services.location_choices(user)


def _suppliers(user):
    return Supplier.objects.for_user(user)


def _people(user):
    return User.objects.for_user(user)


def _contracts(user):
    return Contract.objects.for_user(user)


class ConfigurationItemSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    type = _ScopedField(_types, source="ci_type", help_text=_("Item type id; set on creation only."))
    typeCode = serializers.CharField(source="ci_type.code", read_only=True)
    typeName = serializers.CharField(source="ci_type.name", read_only=True)
    organisation = _ScopedField(_organisations, required=False,
                                help_text=_("Owner; defaults to your organisation. Provider staff choose any."))
    organisationName = serializers.CharField(source="organisation.name", read_only=True)
    model = _ScopedField(_models, required=False, allow_null=True, help_text=_("Brand and type (model) id."))
    modelName = serializers.SerializerMethodField()
    isStandard = serializers.SerializerMethodField(
        help_text=_("False for a model outside the standards catalogue; null when no model is recorded."))
    status = serializers.ChoiceField(choices=CIStatus.choices, required=False)
    serialNumber = serializers.CharField(source="serial_number", max_length=100, required=False, allow_blank=True)
    assetTag = serializers.CharField(source="asset_tag", max_length=50, required=False, allow_blank=True)
    supplier = _ScopedField(_suppliers, required=False, allow_null=True)
    purchaseDate = serializers.DateField(source="purchase_date", required=False, allow_null=True)
    price = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True, min_value=0)
    location = _ScopedField(_locations, required=False, allow_null=True)
    assignedTo = _ScopedField(_people, source="assigned_to", required=False, allow_null=True)
    warrantyEnd = serializers.DateField(source="warranty_end", required=False, allow_null=True)
    maintenanceContract = _ScopedField(_contracts, source="maintenance_contract", required=False, allow_null=True)
    frameworkContract = _ScopedField(_contracts, source="framework_contract", required=False, allow_null=True)
    recoveryTimeObjective = serializers.DurationField(
        source="recovery_time_objective", required=False, allow_null=True,
        help_text=_("For critical services, e.g. \"04:00:00\"."))
    attributes = serializers.DictField(required=False, help_text=_(
        "Type-specific attributes {code: value} as the type declares them (see configuration-item-types)."))
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)
    updatedAt = serializers.DateTimeField(source="updated_at", read_only=True)

    class Meta:
        model = ConfigurationItem
        fields = ["id", "name", "type", "typeCode", "typeName", "organisation", "organisationName", "model",
                  "modelName", "isStandard", "status", "serialNumber", "assetTag", "supplier", "purchaseDate", "price",
                  "location", "assignedTo", "warrantyEnd", "maintenanceContract", "frameworkContract",
                  "recoveryTimeObjective", "attributes", "notes", "createdAt", "updatedAt"]
        # Uniqueness (asset tag) is the service's check, reported on the field.
        validators = []
        extra_kwargs = {"name": {"max_length": 200}}

    def get_modelName(self, obj) -> str | None:
        return str(obj.model) if obj.model_id else None

    @extend_schema_field(serializers.BooleanField(allow_null=True))
    def get_isStandard(self, obj):
        return obj.is_standard

    def _run(self, instance, validated_data):
        try:
            return services.save_item(_user(self), instance, validated_data)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(self.api_errors(exc)) from exc

    def api_errors(self, exc):
        by_source = {field.source: name for name, field in self.fields.items()}
        field_errors = getattr(exc, "field_errors", None)
        if field_errors is None:
            field_errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        errors = {by_source.get(key, "non_field_errors" if key == "__all__" else key): value
                  for key, value in field_errors.items()}
        attribute_errors = getattr(exc, "attribute_errors", {})
        if attribute_errors:
            errors["attributes"] = attribute_errors
        return errors

    def validate(self, attrs):
        if self.instance is None and "ci_type" not in attrs:
            raise serializers.ValidationError({"type": [_("This field is required.")]})
        return attrs

    def create(self, validated_data):
        return self._run(None, validated_data)

    def update(self, instance, validated_data):
        return self._run(instance, validated_data)


class ItemTypeSerializer(serializers.ModelSerializer):
    attributeSchema = serializers.JSONField(source="attribute_schema", read_only=True, help_text=_(
        "[{code, label, kind (text, integer, decimal, date, boolean, choice), required, choices, min, max, help}]"))
    isActive = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = ConfigurationItemType
        fields = ["id", "code", "name", "category", "attributeSchema", "isActive"]
        read_only_fields = fields


class ItemModelSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    type = _ScopedField(_types, source="ci_type")
    typeName = serializers.CharField(source="ci_type.name", read_only=True)
    manufacturer = serializers.CharField(max_length=100, help_text=_("Brand."))
    name = serializers.CharField(max_length=150, help_text=_("Model."))
    approvedBy = serializers.SlugRelatedField(source="approved_by", slug_field="username", read_only=True)
    approvedAt = serializers.DateTimeField(source="approved_at", read_only=True)
    standardUntil = serializers.DateField(source="standard_until", read_only=True)
    isStandard = serializers.BooleanField(source="is_standard", read_only=True)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    class Meta:
        model = ConfigurationItemModel
        fields = ["id", "type", "typeName", "manufacturer", "name", "approval", "approvedBy", "approvedAt",
                  "standardUntil", "isStandard", "notes"]
        read_only_fields = ["approval"]
        validators = []

    def create(self, validated_data):
        try:
            return services.propose_model(_user(self), validated_data)
        except DjangoValidationError as exc:
            errors = exc.message_dict
            raise serializers.ValidationError(
                {("type" if key == "ci_type" else key): value for key, value in errors.items()}) from exc


class ModelDecisionSerializer(StrictFieldsMixin, serializers.Serializer):
    standardUntil = serializers.DateField(required=False, allow_null=True,
                                         help_text=_("Approve only: standard until this day (none: open-ended)."))
    notes = serializers.CharField(required=False, allow_blank=True, max_length=2000)
