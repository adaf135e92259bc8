"""Building a lab from manifests and tearing it down, with its record.

``up`` reads the manifests, builds the namespaces (``Lab.up``) with a
listener on every port the policies name and every Service target port,
records the manifests (``manifests``) and has the given ``Enforcer`` enforce
the policies and the Services, then starts the lab's flow recorder
(``recorder``: every new connection from then on, for ``lab flows``); any
failure removes the lab again. ``down`` stops the recorder, removes the lab
and forgets it, also when part of that fails.

When the manifests have Services but no ``kube-system/kube-dns``, ``up``
adds the lab's own (``dns.lab_dns_manifests``: a kube-dns-labelled pod and
its Service) to what it records, so pods resolve Service names through a
ClusterIP that policies can allow or block like a cluster's DNS.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Sequence
from typing import TextIO

from ..ir import Cluster, Direction, EndpointKind, NamedPort
from ..ir.services import TCP, UDP
from . import Lab, LabHost, _ns, parse_host_arg, parse_lab_hosts, recorder
from .dns import lab_dns_manifests
from .enforcement import Enforcer
from .manifests import (
    forget_manifests,
    lab_ids_with_manifests,
    load_sources,
    snapshot,
    store_sources,
)
from .topology import DEFAULT_PORTS

__all__ = ["down", "policy_ports", "prune", "service_ports", "serving", "up", "with_lab_dns"]


def serving(cluster: Cluster, ports: Iterable[tuple[int, int]] = ()) -> Cluster:
    """``cluster`` with every pod and host endpoint serving its ports, the lab
    defaults and ``ports``.

    Only the lab's daemon sees this copy: a declared containerPort does not
    stop a real container from listening elsewhere, and policy verdicts are
    what the lab tests, so every probed port must have a listener.
    """
    extra = tuple(NamedPort(p, proto) for p, proto in (*DEFAULT_PORTS, *ports))
    served = (EndpointKind.POD, EndpointKind.HOST)
    endpoints = tuple(
        dataclasses.replace(e, ports=e.ports + extra) if e.kind in served else e
        for e in cluster.endpoints
    )
    return dataclasses.replace(cluster, endpoints=endpoints)


def policy_ports(cluster: Cluster, limit: int = 64) -> list[tuple[int, int]]:
    """The TCP/UDP ports the policies name (small ranges only), so the lab serves them."""
    out: set[tuple[int, int]] = set()
    for policy in cluster.policies:
        for direction in Direction:
            for rule in policy.rules(direction):
                for e in (None, *(x for x in cluster.endpoints if x.kind is EndpointKind.POD)):
                    for proto, values in rule.services(e).protocols():
                        if proto not in (TCP, UDP):
                            continue
                        for lo, hi in values:
                            if hi - lo < 16:
                                out.update((p, proto) for p in range(max(lo, 1), hi + 1))
                    if not rule.depends_on_named_ports:
                        break
    return sorted(out)[:limit]


def service_ports(cluster: Cluster) -> list[tuple[int, int]]:
    """Every (target port, protocol) some Service sends to, so every pod serves it."""
    return sorted({(port, m.protocol) for svc in cluster.services
                   for i, m in enumerate(svc.ports) if m.protocol in (TCP, UDP)
                   for _b, port in svc.destinations(i)})


LAB_DNS_SOURCE = "netwarden-lab-dns.yaml"


def with_lab_dns(sources: list[tuple[str, str]],
                 cluster: Cluster) -> tuple[list[tuple[str, str]], Cluster]:
    """``sources`` and ``cluster`` plus the lab's kube-dns, when there are Services and
    no kube-dns among them; unchanged otherwise."""
    extra = lab_dns_manifests(cluster) if cluster.services else None
    if extra is None:
        return sources, cluster
    sources = [*sources, (LAB_DNS_SOURCE, extra)]
    return sources, load_sources(["-"], sources)


def prune(enforcer: Enforcer | None = None) -> None:
    """Forget the manifests of labs that no longer exist (e.g. removed by ``Lab.down``)."""
    alive = set(Lab.ids())
    for lab_id in lab_ids_with_manifests():
        if lab_id not in alive:
            forget_manifests(lab_id)
            if enforcer is not None:
                enforcer.forget(lab_id)
    for lab_id in recorder.recorded_lab_ids():
        if lab_id not in alive:
            recorder.stop(lab_id)
            recorder.forget(lab_id)


def up(paths: Sequence[str | os.PathLike[str]], enforcer: Enforcer, *,
       hosts: Sequence[str | LabHost] = (), nodes: int = 1,
       ports: Iterable[tuple[int, int]] = (), keep: bool = False,
       stdin: TextIO | None = None, dns: bool = True,
       strictness: str = "default", record_flows: bool = True) -> tuple[Lab, Cluster]:
    """Build a lab for the manifests under ``paths`` and enforce their policies.

    ``kind: LabHost`` documents and ``hosts`` (``name=ip`` or ``LabHost``)
    become external hosts. ``dns=False`` adds no kube-dns of the lab's own.
    ``strictness``: how the manifests are read (``--lenient``/``--strict``),
    recorded with them. ``record_flows=False`` starts no flow recorder.
    Fails with ``LabError`` without root, ip or nft.
    """
    _ns.require_root_and_tools("ip", "nft", "conntrack")
    sources = snapshot(paths, stdin)
    cluster = load_sources(paths, sources, strictness)
    if dns:
        sources, cluster = with_lab_dns(sources, cluster)
    lab_hosts = list(parse_lab_hosts(text for _, text in sources))
    lab_hosts += [h if isinstance(h, LabHost) else parse_host_arg(h) for h in hosts]
    prune(enforcer)
    ports = [*policy_ports(cluster), *service_ports(cluster), *ports]
    lab = Lab.up(serving(cluster, ports), lab_hosts, nodes, keep=keep)
    try:
        store_sources(lab.id, "cluster", sources, strictness)
        enforcer.enforce(lab, cluster)
        if record_flows:
            recorder.start(lab)
    except BaseException:
        down(lab, enforcer)
        raise
    return lab, cluster


def down(lab: Lab, enforcer: Enforcer | None = None) -> None:
    """Stop the lab's flow recorder, ``lab.down()``, and forget what it ran and recorded
    (and ``enforcer``'s state for it)."""
    try:
        recorder.stop(lab.id)
    finally:
        try:
            lab.down()
        finally:
            recorder.forget(lab.id)
            forget_manifests(lab.id)
            if enforcer is not None:
                enforcer.forget(lab.id)
