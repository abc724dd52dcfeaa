"""Lists rendered without DRF's per-field machinery where it adds nothing.

For every row and field DRF walks the field's source, builds a placeholder object for a
related key, catches and checks for skips, and only then formats the value. For a plain
model column that is a `getattr` and the field's own `to_representation`; for a foreign key
shown as its primary key it is the `_id` attribute. `FastListSerializer` plans that once
per list and falls back to DRF's own steps for every other field (dotted sources, methods,
nested serializers), so the output is the same, which `tests/api/test_fast_lists.py`
checks against DRF. A list of 25 calls was ~30 % of the request's CPU
(docs/performance.md, section 5).
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from rest_framework import serializers
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField

_SKIP = object()


def _column_reader(field, model):
    """A fast reader for `field` if it shows one concrete column of `model`, else None."""
    if field.source == "*" or len(field.source_attrs) != 1:
        return None
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None
    if not model_field.concrete or model_field.many_to_many:
        return None
    attname = model_field.attname
    if model_field.is_relation:
        plain_key = (isinstance(field, PrimaryKeyRelatedField) and field.pk_field is None
                     and type(field).to_representation is PrimaryKeyRelatedField.to_representation)
        return (lambda item: getattr(item, attname)) if plain_key else None
    represent = field.to_representation

    def read(item):
        value = getattr(item, attname)
        return None if value is None else represent(value)

    return read


def _drf_reader(field):
    """DRF's own steps for one field (Serializer.to_representation)."""

    def read(item):
        try:
            attribute = field.get_attribute(item)
        except SkipField:
            return _SKIP
        check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check_for_none is None else field.to_representation(attribute)

    return read


class FastListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        model = getattr(getattr(self.child, "Meta", None), "model", None)  # None: not a ModelSerializer
        plan = [(field.field_name, (model and _column_reader(field, model)) or _drf_reader(field))
                for field in self.child._readable_fields]
        rows = []
        for item in iterable:
            row = {}
            for name, read in plan:
                value = read(item)
                if value is not _SKIP:
                    row[name] = value
            rows.append(row)
        return rows
