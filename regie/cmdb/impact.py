"""Impact analysis: if these configuration items fail, which items, business services and
participants are hit?

Relations read "<source> needs <target>", so the items hit by a failing item are found by
walking relations backwards, from target to source, transitively.

The rules (documented in docs/user-guide.md, "Impact-analyse"):

1. "runs on", "depends on", "connected to", "installed on" and "located in" carry a
   failure from the target to the source.
2. "backed up by" does not: a backup system that fails takes no service down (the
   backup is at risk, not the service).
3. "fails over to": an item X with "X fails over to Y" whose partner Y is in use and is
   not itself hit by the same failure, is *covered*: X is (or may be) down, but its
   function continues on Y, so the failure does not travel further through X. Covered
   items are listed as "failed over"; other than the failing ones, they are not down. Whether Y
   is hit is decided on the plain walk (rule 1 only), which over-approximates the hit
   set; so a partner reached by the same failure (both in one datacenter, say) never
   counts as cover. The failover relation itself carries no failure either way.
4. Retired and disposed items are neither hit nor pass a failure on.
5. Cycles are harmless: the walk is a set (UNION), each item is visited once, and its
   depth is the length of the shortest path from a failing item (failing items: 0).

Business services are the hit items of type `bedrijfsdienst`; participants are the owners
(organisations of kind participant) of the hit items — whose workplaces, applications or
services depend on the failing item are among those, transitively.

The walk is one recursive CTE (WITH RECURSIVE ... UNION) that runs on PostgreSQL and on
SQLite alike and returns the edges of the reached subgraph, marking the items that have a
failover partner; a second statement, only when there are such items, fetches their
partners; the depths and the failover rule are then computed
in Python over that subgraph (at most a few thousand edges). The hit items' names,
types and owners come with the walk. At most two statements, whatever the size.

Tenancy: the walk sees every organisation's relations (a municipality's application runs
on the provider's servers), but what a user is shown is cut to what they may see:
`for_user()` names only items the user may see and counts the others.
"""

from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.db import connection

from regie.core.choices import OrganisationKind
from regie.core.tenancy import is_provider_staff

from .choices import CIStatus, RelationKind
from .models import ConfigurationItem, Relation

BUSINESS_SERVICE_TYPE = "bedrijfsdienst"
NON_PROPAGATING = (RelationKind.FAILS_OVER_TO.value, RelationKind.BACKED_UP_BY.value)
INACTIVE = (CIStatus.RETIRED.value, CIStatus.DISPOSED.value)
# A failover partner covers only while it is in use.
UP = (CIStatus.IN_USE.value,)


def _walk_sql(start_count):
    """The recursive walk. Each row is an edge of the reached subgraph, (source, target),
    found by following "source needs target" backwards, with the source's name, type and
    owner; the failing items come as (item, item). UNION drops rows seen before, so a cycle
    ends the walk. The item table is joined inside the recursion (one index probe per
    edge, which also yields the details), which keeps PostgreSQL's planner on nested loops
    whatever it guesses the CTE's size to be; types and organisations are small tables.
    Whether an item has a failover partner is a correlated scalar subquery with LIMIT 1, an
    index probe per reached item on (source, kind, target): an EXISTS there was planned as
    a hashed subplan over a sequential scan of every relation (the planner guesses the CTE
    at ~9,000 rows), which cost 10 ms on the bench estate."""
    from regie.core.models import Organisation

    from .models import ConfigurationItemType

    item = ConfigurationItem._meta.db_table
    relation = Relation._meta.db_table
    types = ConfigurationItemType._meta.db_table
    organisations = Organisation._meta.db_table
    placeholders = ", ".join(["%s"] * start_count)
    np = ", ".join(["%s"] * len(NON_PROPAGATING))
    inactive = ", ".join(["%s"] * len(INACTIVE))
    # Table names come from the models; every value is a parameter.
    sql = f"""
WITH RECURSIVE reach(id, via, name, ci_type_id, organisation_id, status) AS (
    SELECT i.id, i.id, i.name, i.ci_type_id, i.organisation_id, i.status FROM {item} i WHERE i.id IN ({placeholders})
  UNION
    SELECT s.id, r.target_id, s.name, s.ci_type_id, s.organisation_id, s.status FROM {relation} r
      JOIN reach ON r.target_id = reach.id
      JOIN {item} s ON s.id = r.source_id
     WHERE r.kind NOT IN ({np}) AND s.status NOT IN ({inactive})
)
SELECT reach.id, reach.via,
       (SELECT 1 FROM {relation} f WHERE f.source_id = reach.id AND f.kind = %s LIMIT 1),
       reach.name, t.code, t.name, reach.organisation_id, o.name, o.kind, reach.status
  FROM reach JOIN {types} t ON t.id = reach.ci_type_id JOIN {organisations} o ON o.id = reach.organisation_id
"""  # noqa: S608
    return sql, [*NON_PROPAGATING, *INACTIVE, RelationKind.FAILS_OVER_TO.value]


