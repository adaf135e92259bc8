"""``Renderer``: every incremental render equals a fresh ``render_ruleset``."""

from __future__ import annotations

import dataclasses
import ipaddress
import random

from netwarden import ir
from netwarden.dataplane import Renderer, RenderOptions, TableWriter, render_ruleset
from netwarden.dataplane.nft import FakeNft
from netwarden.ir.selector import Eq

from .builders import TCP, allow, make_pod, make_policy, peer, ports

IN, OUT = ir.Direction.INGRESS, ir.Direction.EGRESS
OPTS = RenderOptions(pod_interface_prefix="nwv")
APPS = ("web", "api", "db", "cache")


def pods(n: int) -> list[ir.Endpoint]:
    return [make_pod(f"p{i}", ns=f"ns{i % 2}", ips=(f"10.0.{i // 200}.{i % 200 + 2}",),
                     labels={"app": APPS[i % 4]}, named_ports=(("http", 8000 + i % 3, TCP),))
            for i in range(n)]


def policies(seed: int) -> list[ir.Policy]:
    rng = random.Random(seed)
    out = []
    for j in range(12):
        ns = f"ns{j % 2}"
        name = f"pol{j}"
        kind = j % 4
        if kind == 0:
            out.append(make_policy(name, None, ns=ns, ingress=()))
        elif kind == 1:
            out.append(make_policy(name, rng.choice(APPS), ns=ns, ingress=(
                allow(f"{ns}/{name}", IN, 0, source=peer(rng.choice(APPS), ns=ns),
                      destination=ir.EntityMatch(ports=ports(80 + j)), protocol=TCP),)))
        elif kind == 2:
            out.append(make_policy(name, rng.choice(APPS), ns=ns, egress=(
                allow(f"{ns}/{name}", OUT, 0, destination=ir.EntityMatch(
                    selector=Eq("app", rng.choice(APPS)), ports=ports("http")), protocol=TCP),)))
        else:
            out.append(make_policy(name, rng.choice(APPS), ns=ns, ingress=(
                allow(f"{ns}/{name}", IN, 0, source=ir.EntityMatch(
                    nets=(ipaddress.ip_network("10.0.0.0/16"),),
                    not_selector=Eq("app", rng.choice(APPS)))),)))
    return out


def mutate(rng: random.Random, cluster: ir.Cluster,
           ifaces: dict[str, str]) -> tuple[ir.Cluster, dict[str, str]]:
    eps = list(cluster.endpoints)
    pols = list(cluster.policies)
    what = rng.randrange(7)
    i = rng.randrange(len(eps))
    if what == 0:  # relabel a pod
        eps[i] = dataclasses.replace(eps[i], labels=ir.Labels({"app": rng.choice(APPS)}))
    elif what == 1:  # move a pod to another address
        eps[i] = dataclasses.replace(eps[i], ips=(ipaddress.ip_address(f"10.0.9.{i + 2}"),))
    elif what == 2:  # change a pod's named port
        eps[i] = dataclasses.replace(eps[i], ports=(ir.NamedPort(9000 + i, TCP, "http"),))
    elif what == 3:  # remove a policy
        pols.pop(rng.randrange(len(pols)))
    elif what == 4:  # add / replace a policy
        new = policies(rng.randrange(1000))[rng.randrange(12)]
        pols = [p for p in pols if p.id != new.id] + [new]
    elif what == 5:  # a pod goes away (its interface too)
        ifaces = {k: v for k, v in ifaces.items() if k != eps[i].key}
        eps.pop(i)
    else:  # an interface is renamed
        key = eps[i].key
        if key in ifaces:
            ifaces = {**ifaces, key: ifaces[key] + "x"}
    return dataclasses.replace(cluster, endpoints=tuple(eps), policies=tuple(pols)), ifaces


def test_incremental_renders_equal_fresh_ones() -> None:
    rng = random.Random(3)
    eps = pods(24)
    cluster = ir.Cluster(endpoints=tuple(eps), policies=tuple(policies(1)))
    ifaces = {e.key: f"nwv{i}" for i, e in enumerate(eps)}
    renderer = Renderer(OPTS)
    writer, fresh_nft = TableWriter(FakeNft()), FakeNft()
    for _ in range(60):
        got = renderer.render(cluster, None, ifaces)
        assert got == render_ruleset(cluster, None, ifaces, OPTS)
        writer.apply(got)
        cluster, ifaces = mutate(rng, cluster, ifaces)
    TableWriter(fresh_nft).apply(render_ruleset(cluster, None, ifaces, OPTS))
    writer.apply(renderer.render(cluster, None, ifaces))
    assert writer.backend.dump() == fresh_nft.dump()  # type: ignore[attr-defined]


def test_a_label_change_re_renders_only_affected_endpoints() -> None:
    eps = pods(40)
    web_in = make_policy("web-in", "web", ns="ns0", ingress=(
        allow("ns0/web-in", IN, 0, source=peer("api", ns="ns1")),))
    cluster = ir.Cluster(endpoints=tuple(eps), policies=(web_in,))
    ifaces = {e.key: f"nwv{i}" for i, e in enumerate(eps)}
    renderer = Renderer(OPTS)
    renderer.render(cluster, None, ifaces)
    assert renderer.last_rendered == 40
    assert renderer.render(cluster, None, ifaces) is not None and renderer.last_rendered == 0
    # p2 (ns0, db) is no peer of web-in: only itself is re-rendered
    eps[2] = dataclasses.replace(eps[2], labels=ir.Labels({"app": "cache"}))
    changed = dataclasses.replace(cluster, endpoints=tuple(eps))
    assert renderer.render(changed, None, ifaces) == render_ruleset(changed, None, ifaces, OPTS)
    assert renderer.last_rendered == 1
    # p1 (ns1, api) leaves web-in's peer set: itself plus the ns0 web pods
    eps[1] = dataclasses.replace(eps[1], labels=ir.Labels({"app": "db"}))
    changed = dataclasses.replace(cluster, endpoints=tuple(eps))
    assert renderer.render(changed, None, ifaces) == render_ruleset(changed, None, ifaces, OPTS)
    web_ns0 = [e for e in eps if e.namespace == "ns0" and e.labels["app"] == "web"]
    assert renderer.last_rendered == 1 + len(web_ns0)


def test_namespace_label_change_starts_afresh() -> None:
    eps = pods(6)
    cluster = ir.Cluster(endpoints=tuple(eps), policies=tuple(policies(2)))
    ifaces = {e.key: f"nwv{i}" for i, e in enumerate(eps)}
    renderer = Renderer(OPTS)
    renderer.render(cluster, None, ifaces)
    labelled = dataclasses.replace(cluster, namespaces={
        "ns0": ir.Namespace("ns0", ir.Labels({"team": "a"}))})
    assert renderer.render(labelled, None, ifaces) == render_ruleset(labelled, None, ifaces, OPTS)
    assert renderer.last_rendered == 6
