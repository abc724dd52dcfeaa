"""The drawn dependency graph of an item: its neighbourhood (what it needs, and what needs
it, two steps each way) laid out in layers and drawn as server-rendered SVG.

No JavaScript and no inline styles (strict CSP): only SVG presentation attributes. The SVG
is a labelled group (role="group" with <title>/<desc>): its node links are real links, in the
tab order (an image role would hide them, and links inside an image are nested controls,
WCAG 4.1.2). The same relations are also listed in a table next to it.

Layout: the item sits in layer 0; what it needs (dependencies) below it in layers 1, 2,
what needs it (dependants) above it in layers -1, -2. Within a layer nodes are ordered by
the barycenter heuristic (a few sweeps), which keeps most edges short and uncrossed.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from .impact import BUSINESS_SERVICE_TYPE
from .relations import visible_relations

NODE_W, NODE_H = 176, 44
GAP_X, GAP_Y = 28, 86
MARGIN = 16
MAX_PER_LAYER = 10
NAME_CHARS = 24
# How far apart (control point offset) the two lines of items related both ways are drawn.
PARALLEL_BEND = 36
LABEL_H = 15


def item_url(pk):
    """The item's page; the impact page until the item pages exist."""
    try:
        return reverse("cmdb:item-detail", args=[pk])
    except NoReverseMatch:
        return reverse("cmdb:item-impact", args=[pk])


@dataclass
class Node:
    id: int
    name: str
    type_name: str
    type_code: str
    layer: int
    order: float = 0.0
    x: float = 0.0
    y: float = 0.0


@dataclass
class Graph:
    center: int
    nodes: dict = field(default_factory=dict)
    edges: list = field(default_factory=list)  # (source id, kind label, target id)
    overflow: dict = field(default_factory=dict)  # layer → nodes left out

    @property
    def layers(self):
        grouped = defaultdict(list)
        for node in self.nodes.values():
            grouped[node.layer].append(node)
        return dict(sorted(grouped.items()))


def neighbourhood(user, item, radius=2, per_level=60):
    """The relations around `item` the user may see: `radius` steps along what it needs and
    along what needs it. One statement per step and direction (2 × radius), whatever the size."""
    relations = visible_relations(user).select_related("source__ci_type", "target__ci_type")
    graph = Graph(center=item.pk)
    graph.nodes[item.pk] = Node(item.pk, item.name, item.ci_type.name, item.ci_type.code, 0)
    seen_edges = set()
    for direction in (1, -1):
        frontier = {item.pk}
        for step in range(1, radius + 1):
            if not frontier:
                break
            if direction == 1:
                found = relations.filter(source_id__in=frontier).order_by("kind", "id")[:per_level]
            else:
                found = relations.filter(target_id__in=frontier).order_by("kind", "id")[:per_level]
            next_frontier = set()
            for relation in found:
                other = relation.target if direction == 1 else relation.source
                if other.pk not in graph.nodes:
                    layer = direction * step
                    if sum(1 for n in graph.nodes.values() if n.layer == layer) >= MAX_PER_LAYER:
                        graph.overflow[layer] = graph.overflow.get(layer, 0) + 1
                        continue
                    graph.nodes[other.pk] = Node(other.pk, other.name, other.ci_type.name, other.ci_type.code, layer)
                    next_frontier.add(other.pk)
                key = (relation.source_id, relation.kind, relation.target_id)
                if key not in seen_edges:
                    seen_edges.add(key)
                    graph.edges.append((relation.source_id, relation.get_kind_display(), relation.target_id))
            frontier = next_frontier
    graph.edges = [e for e in graph.edges if e[0] in graph.nodes and e[2] in graph.nodes]
    return graph


