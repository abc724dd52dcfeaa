"""Network links and the two datacenters (§4.6, §4.1.3–4.1.4).

A network link is a configuration item of type "netwerkverbinding" with its NetworkLink
(ends, kind, bandwidth, provider, redundant partner). Gemnet and the Internet are
connected twice, once from each datacenter: such a link without a partner from the other
datacenter is warned about.

A datacenter is an item of type "datacenter"; what is placed in it is every item "located
in" it, or located at the datacenter's Location. Critical items there (those with a
recovery time objective, marked critical, or storage) should have a recovery time
objective (4 hours for BRP, BAG, storage, authentication, domain and mail servers) and a
failover partner; both are warned about when missing.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .choices import NetworkLinkKind, RelationKind
from .models import ConfigurationItem, ConfigurationItemType, NetworkLink, Relation

LINK_TYPE = "netwerkverbinding"
DATACENTER_TYPE = "datacenter"
STORAGE_TYPE = "opslagsysteem"
DOUBLE_KINDS = {NetworkLinkKind.GEMNET, NetworkLinkKind.INTERNET}


def can_keep_links(user):
    return user.has_perm("cmdb.add_configurationitem") and user.has_perm("cmdb.change_configurationitem")


def visible_links(user):
    if not user.has_perm("cmdb.view_configurationitem"):
        return NetworkLink.objects.none()
    return NetworkLink.objects.for_user(user)


def with_partner(link):
    """The link with `_partner` set: the link it names as redundant partner, or else the link
    that names it (select_related "redundant_with" and "redundant_partner" to spare queries)."""
    # A missing reverse one-to-one raises RelatedObjectDoesNotExist, an AttributeError.
    link._partner = link.redundant_with or getattr(link, "redundant_partner", None)
    return link


def links_with_partners(user):
    """Every link the user may see, each with its redundant partner (one statement)."""
    links = visible_links(user).select_related("redundant_with", "redundant_partner")
    return [with_partner(link) for link in links]


def link_warnings(link):
    """What is wrong with a link's redundancy (a list of sentences)."""
    warnings = []
    partner = link.redundant_with or getattr(link, "_partner", None)
    if link.kind in DOUBLE_KINDS:
        if partner is None:
            warnings.append(_("No redundant partner: %(kind)s is connected twice, once from each datacenter.")
                            % {"kind": link.get_kind_display()})
        elif partner.end_a_id == link.end_a_id:
            warnings.append(_("The redundant partner leaves from the same place; it should come from the other "
                              "datacenter."))
    if partner is not None and partner.kind != link.kind:
        warnings.append(_("The redundant partner is a link of another kind."))
    return warnings


@transaction.atomic
def save_link(user, data, link=None):
    """Create (link=None) or change a network link and its item. `data`: name, organisation,
    kind, end_a, end_b, bandwidth_mbps, provider, redundant_with, notes. Returns the link."""
    if not can_keep_links(user):
        raise PermissionDenied(_("You may not keep network links."))
    errors = {}
    kind = data.get("kind")
    if kind not in NetworkLinkKind.values:
        errors["kind"] = _("Choose a kind of link.")
    if not data.get("end_a"):
        errors["end_a"] = _("Give end A.")
    if not data.get("end_b") and kind in NetworkLinkKind.values and kind not in DOUBLE_KINDS:
        errors["end_b"] = _("Give end B; only a Gemnet or Internet link has one end.")
    if data.get("end_b") and data.get("end_a") and data["end_b"] == data["end_a"]:
        errors["end_b"] = _("The two ends are the same place.")
    bandwidth = data.get("bandwidth_mbps")
    if bandwidth is None or bandwidth <= 0:
        errors["bandwidth_mbps"] = _("The bandwidth must be more than 0 Mbit/s.")
    partner = data.get("redundant_with")
    if partner is not None:
        if link is not None and partner.pk == link.pk:
            errors["redundant_with"] = _("A link is not redundant with itself.")
        elif partner.kind != kind:
            errors["redundant_with"] = _("The redundant partner must be a link of the same kind.")
        else:
            taken = NetworkLink.all_objects.filter(redundant_with=partner).exclude(pk=getattr(link, "pk", None))
            if (partner.redundant_with_id not in (None, getattr(link, "pk", None))) or taken.exists():
                errors["redundant_with"] = _("That link already has a redundant partner.")
    if errors:
        raise ValidationError(errors)
    item_type = ConfigurationItemType.objects.unrestricted().get(code=LINK_TYPE)
    if link is None:
        item = ConfigurationItem(ci_type=item_type, organisation=data["organisation"], name=data["name"])
        item.location = data["end_a"]
        item.notes = data.get("notes", "")
        item.save()
        link = NetworkLink(item=item)
        old_partner = None
    else:
        item = link.item
        item.name, item.organisation, item.notes = data["name"], data["organisation"], data.get("notes", "")
        item.location = data["end_a"]
        item.save()
        old_partner = link.redundant_with
    link.kind, link.end_a, link.end_b = kind, data["end_a"], data.get("end_b")
    link.bandwidth_mbps, link.provider = bandwidth, data.get("provider")
    link.redundant_with = partner
    if old_partner is not None and old_partner != partner and old_partner.redundant_with_id == link.pk:
        old_partner.redundant_with = None
        old_partner.save()
    link.save()
    if partner is not None and partner.redundant_with_id != link.pk:
        partner.redundant_with = link
        partner.save()
    return link


