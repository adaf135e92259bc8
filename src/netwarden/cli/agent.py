"""``netwarden agent``: enforce a directory's or a live cluster's policies on one node."""

from __future__ import annotations

import argparse
import os
from typing import Any

from ._common import EXIT_OK, add_command, add_strictness


def register(sub: Any) -> None:
    parser = add_command(
        sub, "agent", help="run the enforcement agent for one node (runs until SIGTERM)",
        example="netwarden agent --source dir:./cluster/ --node node-1 --lab 3f2a\n"
        "  netwarden agent --source kubernetes --node $NODE_NAME --in-current-netns",
        description="Watch a directory or the Kubernetes API and keep this node's nft table "
        "equal to the policies; rules stay in the kernel when the agent stops.",
    )
    parser.add_argument("--source", required=True, type=_source,
                        help="dir:PATH (manifests, re-read on change) or kubernetes")
    parser.add_argument("--node", default=os.environ.get("NODE_NAME"),
                        help="node whose pods to enforce (default: $NODE_NAME)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--netns", help="write the table in this network namespace")
    where.add_argument("--lab", help="enforce a node of this lab (its node namespace and veths)")
    where.add_argument("--in-current-netns", action="store_true",
                       help="write the table in the agent's own namespace (hostNetwork pod)")
    parser.add_argument("--kubeconfig", help="with --source kubernetes (default: in-cluster)")
    parser.add_argument("--context", help="kubeconfig context")
    parser.add_argument("--metrics-address", default="127.0.0.1:9808",
                        help="host:port for /metrics /healthz /readyz ('' to disable)")
    parser.add_argument("--resync", type=float, default=30.0,
                        help="seconds between drift checks (default 30)")
    parser.add_argument("--debounce", type=float, default=0.05,
                        help="longest wait to batch a burst of changes (default 0.05 s)")
    parser.add_argument("--no-revoke", action="store_true",
                        help="do not delete conntrack entries of connections no longer allowed")
    parser.add_argument("--interface-prefix", default="cali",
                        help="host-side pod veth prefix outside the lab (default cali)")
    parser.add_argument("--log-drops", type=int, metavar="GROUP",
                        help="log every dropped packet as a readable line (pod, peer, port, "
                        "policy) through this NFLOG group, rate-limited")
    parser.add_argument("--flow-log", metavar="FILE",
                        help="append every new connection of the node (accepted and denied, "
                        "with the deciding rule) to FILE as flow records (JSON Lines)")
    parser.add_argument("--flow-log-max-bytes", type=int, default=64 << 20, metavar="N",
                        help="size at which the flow log rotates to FILE.1 (default 64 MiB)")
    parser.add_argument("--flow-log-rate", type=float, default=200.0, metavar="N",
                        help="flow records a second kept in a burst; the rest are counted "
                        "and logged, never withheld from traffic (default 200)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text")
    parser.add_argument("--log-level", default="info", type=str.lower,
                        choices=("debug", "info", "warning", "error"))
    add_strictness(parser)  # for dir: sources; a live cluster is always read leniently
    parser.set_defaults(func=run)


def _source(text: str) -> str:
    """``--source`` checked before anything is touched (exit 2, not a late failure)."""
    if text in ("kubernetes", "kube") or (text.startswith("dir:") and len(text) > 4):
        return text
    raise argparse.ArgumentTypeError(f"invalid source {text!r}: dir:PATH or kubernetes")


def run(args: argparse.Namespace) -> int:
    from ..agent.logs import setup_logging
    from ..agent.runner import Agent, AgentConfig

    setup_logging(args.log_format, args.log_level)
    node, netns, interfaces, prefix = args.node, args.netns, None, args.interface_prefix
    if args.lab:
        node, netns, interfaces, prefix = lab_placement(args.lab, args.node)
    cfg = AgentConfig(
        source=args.source, node=node, netns=netns, interfaces=interfaces,
        in_current_netns=args.in_current_netns, kubeconfig=args.kubeconfig,
        context=args.context, metrics_address=args.metrics_address or None,
        resync=args.resync, debounce=args.debounce, revoke=not args.no_revoke,
        interface_prefix=prefix, log_drops=args.log_drops, strictness=args.strictness,
        flow_log=args.flow_log, flow_log_max_bytes=args.flow_log_max_bytes,
        flow_log_rate=args.flow_log_rate,
    )
    agent = Agent.from_config(cfg)
    agent.install_signals()
    agent.run()
    return EXIT_OK


def lab_placement(lab_id: str, node: str | None) -> tuple[str, str, dict[str, str], str]:
    """(node, node namespace, {pod: veth}, pod veth prefix) of a lab node for the agent.

    The agent knows nothing of labs; the CLI, above both, reads the lab's record.
    """
    from ..lab import Lab

    lab = Lab.load(lab_id)
    node = node or lab.nodes[0]
    return node, lab.node_netns(node), lab.interfaces(node), lab.pod_veth_prefix
