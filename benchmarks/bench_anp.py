"""Cluster-wide policies benchmark: NetworkPolicies plus 50 AdminNetworkPolicies and a BANP.

Target (issue: AdminNetworkPolicy): 10,000 pods, 2,000 NetworkPolicies, 50 ANPs and a
BaselineAdminNetworkPolicy, full connectivity matrix ``--grouped`` as JSON, < 10 s.
Admin policies select across namespaces (by team and env labels, by tier, by
address range), which is what could break the equivalence classes.
Wall-clock of the real command, best of three, as in ``bench_core.py``.
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_core import NETWARDEN, best_of, check_latency
from generate import TIERS, generate, write

V1 = "policy.networking.k8s.io/v1alpha1"


def admin_policies(count: int, seed: int = 11) -> list[dict[str, Any]]:
    """``count`` ANPs of the shapes administrators write, and the BANP."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(count):
        team = f"t{i % 7}"
        shape = i % 5
        subject: dict[str, Any] = {"namespaces": {"matchLabels": {"team": team}}}
        if shape == 0:    # tenant isolation: other teams denied, own team passed to its NPs
            ingress = [{"action": "Pass", "from": [
                           {"namespaces": {"matchLabels": {"team": team}}}]},
                       {"action": "Deny", "from": [{"namespaces": {}}]}]
            egress: list[dict[str, Any]] = []
        elif shape == 1:  # monitoring always reaches the metrics port
            subject = {"pods": {"namespaceSelector": {}, "podSelector": {
                "matchLabels": {"tier": rng.choice(TIERS)}}}}
            ingress = [{"action": "Allow", "from": [{"namespaces": {"matchLabels": {
                "team": team}}}], "ports": [{"namedPort": "prom"}]}]
            egress = []
        elif shape == 2:  # no egress to a range of addresses
            ingress = []
            egress = [{"action": "Deny", "to": [{"networks": [f"10.{rng.randint(0, 255)}.0.0/16",
                                                               "192.168.0.0/16"]}]}]
        elif shape == 3:  # dev never reaches prod databases
            subject = {"pods": {"namespaceSelector": {"matchLabels": {"env": "prod"}},
                                "podSelector": {"matchLabels": {"tier": "db"}}}}
            ingress = [{"action": "Deny", "from": [{"namespaces": {"matchLabels": {
                "env": "dev"}}}], "ports": [{"portNumber": {"protocol": "TCP", "port": 5432}}]}]
            egress = []
        else:             # DNS always allowed, then a port range passed on
            ingress = [{"action": "Allow", "from": [{"pods": {
                "namespaceSelector": {}, "podSelector": {"matchLabels": {"tier": "frontend"}}}}],
                "ports": [{"portRange": {"protocol": "TCP", "start": 8000, "end": 8100}}]}]
            egress = [{"action": "Allow", "to": [{"namespaces": {}}],
                       "ports": [{"portNumber": {"protocol": "UDP", "port": 53}}]}]
        spec: dict[str, Any] = {"priority": i * 10 % 1000 + i // 100, "subject": subject}
        if ingress:
            spec["ingress"] = ingress
        if egress:
            spec["egress"] = egress
        out.append({"apiVersion": V1, "kind": "AdminNetworkPolicy",
                    "metadata": {"name": f"anp-{i}"}, "spec": spec})
    out.append({"apiVersion": V1, "kind": "BaselineAdminNetworkPolicy",
                "metadata": {"name": "default"},
                "spec": {"subject": {"namespaces": {}},
                         "ingress": [{"action": "Deny", "from": [{"namespaces": {
                             "matchLabels": {"env": "dev"}}}]}],
                         "egress": [{"action": "Deny", "to": [{"networks": ["0.0.0.0/0"]}],
                                     "ports": [{"portNumber": {"protocol": "TCP",
                                                               "port": 25}}]}]}})
    return out


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="nw-bench-anp-") as tmp:
        for pods, policies, target in ((1000, 200, None), (10000, 2000, 10.0)):
            out = Path(tmp) / f"c{pods}"
            write(generate(pods, policies) + admin_policies(50), out)
            argv = [NETWARDEN, "matrix", str(out), "--grouped", "--format", "json", "-O",
                    str(Path(tmp) / f"m{pods}.json")]
            seconds = best_of(argv)
            rows.append((f"{pods:,} pods, {policies:,} NetworkPolicies, 50 ANPs + a BANP: "
                         "load + full matrix (--grouped), JSON written", f"{seconds:.2f} s",
                         f"< {target:g} s" if target else "-",
                         ("yes" if seconds < target else "NO") if target else "-"))
            median, p99 = check_latency(out)
            rows.append((f"{pods:,} pods with ANPs: one `check` after load (median / p99)",
                         f"{median * 1e3:.3f} / {p99 * 1e3:.3f} ms", "< 1 ms",
                         "yes" if p99 < 1e-3 else "NO"))
    print("### AdminNetworkPolicy (admin and baseline tiers)\n")
    print("| measurement | result | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
