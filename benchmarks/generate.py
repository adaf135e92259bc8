"""Generate a realistic synthetic cluster as manifests, for benchmarks.

Pods carry the labels real pods carry (app, tier, version, and a unique
pod-template-hash and index), so a benchmark that groups pods by identical
labels would find no groups. Policies mix the shapes seen in practice:
per-namespace default deny, allow from an app in the namespace, allow from a
labelled namespace, named ports, port ranges, ipBlocks with except, and DNS
egress.

    python benchmarks/generate.py --pods 1000 --policies 200 -o /tmp/bench-1k
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import yaml

from netwarden.load.scalars import KubeDumper

TIERS = ("frontend", "backend", "db", "cache", "worker")
PORTS = {"frontend": (8080, "http"), "backend": (9090, "api"), "db": (5432, "postgres"),
         "cache": (6379, "redis"), "worker": (7000, "metrics")}


def generate(pods: int, policies: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    n_ns = max(2, pods // 50)
    n_apps = max(2, pods // 10)
    namespaces = [f"team-{i}" for i in range(n_ns)]
    docs: list[dict[str, Any]] = []
    for i, ns in enumerate(namespaces):
        docs.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": ns, "labels": {"team": f"t{i % 7}", "env": rng.choice(("prod", "dev"))}}})
    apps = [(f"app-{i}", namespaces[i % n_ns], TIERS[i % len(TIERS)]) for i in range(n_apps)]
    for i in range(pods):
        app, ns, tier = apps[i % n_apps]
        port, name = PORTS[tier]
        docs.append({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": f"{app}-{i}", "namespace": ns, "labels": {
                "app": app, "tier": tier, "version": f"v{rng.randint(1, 3)}",
                "pod-template-hash": f"{rng.getrandbits(40):010x}", "index": str(i)}},
            "spec": {"nodeName": f"node-{i // 200 + 1}", "containers": [{"name": "main", "ports": [
                {"containerPort": port, "name": name}, {"containerPort": 9100, "name": "prom"}]}]},
        })
    for j in range(policies):
        app, ns, tier = apps[j % n_apps]
        docs.append(_policy(rng, j, app, ns, tier, apps, namespaces))
    return docs


def _policy(rng: random.Random, j: int, app: str, ns: str, tier: str,
            apps: list[tuple[str, str, str]], namespaces: list[str]) -> dict[str, Any]:
    kind = j % 6
    meta = {"name": f"pol-{j}", "namespace": ns}
    if kind == 0:
        spec: dict[str, Any] = {"podSelector": {}, "policyTypes": ["Ingress"]}
    elif kind == 1:
        peer_app = rng.choice([a for a in apps if a[1] == ns] or apps)[0]
        spec = {"podSelector": {"matchLabels": {"app": app}}, "ingress": [{
            "from": [{"podSelector": {"matchLabels": {"app": peer_app}}}],
            "ports": [{"port": PORTS[tier][1]}]}]}
    elif kind == 2:
        spec = {"podSelector": {"matchLabels": {"tier": tier}}, "ingress": [{
            "from": [{"namespaceSelector": {"matchLabels": {"team": f"t{rng.randint(0, 6)}"}},
                      "podSelector": {"matchExpressions": [
                          {"key": "tier", "operator": "In", "values": ["frontend", "backend"]}]}}],
            "ports": [{"protocol": "TCP", "port": 8000, "endPort": 9100}]}]}
    elif kind == 3:
        spec = {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": ["Egress"],
                "egress": [
                    {"to": [{"namespaceSelector": {}}], "ports": [
                        {"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                    {"to": [{"podSelector": {"matchLabels": {"tier": "db"}}}],
                     "ports": [{"port": "postgres"}]}]}
    elif kind == 4:
        octet = rng.randint(0, 255)
        spec = {"podSelector": {"matchLabels": {"tier": tier}}, "ingress": [{
            "from": [{"ipBlock": {"cidr": f"172.{16 + octet % 16}.0.0/16",
                                  "except": [f"172.{16 + octet % 16}.{octet}.0/24"]}}]}]}
    else:
        spec = {"podSelector": {"matchExpressions": [
            {"key": "version", "operator": "NotIn", "values": ["v3"]}, {"key": "app",
                                                                       "operator": "In",
                                                                       "values": [app]}]},
                "ingress": [{"from": [{"podSelector": {}}], "ports": [{"port": "prom"}]}]}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": meta, "spec": spec}


def write(docs: list[dict[str, Any]], out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "cluster.yaml"
    with path.open("w") as fh:
        # quoted as Kubernetes reads YAML: a hash like 0012345678 is otherwise a number
        yaml.dump_all(docs, fh, Dumper=KubeDumper, sort_keys=False)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--policies", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    print(write(generate(args.pods, args.policies, args.seed), args.output))


if __name__ == "__main__":
    main()
