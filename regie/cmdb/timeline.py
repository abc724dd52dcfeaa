"""A configuration item's timeline (issue 4, item 9): its changes (audit records of the
item), the relation changes that touch it (audit records of relations where it is the
source or the target, also of relations removed since), and the calls that are about it
(AffectedItem), merged newest first.

Keyset-paginated over the two sources: the cursor holds (timestamp, source rank, id) of
the last entry shown; each source reads at most one page after it (two queries, plus one
per kind of referenced object on the page to name it). What shows is decided by the
scopes of AuditRecord and AffectedItem (`for_user`): a participant sees its own records.
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from regie.core.models import AuditRecord, Location, Organisation, User

from .choices import CIStatus, RelationKind
from .models import (
    AffectedItem,
    ConfigurationItem,
    ConfigurationItemModel,
    ConfigurationItemType,
    Contract,
    Relation,
    Supplier,
)

AUDIT, CALL = 1, 0  # ranks: at the same moment, an audit record sorts before a call
CHANGE, RELATION, CALL_KIND = "change", "relation", "call"
# Foreign keys of an item named in its changes: attname → model.
REFERENCES = {
    "organisation_id": Organisation, "ci_type_id": ConfigurationItemType, "model_id": ConfigurationItemModel,
    "supplier_id": Supplier, "location_id": Location, "assigned_to_id": User,
    "maintenance_contract_id": Contract, "framework_contract_id": Contract,
}
HIDDEN_FIELDS = {"id", "updated_at", "created_at"}


class InvalidTimelineCursor(Exception):
    pass


@dataclass
class Entry:
    when: datetime
    rank: int
    pk: int
    kind: str
    action: str = ""
    who: str = ""
    title: str = ""
    url: str = ""
    changes: list = field(default_factory=list)


@dataclass
class TimelinePage:
    items: list
    next_cursor: str | None

    @property
    def has_next(self):
        return self.next_cursor is not None


def _encode(entry):
    raw = json.dumps({"t": entry.when.isoformat(), "r": entry.rank, "i": entry.pk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor):
    try:
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()).decode())
        when = datetime.fromisoformat(data["t"])
        rank, pk = int(data["r"]), int(data["i"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidTimelineCursor from exc
    if when.tzinfo is None or rank not in (AUDIT, CALL):
        raise InvalidTimelineCursor
    return when, rank, pk


def _after(field_name, rank, cursor):
    """Q for rows of a source with `rank` strictly after the cursor (newest first)."""
    if cursor is None:
        return Q()
    when, cursor_rank, pk = cursor
    if cursor_rank == rank:
        return Q(**{f"{field_name}__lt": when}) | Q(**{field_name: when, "pk__lt": pk})
    if rank < cursor_rank:
        return Q(**{f"{field_name}__lte": when})
    return Q(**{f"{field_name}__lt": when})


def audit_records_of(user, item):
    """The audit records of the item and of the relations that touch (or touched) it."""
    item_type = ContentType.objects.get_for_model(ConfigurationItem)
    relation_type = ContentType.objects.get_for_model(Relation)
    current = (Relation.all_objects.filter(Q(source_id=item.pk) | Q(target_id=item.pk))
               .annotate(key=Cast("pk", CharField())).values("key"))
    removed = AuditRecord.all_objects.filter(content_type=relation_type, action="delete").filter(
        Q(changes__source_id__0=item.pk) | Q(changes__target_id__0=item.pk)
    ).values("object_id")
    return AuditRecord.objects.for_user(user).filter(
        Q(content_type=item_type, object_id=str(item.pk))
        | Q(content_type=relation_type, object_id__in=current)
        | Q(content_type=relation_type, object_id__in=removed)
    )


def timeline_page(user, item, cursor=None, page_size=25):
    """One page of the item's timeline after `cursor` (None: the newest)."""
    position = _decode(cursor) if cursor else None
    item_type_id = ContentType.objects.get_for_model(ConfigurationItem).pk
    records = list(
        audit_records_of(user, item).filter(_after("timestamp", AUDIT, position))
        .order_by("-timestamp", "-id")[: page_size + 1]
    )
    calls = list(
        AffectedItem.objects.for_user(user).filter(item=item).filter(_after("added_at", CALL, position))
        .select_related("ticket", "added_by").order_by("-added_at", "-id")[: page_size + 1]
    )
    entries = [(record.timestamp, AUDIT, record.pk, record) for record in records]
    entries += [(link.added_at, CALL, link.pk, link) for link in calls]
    entries.sort(key=lambda row: (row[0], row[1], row[2]), reverse=True)
    shown = entries[:page_size]
    audit_shown = [row[3] for row in shown if row[1] == AUDIT]
    names = _referenced_names([record for record in audit_shown if record.content_type_id == item_type_id])
    item_names = _related_item_names([record for record in audit_shown if record.content_type_id != item_type_id])
    result = []
    for when, rank, pk, source in shown:
        if rank == CALL:
            ticket = source.ticket
            result.append(Entry(when, rank, pk, CALL_KIND, action="linked",
                                who=source.added_by.get_username() if source.added_by_id else "",
                                title=f"{ticket.reference} — {ticket.title}", url=ticket.get_absolute_url()))
        elif source.content_type_id == item_type_id:
            result.append(Entry(when, rank, pk, CHANGE, action=source.action, who=source.actor_label,
                                title=source.get_action_display(),
                                changes=describe_changes(item, source.changes, names)))
        else:
            result.append(Entry(when, rank, pk, RELATION, action=source.action, who=source.actor_label,
                                title=_relation_title(source, item_names)))
    next_cursor = _encode(result[-1]) if len(entries) > page_size and result else None
    return TimelinePage(result, next_cursor)


