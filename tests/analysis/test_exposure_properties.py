"""Exposure agrees with the engine, on random small clusters (hypothesis, bounded).

(a) Every existing pod the policies let in (or out to) is listed under lines
    whose ports, together, are exactly what the subject's side allows it:
    exposure never claims more or less than the engine for existing pods.
(b) Every line admits a pod that does not exist: one built from the line's
    selectors (labels satisfying them, in a namespace satisfying its
    namespace selector, fresh when no existing one does), added to the
    manifests, which the engine then allows on the line's ports; an address
    line admits an address of its ranges.

Clusters mix NetworkPolicies with an AdminNetworkPolicy and a baseline whose
rules Allow, Deny and Pass namespaces and pods, and a Calico
GlobalNetworkPolicy (before or after the NetworkPolicies) whose rules Allow,
Deny and Pass selectors, namespace selectors and nets.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from netwarden.analysis.exposure import Exposure, ExposureLine, exposure
from netwarden.analysis.exposure_terms import Term, label_witness, remote, term_addresses
from netwarden.compile import compile_snapshot
from netwarden.engine import Engine
from netwarden.ir import NAME_LABEL, Cluster, Direction, Endpoint, EndpointKind, Peer, ServiceSet
from netwarden.ir.addresses import AddressSet
from netwarden.ir.selector import Has, In, Not
from netwarden.ir.services import PORT_PROTOCOLS, TCP, protocol_name, protocol_number
from netwarden.load import load_texts
from netwarden.load.scalars import KubeDumper

Doc = dict[str, Any]
NAMESPACES = ("n0", "n1", "n2")
KEYS, VALUES = ("app", "tier"), ("a", "b")
PORTS = [(80, "TCP", "http"), (81, "TCP", "alt"), (53, "UDP", "dns")]
PROPERTY = settings(max_examples=int(os.environ.get("NETWARDEN_PROPERTY_EXAMPLES", "40")),
                    deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

label_maps = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)


@st.composite
def selectors(draw: st.DrawFn) -> Doc:
    kind = draw(st.sampled_from(("empty", "labels", "expr")))
    if kind == "empty":
        return {}
    if kind == "labels":
        return {"matchLabels": draw(st.dictionaries(st.sampled_from(KEYS),
                                                    st.sampled_from(VALUES), max_size=1))}
    op = draw(st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")))
    req: Doc = {"key": draw(st.sampled_from(KEYS)), "operator": op}
    if op in ("In", "NotIn"):
        req["values"] = draw(st.lists(st.sampled_from(VALUES), min_size=1, max_size=2,
                                      unique=True))
    return {"matchExpressions": [req]}


@st.composite
def ns_selectors(draw: st.DrawFn) -> Doc:
    kind = draw(st.sampled_from(("empty", "env", "name", "expr")))
    if kind == "empty":
        return {}
    if kind == "env":
        return {"matchLabels": {"env": draw(st.sampled_from(("p", "q")))}}
    if kind == "expr":
        return {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["p"]}]}
    return {"matchLabels": {NAME_LABEL: draw(st.sampled_from(NAMESPACES))}}


@st.composite
def k8s_peers(draw: st.DrawFn) -> Doc:
    kind = draw(st.sampled_from(("pods", "ns", "both", "ip")))
    if kind == "ip":
        cidr = draw(st.sampled_from(("0.0.0.0/0", "10.0.0.0/24", "10.0.0.0/30")))
        block: Doc = {"cidr": cidr}
        if draw(st.booleans()):
            block["except"] = [draw(st.sampled_from(("10.0.0.1/32", "10.0.0.2/31")))]
        return {"ipBlock": block}
    peer: Doc = {}
    if kind in ("pods", "both"):
        peer["podSelector"] = draw(selectors())
    if kind in ("ns", "both"):
        peer["namespaceSelector"] = draw(ns_selectors())
    return peer


@st.composite
def k8s_ports(draw: st.DrawFn) -> Doc:
    out: Doc = {"protocol": draw(st.sampled_from(("TCP", "UDP")))}
    kind = draw(st.sampled_from(("none", "number", "range", "name")))
    if kind == "number":
        out["port"] = draw(st.sampled_from((80, 81)))
    elif kind == "range":
        out["port"], out["endPort"] = 80, draw(st.sampled_from((80, 81, 90)))
    elif kind == "name":
        out["port"] = draw(st.sampled_from(("http", "alt", "dns")))
    return out


@st.composite
def netpols(draw: st.DrawFn, name: str) -> Doc:
    spec: Doc = {"podSelector": draw(selectors())}
    for key, peers in (("ingress", "from"), ("egress", "to")):
        if draw(st.booleans()):
            rules = []
            for _ in range(draw(st.integers(0, 2))):
                rule: Doc = {}
                if draw(st.booleans()):
                    rule[peers] = draw(st.lists(k8s_peers(), min_size=1, max_size=2))
                if draw(st.booleans()):
                    rule["ports"] = draw(st.lists(k8s_ports(), min_size=1, max_size=2))
                rules.append(rule)
            spec[key] = rules
    spec["policyTypes"] = draw(st.sampled_from((["Ingress"], ["Egress"],
                                                ["Ingress", "Egress"])))
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": draw(st.sampled_from(NAMESPACES[:2]))},
            "spec": spec}


@st.composite
def admin_peers(draw: st.DrawFn) -> Doc:
    if draw(st.booleans()):
        return {"namespaces": draw(ns_selectors())}
    return {"pods": {"namespaceSelector": draw(ns_selectors()),
                     "podSelector": draw(selectors())}}


@st.composite
def admin_policies(draw: st.DrawFn, baseline: bool) -> Doc:
    actions = ("Allow", "Deny") if baseline else ("Allow", "Deny", "Pass")
    spec: Doc = {"subject": {"namespaces": {}} if draw(st.booleans()) else
                 {"pods": {"namespaceSelector": {}, "podSelector": draw(selectors())}}}
    for key, peers in (("ingress", "from"), ("egress", "to")):
        rules = []
        for i in range(draw(st.integers(0, 3))):
            rule: Doc = {"name": f"r{i}", "action": draw(st.sampled_from(actions)),
                         peers: draw(st.lists(admin_peers(), min_size=1, max_size=2))}
            if draw(st.booleans()):
                rule["ports"] = [{"portNumber": {"protocol": "TCP",
                                                 "port": draw(st.sampled_from((80, 81)))}}
                                 if draw(st.booleans()) else
                                 {"namedPort": draw(st.sampled_from(("http", "alt")))}]
            rules.append(rule)
        if rules:
            spec[key] = rules
    if baseline:
        return {"apiVersion": "policy.networking.k8s.io/v1alpha1",
                "kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "default"},
                "spec": spec}
    spec["priority"] = 10
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
            "metadata": {"name": "admin"}, "spec": spec}


CALICO_SELECTORS = ("all()", "app == 'a'", "has(tier)", "!has(app)", "tier in {'a', 'b'}",
                    "app != 'b'")


@st.composite
def calico_entities(draw: st.DrawFn) -> Doc:
    kind = draw(st.sampled_from(("selector", "namespace", "both", "nets", "empty")))
    out: Doc = {}
    if kind in ("selector", "both"):
        out["selector"] = draw(st.sampled_from(CALICO_SELECTORS))
    if kind in ("namespace", "both"):
        out["namespaceSelector"] = draw(st.sampled_from(("env == 'p'", "env == 'q'",
                                                         "all()")))
    if kind == "nets":
        out["nets"] = [draw(st.sampled_from(("10.0.0.0/30", "0.0.0.0/0", "10.0.0.2/32")))]
    return out


@st.composite
def calico_policies(draw: st.DrawFn) -> Doc:
    spec: Doc = {"order": draw(st.sampled_from((10, 2000))),
                 "selector": draw(st.sampled_from(CALICO_SELECTORS)),
                 "types": ["Ingress", "Egress"]}
    for key, far in (("ingress", "source"), ("egress", "destination")):
        rules = []
        for _ in range(draw(st.integers(0, 3))):
            rule: Doc = {"action": draw(st.sampled_from(("Allow", "Deny", "Pass"))),
                         far: draw(calico_entities())}
            if draw(st.booleans()):
                rule["protocol"] = "TCP"
                rule.setdefault("destination", {})["ports"] = [draw(st.sampled_from((80, 81)))]
            rules.append(rule)
        spec[key] = rules
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
            "metadata": {"name": "calico"}, "spec": spec}


def _pod(name: str, namespace: str, ip: str, labels: dict[str, str],
         ports: list[tuple[int, str, str]]) -> Doc:
    container: Doc = {"name": "c", "image": "x"}
    if ports:
        container["ports"] = [{"containerPort": p, "protocol": proto, "name": n}
                              for p, proto, n in ports]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"containers": [container]}, "status": {"podIP": ip}}


def _namespace(name: str, labels: dict[str, str]) -> Doc:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": labels}}


@st.composite
def clusters(draw: st.DrawFn) -> list[Doc]:
    docs = [_namespace(n, {"env": draw(st.sampled_from(("p", "q")))}) for n in NAMESPACES]
    for i in range(draw(st.integers(2, 4))):
        docs.append(_pod(f"p{i}", draw(st.sampled_from(NAMESPACES)), f"10.0.0.{i + 1}",
                         draw(label_maps),
                         draw(st.lists(st.sampled_from(PORTS), max_size=2, unique=True))))
    docs += [draw(netpols(f"np{i}")) for i in range(draw(st.integers(0, 2)))]
    if draw(st.booleans()):
        docs.append(draw(admin_policies(False)))
    if draw(st.booleans()):
        docs.append(draw(admin_policies(True)))
    if draw(st.booleans()):
        docs.append(draw(calico_policies()))
    return docs


def _load(docs: list[Doc]) -> Cluster:
    text = yaml.dump_all(docs, Dumper=KubeDumper, sort_keys=False)
    return compile_snapshot(load_texts([("cluster.yaml", text)]))


def _report(docs: list[Doc]) -> tuple[Cluster, Exposure]:
    cluster = _load(docs)
    return cluster, exposure(cluster)


# -- (a) ------------------------------------------------------------------------
def _named(line: ExposureLine, peer: Endpoint) -> ServiceSet:
    """The line's named ports as ``peer`` resolves them, where the line lets them resolve."""
    out = ServiceSet.none()
    for proto, name in line.port_names:
        for number in PORT_PROTOCOLS if proto == "any" else (
                next(p for p in PORT_PROTOCOLS if protocol_name(p) == proto),):
            out = out | ServiceSet.ports(number, [(p, p) for p in peer.named_ports(name, number)])
    return out & line.names_within


