"""Builders for engine tests: manifests as dicts, dumped to YAML and loaded for real.

Every test cluster goes through the loader and the compiler, so the engine is
exercised on exactly what ``netwarden`` builds from files.

>>> text = to_yaml(make_namespace("x"), make_pod("a", "x", "10.0.0.1", labels={"pod": "a"}))
>>> sorted(e.key for e in load_cluster(text).pods)
['x/a']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

import netwarden
from netwarden.ir import Cluster
from netwarden.load import load_texts
from netwarden.load.scalars import KubeDumper

Doc = dict[str, Any]
PortDecl = tuple[int, str] | tuple[int, str, str]

_UNSET: Any = object()


def make_namespace(name: str, labels: Mapping[str, str] | None = None) -> Doc:
    meta: Doc = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}


def make_pod(
    name: str,
    ns: str,
    ip: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    ports: Sequence[PortDecl] = (),
    host_network: bool = False,
) -> Doc:
    """A pod; ``ports`` are ``(number, protocol)`` or ``(number, protocol, name)``."""
    container: Doc = {"name": "main", "image": "agnhost"}
    if ports:
        container["ports"] = [
            {"containerPort": p[0], "protocol": p[1], **({"name": p[2]} if len(p) > 2 else {})}
            for p in ports
        ]
    spec: Doc = {"containers": [container]}
    if host_network:
        spec["hostNetwork"] = True
    doc: Doc = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": dict(labels or {})},
        "spec": spec,
    }
    if ip is not None:
        doc["status"] = {"podIP": ip}
    return doc


def make_policy(
    name: str,
    ns: str,
    pod_selector: Doc | None = None,
    *,
    ingress: Any = _UNSET,
    egress: Any = _UNSET,
    policy_types: Sequence[str] | None = None,
) -> Doc:
    """A NetworkPolicy; ``ingress``/``egress`` left out are absent from the manifest.

    ``pod_selector`` None is ``{}`` (every pod of ``ns``).
    """
    spec: Doc = {"podSelector": pod_selector if pod_selector is not None else {}}
    if policy_types is not None:
        spec["policyTypes"] = list(policy_types)
    if ingress is not _UNSET:
        spec["ingress"] = ingress
    if egress is not _UNSET:
        spec["egress"] = egress
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


# -- selectors, peers, ports ---------------------------------------------------
def labels_sel(**labels: str) -> Doc:
    """``{matchLabels: ...}``; no labels is the empty selector ``{}``."""
    return {"matchLabels": dict(labels)} if labels else {}


def expr_sel(*requirements: tuple[str, str, Sequence[str]]) -> Doc:
    """``{matchExpressions: [...]}`` from ``(key, operator, values)`` triples."""
    out = []
    for key, operator, values in requirements:
        req: Doc = {"key": key, "operator": operator}
        if values:
            req["values"] = list(values)
        out.append(req)
    return {"matchExpressions": out}


def pods_peer(selector: Doc | None = None, ns: Doc | None = None) -> Doc:
    """A peer with a podSelector and/or a namespaceSelector (None leaves it out)."""
    peer: Doc = {}
    if selector is not None:
        peer["podSelector"] = selector
    if ns is not None:
        peer["namespaceSelector"] = ns
    return peer


def ns_peer(**labels: str) -> Doc:
    return {"namespaceSelector": labels_sel(**labels)}


def ip_peer(cidr: str, *excepts: str) -> Doc:
    block: Doc = {"cidr": cidr}
    if excepts:
        block["except"] = list(excepts)
    return {"ipBlock": block}


def port(
    number: int | str | None = None, protocol: str | None = "TCP", end: int | None = None
) -> Doc:
    out: Doc = {}
    if protocol is not None:
        out["protocol"] = protocol
    if number is not None:
        out["port"] = number
    if end is not None:
        out["endPort"] = end
    return out


def rule(peers: Any = _UNSET, ports: Any = _UNSET, *, key: str = "from") -> Doc:
    """One ingress (``key="from"``) or egress (``key="to"``) rule."""
    out: Doc = {}
    if peers is not _UNSET:
        out[key] = peers
    if ports is not _UNSET:
        out["ports"] = ports
    return out


def egress_rule(peers: Any = _UNSET, ports: Any = _UNSET) -> Doc:
    return rule(peers, ports, key="to")


# -- loading -------------------------------------------------------------------
def to_yaml(*docs: Doc | Iterable[Doc]) -> str:
    flat: list[Doc] = []
    for doc in docs:
        if isinstance(doc, dict):
            flat.append(doc)
        else:
            flat.extend(doc)
    return yaml.dump_all(flat, Dumper=KubeDumper, sort_keys=False)


def load_cluster(*texts: str) -> Cluster:
    """Compile YAML texts (a cluster, then policies) into the IR."""
    named = [(f"part{i}.yaml", text) for i, text in enumerate(texts) if text.strip()]
    return netwarden.compile_snapshot(load_texts(named))


def load_engine(*texts: str) -> netwarden.Engine:
    return netwarden.Engine(load_cluster(*texts))