def layout(graph):
    """Positions for every node: layers top to bottom, barycenter order within a layer."""
    layers = graph.layers
    for nodes in layers.values():
        for index, node in enumerate(sorted(nodes, key=lambda n: (n.type_name, n.name.lower(), n.id))):
            node.order = index
    neighbours = defaultdict(list)
    for source, _kind, target in graph.edges:
        neighbours[source].append(target)
        neighbours[target].append(source)
    keys = sorted(layers)
    for _sweep in range(3):
        for sequence in (keys, list(reversed(keys))):
            for layer in sequence:
                for node in layers[layer]:
                    linked = [graph.nodes[n].order for n in neighbours[node.id]
                              if graph.nodes[n].layer != layer]
                    if linked:
                        node.order = sum(linked) / len(linked) + node.order * 1e-3
                for index, node in enumerate(sorted(layers[layer], key=lambda n: (n.order, n.id))):
                    node.order = index
    widest = max((len(nodes) + (1 if layer in graph.overflow else 0) for layer, nodes in layers.items()), default=1)
    width = widest * (NODE_W + GAP_X) - GAP_X + 2 * MARGIN
    for row, layer in enumerate(keys):
        nodes = sorted(layers[layer], key=lambda n: n.order)
        count = len(nodes) + (1 if layer in graph.overflow else 0)
        offset = (width - (count * (NODE_W + GAP_X) - GAP_X)) / 2
        for index, node in enumerate(nodes):
            node.x = offset + index * (NODE_W + GAP_X)
            node.y = MARGIN + row * (NODE_H + GAP_Y)
    height = len(keys) * (NODE_H + GAP_Y) - GAP_Y + 2 * MARGIN
    return width, height, {layer: offset_of_overflow(graph, layer, layers, width) for layer in graph.overflow}, keys


def offset_of_overflow(graph, layer, layers, width):
    nodes = layers.get(layer, [])
    count = len(nodes) + 1
    offset = (width - (count * (NODE_W + GAP_X) - GAP_X)) / 2
    return offset + len(nodes) * (NODE_W + GAP_X)


def _short(text, limit=NAME_CHARS):
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _apart(labels):
    """Labels [left, top, width, text] moved down, one by one, below any label placed before
    that they would cover: lines leaving one item side by side put their labels close together."""
    placed = []
    for label in sorted(labels, key=lambda box: (box[1], box[0])):
        for _attempt in range(len(placed)):
            covered = [other for other in placed if label[0] < other[0] + other[2] and other[0] < label[0] + label[2]
                       and label[1] < other[1] + LABEL_H + 1 and other[1] < label[1] + LABEL_H + 1]
            if not covered:
                break
            label[1] = max(other[1] for other in covered) + LABEL_H + 1
        placed.append(label)
    return placed


def _drawn_edges(edges):
    """The edges as drawn: relations of one direction between the same two items share one
    line and one label ("runs on, backed up by"); when the two items are related both ways,
    the two lines bend apart and their labels sit at different points of their curves.
    Yields (source id, label, target id, bend side -1/0/1, label position 0..1)."""
    kinds = defaultdict(list)
    for source_id, kind, target_id in edges:
        kinds[(source_id, target_id)].append(str(kind))
    for (source_id, target_id), labels in kinds.items():
        both_ways = (target_id, source_id) in kinds
        side = (1 if source_id < target_id else -1) if both_ways else 0
        # Each curve runs from its own source, so the same position puts the two labels at
        # opposite ends: the first third of each line.
        label_at = 0.35 if both_ways else 0.5
        yield source_id, ", ".join(labels), target_id, side, label_at


