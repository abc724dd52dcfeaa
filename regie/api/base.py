"""Shared API base classes: every viewset takes the same scoped queryset as the UI."""

from rest_framework import mixins, viewsets


class ScopedViewSetMixin:
    model = None
    select_related = ()
    # Without this permission a user sees nothing (empty list, 404 on detail), as in the UI.
    view_permission = None

    def get_queryset(self):
        user = self.request.user
        if self.view_permission and not user.has_perm(self.view_permission):
            return self.model.objects.none()
        return self.model.objects.for_user(user).select_related(*self.select_related)


class ScopedModelViewSet(
    ScopedViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, create, update (PUT/PATCH). No DELETE unless a model allows it."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class StrictFieldsMixin:
    """Unknown fields in a request body are an error, not silently ignored (mass
    assignment of organisation, owner or internal fields is refused)."""

    def to_internal_value(self, data):
        from django.utils.translation import gettext as _
        from rest_framework import serializers

        if isinstance(data, dict):
            writable = {name for name, f in self.fields.items() if not f.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_("This field is unknown or may not be written.")] for name in unknown}
                )
        return super().to_internal_value(data)
