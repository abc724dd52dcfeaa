"""CMDB API: relations between configuration items, and impact analysis.

- /api/v1/relations                       list (filter: item, source, target, kind), create
- /api/v1/relations/{id}                  read, delete
- /api/v1/configuration-item-impacts/{id} if item {id} fails: items hit (with depth),
                                          business services, participants, failed over
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema, inline_serializer
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.response import Response

from regie.api.base import ScopedViewSetMixin, StrictFieldsMixin

from . import impact as impacts
from . import relations as rules
from .choices import RelationKind
from .models import ConfigurationItem, Relation


class RelationSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    source = serializers.IntegerField(source="source_id", help_text=_("The item that needs the target."))
    target = serializers.IntegerField(source="target_id", help_text=_("The item that is needed."))
    kind = serializers.ChoiceField(choices=RelationKind.choices)
    kindName = serializers.CharField(source="get_kind_display", read_only=True)
    sourceName = serializers.CharField(source="source.name", read_only=True)
    targetName = serializers.CharField(source="target.name", read_only=True)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)
    createdAt = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Relation
        fields = ["id", "source", "sourceName", "kind", "kindName", "target", "targetName", "note", "createdAt"]
        read_only_fields = ["id", "sourceName", "kindName", "targetName", "createdAt"]


RELATION_FILTERS = [
    OpenApiParameter("item", OpenApiTypes.INT, description="Relations with this item at either end."),
    OpenApiParameter("source", OpenApiTypes.INT, description="Relations from this item (what it needs)."),
    OpenApiParameter("target", OpenApiTypes.INT, description="Relations to this item (what needs it)."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=RelationKind.values),
]


def _int_param(request, name):
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise serializers.ValidationError({name: [_("A whole number is required.")]}) from exc


class RelationViewSet(ScopedViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """Typed relations: read "source kind target", the source needs the target. Both ends
    must be items you may see; an item is never related to itself; no duplicates."""

    model = Relation
    queryset = Relation.objects.none()
    serializer_class = RelationSerializer
    filter_backends = []
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self):
        queryset = rules.visible_relations(self.request.user).select_related("source", "target")
        if self.action != "list":
            return queryset
        filters = {name: _int_param(self.request, name) for name in ("item", "source", "target")}
        if filters["item"] is not None:
            queryset = queryset.filter(Q(source_id=filters["item"]) | Q(target_id=filters["item"]))
        if filters["source"] is not None:
            queryset = queryset.filter(source_id=filters["source"])
        if filters["target"] is not None:
            queryset = queryset.filter(target_id=filters["target"])
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in RelationKind.values:
                raise serializers.ValidationError({"kind": [_("Not a relation type.")]})
            queryset = queryset.filter(kind=kind)
        return queryset

    @extend_schema(parameters=RELATION_FILTERS)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        items = {item.pk: item for item in rules.visible_items(request.user).filter(
            pk__in=[data["source_id"], data["target_id"]])}
        missing = {name: [_("No such configuration item.")] for name, key in (("source", "source_id"),
                                                                               ("target", "target_id"))
                   if data[key] not in items}
        if missing:
            raise serializers.ValidationError(missing)
        try:
            relation = rules.add_relation(request.user, items[data["source_id"]], data["kind"],
                                          items[data["target_id"]], data.get("note", ""))
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else
                                              {"non_field_errors": exc.messages}) from exc
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(self.get_serializer(relation).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        relation = self.get_object()
        try:
            rules.remove_relation(request.user, relation)
        except DjangoPermissionDenied as exc:
            raise exceptions.PermissionDenied(str(exc)) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


IMPACT_ITEM = inline_serializer("ImpactItem", {
    "id": serializers.IntegerField(), "name": serializers.CharField(), "depth": serializers.IntegerField(),
    "type": serializers.CharField(), "typeName": serializers.CharField(), "organisation": serializers.IntegerField(),
    "status": serializers.CharField(), "failedOverTo": serializers.IntegerField(required=False),
}, many=True)

IMPACT_RESPONSE = inline_serializer("ConfigurationItemImpact", {
    "item": inline_serializer("ImpactStart", {"id": serializers.IntegerField(), "name": serializers.CharField()}),
    "items": IMPACT_ITEM,
    "businessServices": inline_serializer("ImpactBusinessService", {
        "id": serializers.IntegerField(), "name": serializers.CharField(), "depth": serializers.IntegerField(),
        "organisation": serializers.IntegerField()}, many=True),
    "participants": inline_serializer("ImpactParticipant", {
        "organisation": serializers.IntegerField(), "name": serializers.CharField(),
        "itemsHit": serializers.IntegerField()}, many=True),
    "failedOver": IMPACT_ITEM,
    "maxDepth": serializers.IntegerField(),
    "counts": inline_serializer("ImpactCounts", {
        "items": serializers.IntegerField(), "hiddenItems": serializers.IntegerField(),
        "hiddenBusinessServices": serializers.IntegerField(), "hiddenParticipants": serializers.IntegerField(),
        "failedOver": serializers.IntegerField()}),
})


class ConfigurationItemImpactViewSet(viewsets.GenericViewSet):
    """Impact analysis: if this configuration item fails, which items (with their depth),
    business services and participants are hit, and which items fail over. Items of other
    organisations than yours are counted, not named (provider staff see all)."""

    queryset = ConfigurationItem.objects.none()
    pagination_class = None
    filter_backends = []

    @extend_schema(responses={200: IMPACT_RESPONSE})
    def retrieve(self, request, pk=None):
        try:
            item_id = int(pk)
        except (TypeError, ValueError) as exc:
            raise exceptions.NotFound() from exc
        found = rules.visible_items(request.user).filter(pk=item_id).values_list("id", "name")[:1]
        if not found:
            raise exceptions.NotFound()
        pk, name = found[0]
        # Plain dicts straight from the walk (impact.impact_payload): no model instances and no
        # serializer per item; the schema above documents the shape.
        return Response({"item": {"id": pk, "name": name}, **impacts.impact_payload([pk], request.user)})


# (prefix, viewset, basename) registered on the API v1 router by regie.cmdb.api_routes.
ROUTES = [
    ("relations", RelationViewSet, "relation"),
    ("configuration-item-impacts", ConfigurationItemImpactViewSet, "configuration-item-impact"),
]
