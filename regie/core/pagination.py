"""Keyset pagination for the UI: one query per page, whatever the depth.

An offset page 40,000 deep makes the database walk 1,000,000 rows and a COUNT(*) on
every request; a keyset page starts from the last row seen with an index seek. The
cursor is opaque (base64 JSON of the last row's sort values) and validated on the way
in, so a forged cursor is a 400-class error, never a 500.
"""

import base64
import binascii
import json
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q


class InvalidCursor(Exception):
    pass


@dataclass
class Page:
    items: list
    next_cursor: str | None
    previous_cursor: str | None
    page_size: int

    @property
    def has_next(self):
        return self.next_cursor is not None

    @property
    def has_previous(self):
        return self.previous_cursor is not None


def _parse_ordering(ordering):
    return [(name.lstrip("-"), name.startswith("-")) for name in ordering]


def _encode(values, backwards=False):
    raw = json.dumps({"v": values, "b": backwards}, default=str, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor, model, fields):
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        values = data["v"]
        backwards = bool(data.get("b"))
        if not isinstance(values, list) or len(values) != len(fields):
            raise InvalidCursor
        parsed = [
            model._meta.get_field(name).to_python(value) for (name, _desc), value in zip(fields, values, strict=True)
        ]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError, ValidationError) as exc:
        raise InvalidCursor from exc
    return parsed, backwards


def _after(fields, values, backwards):
    """Q for rows strictly after `values` in the sort order (before, when backwards)."""
    condition = Q()
    for index in range(len(fields) - 1, -1, -1):
        name, descending = fields[index]
        forward_lookup = "lt" if descending else "gt"
        if backwards:
            forward_lookup = "gt" if forward_lookup == "lt" else "lt"
        step = Q(**{f"{name}__{forward_lookup}": values[index]})
        equal_prefix = Q(**{fields[i][0]: values[i] for i in range(index)})
        condition = (equal_prefix & step) | condition if index < len(fields) - 1 else equal_prefix & step
    return condition


def paginate(queryset, ordering, cursor=None, page_size=25):
    """`ordering` ends with a unique field (usually -id) so positions are total."""
    fields = _parse_ordering(ordering)
    backwards = False
    if cursor:
        values, backwards = _decode(cursor, queryset.model, fields)
        queryset = queryset.filter(_after(fields, values, backwards))
    if backwards:
        reverse = [("" if desc else "-") + name for name, desc in fields]
        rows = list(queryset.order_by(*reverse)[: page_size + 1])
        has_more_before = len(rows) > page_size
        rows = list(reversed(rows[:page_size]))
        has_more_after = True
    else:
        rows = list(queryset.order_by(*ordering)[: page_size + 1])
        has_more_after = len(rows) > page_size
        rows = rows[:page_size]
        has_more_before = bool(cursor)

    def key(row):
        return [getattr(row, name) for name, _desc in fields]

    next_cursor = _encode(key(rows[-1])) if rows and has_more_after else None
    previous_cursor = _encode(key(rows[0]), backwards=True) if rows and has_more_before else None
    return Page(rows, next_cursor, previous_cursor, page_size)
