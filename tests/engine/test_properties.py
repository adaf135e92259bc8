"""Properties of the engine on random small clusters (hypothesis, bounded).

(a) the class-based ``Connectivity`` agrees with the per-packet ``Engine.check``;
(b) adding allow rules never removes a connection (a new policy only takes away
    from the sides it newly isolates);
(c) a deny-all policy, alone in its namespace, isolates exactly the pods it selects.
"""

from __future__ import annotations

import copy
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import netwarden
from netwarden.ir import Direction, Endpoint
from netwarden.ir.services import protocol_number

from .builders import load_engine, make_namespace, make_pod, make_policy, to_yaml

Doc = dict[str, Any]
NAMESPACES = ("n0", "n1", "n2")
LABEL_KEYS, LABEL_VALUES = ("app", "tier"), ("a", "b")
CONTAINER_PORTS = [(80, "TCP", "http"), (81, "TCP", "alt"), (80, "UDP", "dns"),
                   (81, "SCTP", "alt-sctp")]
# Ports at the edges of every number and range the generator can write.
SERVICES = [("TCP", n) for n in (1, 79, 80, 81, 82, 65535)] + [
    ("UDP", 80), ("UDP", 81), ("SCTP", 81)]

# NETWARDEN_PROPERTY_EXAMPLES raises the bound for a longer bug hunt.
PROPERTY = settings(max_examples=int(os.environ.get("NETWARDEN_PROPERTY_EXAMPLES", "60")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

labels = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES), max_size=2)
match_labels = st.dictionaries(st.sampled_from(LABEL_KEYS), st.sampled_from(LABEL_VALUES),
                               max_size=1)


