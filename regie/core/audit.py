"""The change log: who changed what, when, from where, and the before/after.

`ChangeLoggedModel` snapshots a row before saving and writes one append-only
`AuditRecord` with the diff after; deletes record the last state. The request's actor
and address live in a context variable set by `AuditContextMiddleware`; tasks and
commands set their own with `audit_context(...)`. Bulk changes go through
`audited_bulk_update` / `audited_delete` so they are recorded too; code that writes rows
in bulk itself (imports) records them with `bulk_write_records`.
"""

import contextvars
import hashlib
import json
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone


@dataclass
class AuditContext:
    actor: object = None
    actor_label: str = ""
    remote_addr: str | None = None
    user_agent: str = ""
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)


_current = contextvars.ContextVar("regie_audit_context", default=None)


def current_context():
    return _current.get() or AuditContext(actor_label="system")


@contextmanager
def audit_context(actor=None, actor_label="", remote_addr=None, user_agent="", request_id=None):
    ctx = AuditContext(
        actor=actor,
        actor_label=actor_label or (actor.get_username() if actor is not None else "system"),
        remote_addr=remote_addr,
        user_agent=(user_agent or "")[:300],
        request_id=request_id or uuid.uuid4().hex,
    )
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def snapshot(instance):
    """The instance's concrete field values, JSON-safe, minus excluded (secret) fields."""
    excluded = set(getattr(instance, "audit_exclude_fields", ()))
    data = {}
    for f in instance._meta.concrete_fields:
        if f.name in excluded:
            continue
        data[f.attname] = _jsonable(f.value_from_object(instance))
    return data


def diff(before, after):
    keys = set(before or {}) | set(after or {})
    return {
        key: [(before or {}).get(key), (after or {}).get(key)]
        for key in sorted(keys)
        if (before or {}).get(key) != (after or {}).get(key)
    }


def record_hash(fields):
    """Hash of a record's content; the seal chain covers these hashes."""
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def hashed_fields(record):
    return {
        "timestamp": record.timestamp.astimezone(UTC).isoformat(),
        "actor_id": record.actor_id,
        "actor_label": record.actor_label,
        "action": record.action,
        "result": record.result,
        "content_type_id": record.content_type_id,
        "object_id": record.object_id,
        "object_repr": record.object_repr,
        "organisation_id": record.organisation_id,
        "changes": record.changes,
        "remote_addr": record.remote_addr,
        "user_agent": record.user_agent,
        "request_id": record.request_id,
        "message": record.message,
    }


def write_record(action, *, instance=None, changes=None, result="success", message="", actor=None,
                 organisation_id=None, object_repr=None):
    """Append one audit record. Used by the mixin and for sign-ins and refusals."""
    from django.contrib.contenttypes.models import ContentType

    from .models import AuditRecord

    ctx = current_context()
    actor = actor if actor is not None else ctx.actor
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    record = AuditRecord(
        timestamp=timezone.now(),
        actor=actor,
        actor_label=(actor.get_username() if actor is not None else ctx.actor_label or "anonymous")[:200],
        action=action,
        result=result,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True) if instance else None,
        object_id=str(instance.pk) if instance is not None and instance.pk is not None else "",
        object_repr=(object_repr if object_repr is not None else str(instance) if instance is not None else "")[:300],
        organisation_id=organisation_id
        if organisation_id is not None
        else (instance.audit_organisation_id() if hasattr(instance, "audit_organisation_id") else None),
        changes=_jsonable(changes or {}),
        remote_addr=ctx.remote_addr,
        user_agent=ctx.user_agent,
        request_id=ctx.request_id,
        message=message[:300],
    )
    # Hash exactly what the database will hand back: IPv6 in its canonical form, "" as NULL.
    record.remote_addr = AuditRecord._meta.get_field("remote_addr").get_prep_value(record.remote_addr) or None
    # Timestamps are hashed in UTC at microsecond precision; keep what the DB keeps.
    record.record_hash = record_hash(hashed_fields(record))
    record.save()
    return record


