"""Which host-side interface belongs to which local pod: a pluggable resolver.

The renderer dispatches on interface names, so the agent must know, for each
pod on its node, the name of the veth on the node's side. In the lab the lab
records them (``StaticInterfaces``, filled by ``netwarden agent --lab``); on a
Calico node the CNI derives them from the pod's namespace and name (``cali``
+ the first 11 hex digits of SHA-1 of ``"<ns>.<pod>"``); anything else can
pass a fixed mapping.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Protocol

from ..ir import Cluster

__all__ = ["CalicoInterfaces", "InterfaceResolver", "StaticInterfaces", "calico_veth_name"]


class InterfaceResolver(Protocol):
    """``{endpoint key: node-side interface}`` for the pods of ``cluster`` on ``node``."""

    def interfaces(self, cluster: Cluster, node: str | None) -> dict[str, str]: ...


def calico_veth_name(namespace: str, pod: str, prefix: str = "cali") -> str:
    """The host-side veth Calico's CNI plugin creates for a pod.

    >>> calico_veth_name("prod", "web-0")[:4], len(calico_veth_name("prod", "web-0"))
    ('cali', 15)
    """
    return prefix + hashlib.sha1(f"{namespace}.{pod}".encode()).hexdigest()[:11]


class CalicoInterfaces:
    """Names derived the Calico way, for pods whose ``spec.nodeName`` is this node."""

    def __init__(self, prefix: str = "cali") -> None:
        self.prefix = prefix

    def interfaces(self, cluster: Cluster, node: str | None) -> dict[str, str]:
        return {
            p.key: calico_veth_name(p.namespace or "default", p.name, self.prefix)
            for p in cluster.pods
            if not p.host_network and (node is None or p.node == node)
        }


class StaticInterfaces:
    """A fixed mapping (tests, or a CNI that writes its own table)."""

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = dict(mapping)

    def interfaces(self, cluster: Cluster, node: str | None) -> dict[str, str]:
        return {k: v for k, v in self.mapping.items() if cluster.endpoint(k) is not None}
