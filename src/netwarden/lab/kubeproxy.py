"""The lab's kube-proxy: which ``netwarden-services`` table each lab namespace gets.

* Every node namespace: the ClusterIP frontends (``dataplane.services``),
  DNATed in prerouting, where the pods' veths enter the node, and in output
  for the node's own connections; hairpin connections are source-NATed to
  the pod gateway so a pod that reaches itself through its Service answers.
  Each new connection to a frontend is logged, as addressed, to the node's
  flow-log group (``lab.flows`` names its Service, allowed or dropped).
* Every edge namespace (``topology``: only when some Service takes traffic
  from outside): NodePorts on the node's address, LoadBalancer ingress
  addresses and external IPs; ``Cluster`` ones masqueraded to the node
  address, ``Local`` ones to that node's backends only.

A node's backends are the endpoints the lab placed on it (``Topology``),
which is where a pod without ``nodeName`` runs in the lab.
"""

from __future__ import annotations

from collections.abc import Callable

from ..dataplane import Ruleset
from ..dataplane.services import cluster_frontends, external_frontends, render_services
from ..ir import Cluster
from .topology import LabNode, Topology

__all__ = ["service_rulesets"]


def _is_on(topo: Topology, node: LabNode) -> Callable[[str], bool]:
    def local(key: str) -> bool:
        att = topo.by_key.get(key)
        return att is not None and att.node == node.name
    return local


def service_rulesets(topo: Topology, cluster: Cluster,
                     log_group: int | None = None) -> dict[str, Ruleset]:
    """``{namespace: ruleset}`` for every node (and edge) namespace of the lab.

    ``log_group``: the NFLOG group the node's flow recorder reads; each node logs
    a new connection to a ClusterIP there before its DNAT (``render_services``).

    >>> service_rulesets(Topology("0000", (), ()), Cluster())
    {}
    """
    out: dict[str, Ruleset] = {}
    for node in topo.nodes:
        local = _is_on(topo, node)
        out[node.netns] = render_services(cluster_frontends(cluster, local),
                                          edge_interface=node.edge_veth if node.edge else None,
                                          log_group=log_group)
        if node.edge:
            snat4 = next((str(ip) for ip in node.ips if ip.version == 4), None)
            snat6 = next((str(ip) for ip in node.ips if ip.version == 6), None)
            out[node.edge] = render_services(external_frontends(cluster, node.ips, local),
                                             snat4=snat4, snat6=snat6, output=False)
    return out
