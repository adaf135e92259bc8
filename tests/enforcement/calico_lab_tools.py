"""Helpers for the Calico lab tests: scenario labs and random Calico policy sets.

A scenario's outside addresses become ``LabHost``s named ``ext-<ip>``; they
sit on the first node with a host endpoint (``plan``'s default), which is
where an outside client meets that node's host endpoint policy. The random
policies are drawn as plain dicts and written as JSON manifests, so a failing
example prints manifests that ``netwarden check`` and ``lab up`` read as is.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Sequence
from typing import Any

from hypothesis import strategies as st

from netwarden.ir import Cluster, EndpointKind, NamedPort
from netwarden.ir.services import TCP, UDP
from netwarden.lab import LabHost

__all__ = [
    "NAMESPACES",
    "PODS",
    "SERVICES",
    "host_name",
    "lab_hosts",
    "manifests",
    "policy_set",
    "probe_ports",
    "unpoliced",
]


# -- scenario labs -------------------------------------------------------------
def host_name(address: str) -> str:
    """The LabHost standing for an outside address."""
    return "ext-" + address.replace(".", "-").replace(":", "-")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def probe_ports(probes: Iterable[Any]) -> list[tuple[int, int]]:
    """Every probed port on TCP and UDP, so each destination has a listener."""
    return sorted({(p.port, proto) for p in probes if p.port for proto in (TCP, UDP)})


def lab_hosts(cluster: Cluster, probes: Sequence[Any]) -> list[LabHost]:
    """A LabHost for each probed address no cluster endpoint owns."""
    owned = {str(ip) for e in cluster.endpoints for ip in e.ips}
    served = tuple(NamedPort(port, proto) for port, proto in probe_ports(probes))
    addresses = sorted({a for p in probes for a in (p.src, p.dst) if _is_ip(a)} - owned)
    return [LabHost(host_name(a), (ipaddress.ip_address(a),), served) for a in addresses]


def unpoliced(cluster: Cluster) -> Cluster:
    """``cluster`` without policies and host endpoints: the reachability control."""
    import dataclasses

    endpoints = tuple(e for e in cluster.endpoints if e.kind is not EndpointKind.HOST)
    return dataclasses.replace(cluster, endpoints=endpoints, policies=())


# -- random Calico scenarios ------------------------------------------------------
NAMESPACES = ("n1", "n2")
PODS = {"n1/p1": "10.73.1.1", "n1/p2": "10.73.1.2", "n1/p3": "10.73.1.3",
        "n2/p1": "10.73.2.1", "n2/p2": "10.73.2.2"}
SERVICES: tuple[tuple[str, int | None], ...] = (("TCP", 80), ("UDP", 81), ("ICMP", None))
KEYS, VALUES = ("app", "role"), ("x", "y")

label_sets = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)
_atom = st.one_of(
    st.builds(lambda k, v: f"{k} == '{v}'", st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.builds(lambda k, v: f"{k} != '{v}'", st.sampled_from(KEYS), st.sampled_from(VALUES)),
    st.builds(lambda k: f"has({k})", st.sampled_from(KEYS)),
    st.builds(lambda k: f"!has({k})", st.sampled_from(KEYS)),
    st.builds(lambda k: f"{k} in {{'x', 'y'}}", st.sampled_from(KEYS)),
    st.just("all()"),
)
selectors = st.one_of(
    _atom,
    st.builds(lambda a, op, b: f"({a}) {op} ({b})", _atom, st.sampled_from(("&&", "||")), _atom),
)
ns_selectors = st.one_of(
    st.builds(lambda v: f"env == '{v}'", st.sampled_from(VALUES)),
    st.builds(lambda n: f"projectcalico.org/name == '{n}'", st.sampled_from(NAMESPACES)),
    st.just("all()"), st.just("has(env)"),
)
nets = st.lists(st.sampled_from((*(f"{ip}/32" for ip in PODS.values()), "10.73.1.0/24",
                                 "10.73.0.0/16", "10.0.0.0/8", "192.0.2.0/24")),
                min_size=1, max_size=2, unique=True)
ports = st.lists(st.sampled_from((80, 81, "80:81", 443)), min_size=1, max_size=2, unique=True)


@st.composite
def entity(draw: st.DrawFn, protocol: str | None) -> dict[str, Any]:
    """A source/destination entity rule; ports only where Calico allows them."""
    out: dict[str, Any] = {}
    for key, strategy in (("selector", selectors), ("namespaceSelector", ns_selectors),
                          ("nets", nets), ("notNets", nets)):
        if draw(st.integers(0, 3)) == 0:
            out[key] = draw(strategy)
    if protocol in ("TCP", "UDP"):
        for key in ("ports", "notPorts"):
            if draw(st.integers(0, 2)) == 0:
                out[key] = draw(ports)
    return out


@st.composite
def calico_rule(draw: st.DrawFn) -> dict[str, Any]:
    rule: dict[str, Any] = {"action": draw(st.sampled_from(("Allow", "Deny", "Pass", "Log")))}
    protocol = draw(st.sampled_from((None, "TCP", "UDP", "ICMP")))
    if protocol:  # no `icmp: {type, code}`: see test_calico_lab.py test_icmp_type_is_enforced
        rule["protocol"] = protocol
    for side in ("source", "destination"):
        part = draw(entity(protocol))
        if part:
            rule[side] = part
    return rule


@st.composite
def calico_policy(draw: st.DrawFn, tiers: Sequence[str]) -> dict[str, Any]:
    spec: dict[str, Any] = {"tier": draw(st.sampled_from(tiers)),
                            "selector": draw(selectors)}
    order = draw(st.sampled_from((None, 10, 500, 1000, 2000)))
    if order is not None:
        spec["order"] = order
    for direction in ("ingress", "egress"):
        if draw(st.booleans()):
            spec[direction] = draw(st.lists(calico_rule(), max_size=3))
    if draw(st.booleans()):
        spec["types"] = draw(st.lists(st.sampled_from(("Ingress", "Egress")), min_size=1,
                                      max_size=2, unique=True))
    namespace = draw(st.sampled_from((None, *NAMESPACES)))  # None: global
    if namespace is None and draw(st.booleans()):
        spec["namespaceSelector"] = draw(ns_selectors)
    api = draw(st.sampled_from(("projectcalico.org/v3", "crd.projectcalico.org/v1")))
    return {"api": api, "namespace": namespace, "spec": spec}


k8s_policy = st.fixed_dictionaries({
    "namespace": st.sampled_from(NAMESPACES),
    "select": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1),
    "from": st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=1),
    "port": st.sampled_from((None, 80, 81)),
})


@st.composite
def policy_set(draw: st.DrawFn) -> dict[str, Any]:
    """Pods (3-5 of ``PODS``) with labels, namespace labels, tiers and policies."""
    pods = draw(st.lists(st.sampled_from(sorted(PODS)), min_size=3, max_size=5, unique=True))
    tiers = ["default"]
    extra: dict[str, Any] | None = None
    if draw(st.booleans()):
        extra = {"order": draw(st.sampled_from((10, 100, 2000))),
                 "defaultAction": draw(st.sampled_from(("Deny", "Pass")))}
        tiers.append("sec")
    return {
        "pods": {key: draw(label_sets) for key in sorted(pods)},
        "namespaces": {ns: draw(st.dictionaries(st.just("env"), st.sampled_from(VALUES)))
                       for ns in NAMESPACES},
        "tier": extra,
        "policies": draw(st.lists(calico_policy(tiers), min_size=1, max_size=3)),
        "k8s": draw(st.none() | k8s_policy),
    }


def manifests(drawn: dict[str, Any]) -> list[str]:
    """The drawn scenario as JSON manifests (pods fixed to their lab addresses)."""
    docs: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        for ns, labels in drawn["namespaces"].items()
    ]
    for key, labels in drawn["pods"].items():
        ns, name = key.split("/")
        docs.append({"apiVersion": "v1", "kind": "Pod",
                     "metadata": {"name": name, "namespace": ns, "labels": labels},
                     "spec": {"containers": [{"name": "c", "image": "x"}]},
                     "status": {"podIP": PODS[key]}})
    if drawn["tier"] is not None:
        docs.append({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
                     "metadata": {"name": "sec"}, "spec": drawn["tier"]})
    for i, p in enumerate(drawn["policies"]):
        meta: dict[str, Any] = {"name": f"{p['spec']['tier']}.c{i}"
                                if p["spec"]["tier"] != "default" else f"c{i}"}
        kind = "GlobalNetworkPolicy"
        if p["namespace"] is not None:
            kind, meta["namespace"] = "NetworkPolicy", p["namespace"]
        docs.append({"apiVersion": p["api"], "kind": kind, "metadata": meta,
                     "spec": p["spec"]})
    k8s = drawn["k8s"]
    if k8s is not None:
        rule: dict[str, Any] = {"from": [{"podSelector": {"matchLabels": k8s["from"]}}]}
        if k8s["port"] is not None:
            rule["ports"] = [{"port": k8s["port"]}]
        docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                     "metadata": {"name": "k8s", "namespace": k8s["namespace"]},
                     "spec": {"podSelector": {"matchLabels": k8s["select"]},
                              "ingress": [rule]}})
    return [json.dumps(d) for d in docs]