def _given(line: ExposureLine, peer: Endpoint, cluster: Cluster) -> ServiceSet:
    """What the line gives ``peer``: its services and named ports, less the ports that its
    named-port exceptions (``except TCP port named http towards …``) take from the peer."""
    out = line.services | _named(line, peer)
    for rule in line.terms[0].partial if line.terms else ():
        if rule.matches_remote(line.direction, Peer(peer.ips[0], peer), cluster.ns_labels):
            out = out - rule.services(peer)
    return out


# Found at NETWARDEN_PROPERTY_EXAMPLES=1500 (shrunk by hand): an admin Deny of TCP 81,
# then a NetworkPolicy Allow of the port named alt, which p1 declares as 81. The line
# "TCP port named alt" gave p1 TCP 81, which the Deny had taken.
DENIED_NUMBER_OF_A_NAME: list[Doc] = [
    _namespace("n0", {"env": "p"}), _namespace("n1", {"env": "p"}),
    _pod("p0", "n1", "10.0.0.1", {}, []),
    _pod("p1", "n0", "10.0.0.2", {}, [(81, "TCP", "alt")]),
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
     "metadata": {"name": "np0", "namespace": "n1"},
     "spec": {"podSelector": {}, "policyTypes": ["Egress"],
              "egress": [{"ports": [{"protocol": "TCP", "port": "alt"}]}]}},
    {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
     "metadata": {"name": "admin"},
     "spec": {"subject": {"pods": {"namespaceSelector": {}, "podSelector": {}}},
              "priority": 10, "egress": [
                  {"name": "r0", "action": "Deny",
                   "to": [{"pods": {"namespaceSelector": {}, "podSelector": {}}}],
                   "ports": [{"portNumber": {"protocol": "TCP", "port": 81}}]}]}},
]


