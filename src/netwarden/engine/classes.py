"""Endpoints grouped into equivalence classes by what the policies can observe.

Real pods carry unique labels (pod-template-hash, an index), so grouping by
identical labels saves nothing. Instead endpoints are grouped by what the
policies can observe: their namespace, the values of the label keys some
selector reads, the elementary address range their IP falls in (between the
boundaries of every CIDR the policies name), the port names they declare and
a few flags. Members of a class are indistinguishable to every rule, so the
connectivity map matches each rule once per class.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from ..ir import Cluster, Endpoint, EndpointKind, Peer

__all__ = ["EndpointClass", "classify"]


@dataclass(slots=True)
class EndpointClass:
    index: int
    members: list[Endpoint]
    peer: Peer

    @property
    def rep(self) -> Endpoint:
        return self.members[0]



def classify(cluster: Cluster, endpoints: tuple[Endpoint, ...]) -> list[EndpointClass]:
    keys: set[str] = set()
    names_used = accounts_used = False
    boundaries: dict[int, set[int]] = {4: set(), 6: set()}
    for net in cluster.named_nets:
        boundaries[net.version].add(int(net.network_address))
        boundaries[net.version].add(int(net.broadcast_address) + 1)
    for policy in cluster.policies:
        keys |= policy.selector.keys()
        for rule in policy.ingress + policy.egress:
            names_used = names_used or rule.depends_on_named_ports
            for side in (rule.source, rule.destination):
                for sel in (side.selector, side.not_selector):
                    if sel is not None:
                        keys |= sel.keys()
                accounts_used = accounts_used or bool(side.service_accounts)
                names_used = names_used or bool(side.ports and side.ports.names)
    sorted_keys = sorted(keys)
    cuts = {v: sorted(b) for v, b in boundaries.items()}
    forwarding = any(e.kind is EndpointKind.HOST for e in cluster.endpoints)

    groups: dict[tuple[object, ...], list[Endpoint]] = {}
    for e in endpoints:
        ip = e.ips[0]
        signature = (
            e.namespace,
            e.kind,
            e.host_network,
            tuple(e.labels.get(k) for k in sorted_keys),
            ip.version,
            bisect.bisect_right(cuts[ip.version], int(ip)),
            e.ports if names_used else (),
            e.service_account if accounts_used else None,
            e.node if forwarding else None,
        )
        groups.setdefault(signature, []).append(e)
    classes = []
    for i, members in enumerate(groups.values()):
        rep = members[0]
        ip = rep.ips[0]
        classes.append(EndpointClass(i, members, Peer(ip, rep, cluster.network_sets_at(ip))))
    return classes
