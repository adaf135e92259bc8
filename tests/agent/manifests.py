"""Manifest builders for agent tests: small YAML texts, explicit IPs and nodes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from netwarden.compile import compile_snapshot
from netwarden.ir import Cluster
from netwarden.load import load_texts
from netwarden.load.scalars import KubeDumper


def namespace(name: str, **labels: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": dict(labels)}}


def pod(ns: str, name: str, ip: str, node: str = "node-1", **labels: str) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
            "spec": {"nodeName": node,
                     "containers": [{"name": "c", "image": "nginx",
                                     "ports": [{"containerPort": 80}]}]},
            "status": {"podIP": ip}}


def policy(ns: str, name: str, selector: Mapping[str, str],
           ingress_from: Iterable[Mapping[str, object]] | None = None,
           port: int | None = 80) -> dict[str, object]:
    """Ingress policy on pods matching ``selector``; no peers given means deny all ingress."""
    spec: dict[str, object] = {"podSelector": {"matchLabels": dict(selector)},
                               "policyTypes": ["Ingress"]}
    if ingress_from is not None:
        rule: dict[str, object] = {"from": list(ingress_from)}
        if port is not None:
            rule["ports"] = [{"port": port, "protocol": "TCP"}]
        spec["ingress"] = [rule]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": ns}, "spec": spec}


def text(*docs: Mapping[str, object]) -> str:
    return yaml.dump_all(list(docs), Dumper=KubeDumper, sort_keys=False)


def cluster_of(*docs: Mapping[str, object]) -> Cluster:
    return compile_snapshot(load_texts([("test.yaml", text(*docs))]))


def write_atomic(path: Path, body: str) -> None:
    """Write then rename, so the agent never reads half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(body)
    os.replace(tmp, path)
