"""``netwarden demo``: the engine's answer, then the same cluster with real packets.

The lab part needs root, ip, nft and conntrack; without them the demo shows the
engine part, says why the lab part is skipped, and still succeeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .._errors import LabError
from ._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    add_command,
    console,
    port_number,
    print_warnings,
    protocol_argument,
)
from ._counted import counter_rule

DEFAULT_EXAMPLE = "examples/seed-prod-dev"
# The step that makes the most instructive matrix: default deny, then allow dev -> prod.
PREFERRED_STEPS = ("07-default-deny-all", "08-allow-from-dev-namespace")


def register(sub: Any) -> None:
    parser = add_command(
        sub, "demo", help="engine matrix, then the same policies enforced in a lab",
        description="Show the engine's connectivity matrix for an example, then build the "
        "example as network namespaces, enforce its policies with nftables, probe every pod "
        "pair with real connections and show engine and lab side by side. The lab is removed "
        "afterwards, also on failure or Ctrl-C.",
        example="sudo netwarden demo examples/seed-prod-dev --port 80",
    )
    parser.add_argument("example", nargs="?", default=DEFAULT_EXAMPLE, metavar="EXAMPLE_DIR",
                        help=f"example directory with cluster.yaml and policies/ "
                        f"(default {DEFAULT_EXAMPLE})")
    parser.add_argument("--port", type=port_number, default=80, help="port to probe (default 80)")
    parser.add_argument("--protocol", default="TCP", type=protocol_argument,
                        help="TCP or UDP (default TCP)")
    parser.set_defaults(func=run)


def manifests(example: Path) -> list[Path]:
    """cluster.yaml plus the preferred policy steps if present, else every policy file."""
    cluster = example / "cluster.yaml"
    policies = sorted((example / "policies").glob("*.y*ml")) if (example / "policies").is_dir() \
        else []
    chosen = [p for p in policies if p.stem in PREFERRED_STEPS]
    if len(chosen) != len(PREFERRED_STEPS):
        chosen = policies
    if not cluster.exists():
        return [example]
    return [cluster, *chosen]


def run(args: argparse.Namespace) -> int:
    from .. import load_cluster
    from ..analysis.matrix import port_matrix
    from ..engine import Engine
    from .matrix import _print_bool

    out = console()
    paths = manifests(Path(args.example))
    proto = args.protocol.upper()
    out.print(f"[bold]1. The engine[/] reads {', '.join(str(p) for p in paths)}")
    cluster = load_cluster(paths)
    print_warnings(cluster)
    data = port_matrix(Engine(cluster).connectivity, proto, args.port)
    _print_bool(data, False)
    why = _lab_unavailable()
    if why:
        out.print(f"\n[bold]2. The lab[/] is skipped: {why}.")
        out.print("   Run `sudo make demo` (or `sudo netwarden demo`) to see real packets.")
        return EXIT_OK
    return _lab_part(paths, proto, args.port)


def _lab_unavailable() -> str | None:
    from ..lab import _ns

    try:
        _ns.require_root_and_tools("ip", "nft", "conntrack")
    except LabError as e:
        return str(e)
    return None


def _lab_part(paths: list[Path], proto: str, port: int) -> int:
    from ..ir.services import protocol_number
    from ..lab.counters import rule_counters
    from ..lab.enforcement import Enforcer
    from ..lab.lifecycle import down, up
    from ..lab.observe import observe

    out = console()
    out.print("\n[bold]2. The lab[/]: every pod a network namespace, the policies as nftables")
    enforcer = Enforcer()
    lab, cluster = up(paths, enforcer, ports=[(port, protocol_number(proto))])
    try:
        out.print(f"   lab {lab.id}: {len(lab.keys)} pods up, {len(cluster.policies)} policies "
                  f"enforced; probing {len(lab.keys) ** 2} pairs with real connections…")
        obs = observe(lab, cluster, proto, port)
        out.print("\n[bold]3. Engine vs lab[/] (engine | lab; ✓ connects, · blocked)")
        width = max(len(k) for k in obs.endpoints)
        numbers = range(1, len(obs.endpoints) + 1)
        out.print(" " * (width + 4) + " ".join(f"{i:^3}" for i in numbers))
        for i, src in enumerate(obs.endpoints, 1):
            cells = []
            for dst in obs.endpoints:
                e, o = obs.expected[src][dst], obs.observed[src][dst]
                text = f"{'✓' if e else '·'}|{'✓' if o else '·'}"
                cells.append(f"[green]{text}[/]" if e == o else f"[bold red]{text}[/]")
            out.print(f"{i:>2} {src:<{width}} " + " ".join(cells))
        for s, d, want, seen in obs.mismatches:
            out.print(f"  [bold red]mismatch[/] {s} -> {d}: engine {'allows' if want else 'denies'}"
                      f", lab {'connected' if seen else 'blocked'}")
        if not obs.mismatches:
            out.print("[green]lab and engine agree on every pair[/]")
        stats = [c for c in rule_counters(lab, cluster) if c.packets]
        if stats:
            out.print("\nbusiest rules (nft counters):")
            for c in stats[:5]:
                rule = counter_rule(c.origin, cluster)
                out.print(f"  {c.packets:>5} packets  {c.verdict:<5} {rule}")
    finally:
        down(lab, enforcer)
        out.print(f"\nlab {lab.id} removed")
    return EXIT_NEGATIVE if obs.mismatches else EXIT_OK