def _relation_end(record, attname):
    """The value of `attname` a relation's audit record names: the new one, or the old one of a removal."""
    pair = (record.changes or {}).get(attname)
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return None
    return pair[1] if pair[1] is not None else pair[0]


def _related_item_names(relation_records):
    """{item id: name} of both ends of these relation records (one query)."""
    ids = {_relation_end(record, end) for record in relation_records for end in ("source_id", "target_id")}
    ids = [pk for pk in ids if isinstance(pk, int)]
    if not ids:
        return {}
    return dict(ConfigurationItem.all_objects.filter(pk__in=ids).values_list("pk", "name"))


def _relation_title(record, item_names):
    """"<source> <kind> <target>" in the reader's language; what the record stored when an end
    or the kind is no longer known (an item deleted since)."""
    source, kind, target = (_relation_end(record, name) for name in ("source_id", "kind", "target_id"))
    if source in item_names and target in item_names and kind in RelationKind.values:
        return f"{item_names[source]} {RelationKind(kind).label} {item_names[target]}"
    return record.object_repr


def _referenced_names(records):
    """{(attname, id): name} for the foreign keys named in these item changes (one query per model)."""
    wanted = {}
    for record in records:
        for attname, pair in (record.changes or {}).items():
            if attname in REFERENCES:
                for value in pair or []:
                    if value is not None:
                        wanted.setdefault(REFERENCES[attname], set()).add(value)
    names = {}
    for model, ids in wanted.items():
        manager = getattr(model, "all_objects", None) or model._base_manager
        ids = [value for value in ids if isinstance(value, int)]
        for obj in manager.filter(pk__in=ids):
            names[(model, obj.pk)] = str(obj)
    return names


def describe_changes(item, changes, names):
    """[(label, old, new)] of one audit record of the item, in words."""
    rows = []
    specs = {spec["code"]: spec for spec in item.ci_type.attribute_schema or []}
    fields = {f.attname: f for f in ConfigurationItem._meta.concrete_fields}
    for attname, pair in (changes or {}).items():
        if attname in HIDDEN_FIELDS or not isinstance(pair, list | tuple) or len(pair) != 2:
            continue
        old, new = pair
        if attname == "attributes":
            old, new = old or {}, new or {}
            for code in sorted(set(old) | set(new)):
                if old.get(code) != new.get(code):
                    label = (specs.get(code) or {}).get("label") or code
                    rows.append((label, _attribute_text(specs.get(code), old.get(code)),
                                 _attribute_text(specs.get(code), new.get(code))))
            continue
        model_field = fields.get(attname)
        label = str(model_field.verbose_name) if model_field is not None else attname
        rows.append((label, _value_text(attname, old, names), _value_text(attname, new, names)))
    return rows


def _value_text(attname, value, names):
    if value is None or value == "":
        return "—"
    if attname == "status" and value in CIStatus.values:
        return str(CIStatus(value).label)
    if attname in REFERENCES:
        return names.get((REFERENCES[attname], value), f"#{value}")
    if attname in ("purchase_date", "warranty_end") and isinstance(value, str):
        return parse_date(value) or value
    return value


def _attribute_text(spec, value):
    if value is None:
        return "—"
    if spec and spec.get("kind") == "boolean":
        return _("yes") if value else _("no")
    if spec and spec.get("kind") == "date" and isinstance(value, str):
        return parse_date(value) or value
    return value