def _admin_out(kind: str, *egress: Doc) -> Doc:
    spec: Doc = {"subject": {"namespaces": {}}, "egress": list(egress)}
    if kind == "AdminNetworkPolicy":
        spec["priority"] = 10
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": kind,
            "metadata": {"name": "admin" if kind == "AdminNetworkPolicy" else "default"},
            "spec": spec}


_EVERY_POD = [{"pods": {"namespaceSelector": {}, "podSelector": {}}}]
_HTTP = [{"namedPort": "http"}]
_P1_HTTP = [_namespace("n0", {"env": "p"}), _pod("p0", "n0", "10.0.0.1", {}, []),
            _pod("p1", "n0", "10.0.0.2", {}, [(80, "TCP", "http")])]
# Found at 1500 examples once admin rules drew named ports: a baseline Deny of the
# port named http leaves "all ports, except port named http towards every pod" (p1
# gets all but TCP 80); and an admin Deny then Allow of the same named port, whose
# Allow line "TCP port named http, except port named http towards every pod" admitted
# nobody (the exception on the same name was kept as partial instead of exact).
BASELINE_DENIES_A_NAME = [*_P1_HTTP, _admin_out(
    "BaselineAdminNetworkPolicy",
    {"name": "r0", "action": "Deny", "to": _EVERY_POD, "ports": _HTTP})]
