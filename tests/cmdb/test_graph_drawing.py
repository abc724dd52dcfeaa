"""The drawn dependency graph: relations between the same two items never draw their lines
and labels on top of each other."""

import re

from regie.cmdb import graph as graphs


def test_relations_of_one_direction_share_one_line_and_label():
    drawn = list(graphs._drawn_edges([(1, "backed up by", 2), (1, "fails over to", 2), (3, "runs on", 1)]))
    assert drawn == [(1, "backed up by, fails over to", 2, 0, 0.5), (3, "runs on", 1, 0, 0.5)]


def test_items_related_both_ways_bend_apart_with_labels_at_different_points():
    drawn = {(s, t): (side, at) for s, _label, t, side, at in graphs._drawn_edges([(2, "fails over to", 1),
                                                                                   (1, "fails over to", 2)])}
    assert drawn[(1, 2)][0] == -drawn[(2, 1)][0] != 0
    assert drawn[(1, 2)][1] == drawn[(2, 1)][1] != 0.5  # a third along each line, from its own source


def _label_boxes(svg):
    return [(float(x), float(y), float(w)) for x, y, w in
            re.findall(r'<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="15"', svg)]


def _overlap(a, b):
    (ax, ay, aw), (bx, by, bw) = a, b
    return ax < bx + bw and bx < ax + aw and ay < by + 15 and by < ay + 15


def test_no_two_labels_overlap_for_a_failover_pair():
    graph = graphs.Graph(center=1)
    graph.nodes = {
        1: graphs.Node(1, "SAN-VLO-01", "Storage", "opslagsysteem", 0),
        2: graphs.Node(2, "SAN-RMD-01", "Storage", "opslagsysteem", 1),
        3: graphs.Node(3, "Datacenter Venlo", "Datacenter", "datacenter", 1),
    }
    graph.edges = [(1, "backed up by", 2), (1, "fails over to", 2), (2, "fails over to", 1), (1, "located in", 3)]
    boxes = _label_boxes(str(graphs.render_svg(graph, "t", "d")))
    assert len(boxes) == 3  # one line per direction between 1 and 2, one to the datacenter
    assert not any(_overlap(a, b) for index, a in enumerate(boxes) for b in boxes[index + 1:])
