"""``netwarden nft``: the nftables ruleset netwarden would install, without installing it."""

from __future__ import annotations

import argparse
from typing import Any

from .._errors import LabError, LookupFailed
from ._common import EXIT_OK, add_command, add_format, add_inputs, dump, load_inputs, write

PLACEHOLDER_LAB = "0000"


def register(sub: Any) -> None:
    parser = add_command(
        sub, "nft", help="print the nftables ruleset netwarden would install",
        description="Print the nftables ruleset (an `nft -f` batch) that enforces the "
        "manifests' policies on one node. Pods get the node-side veth names a lab would give "
        f"them, with the placeholder lab id {PLACEHOLDER_LAB} (nw{PLACEHOLDER_LAB}p0, "
        f"nw{PLACEHOLDER_LAB}p1, ...); a real lab substitutes its own id. By default every pod "
        "is local to the one node; --node picks one node's pods (pods without a node are "
        "spread over --nodes nodes, as `lab up --nodes` does).",
        example="netwarden nft examples/seed-prod-dev/cluster.yaml "
        "examples/seed-prod-dev/policies/07-default-deny-all.yaml\n"
        "  netwarden nft k8s/ --nodes 2 --node node-2 --format json",
    )
    add_inputs(parser)
    parser.add_argument("--node", help="render only this node's pods (default: all pods local)")
    parser.add_argument("--nodes", type=int, default=1, help="nodes to spread pods without a "
                        "node over (with --node; default 1)")
    add_format(parser, "text", "json", "yaml", default="text")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..dataplane import RenderOptions, render_ruleset
    from ..lab.topology import plan

    if args.nodes != 1 and not args.node:  # it would be silently ignored
        raise LookupFailed("--nodes spreads pods over nodes for --node NODE; without "
                           "--node every pod is local to the one node")
    cluster = load_inputs(args)
    topo = plan(cluster, (), args.nodes if args.node else 1, PLACEHOLDER_LAB)
    try:
        node = topo.node(args.node).name if args.node else None
    except LabError:  # an unknown node is the user's input (exit 2), not a broken lab
        raise LookupFailed(f"--node {args.node}: no such node; the nodes are "
                           f"{', '.join(n.name for n in topo.nodes)} (the pods' spec.nodeName, "
                           "and node-1 ... node-N for --nodes N)") from None
    interfaces = {a.key: a.veth for a in topo.attachments
                  if a.veth is not None and (node is None or a.node == node)}
    ruleset = render_ruleset(cluster, node, interfaces,
                             RenderOptions(pod_interface_prefix=f"nw{PLACEHOLDER_LAB}p"))
    if args.format in ("json", "yaml"):
        data = {
            "table": f"{ruleset.table.family} {ruleset.table.name}",
            "interfaces": interfaces,
            "sets": [{"name": s.name, "type": s.type, "elements": list(_elements(s))}
                     for s in ruleset.sets],
            "chains": [{"name": c.name, "hook": c.hook,
                        "rules": [{"rule": r.body, "comment": r.comment} for r in c.rules]}
                       for c in ruleset.chains],
        }
        write(dump(data, args.format))
    else:
        header = "".join(f"# {key} -> {ifname}\n" for key, ifname in sorted(interfaces.items()))
        write(header + ruleset.text())
    return EXIT_OK


def _elements(item: Any) -> list[str]:
    entries = getattr(item, "entries", None)
    if entries:
        return [f"{k} : {v}" for k, v in entries]
    return list(item.elements)