DENY_THEN_ALLOW_A_NAME = [*_P1_HTTP, _admin_out(
    "AdminNetworkPolicy", {"name": "r0", "action": "Deny", "to": _EVERY_POD, "ports": _HTTP},
    {"name": "r1", "action": "Allow", "to": _EVERY_POD, "ports": _HTTP})]


@PROPERTY
@given(clusters())
@example(DENIED_NUMBER_OF_A_NAME)
@example(BASELINE_DENIES_A_NAME)
def test_every_existing_peer_is_covered_by_lines_with_exactly_its_ports(docs: list[Doc]) -> None:
    cluster, report = _report(docs)
    engine = Engine(cluster)
    conn = engine.connectivity
    for subject in cluster.pods:
        entry = report.workload(subject.key)
        mine = conn.class_of[subject.key]
        for direction in Direction:
            side = conn.side(mine, direction)
            for peer in cluster.pods:
                if peer.key == subject.key:
                    continue
                allowed = side.get(conn.class_of[peer.key]) if side else ServiceSet.all()
                shown = ServiceSet.none()
                for line in entry.side(direction).lines:
                    if peer.key in line.existing:
                        shown = shown | _given(line, peer, cluster)
                assert shown == allowed, (subject.key, direction, peer.key, str(shown),
                                          str(allowed), [str(x) for x in
                                                         entry.side(direction).lines])


# -- (b) ------------------------------------------------------------------------
def _some_service(services: ServiceSet) -> tuple[str, int] | None:
    for proto, ports in services.protocols():
        if proto in PORT_PROTOCOLS and ports:
            return protocol_name(proto), ports[0][0]
    if services.contains(TCP, 80):
        return "TCP", 80
    for number in (TCP, *sorted(PORT_PROTOCOLS)):
        for port in (1, 80, 81, 90, 5000, 65535):
            if services.contains(number, port):
                return protocol_name(number), port
    return None


def _namespace_choices(term: Term, cluster: Cluster) -> list[tuple[str, dict[str, str]]]:
    """Existing namespaces, then a fresh one whose labels satisfy the line's selectors."""
    out = [(n, dict(cluster.ns_labels(n))) for n in NAMESPACES]
    wanted = [remote(r, term.direction).scope.namespace_selector for r in term.pos]
    must = [s for s in wanted if s is not None]
    fresh = label_witness([*must, Has(NAME_LABEL)],
                          [In(NAME_LABEL, frozenset(NAMESPACES))])
    if fresh is not None:
        out.append((fresh[NAME_LABEL], dict(fresh)))
    return out