@st.composite
def selectors(draw: st.DrawFn) -> Doc:
    kind = draw(st.sampled_from(("empty", "labels", "expr")))
    if kind == "empty":
        return {}
    if kind == "labels":
        return {"matchLabels": draw(match_labels)}
    op = draw(st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")))
    req: Doc = {"key": draw(st.sampled_from(LABEL_KEYS)), "operator": op}
    if op in ("In", "NotIn"):
        req["values"] = draw(st.lists(st.sampled_from(LABEL_VALUES), min_size=1, max_size=2,
                                      unique=True))
    return {"matchExpressions": [req]}


@st.composite
def ns_selectors(draw: st.DrawFn) -> Doc:
    kind = draw(st.sampled_from(("empty", "env", "name")))
    if kind == "empty":
        return {}
    if kind == "env":
        return {"matchLabels": {"env": draw(st.sampled_from(("p", "q")))}}
    return {"matchLabels": {"kubernetes.io/metadata.name": draw(st.sampled_from(NAMESPACES))}}


@st.composite
def ip_blocks(draw: st.DrawFn) -> Doc:
    prefix = draw(st.sampled_from((0, 24, 29, 30)))
    cidr = "0.0.0.0/0" if prefix == 0 else f"10.0.0.0/{prefix}"
    size = 256 if prefix in (0, 24) else 2 ** (32 - prefix)
    block: Doc = {"cidr": cidr}
    excepts = draw(st.lists(st.integers(0, size - 1), max_size=2, unique=True))
    if excepts:
        block["except"] = [f"10.0.0.{k}/32" for k in excepts]
    return {"ipBlock": block}


@st.composite
def peers(draw: st.DrawFn) -> Doc:
    kind = draw(st.sampled_from(("pods", "ns", "both", "ip")))
    if kind == "ip":
        return draw(ip_blocks())
    peer: Doc = {}
    if kind in ("pods", "both"):
        peer["podSelector"] = draw(selectors())
    if kind in ("ns", "both"):
        peer["namespaceSelector"] = draw(ns_selectors())
    return peer


@st.composite
def ports(draw: st.DrawFn) -> Doc:
    out: Doc = {"protocol": draw(st.sampled_from(("TCP", "UDP", "SCTP")))}
    kind = draw(st.sampled_from(("none", "number", "range", "name")))
    if kind == "number":
        out["port"] = draw(st.sampled_from((80, 81, 82)))
    elif kind == "range":
        start = draw(st.sampled_from((1, 79, 80, 81)))
        out["port"], out["endPort"] = start, start + draw(st.sampled_from((0, 1, 2)))
    elif kind == "name":
        out["port"] = draw(st.sampled_from(("http", "alt", "dns", "alt-sctp", "nope")))
    return out


@st.composite
def rules(draw: st.DrawFn, key: str) -> Doc:
    out: Doc = {}
    if draw(st.booleans()):
        out[key] = draw(st.lists(peers(), max_size=2))
    if draw(st.booleans()):
        out["ports"] = draw(st.lists(ports(), max_size=2))
    return out


@st.composite
def policies(draw: st.DrawFn, name: str, namespaces: tuple[str, ...]) -> Doc:
    kwargs: Doc = {}
    if draw(st.booleans()):
        kwargs["ingress"] = draw(st.lists(rules("from"), max_size=2))
    if draw(st.booleans()):
        kwargs["egress"] = draw(st.lists(rules("to"), max_size=2))
    types = draw(st.sampled_from((None, ["Ingress"], ["Egress"], ["Ingress", "Egress"])))
    return make_policy(name, draw(st.sampled_from(namespaces)), draw(selectors()),
                       policy_types=types, **kwargs)


@st.composite
def clusters(draw: st.DrawFn) -> tuple[list[Doc], list[Doc]]:
    """(namespaces and pods, policies) of a random small cluster."""
    namespaces = NAMESPACES[: draw(st.integers(2, 3))]
    docs = [make_namespace(ns, {"env": draw(st.sampled_from(("p", "q")))}) for ns in namespaces]
    for i in range(draw(st.integers(2, 5))):
        pod_ports = draw(st.lists(st.sampled_from(CONTAINER_PORTS), max_size=3, unique=True))
        docs.append(make_pod(f"p{i}", draw(st.sampled_from(namespaces)), f"10.0.0.{i + 1}",
                             labels=draw(labels), ports=pod_ports))
    count = draw(st.integers(0, 3))
    return docs, [draw(policies(f"np{i}", namespaces)) for i in range(count)]


def _engine(docs: list[Doc], pols: list[Doc]) -> netwarden.Engine:
    return load_engine(to_yaml(docs), to_yaml(pols))


def _pods(engine: netwarden.Engine) -> list[Endpoint]:
    return list(engine.cluster.pods)


def _isolated(engine: netwarden.Engine, pod: Endpoint, direction: Direction) -> bool:
    return bool(engine.index.layers(pod, direction))


# -- (a) ------------------------------------------------------------------------------
@PROPERTY
@given(clusters())
def test_connectivity_matches_per_packet_checks(cluster: tuple[list[Doc], list[Doc]]) -> None:
    engine = _engine(*cluster)
    conn = engine.connectivity
    for src in _pods(engine):
        for dst in _pods(engine):
            services = conn.between(src, dst)
            for proto, number in SERVICES:
                expected = engine.check(src, dst, proto, number).allowed
                got = services.contains(protocol_number(proto), number)
                assert got == expected, (src.key, dst.key, proto, number, str(services))


# -- (b) ------------------------------------------------------------------------------
def _effective_types(policy: Doc) -> list[str]:
    spec = policy["spec"]
    if spec.get("policyTypes"):
        return list(spec["policyTypes"])
    return ["Ingress", "Egress"] if spec.get("egress") else ["Ingress"]


@PROPERTY
@given(clusters(), st.data())
def test_an_extra_rule_never_removes_a_connection(
    cluster: tuple[list[Doc], list[Doc]], data: st.DataObject
) -> None:
    docs, pols = cluster
    if not pols:
        pols = [data.draw(policies("np-extra", NAMESPACES[:2]))]
    index = data.draw(st.integers(0, len(pols) - 1))
    # Write the effective policyTypes out, so adding an egress rule cannot
    # change the defaulted types (that would isolate, not allow).
    for policy in pols:
        policy["spec"]["policyTypes"] = _effective_types(policy)
    direction = data.draw(st.sampled_from(pols[index]["spec"]["policyTypes"]))
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    more = copy.deepcopy(pols)
    more[index]["spec"].setdefault(key, []).append(data.draw(rules(peers_key)))
    _assert_only_grows(_engine(docs, pols), _engine(docs, more))


@PROPERTY
@given(clusters(), st.data())
def test_an_extra_policy_only_removes_what_it_newly_isolates(
    cluster: tuple[list[Doc], list[Doc]], data: st.DataObject
) -> None:
    docs, pols = cluster
    namespaces = tuple(d["metadata"]["name"] for d in docs if d["kind"] == "Namespace")
    extra = data.draw(policies("np-extra", namespaces))
    _assert_only_grows(_engine(docs, pols), _engine(docs, [*pols, extra]))


def _assert_only_grows(before: netwarden.Engine, after: netwarden.Engine) -> None:
    new = {  # sides an added policy isolated that were open before
        (pod.key, d)
        for pod in _pods(after)
        for d in Direction
        if _isolated(after, pod, d) and not _isolated(before, pod, d)
    }
    old_pods = {p.key: p for p in _pods(before)}
    for src in _pods(after):
        for dst in _pods(after):
            if (src.key, Direction.EGRESS) in new or (dst.key, Direction.INGRESS) in new:
                continue
            was = before.connectivity.between(old_pods[src.key], old_pods[dst.key])
            now = after.connectivity.between(src, dst)
            lost = was - now
            assert not lost, (src.key, dst.key, str(lost))


# -- (c) ------------------------------------------------------------------------------
def _selects(selector: Doc, pod_labels: dict[str, str]) -> bool:
    """The reference reading of the selectors ``selectors()`` generates."""
    if any(pod_labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for req in selector.get("matchExpressions", []):
        present, value = req["key"] in pod_labels, pod_labels.get(req["key"])
        ok = {"In": present and value in req.get("values", []),
              "NotIn": not present or value not in req.get("values", []),
              "Exists": present, "DoesNotExist": not present}[req["operator"]]
        if not ok:
            return False
    return True


@PROPERTY
@given(clusters(), selectors(), st.data())
def test_deny_all_isolates_exactly_the_selected_pods(
    cluster: tuple[list[Doc], list[Doc]], selector: Doc, data: st.DataObject
) -> None:
    docs, pols = cluster
    namespaces = tuple(d["metadata"]["name"] for d in docs if d["kind"] == "Namespace")
    ns = data.draw(st.sampled_from(namespaces))
    # Other policies of ``ns`` could allow the selected pods something again.
    pols = [p for p in pols if p["metadata"]["namespace"] != ns]
    deny = make_policy("deny-all", ns, selector, policy_types=["Ingress", "Egress"])
    before, after = _engine(docs, pols), _engine(docs, [*pols, deny])
    selected = {
        f"{d['metadata']['namespace']}/{d['metadata']['name']}"
        for d in docs
        if d["kind"] == "Pod" and d["metadata"]["namespace"] == ns
        and _selects(selector, d["metadata"]["labels"])
    }
    old = {p.key: p for p in _pods(before)}
    for src in _pods(after):
        for dst in _pods(after):
            now = after.connectivity.between(src, dst)
            if src.key == dst.key:
                assert now.is_all
            elif src.key in selected or dst.key in selected:
                assert not now, (src.key, dst.key, str(now))
            else:
                assert now == before.connectivity.between(old[src.key], old[dst.key])