def render_svg(graph, title, description, id_prefix="g"):
    """The SVG markup (safe string) of a laid-out graph."""
    width, height, overflow_x, keys = layout(graph)
    marker = f"{id_prefix}-arrow"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="cmdb-graph" role="group" '
        f'aria-labelledby="{id_prefix}-title {id_prefix}-desc" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(description)}</desc>',
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#495057"/></marker></defs>',
    ]
    # Edges first (under the nodes), labels after them.
    labels = []
    for source_id, kind, target_id, bend_side, label_at in _drawn_edges(graph.edges):
        source, target = graph.nodes[source_id], graph.nodes[target_id]
        x1, x2 = source.x + NODE_W / 2, target.x + NODE_W / 2
        if source.layer < target.layer:
            y1, y2 = source.y + NODE_H, target.y
        elif source.layer > target.layer:
            y1, y2 = source.y, target.y + NODE_H
        else:  # same layer: side to side
            y1 = y2 = source.y + NODE_H / 2
            x1 = source.x + (NODE_W if source.x < target.x else 0)
            x2 = target.x + (0 if source.x < target.x else NODE_W)
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        if source.layer == target.layer:
            my -= 30 * (bend_side or 1)
        else:
            mx += PARALLEL_BEND * bend_side
        parts.append(
            f'<path d="M {x1:.1f} {y1:.1f} Q {mx:.1f} {my:.1f} {x2:.1f} {y2:.1f}" fill="none" stroke="#6c757d" '
            f'stroke-width="1.5" marker-end="url(#{marker})"/>'
        )
        label = escape(kind)
        label_w = 6.2 * len(kind) + 8
        # The point of the curve at `label_at` (a quadratic Bézier), so that the labels of two
        # edges between the same items never sit on top of each other.
        t = label_at
        lx = (1 - t) ** 2 * x1 + 2 * (1 - t) * t * mx + t * t * x2
        ly = (1 - t) ** 2 * y1 + 2 * (1 - t) * t * my + t * t * y2
        labels.append([lx - label_w / 2, ly - 8, label_w, label])
    for left, top, label_w, label in _apart(labels):
        parts.append(
            f'<g><rect x="{left:.1f}" y="{top:.1f}" width="{label_w:.1f}" height="{LABEL_H}" rx="3" '
            f'fill="#ffffff" fill-opacity="0.9"/><text x="{left + label_w / 2:.1f}" y="{top + 11:.1f}" '
            f'text-anchor="middle" fill="#343a40" font-size="11">{label}</text></g>'
        )
    for node in graph.nodes.values():
        if node.id == graph.center:
            fill, stroke, colour = "#0d6efd", "#0a58ca", "#ffffff"
        elif node.type_code == BUSINESS_SERVICE_TYPE:
            fill, stroke, colour = "#fff3cd", "#997404", "#212529"
        else:
            fill, stroke, colour = "#f8f9fa", "#6c757d", "#212529"
        name, type_name = escape(_short(node.name)), escape(_short(node.type_name, 28))
        parts.append(
            f'<a href="{escape(item_url(node.id))}"><g>'
            f'<title>{escape(node.name)} ({escape(node.type_name)})</title>'
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{2 if node.id == graph.center else 1}"/>'
            f'<text x="{node.x + NODE_W / 2:.1f}" y="{node.y + 18:.1f}" text-anchor="middle" fill="{colour}" '
            f'font-weight="600">{name}</text>'
            f'<text x="{node.x + NODE_W / 2:.1f}" y="{node.y + 34:.1f}" text-anchor="middle" fill="{colour}" '
            f'font-size="11">{type_name}</text></g></a>'
        )
    for layer, x in overflow_x.items():
        y = MARGIN + keys.index(layer) * (NODE_H + GAP_Y)
        text = escape(_("%(count)s more") % {"count": graph.overflow[layer]})
        parts.append(
            f'<g><rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="6" fill="#ffffff" '
            f'stroke="#6c757d" stroke-dasharray="4 3"/><text x="{x + NODE_W / 2:.1f}" y="{y + 26:.1f}" '
            f'text-anchor="middle" fill="#495057">{text}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def describe(graph):
    """A one-sentence summary for <desc>."""
    needs = sum(1 for n in graph.nodes.values() if n.layer > 0)
    needed = sum(1 for n in graph.nodes.values() if n.layer < 0)
    return _(
        "%(name)s needs %(needs)s items (two steps down) and is needed by %(needed)s items (two steps up); "
        "%(edges)s relations are drawn. The table below lists the same relations."
    ) % {"name": graph.nodes[graph.center].name, "needs": needs, "needed": needed, "edges": len(graph.edges)}