def _label_choices(term: Term) -> list[dict[str, str]]:
    """Pod labels the line's selectors admit, escaping as many exceptions as labels can
    (every subset of them, largest first: an exception of namespaces is escaped by the
    namespace, not by labels), then no labels."""
    must = [m.selector for r in term.pos if (m := remote(r, term.direction)).selector]
    avoid = [m.selector for r in term.neg if (m := remote(r, term.direction)).selector]
    out: list[dict[str, str]] = []
    for size in range(len(avoid), -1, -1):
        for must_not in itertools.combinations(avoid, size):
            labels = label_witness(must, list(must_not))
            if labels is not None and dict(labels) not in out:
                out.append(dict(labels))
    if {} not in out:
        out.append({})
    return out


def _address(term: Term, taken: set[str], within: str = "0.0.0.0/0") -> str | None:
    """An address of the term's ranges no pod has (within ``within`` when it can be)."""
    addresses = term_addresses(term)
    preferred = addresses & AddressSet.of([within])
    spans = (preferred or addresses).v4
    for lo, hi in spans:
        for value in (hi, lo, (lo + hi) // 2):
            ip = str(ipaddress.IPv4Address(value))
            if ip not in taken:
                return ip
    # Every address of the line is an existing pod's: that pod is the peer.
    return str(ipaddress.IPv4Address(spans[0][0])) if spans else None


def _allowed(docs: list[Doc], extra: list[Doc], subject: str, peer: str,
             direction: Direction, service: tuple[str, int]) -> bool:
    engine = Engine(_load(docs + extra))
    src, dst = (peer, subject) if direction is Direction.INGRESS else (subject, peer)
    verdict = engine.check(src, dst, *service)
    side = verdict.ingress if direction is Direction.INGRESS else verdict.egress
    return side is None or side.allowed


def _admits_a_new_pod(docs: list[Doc], cluster: Cluster, subject: str,
                      line: ExposureLine) -> bool:
    term = line.terms[0]
    taken = {str(ip) for e in cluster.endpoints for ip in e.ips}
    service = _some_service(term.services)
    ports: list[tuple[int, str, str]] = []
    if service is None:  # a port named on the peer
        proto, name = line.port_names[0]
        protocol = "TCP" if proto == "any" else proto
        number = next(n for n in (7777, 80, 81, 90, 1, 65535)
                      if line.names_within.contains(protocol_number(protocol), n))
        service = (protocol, number)
        ports = [(number, protocol, name)]
    ip = _address(term, taken) if line.kind in ("any", "addresses") else \
        _address(term, taken, "10.0.1.0/24")
    assert ip is not None, str(line)
    if line.kind in ("any", "addresses") and not ports:
        return _allowed(docs, [], subject, ip, line.direction, service)
    if any(EndpointKind.NETWORK_SET in remote(r, term.direction).kinds for r in term.pos):
        for labels in _label_choices(term):  # a labelled set of addresses outside
            netset = {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
                      "metadata": {"name": "synthetic", "labels": labels},
                      "spec": {"nets": ["192.0.2.0/24"]}}
            if _allowed(docs, [netset], subject, "192.0.2.1", line.direction, service):
                return True
    for namespace, ns_labels in _namespace_choices(term, cluster):
        for labels in _label_choices(term):
            if any(EndpointKind.NETWORK_SET in remote(r, term.direction).kinds
                   for r in term.pos):
                netset = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkSet",
                          "metadata": {"name": "synthetic", "namespace": namespace,
                                       "labels": labels},
                          "spec": {"nets": ["192.0.2.0/24"]}}
                extra = [] if namespace in NAMESPACES else [_namespace(namespace, ns_labels)]
                if _allowed(docs, [*extra, netset], subject, "192.0.2.1", line.direction,
                            service):
                    return True
            extra = [] if namespace in NAMESPACES else [_namespace(namespace, ns_labels)]
            extra.append(_pod("synthetic", namespace, ip, labels, ports))
            if _allowed(docs, extra, subject, f"{namespace}/synthetic", line.direction,
                        service):
                return True
    return False


