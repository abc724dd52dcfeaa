"""CMDB API: configuration items, item types and the standards catalogue.

- /api/v1/configuration-items                     list (filters as the register's page), create
- /api/v1/configuration-items/{id}                read, update (PUT/PATCH), delete
- /api/v1/configuration-item-types[/{id}]         read: types with their attribute declarations
- /api/v1/configuration-item-models[/{id}]        list, read, create (= propose a model)
- /api/v1/configuration-item-models/{id}/approvals   the provider admits the model (standardUntil)
- /api/v1/configuration-item-models/{id}/rejections  the provider rejects it
  (sub-resources named as plural nouns, NLGov API-10; tests/api/test_nlgov.py)

Reading follows the CMDB's read permission and tenancy; writing goes through services.py
(same rules as the pages), with field-level problems such as `attributes.cores`.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from regie.api.base import ScopedModelViewSet, ScopedReadOnlyViewSet, ScopedViewSetMixin
from regie.api.pagination import KeysetCursorPagination

from . import services
from .filtersets import ItemFilterSet, ModelFilterSet
from .item_serializers import (
    ConfigurationItemSerializer,
    ItemModelSerializer,
    ItemTypeSerializer,
    ModelDecisionSerializer,
)
from .models import ConfigurationItem, ConfigurationItemModel, ConfigurationItemType

DECISION_PARSERS = [JSONParser, FormParser, MultiPartParser]


class NamePagination(KeysetCursorPagination):
    ordering = ("name", "id")


class ModelPagination(KeysetCursorPagination):
    ordering = ("manufacturer", "name", "id")


class ListFiltersMixin:
    """The list's ?filters narrow the list only, never the lookup of one object."""

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset) if self.action == "list" else queryset


class ConfigurationItemViewSet(ListFiltersMixin, mixins.DestroyModelMixin, ScopedModelViewSet):
    """Configuration items of the organisations you may see (participants: their own).
    Filters: q (name, serial number, asset tag), type, category, organisation, status,
    location, model, standard (standard, non_standard, no_model). Type-specific
    attributes are validated against the type's declarations; unknown ones are refused.
    DELETE removes an item registered by mistake (an item with calls is retired instead)."""

    model = ConfigurationItem
    queryset = ConfigurationItem.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = ConfigurationItemSerializer
    pagination_class = NamePagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ItemFilterSet
    select_related = ("ci_type", "model", "organisation")
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def perform_destroy(self, instance):
        try:
            services.delete_item(self.request.user, instance)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"non_field_errors": exc.messages}) from exc

    def get_object(self):
        item = super().get_object()
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            allowed = (services.may_delete(self.request.user, item) if self.request.method == "DELETE"
                       else services.may_change(self.request.user, item))
            if not allowed:
                raise exceptions.PermissionDenied(_("You may not change this item."))
        return item


class ItemTypeViewSet(ScopedReadOnlyViewSet):
    """Item types with their declared attributes (reference data for every CMDB reader)."""

    model = ConfigurationItemType
    queryset = ConfigurationItemType.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = ItemTypeSerializer
    pagination_class = NamePagination
    filter_backends = []


class ItemModelViewSet(ListFiltersMixin, ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                       mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The standards catalogue: models (brand and type) per item type. POST proposes a model;
    the provider (permission `cmdb.approve_configurationitemmodel`) approves or rejects it.
    Filters: q, type, approval (proposed, approved, rejected), standard (true/false)."""

    model = ConfigurationItemModel
    queryset = ConfigurationItemModel.objects.none()
    view_permission = services.VIEW_PERMISSION
    serializer_class = ItemModelSerializer
    pagination_class = ModelPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ModelFilterSet
    select_related = ("ci_type", "approved_by")
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer):
        if not services.may_propose_model(self.request.user):
            raise exceptions.PermissionDenied(_("You may not propose models."))
        serializer.save()

    def _decide(self, request, approve):
        model = self.get_object()
        body = ModelDecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if not approve and data.get("standardUntil"):
            raise serializers.ValidationError({"standardUntil": [_("Only an approval has a standard period.")]})
        try:
            services.decide_model(request.user, model, approve, data.get("standardUntil"), data.get("notes"))
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        except DjangoValidationError as exc:
            errors = exc.message_dict
            raise serializers.ValidationError(
                {("standardUntil" if key == "standard_until" else key): value for key, value in errors.items()}
            ) from exc
        return Response(ItemModelSerializer(model, context=self.get_serializer_context()).data,
                        status=status.HTTP_200_OK)

    # A decision may come as JSON or as a plain form post (an empty body approves open-ended).
    @extend_schema(request=ModelDecisionSerializer, responses={200: ItemModelSerializer})
    @action(detail=True, methods=["post"], url_path="approvals", url_name="approve", parser_classes=DECISION_PARSERS)
    def approve(self, request, pk=None):
        """Admit the model to the standards catalogue (optionally until `standardUntil`)."""
        return self._decide(request, True)

    @extend_schema(request=ModelDecisionSerializer, responses={200: ItemModelSerializer})
    @action(detail=True, methods=["post"], url_path="rejections", url_name="reject", parser_classes=DECISION_PARSERS)
    def reject(self, request, pk=None):
        """Refuse the model: items of it are flagged as non-standard."""
        return self._decide(request, False)


# (prefix, viewset, basename) registered on the API v1 router by regie.cmdb.api_routes.
ROUTES = [
    ("configuration-items", ConfigurationItemViewSet, "configuration-item"),
    ("configuration-item-types", ItemTypeViewSet, "configuration-item-type"),
    ("configuration-item-models", ItemModelViewSet, "configuration-item-model"),
]
