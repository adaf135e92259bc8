"""The drawn graph: boxes for the nodes, and as few edges as say everything.

An outside node is drawn twice: at the top for the connections it may open
("connections in"), at the bottom for those it may receive ("connections
out"), so the picture reads as a flow and egress does not loop back to the
entrance. Every allowed direction between two boxes is an arc; arcs are
then bundled, most general first:

1. every box of namespace X to every box of namespace Y, with the same
   services: one edge between the two frames;
2. every box of a namespace (at least ``BUNDLE_FROM``) to one box, or one box
   to every box of a namespace: one edge from (or to) the frame;
3. the remaining arcs, one edge per pair of boxes, both directions together.
"""

from __future__ import annotations

from .parts import Box, Edge, Node

__all__ = ["BUNDLE_FROM", "graph"]

# Edges from (or to) every box of a namespace with this many boxes are drawn as one.
BUNDLE_FROM = 2

Arc = tuple[str, str, str, bool]  # source box, target box, services text, partial

def graph(nodes: tuple[Node, ...], raw: dict[tuple[int, int], str],
          partial: set[tuple[str, str]]) -> tuple[tuple[Box, ...], tuple[Edge, ...]]:
    """Boxes and edges for ``nodes``; ``raw[(i, j)]`` is the services text from i to j."""
    boxes: dict[tuple[int, str], Box] = {}
    for i, node in enumerate(nodes):
        if not node.outside:
            boxes[(i, "")] = Box(node.id, node)

    def box(i: int, role: str) -> Box:
        if (i, role) not in boxes:
            boxes[(i, role)] = Box(f"{nodes[i].id}{role[0]}", nodes[i], role)
        return boxes[(i, role)]

    arcs: list[Arc] = []
    for (i, j), text in sorted(raw.items()):
        if i == j or not text:
            continue
        a, b = nodes[i], nodes[j]
        arcs.append((box(i, "in" if a.outside else "").id, box(j, "out" if b.outside else "").id,
                     text, (a.id, b.id) in partial))
    for i, node in enumerate(nodes):  # an outside node nothing connects to is still drawn
        if node.outside and (i, "in") not in boxes and (i, "out") not in boxes:
            box(i, "in")
    ordered = sorted(boxes.values(), key=lambda b: (nodes.index(b.node), b.role))
    edges = _bundle(ordered, arcs)
    return tuple(ordered), tuple(Edge(f"e{k}", e.source, e.target, e.forward, e.backward,
                                      e.partial, e.tail_ns, e.head_ns)
                                 for k, e in enumerate(edges))


def _bundle(boxes: list[Box], arcs: list[Arc]) -> list[Edge]:
    by_ns: dict[str, list[str]] = {}
    for b in boxes:
        if b.node.namespace is not None:
            by_ns.setdefault(b.node.namespace, []).append(b.id)
    ns_of = {b.id: b.node.namespace for b in boxes}
    taken: set[int] = set()
    edges: list[Edge] = []

    def take(groups: dict[tuple[str, str, str, str, bool], list[int]],
             full: int | None) -> None:
        for key, members in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            if any(k in taken for k in members):
                continue
            end, x, y, text, part = key
            need = (len(by_ns[x]) * len(by_ns[y]) if end == "both" else len(by_ns[x]))
            if len(members) != need or need < (full or BUNDLE_FROM):
                continue
            taken.update(members)
            source, target = arcs[min(members)][0], arcs[min(members)][1]
            edges.append(Edge("", source, target, text, "", part,
                              tail_ns=x if end in ("tail", "both") else None,
                              head_ns=(y if end == "both" else x if end == "head" else None)))

    frames: dict[tuple[str, str, str, str, bool], list[int]] = {}
    for k, (s, d, text, part) in enumerate(arcs):
        x, y = ns_of[s], ns_of[d]
        if x is not None and y is not None and x != y:
            frames.setdefault(("both", x, y, text, part), []).append(k)
    take(frames, 2)
    fans: dict[tuple[str, str, str, str, bool], list[int]] = {}
    for k, (s, d, text, part) in enumerate(arcs):
        if k in taken:
            continue
        x, y = ns_of[s], ns_of[d]
        if x is not None and x != y:
            fans.setdefault(("tail", x, d, text, part), []).append(k)
        if y is not None and x != y:
            fans.setdefault(("head", y, s, text, part), []).append(k)
    take(fans, None)
    rest = {(s, d): (text, part) for k, (s, d, text, part) in enumerate(arcs) if k not in taken}
    order = {b.id: n for n, b in enumerate(boxes)}
    done: set[tuple[str, str]] = set()
    for (s, d), (text, part) in sorted(rest.items(), key=lambda kv: (order[kv[0][0]],
                                                                       order[kv[0][1]])):
        if (s, d) in done:
            continue
        back = rest.get((d, s))
        done.update({(s, d), (d, s)})
        edges.append(Edge("", s, d, text, back[0] if back else "",
                          part or bool(back and back[1])))
    return edges