# --- datacenters ----------------------------------------------------------------------------


@dataclass
class Placement:
    item: ConfigurationItem
    critical: bool
    failover_partners: list = field(default_factory=list)

    @property
    def rto_hours(self):
        return self.item.rto_hours

    @property
    def warnings(self):
        found = []
        if self.critical and self.item.recovery_time_objective is None:
            found.append(_("no recovery time objective"))
        if self.critical and not self.failover_partners:
            found.append(_("no failover partner"))
        return found


@dataclass
class Datacenter:
    item: ConfigurationItem
    placements: list
    other_count: int = 0
    placed_ids: list = field(default_factory=list)

    @property
    def critical(self):
        return [p for p in self.placements if p.critical]

    @property
    def warning_count(self):
        return sum(1 for p in self.placements if p.warnings)


def is_critical(item):
    return bool(
        item.recovery_time_objective is not None
        or (item.attributes or {}).get("critical") is True
        or item.ci_type.code == STORAGE_TYPE
    )


def datacenters(user):
    """The datacenters the user may see, each with its critical placed items. Five
    statements, whatever the number of items."""
    items = ConfigurationItem.objects.for_user(user) if user.has_perm("cmdb.view_configurationitem") else (
        ConfigurationItem.objects.none())
    centres = list(items.filter(ci_type__code=DATACENTER_TYPE).select_related("ci_type", "location").order_by("name"))
    if not centres:
        return []
    by_id = {dc.pk: dc for dc in centres}
    located = dict(
        Relation.all_objects.filter(kind=RelationKind.LOCATED_IN, target_id__in=by_id).values_list("source_id",
                                                                                                     "target_id")
    )
    by_location = {dc.location_id: dc.pk for dc in centres if dc.location_id}
    placed = list(
        items.filter(Q(pk__in=located) | Q(location_id__in=by_location))
        .exclude(ci_type__code=DATACENTER_TYPE)
        .select_related("ci_type", "organisation")
        .order_by("name", "id")
    )
    ids = [item.pk for item in placed]
    partners = {}
    for source, target in Relation.all_objects.filter(kind=RelationKind.FAILS_OVER_TO).filter(
        Q(source_id__in=ids) | Q(target_id__in=ids)
    ).values_list("source_id", "target_id"):
        partners.setdefault(source, []).append(target)
        partners.setdefault(target, []).append(source)
    result = {dc.pk: Datacenter(dc, []) for dc in centres}
    for item in placed:
        centre = located.get(item.pk) or by_location.get(item.location_id)
        result[centre].placed_ids.append(item.pk)
        if not is_critical(item):
            result[centre].other_count += 1
            continue
        result[centre].placements.append(Placement(item, True, partners.get(item.pk, [])))
    return list(result.values())