def _partners_sql(count):
    """The failover partners that are up of the reached items, with their names and owners."""
    item = ConfigurationItem._meta.db_table
    relation = Relation._meta.db_table
    up = ", ".join(["%s"] * len(UP))
    if connection.vendor == "postgresql":
        # One array parameter: no planning of a long IN list; an index probe per item.
        among, params = "r.source_id = ANY(%s)", None
    else:
        among, params = f"r.source_id IN ({', '.join(['%s'] * count)})", "each"
    sql = f"""
SELECT r.source_id, r.target_id, t.name, t.organisation_id FROM {relation} r JOIN {item} t ON t.id = r.target_id
 WHERE r.kind = %s AND {among} AND t.status IN ({up})
"""  # noqa: S608
    return sql, params


def _walk(start):
    """(details by item id, needed_by, partners, partner details) of a failure of `start`."""
    sql, params = _walk_sql(len(start))
    needed_by = defaultdict(list)  # target → sources that need it
    partners = defaultdict(list)  # source → failover targets that are up
    details, partner_details = {}, {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*start, *params])
        with_partner = set()
        for row in cursor.fetchall():
            source, target = row[0], row[1]
            if source not in details:
                details[source] = row[3:]  # name, type code, type name, owner id, owner name, owner kind, status
                if row[2]:
                    with_partner.add(source)
            if source != target:
                needed_by[target].append(source)
        if with_partner:  # usually none: then the walk was the only statement
            reached = sorted(with_partner)
            partner_sql, each = _partners_sql(len(reached))
            among = reached if each else [reached]
            cursor.execute(partner_sql, [RelationKind.FAILS_OVER_TO.value, *among, *UP])
            for source, target, name, organisation_id in cursor.fetchall():
                partners[source].append(target)
                partner_details[target] = (name, organisation_id)
    return details, needed_by, partners, partner_details


def walk(start_ids):
    """The core: {item id: depth} of the items that are down, and {item id: partner id} of
    the items that failed over, for a failure of `start_ids`. Unscoped (see module doc).
    At most two statements: the recursive walk and the failover partners of what it reached."""
    start = sorted({int(pk) for pk in start_ids})
    if not start:
        return {}, {}
    _details, needed_by, partners, _partner_details = _walk(start)
    return propagate(start, needed_by, partners)


def propagate(start, needed_by, partners):
    """Rules 1, 3 and 5 over an adjacency (target → [sources]) and failover partners."""
    start = set(start)
    covered = {}
    if partners:
        # The plain walk (rule 1 only): everything a failure could reach.
        plain = _levels(start, needed_by, {})
        for node in plain:
            for partner in partners.get(node, ()):
                if partner not in plain:
                    covered[node] = partner
                    break
    # Breadth first from the failing items; covered items pass nothing on.
    depth = _levels(start, needed_by, covered)
    if not covered:
        return depth, {}
    down = {pk: d for pk, d in depth.items() if pk in start or pk not in covered}
    # A failing item with a partner that is up is down itself, and listed as failed over too.
    failed_over = {pk: covered[pk] for pk in depth if pk in covered}
    return down, failed_over


def _levels(start, needed_by, covered):
    """{item: length of the shortest path from a failing item}, level by level; covered
    items are reached but pass nothing on."""
    depth = dict.fromkeys(start, 0)
    frontier = list(start)
    level = 0
    following = needed_by.get
    while frontier:
        level += 1
        reached = []
        for node in frontier:
            if node in covered:
                continue
            for source in following(node, ()):
                if source not in depth:
                    depth[source] = level
                    reached.append(source)
        frontier = reached
    return depth


@dataclass
class HitItem:
    id: int
    name: str
    depth: int
    type_code: str
    type_name: str
    organisation_id: int
    organisation_name: str
    organisation_kind: str
    status: str
    failed_over_to: int | None = None
    partner_name: str = ""
    partner_organisation_id: int | None = None

    @property
    def is_business_service(self):
        return self.type_code == BUSINESS_SERVICE_TYPE


