"""Lists rendered without DRF's per-field machinery where it adds nothing.

For every row and field DRF walks the field's source, builds a placeholder object for a
related key, catches and checks for skips, and only then formats the value. For a plain
model column that is a `getattr` and the field's own `to_representation`; for a foreign key
shown as its primary key it is the `_id` attribute. `FastListSerializer` plans that once
per list and falls back to DRF's own steps for every other field (dotted sources, methods,
nested serializers), so the output is the same, which `tests/api/test_fast_lists.py`
checks against DRF. A list of 25 calls was ~30 % of the request's CPU
(docs/performance.md, section 5).

When a serializer's fields come from its class alone and every one is a plain column whose
representation needs nothing from the request, the plan is made once per class, so the
row serializer's fields are not even built for a list (DRF builds ~20 fields per request,
deep copies included: ~10 % of an API list request). Date-times are written as DRF writes
them (ISO 8601 in the current time zone, `Z` for UTC) without its per-value time-zone
lookups.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from rest_framework import ISO_8601, serializers
from rest_framework.fields import (
    BooleanField,
    CharField,
    ChoiceField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    IntegerField,
    SkipField,
    UUIDField,
)
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField
from rest_framework.settings import api_settings

_SKIP = object()

# Field representations that read nothing but the value and the field's own arguments.
_REQUEST_FREE = {
    field_class.to_representation
    for field_class in (BooleanField, CharField, ChoiceField, DateField, DateTimeField, DecimalField, FloatField,
                        IntegerField, UUIDField)
}

# Serializer class → its list plan, for classes whose plan does not depend on the request.
_SHARED_PLANS = {}


def _model_field(field, model):
    if field.source == "*" or len(field.source_attrs) != 1:
        return None
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None
    if not model_field.concrete or model_field.many_to_many:
        return None
    return model_field


def _is_plain_key(field):
    return (isinstance(field, PrimaryKeyRelatedField) and field.pk_field is None
            and type(field).to_representation is PrimaryKeyRelatedField.to_representation)


def _is_iso_datetime(field):
    output_format = getattr(field, "format", api_settings.DATETIME_FORMAT)
    return (type(field).to_representation is DateTimeField.to_representation
            and not hasattr(field, "timezone")
            and isinstance(output_format, str) and output_format.lower() == ISO_8601)


def _column_reader(field, model):
    """A fast reader `read(item, tz)` for `field` if it shows one concrete column of
    `model`, else None."""
    model_field = _model_field(field, model)
    if model_field is None:
        return None
    attname = model_field.attname
    if model_field.is_relation:
        return (lambda item, _tz: getattr(item, attname)) if _is_plain_key(field) else None
    represent = field.to_representation
    if _is_iso_datetime(field):

        def read_datetime(item, tz):
            value = getattr(item, attname)
            if value is None:
                return None
            if tz is None or type(value) is not datetime or value.tzinfo is None:
                return represent(value)  # no time zones, naive or odd values: DRF's own rules
            text = value.astimezone(tz).isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text

        return read_datetime

    def read(item, _tz):
        value = getattr(item, attname)
        return None if value is None else represent(value)

    return read


def _drf_reader(field):
    """DRF's own steps for one field (Serializer.to_representation)."""

    def read(item, _tz):
        try:
            attribute = field.get_attribute(item)
        except SkipField:
            return _SKIP
        check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check_for_none is None else field.to_representation(attribute)

    return read


def _plan(serializer, model):
    return [(field.field_name, (model and _column_reader(field, model)) or _drf_reader(field))
            for field in serializer._readable_fields]


def _fields_from_class_alone(serializer_class):
    """The class takes DRF's own way from its declaration to its fields and its rows."""
    return (serializer_class.__init__ is serializers.BaseSerializer.__init__
            and serializer_class.get_fields is serializers.ModelSerializer.get_fields
            and serializer_class.get_field_names is serializers.ModelSerializer.get_field_names
            and serializer_class.build_field is serializers.ModelSerializer.build_field
            and serializer_class.to_representation is serializers.Serializer.to_representation)


def _request_free(field, model):
    model_field = _model_field(field, model)
    if model_field is None:
        return False
    if model_field.is_relation:
        return _is_plain_key(field)
    return type(field).to_representation in _REQUEST_FREE


def shared_plan(serializer_class):
    """The class's list plan, made once, or None when a row may depend on the request.
    Made from an instance without context, so no request outlives its own."""
    if serializer_class in _SHARED_PLANS:
        return _SHARED_PLANS[serializer_class]
    plan = None
    model = getattr(getattr(serializer_class, "Meta", None), "model", None)
    if model is not None and _fields_from_class_alone(serializer_class):
        prototype = serializer_class(context={})
        readable = list(prototype._readable_fields)
        if all(_request_free(field, model) for field in readable):
            plan = _plan(prototype, model)
    _SHARED_PLANS[serializer_class] = plan
    return plan


class FastListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        if type(self.child).to_representation is not serializers.Serializer.to_representation:
            return super().to_representation(data)  # the rows are the serializer's own making
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        plan = shared_plan(type(self.child))
        if plan is None:
            model = getattr(getattr(self.child, "Meta", None), "model", None)  # None: not a ModelSerializer
            plan = _plan(self.child, model)
        tz = timezone.get_current_timezone() if settings.USE_TZ else None
        rows = []
        for item in iterable:
            row = {}
            for name, read in plan:
                value = read(item, tz)
                if value is not _SKIP:
                    row[name] = value
            rows.append(row)
        return rows
