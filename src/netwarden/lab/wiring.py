"""A planned ``Topology`` made real in the kernel, and removed again.

``build`` creates every namespace of the plan (``topology``), the veths between
them (both ends directly in their target namespaces, so nothing is ever created
in the root namespace), and each namespace's addresses, routes and sysctls, in
one ``ip -batch`` per namespace; ``teardown`` deletes the namespaces (their
veths go with them). What the wiring looks like:

* a pod (or ``LabHost``) namespace: ``eth0`` with its addresses as /32 and /128
  and default routes via the link-local gateways ``GATEWAY4`` and ``GATEWAY6``;
* its node namespace: ``GATEWAY4`` on ``lo``, ``GATEWAY6`` on each pod veth, a
  route per pod address to its veth, forwarding on; host endpoints' interfaces
  (a bridge when lab hosts sit on them, else a dummy); towards every other node
  a veth of the full mesh, with routes to the peer's pods and node address via
  the peer's IPv6 link-local address;
* a node's edge namespace (only when some Service takes traffic from outside):
  the node's address and the Services' LoadBalancer ingress addresses and
  external IPs (``Topology.entry_ips``, which the node routes to its own edge:
  the lab's load balancer hands a connection to the node it arrives at), a
  default route back into the node, and in the node a routing rule that sends
  replies marked ``EDGE_MARK`` back through the edge.

With a cluster DNS every pod namespace gets ``/etc/netns/<netns>/resolv.conf``
pointing at the kube-dns ClusterIP (``write_resolvers``); ``ip netns exec``
bind-mounts it over ``/etc/resolv.conf``.
"""

from __future__ import annotations

import os
import re
import shutil

from .._errors import LabError
from ..dataplane.services import EDGE_MARK
from ..ir import IPAddress
from . import _ns
from .dns import resolv_conf
from .topology import (
    GATEWAY4,
    GATEWAY6,
    HEP,
    HOST,
    IN_NODE,
    NETNS_ETC,
    POD,
    Attachment,
    LabNode,
    Topology,
)

__all__ = [
    "NODE_SYSCTLS",
    "POD_SYSCTLS",
    "build",
    "remove_resolvers",
    "teardown",
    "write_resolvers",
]

EDGE_LINK6 = "fe80::e"  # the edge namespace's end of its veth: the node's next hop to it
EDGE_TABLE = 100  # the node's routing table for replies that must go back through the edge


def _pod_lines(a: Attachment) -> list[str]:
    lines = ["link set lo up", "link set eth0 up"]
    for ip in a.ips:
        if ip.version == 4:
            lines.append(f"addr add {ip}/32 dev eth0")
        else:
            lines.append(f"addr add {ip}/128 dev eth0 nodad")
    if any(ip.version == 4 for ip in a.ips):
        lines += [f"route add {GATEWAY4} dev eth0 scope link",
                  f"route add default via {GATEWAY4} dev eth0"]
    if any(ip.version == 6 for ip in a.ips):
        lines.append(f"route add default via {GATEWAY6} dev eth0")
    return lines


def _addr(ip: IPAddress, dev: str) -> str:
    return f"addr add {ip}/{ip.max_prefixlen} dev {dev}" + (" nodad" if ip.version == 6 else "")


def _uplink_lines(topo: Topology, node: LabNode) -> tuple[list[str], str | None]:
    """Create the node's host endpoint interfaces; returns the one hosts attach to.

    A bridge when external hosts sit on the node (they become its ports, so
    their packets arrive on it), else a dummy: an empty bridge has no carrier,
    and IPv6 addresses on it would stay tentative.
    """
    has_hosts = any(a.kind == HOST and a.node == node.name for a in topo.attachments)
    lines: list[str] = []
    for i, name in enumerate(node.uplinks):
        kind = "bridge mcast_snooping 0" if has_hosts and i == 0 else "dummy"
        lines += [f"link add {name} type {kind}", f"link set {name} up"]
    if not (has_hosts and node.uplinks):
        return lines, None
    bridge = node.uplinks[0]
    return [*lines, f"addr add {GATEWAY6}/64 dev {bridge} nodad"], bridge


def _node_lines(topo: Topology, node: LabNode) -> list[str]:
    lines = ["link set lo up", f"addr add {GATEWAY4}/32 dev lo"]
    uplink_lines, bridge = _uplink_lines(topo, node)
    lines += uplink_lines
    local_ips: set[IPAddress] = set()
    for a in topo.attachments:
        if a.node != node.name:
            continue
        if a.kind in IN_NODE:
            ep_dev = "lo"
            if a.kind == HEP:
                iface = a.key.rsplit("/", 1)[-1]
                ep_dev = iface if iface in node.uplinks else "lo"
            for ip in a.ips:
                if ip not in local_ips:
                    local_ips.add(ip)
                    lines.append(_addr(ip, ep_dev))
            continue
        if a.kind == HOST and bridge is not None:
            lines += [f"link set {a.veth} master {bridge}", f"link set {a.veth} up"]
            lines += [f"route add {ip}/{ip.max_prefixlen} dev {bridge}" for ip in a.ips]
            continue
        lines += [f"link set {a.veth} up", f"addr add {GATEWAY6}/64 dev {a.veth} nodad"]
        lines += [f"route add {ip}/{ip.max_prefixlen} dev {a.veth}" for ip in a.ips]
    if node.edge:
        lines += [f"link set {node.edge_veth} up",
                  f"addr add {GATEWAY6}/64 dev {node.edge_veth} nodad"]
        lines += [f"route add {ip}/{ip.max_prefixlen} dev {node.edge_veth}"
                  for ip in (*node.ips, *topo.entry_ips)]
        # replies of connections that came from the edge go back to it (kubeproxy marks them)
        lines += [f"rule add fwmark 0x{EDGE_MARK:x}/0x{EDGE_MARK:x} table {EDGE_TABLE}",
                  f"route add 0.0.0.0/0 via inet6 {EDGE_LINK6} dev {node.edge_veth} "
                  f"table {EDGE_TABLE}"]
    else:
        lines += [_addr(ip, "lo") for ip in node.ips if ip not in local_ips]
    for peer in topo.nodes:
        if peer is node:
            continue
        dev = f"{topo.prefix}l{peer.index}"
        lines += [f"link set {dev} up", f"addr add fe80::a:{node.index}/64 dev {dev} nodad"]
        done: set[IPAddress] = set()
        remote = [ip for a in topo.attachments if a.node == peer.name for ip in a.ips]
        for ip in [*remote, *peer.ips]:
            if ip in done:
                continue
            done.add(ip)
            via = f"inet6 fe80::a:{peer.index}" if ip.version == 4 else f"fe80::a:{peer.index}"
            lines.append(f"route add {ip}/{ip.max_prefixlen} via {via} dev {dev}")
    return lines