@dataclass
class Impact:
    """The whole impact of a failure (unscoped). Use `for_user()` before showing it."""

    start_ids: list
    items: list = field(default_factory=list)  # down, failing items included (depth 0)
    failed_over: list = field(default_factory=list)

    @property
    def max_depth(self):
        return max((item.depth for item in self.items), default=0)

    @property
    def business_services(self):
        return [item for item in self.items if item.is_business_service]

    def participants(self):
        """[(organisation id, name, items hit)] of the participants hit, largest first."""
        counts, names = defaultdict(int), {}
        for item in self.items:
            if item.organisation_kind == OrganisationKind.PARTICIPANT:
                counts[item.organisation_id] += 1
                names[item.organisation_id] = item.organisation_name
        return sorted(((pk, names[pk], n) for pk, n in counts.items()), key=lambda row: (-row[2], row[1]))

    def for_user(self, user):
        return ScopedImpact(self, user)


def analyse(start_ids, failover=True):
    """The impact of a failure of the items `start_ids` (ids), unscoped. At most two statements.
    With failover=False, as if no failover works (what the yearly failover test guards against)."""
    start = sorted({int(pk) for pk in start_ids})
    if not start:
        return Impact(start_ids=[])
    details, needed_by, partners, partner_details = _walk(start)
    if not failover:
        partners = {}
    down, failed_over = propagate(start, needed_by, partners)
    items, over = [], []
    for pk, depth in down.items():
        items.append(HitItem(pk, details[pk][0], depth, *details[pk][1:]))
    for pk, partner in failed_over.items():
        name, organisation_id = partner_details.get(partner, ("", None))
        over.append(HitItem(pk, details[pk][0], down.get(pk, -1), *details[pk][1:], failed_over_to=partner,
                            partner_name=name, partner_organisation_id=organisation_id))
    items.sort(key=lambda item: (item.depth, item.name.lower(), item.id))
    over.sort(key=lambda item: (item.name.lower(), item.id))
    return Impact(start_ids=start, items=items, failed_over=over)


class ScopedImpact:
    """An impact as `user` may see it: items of their own organisation named, the rest
    counted (provider staff see everything)."""

    def __init__(self, impact, user):
        self.impact = impact
        self.if_failover_fails = None
        self.sees_all = is_provider_staff(user)
        self.organisation_id = getattr(user, "organisation_id", None)

    def _visible(self, item):
        return self.sees_all or item.organisation_id == self.organisation_id

    @property
    def items(self):
        return [item for item in self.impact.items if self._visible(item)]

    @property
    def hidden_count(self):
        return sum(1 for item in self.impact.items if not self._visible(item))

    @property
    def total_count(self):
        return len(self.impact.items)

    @property
    def failed_over(self):
        shown = []
        for item in self.impact.failed_over:
            if self._visible(item):
                partner_visible = self.sees_all or item.partner_organisation_id == self.organisation_id
                shown.append(replace(item, partner_name=item.partner_name if partner_visible else ""))
        return shown

    @property
    def hidden_failed_over_count(self):
        return sum(1 for item in self.impact.failed_over if not self._visible(item))

    @property
    def business_services(self):
        return [item for item in self.impact.business_services if self._visible(item)]

    @property
    def hidden_business_service_count(self):
        return sum(1 for item in self.impact.business_services if not self._visible(item))

    @property
    def participants(self):
        return [row for row in self.impact.participants() if self.sees_all or row[0] == self.organisation_id]

    @property
    def hidden_participant_count(self):
        return sum(1 for row in self.impact.participants() if not (self.sees_all or row[0] == self.organisation_id))

    @property
    def max_depth(self):
        return self.impact.max_depth

    @property
    def is_empty(self):
        return not self.impact.items and not self.impact.failed_over

    def names(self):
        """Every item id the user is shown, with its name (for partner links)."""
        return {item.id: item.name for item in [*self.items, *self.failed_over]}

    def as_dict(self):
        """The API representation (camelCase, like the rest of API v1)."""

        def item_dict(item):
            data = {
                "id": item.id, "name": item.name, "depth": item.depth, "type": item.type_code,
                "typeName": item.type_name, "organisation": item.organisation_id, "status": item.status,
            }
            if item.failed_over_to is not None:
                # The partner is named only when the user may see it.
                data["failedOverTo"] = item.failed_over_to if item.partner_name else None
            return data

        return {
            "items": [item_dict(item) for item in self.items],
            "businessServices": [
                {"id": item.id, "name": item.name, "depth": item.depth, "organisation": item.organisation_id}
                for item in self.business_services
            ],
            "participants": [
                {"organisation": pk, "name": name, "itemsHit": count} for pk, name, count in self.participants
            ],
            "failedOver": [item_dict(item) for item in self.failed_over],
            "maxDepth": self.max_depth,
            "counts": {
                "items": self.total_count,
                "hiddenItems": self.hidden_count,
                "hiddenBusinessServices": self.hidden_business_service_count,
                "hiddenParticipants": self.hidden_participant_count,
                "failedOver": len(self.impact.failed_over),
            },
        }


