"""Relation rules: adding and removing typed relations between configuration items.

Read a relation as "<source> <kind> <target>": the source needs the target (see
RelationKind). The rules here are the only way the UI and the API change relations:

- an item is never related to itself (also a CHECK constraint in the database);
- the same (source, kind, target) exists once (also a UNIQUE constraint);
- both items must be visible to the user (another municipality's item is "not found");
- a few cheap type checks: "located in" points at a datacenter or facility, "installed
  on" starts at software, "fails over to" joins two items of the same type.

Every change is audited by ChangeLoggedModel (one record per relation created or removed,
with the organisation of the source item).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .choices import CICategory, CIStatus, RelationKind
from .models import ConfigurationItem, Relation

# Categories a "located in" relation may point at.
LOCATION_CATEGORIES = {CICategory.FACILITY}
# Categories an "installed on" relation may start from.
INSTALLABLE_CATEGORIES = {CICategory.SOFTWARE, CICategory.SECURITY}


def can_keep_relations(user):
    return user.has_perm("cmdb.add_relation") and user.has_perm("cmdb.delete_relation")


def visible_items(user):
    if not user.has_perm("cmdb.view_configurationitem"):
        return ConfigurationItem.objects.none()
    return ConfigurationItem.objects.for_user(user)


def visible_relations(user):
    """Relations whose two ends the user may both see."""
    if not user.has_perm("cmdb.view_relation") or not user.has_perm("cmdb.view_configurationitem"):
        return Relation.objects.none()
    from regie.core.tenancy import is_provider_staff

    queryset = Relation.objects.for_user(user)
    if not is_provider_staff(user):
        queryset = queryset.filter(target__organisation_id=user.organisation_id)
    return queryset


def find_item(user, text):
    """An item the user may see, by id, asset tag, serial number or exact name.
    Raises ValidationError when none or several match."""
    text = (text or "").strip()
    if not text:
        raise ValidationError(_("Name the related item."))
    items = visible_items(user).select_related("ci_type")
    match = Q(asset_tag__iexact=text) | Q(serial_number__iexact=text) | Q(name__iexact=text)
    if text.isdigit():
        match |= Q(pk=int(text))
    found = list(items.filter(match)[:2])
    if not found:
        raise ValidationError(_("No configuration item “%(text)s” was found.") % {"text": text})
    if len(found) > 1:
        raise ValidationError(
            _("Several items match “%(text)s”; give the asset tag or serial number instead.") % {"text": text}
        )
    return found[0]


def _check_types(source, kind, target):
    if kind == RelationKind.LOCATED_IN and target.ci_type.category not in LOCATION_CATEGORIES:
        raise ValidationError({"target": _("An item can only be located in a datacenter or facility.")})
    if kind == RelationKind.INSTALLED_ON and source.ci_type.category not in INSTALLABLE_CATEGORIES:
        raise ValidationError({"source": _("Only software (an application, database or token) is installed on "
                                           "something.")})
    if kind == RelationKind.FAILS_OVER_TO and source.ci_type_id != target.ci_type_id:
        raise ValidationError({"target": _("An item fails over to an item of the same type.")})


def add_relation(user, source, kind, target, note=""):
    """Create `source kind target` for `user`. Returns the relation; raises
    ValidationError (with field names source/kind/target) or PermissionDenied."""
    if not user.has_perm("cmdb.add_relation"):
        raise PermissionDenied(_("You may not add relations."))
    if kind not in RelationKind.values:
        raise ValidationError({"kind": _("Choose a valid relation type.")})
    visible = visible_items(user)
    ids = {source.pk, target.pk}
    seen = {item.pk: item for item in visible.filter(pk__in=ids).select_related("ci_type")}
    if source.pk not in seen:
        raise ValidationError({"source": _("No such configuration item.")})
    if target.pk not in seen:
        raise ValidationError({"target": _("No such configuration item.")})
    source, target = seen[source.pk], seen[target.pk]
    if source.pk == target.pk:
        raise ValidationError({"target": _("An item cannot be related to itself.")})
    if target.status == CIStatus.DISPOSED or source.status == CIStatus.DISPOSED:
        raise ValidationError({"target": _("A disposed item takes no new relations.")})
    _check_types(source, kind, target)
    if Relation.all_objects.filter(source=source, kind=kind, target=target).exists():
        raise ValidationError({"target": _("This relation already exists.")})
    relation = Relation(source=source, kind=kind, target=target, note=(note or "")[:200])
    try:
        with transaction.atomic():
            relation.save()
    except IntegrityError as exc:  # a concurrent duplicate
        raise ValidationError({"target": _("This relation already exists.")}) from exc
    return relation


def remove_relation(user, relation):
    """Delete a relation the user may see and keep (audited)."""
    if not user.has_perm("cmdb.delete_relation"):
        raise PermissionDenied(_("You may not remove relations."))
    if not visible_relations(user).filter(pk=relation.pk).exists():
        raise Relation.DoesNotExist
    with transaction.atomic():
        relation.delete()


def relations_of(user, item):
    """(outgoing, incoming) relations of `item` the user may see, with both ends loaded."""
    base = visible_relations(user).select_related(
        "source__ci_type", "source__organisation", "target__ci_type", "target__organisation"
    ).order_by("kind", "id")
    outgoing = list(base.filter(source=item))
    incoming = list(base.filter(target=item))
    return outgoing, incoming


def hidden_relation_count(user, item):
    """How many relations of `item` touch items the user may not see (counted, never named)."""
    from regie.core.tenancy import is_provider_staff

    if is_provider_staff(user):
        return 0
    return (
        Relation.all_objects.filter(Q(source=item) | Q(target=item))
        .exclude(source__organisation_id=user.organisation_id, target__organisation_id=user.organisation_id)
        .count()
    )


# --- affected items of a call -----------------------------------------------------------------


def add_affected_item(user, ticket, item):
    """Record that call `ticket` is about `item` (both looked up in the user's scope).
    The item belongs to the call's organisation or to the provider."""
    from .models import AffectedItem

    if not user.has_perm("cmdb.add_affecteditem"):
        raise PermissionDenied(_("You may not change the items of a call."))
    if not visible_items(user).filter(pk=item.pk).exists():
        raise ValidationError({"item": _("No such configuration item.")})
    if item.organisation_id != ticket.organisation_id and not item.organisation.is_provider:
        raise ValidationError({"item": _("This item belongs to another organisation than the call.")})
    if AffectedItem.all_objects.filter(ticket=ticket, item=item).exists():
        raise ValidationError({"item": _("This item is already linked to the call.")})
    affected = AffectedItem(ticket=ticket, item=item, added_by=user)
    try:
        with transaction.atomic():
            affected.save()
    except IntegrityError as exc:
        raise ValidationError({"item": _("This item is already linked to the call.")}) from exc
    return affected


def remove_affected_item(user, affected):
    if not user.has_perm("cmdb.delete_affecteditem"):
        raise PermissionDenied(_("You may not change the items of a call."))
    with transaction.atomic():
        affected.delete()