# Found at NETWARDEN_PROPERTY_EXAMPLES=1500 (shrunk by hand): an admin Pass of the
# namespaces with env notin (p), then an Allow of the namespaces with env=q, then a
# Calico tier that denies what was passed. Every env=q namespace is also env notin (p),
# so the Allow's line is empty; it was listed because the exception was not seen to
# cover it (namespace selectors compared by their text only).
PASSED_THEN_DENIED: list[Doc] = [
    _namespace("n0", {"env": "p"}),
    _pod("p0", "n0", "10.0.0.1", {}, []),
    {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
     "metadata": {"name": "admin"},
     "spec": {"subject": {"namespaces": {}}, "priority": 10, "egress": [
         {"name": "r0", "action": "Pass", "to": [{"namespaces": {"matchExpressions": [
             {"key": "env", "operator": "NotIn", "values": ["p"]}]}}]},
         {"name": "r2", "action": "Allow", "to": [{"pods": {
             "namespaceSelector": {"matchLabels": {"env": "q"}}, "podSelector": {}}}]}]}},
    {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
     "metadata": {"name": "calico"},
     "spec": {"order": 10, "selector": "all()", "types": ["Egress"], "egress": []}},
]


# Found at 1500 examples: the line "entire cluster, except pods with app notin (a),
# except all pods in namespaces with env=p" is right (a pod app=a in a namespace
# without env=p gets in), but the builder of synthetic pods tried to escape both
# exceptions by labels at once, which no labels can (the second selects all pods).
ESCAPE_BY_LABELS_AND_NAMESPACE: list[Doc] = [
    _namespace("n0", {"env": "p"}), _pod("p0", "n0", "10.0.0.1", {}, []),
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
     "metadata": {"name": "np0", "namespace": "n0"},
     "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
    {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
     "metadata": {"name": "admin"},
     "spec": {"subject": {"namespaces": {}}, "priority": 10, "ingress": [
         {"name": "r0", "action": "Deny", "from": [
             {"pods": {"namespaceSelector": {}, "podSelector": {"matchExpressions": [
                 {"key": "app", "operator": "NotIn", "values": ["a"]}]}}},
             {"namespaces": {"matchLabels": {"env": "p"}}}]},
         {"name": "r1", "action": "Allow", "from": [{"namespaces": {}}]}]}},
]


@PROPERTY
@given(clusters())
@example(PASSED_THEN_DENIED)
@example(DENY_THEN_ALLOW_A_NAME)
@example(ESCAPE_BY_LABELS_AND_NAMESPACE)
def test_every_line_admits_a_pod_built_from_its_selectors(docs: list[Doc]) -> None:
    cluster, report = _report(docs)
    for entry in report.workloads:
        subject = entry.pods[0]
        for direction in Direction:
            for line in entry.side(direction).lines:
                if line.via:  # through a Service: tested with check_service elsewhere
                    continue
                assert _admits_a_new_pod(docs, cluster, subject, line), (subject, str(line))


def test_a_fresh_namespace_is_named_by_its_label() -> None:
    labels = label_witness([Has(NAME_LABEL), Not(In(NAME_LABEL, frozenset(NAMESPACES)))], [])
    assert labels is not None and labels[NAME_LABEL] not in NAMESPACES


def test_an_allow_of_namespaces_a_pass_already_took_admits_nobody() -> None:
    _, report = _report(PASSED_THEN_DENIED)
    assert report.workload("n0/p0").egress.lines == ()
    fresh = [_namespace("n9", {"env": "q"}), _pod("x", "n9", "10.0.1.9", {}, [])]
    assert not _allowed(PASSED_THEN_DENIED, fresh, "n0/p0", "n9/x", Direction.EGRESS,
                        ("TCP", 80))


def test_a_named_port_is_allowed_only_where_its_number_is_still_undecided() -> None:
    _, report = _report(DENIED_NUMBER_OF_A_NAME)
    named = [line for line in report.workload("n1/p0").egress.lines if line.port_names]
    assert [str(line) for line in named] == [
        "entire cluster : TCP port named alt unless it is TCP 81"]
    assert _named(named[0], _load(DENIED_NUMBER_OF_A_NAME).endpoint("n0/p1")) == \
        ServiceSet.none()


def test_an_allow_of_a_named_port_an_earlier_deny_took_admits_nobody() -> None:
    _, report = _report(DENY_THEN_ALLOW_A_NAME)
    assert [line.port_names for line in report.workload("n0/p0").egress.lines] == [()]