def _edge_lines(node: LabNode, entry_ips: tuple[IPAddress, ...] = ()) -> list[str]:
    """The edge namespace: the node's addresses and the Services' entry addresses
    (LoadBalancer ingress, external IPs: what DNAT leaves there is refused, not looped
    back), a default route back into the node."""
    lines = ["link set lo up", "link set eth0 up", f"addr add {EDGE_LINK6}/64 dev eth0 nodad"]
    lines += [_addr(ip, "lo") for ip in (*node.ips, *entry_ips)]
    return [*lines, f"route add {GATEWAY4} dev eth0 scope link",
            f"route add default via {GATEWAY4} dev eth0"]


NODE_SYSCTLS = {
    "net.ipv4.ip_forward": "1",
    "net.ipv6.conf.all.forwarding": "1",
    "net.netfilter.nf_conntrack_tcp_loose": "0",
    "net.ipv6.conf.default.accept_dad": "0",
}
POD_SYSCTLS = {
    # eth0's link-local must be usable at once, or the first IPv6 probes stall on DAD.
    "net.ipv6.conf.default.accept_dad": "0",
    "net.ipv6.conf.all.accept_dad": "0",
    "net.ipv6.conf.default.accept_ra": "0",
}


def build(topo: Topology) -> None:
    """Create every namespace, veth, address and route; on failure remove them all."""
    _ns.require_root_and_tools("ip")
    names = topo.netns_names
    clash = _ns.list_netns() & set(names)
    if clash:
        raise LabError(f"namespaces already exist: {sorted(clash)}")
    try:
        _ns.ip_batch([f"netns add {n}" for n in names])
        for n in topo.nodes:
            _ns.write_sysctls(n.netns, NODE_SYSCTLS)
            if n.edge:
                _ns.write_sysctls(n.edge, {**NODE_SYSCTLS, **POD_SYSCTLS})
        for a in topo.attachments:
            if a.kind not in IN_NODE:
                _ns.write_sysctls(a.netns, POD_SYSCTLS)
        links = [
            f"link add {a.veth} netns {topo.node(a.node).netns} type veth "
            f"peer name eth0 netns {a.netns}"
            for a in topo.attachments if a.kind not in IN_NODE
        ]
        links += [f"link add {n.edge_veth} netns {n.netns} type veth peer name eth0 netns {n.edge}"
                  for n in topo.nodes if n.edge]
        for n in topo.nodes:
            for m in topo.nodes:
                if n.index < m.index:
                    links.append(f"link add {topo.prefix}l{m.index} netns {n.netns} type veth "
                                 f"peer name {topo.prefix}l{n.index} netns {m.netns}")
        _ns.ip_batch(links)
        batches = [(n.netns, _node_lines(topo, n)) for n in topo.nodes]
        batches += [(n.edge, _edge_lines(n, topo.entry_ips)) for n in topo.nodes if n.edge]
        batches += [(a.netns, _pod_lines(a)) for a in topo.attachments if a.kind not in IN_NODE]
        _ns.ip_batches(batches)
        write_resolvers(topo)
    except BaseException:
        teardown(topo)
        raise


def write_resolvers(topo: Topology) -> None:
    """Each pod's ``resolv.conf`` (``/etc/netns/<netns>/``), pointing at the cluster DNS."""
    domain = topo.dns.domain if topo.dns else "cluster.local"
    for a in topo.attachments:
        if a.kind != POD or not topo.nameservers:
            continue
        if not _ns.LAB_NETNS_RE.match(a.netns):
            raise LabError(f"refusing to write a resolver for {a.netns}")
        path = os.path.join(NETNS_ETC, a.netns)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, "resolv.conf"), "w") as f:
            f.write(resolv_conf(topo.nameservers, a.key.split("/")[0], domain))


def teardown(topo: Topology) -> None:
    """Delete the lab's namespaces (the veths inside go with them) and pod resolvers."""
    try:
        _ns.netns_delete(topo.netns_names)
    finally:
        remove_resolvers(topo.prefix)


def remove_resolvers(prefix: str) -> None:
    """Remove ``/etc/netns/<prefix>-*`` (only ``nw<id>-`` directories the lab made)."""
    if not re.match(r"^nw[0-9a-f]{4}$", prefix) or not os.path.isdir(NETNS_ETC):
        return
    for name in os.listdir(NETNS_ETC):
        if name.startswith(prefix + "-"):
            shutil.rmtree(os.path.join(NETNS_ETC, name), ignore_errors=True)