class ChangeLoggedModel(models.Model):
    """Mixin: every create, update and delete writes one audit record (snapshot+diff)."""

    audit_exclude_fields: tuple = ()

    class Meta:
        abstract = True

    def audit_organisation_id(self):
        return getattr(self, "organisation_id", None)

    def save(self, *args, **kwargs):
        creating = self._state.adding or self.pk is None
        before = None
        if not creating:
            previous = type(self)._base_manager.filter(pk=self.pk).first()
            before = snapshot(previous) if previous is not None else None
            creating = previous is None
        # No savepoint of our own inside an outer transaction: an error rolls the whole
        # transaction back anyway, and savepoints cost a round trip each.
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            after = snapshot(self)
            changes = diff(before, after)
            if creating:
                write_record("create", instance=self, changes=changes)
            elif changes:
                write_record("update", instance=self, changes=changes)

    def delete(self, *args, **kwargs):
        before = snapshot(self)
        with transaction.atomic(savepoint=False):
            write_record("delete", instance=self, changes=diff(before, {}))
            return super().delete(*args, **kwargs)


def bulk_write_records(entries, *, batch_size=2000, changes_are_jsonable=False):
    """Append many audit records with few statements (imports of thousands of rows).

    `entries` is an iterable of `(action, instance, changes)`; each record holds exactly
    what `write_record` would have written for it (same actor and request from the audit
    context, same hash), so the seal chain covers them as usual. All get the same
    timestamp. Call it inside the transaction that makes the changes. On PostgreSQL the
    rows go in with COPY, elsewhere with bulk_create. Returns the count.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection

    from .models import AuditRecord

    ctx = current_context()
    actor = ctx.actor if ctx.actor is not None and getattr(ctx.actor, "is_authenticated", False) else None
    actor_id = actor.pk if actor is not None else None
    actor_label = (actor.get_username() if actor is not None else ctx.actor_label or "anonymous")[:200]
    remote_addr = AuditRecord._meta.get_field("remote_addr").get_prep_value(ctx.remote_addr) or None
    now = timezone.now()
    stamp = now.astimezone(UTC).isoformat()
    content_types = {}
    use_copy = connection.vendor == "postgresql"
    columns = ("timestamp", "actor_id", "actor_label", "action", "result", "content_type_id", "object_id",
               "object_repr", "organisation_id", "changes", "remote_addr", "user_agent", "request_id", "message",
               "record_hash")
    batch = []
    count = 0

    def flush():
        if not batch:
            return
        if use_copy:
            table = connection.ops.quote_name(AuditRecord._meta.db_table)
            with connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
        else:
            AuditRecord.all_objects.bulk_create(
                [AuditRecord(**dict(zip(columns, row, strict=True)) | {"changes": fields["changes"]})
                 for row, fields in zip(batch, batch_fields, strict=True)]
            )

    batch_fields = []
    for action, instance, changes in entries:
        model = type(instance)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(instance, for_concrete_model=True).pk
        fields = {
            "timestamp": stamp,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "result": "success",
            "content_type_id": content_types[model],
            "object_id": str(instance.pk),
            "object_repr": str(instance)[:300],
            "organisation_id": instance.audit_organisation_id() if hasattr(instance, "audit_organisation_id") else None,
            "changes": (changes or {}) if changes_are_jsonable else _jsonable(changes or {}),
            "remote_addr": remote_addr,
            "user_agent": ctx.user_agent,
            "request_id": ctx.request_id,
            "message": "",
        }
        digest = record_hash(fields)
        batch.append((
            now, actor_id, actor_label, action, "success", fields["content_type_id"], fields["object_id"],
            fields["object_repr"], fields["organisation_id"],
            json.dumps(fields["changes"]) if use_copy else None, remote_addr, ctx.user_agent, ctx.request_id, "",
            digest,
        ))
        batch_fields.append(fields)
        if len(batch) >= batch_size:
            flush()
            count += len(batch)
            batch = []
            batch_fields = []
    flush()
    count += len(batch)
    return count


def audited_bulk_update(queryset, **values):
    """Update every row of `queryset` with an audit record per changed row."""
    with transaction.atomic():
        count = 0
        for obj in queryset.select_for_update():
            for name, value in values.items():
                setattr(obj, name, value)
            obj.save(update_fields=list(values))
            count += 1
        return count


def audited_delete(queryset):
    with transaction.atomic():
        count = 0
        for obj in queryset.select_for_update():
            obj.delete()
            count += 1
        return count