def _empty_payload():
    return {
        "items": [], "businessServices": [], "participants": [], "failedOver": [], "maxDepth": 0,
        "counts": {"items": 0, "hiddenItems": 0, "hiddenBusinessServices": 0, "hiddenParticipants": 0,
                   "failedOver": 0},
    }


def impact_payload(start_ids, user):
    """The API representation of a failure of `start_ids` as `user` may see it: exactly
    `analyse(start_ids).for_user(user).as_dict()`, built straight from the walk's rows in one
    pass (no HitItem objects, no copies per property), since the API returns up to
    thousands of items per request. tests/cmdb/test_impact_api_payload.py holds the two equal."""
    start = sorted({int(pk) for pk in start_ids})
    if not start:
        return _empty_payload()
    sees_all = is_provider_staff(user)
    own = getattr(user, "organisation_id", None)
    details, needed_by, partners, partner_details = _walk(start)
    down, failed_over = propagate(start, needed_by, partners)

    ordered = sorted((depth, details[pk][0].lower(), pk) for pk, depth in down.items())
    items, services = [], []
    hidden = hidden_services = 0
    counts, names = defaultdict(int), {}
    participant = OrganisationKind.PARTICIPANT.value
    for depth, _lower, pk in ordered:
        name, type_code, type_name, organisation_id, organisation_name, organisation_kind, status = details[pk]
        if organisation_kind == participant:
            counts[organisation_id] += 1
            names[organisation_id] = organisation_name
        if sees_all or organisation_id == own:
            items.append({"id": pk, "name": name, "depth": depth, "type": type_code, "typeName": type_name,
                          "organisation": organisation_id, "status": status})
            if type_code == BUSINESS_SERVICE_TYPE:
                services.append({"id": pk, "name": name, "depth": depth, "organisation": organisation_id})
        else:
            hidden += 1
            if type_code == BUSINESS_SERVICE_TYPE:
                hidden_services += 1
    participants, hidden_participants = [], 0
    for pk, count in sorted(counts.items(), key=lambda row: (-row[1], names[row[0]])):
        if sees_all or pk == own:
            participants.append({"organisation": pk, "name": names[pk], "itemsHit": count})
        else:
            hidden_participants += 1
    over = []
    for _lower, pk, partner in sorted((details[pk][0].lower(), pk, partner) for pk, partner in failed_over.items()):
        name, type_code, type_name, organisation_id, _name, _kind, status = details[pk]
        if not (sees_all or organisation_id == own):
            continue
        partner_name, partner_organisation_id = partner_details.get(partner, ("", None))
        # The partner is named only when the user may see it.
        named = partner_name and (sees_all or partner_organisation_id == own)
        over.append({"id": pk, "name": name, "depth": down.get(pk, -1), "type": type_code, "typeName": type_name,
                     "organisation": organisation_id, "status": status, "failedOverTo": partner if named else None})
    return {
        "items": items,
        "businessServices": services,
        "participants": participants,
        "failedOver": over,
        "maxDepth": ordered[-1][0] if ordered else 0,
        "counts": {
            "items": len(ordered),
            "hiddenItems": hidden,
            "hiddenBusinessServices": hidden_services,
            "hiddenParticipants": hidden_participants,
            "failedOver": len(failed_over),
        },
    }


def impact_of_items(user, items):
    """The scoped impact of a failure of `items` (already looked up in the user's scope)."""
    return scoped_impact(user, [item.pk for item in items])


def scoped_impact(user, item_ids):
    """The impact as `user` may see it; when something failed over, also what would be hit
    if that failover did not work (`if_failover_fails`), since that is the risk to manage."""
    scoped = analyse(item_ids).for_user(user)
    if scoped.impact.failed_over:
        scoped.if_failover_fails = analyse(item_ids, failover=False).for_user(user)
    return scoped
