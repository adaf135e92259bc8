"""The lab's cluster DNS: the records kube-dns would serve, answered by the lab daemon.

A ``Zone`` holds the cluster's names under one domain (``cluster.local`` by
default), as CoreDNS' kubernetes plugin publishes them:

* ``NAME.NS.svc.DOMAIN`` — A/AAAA: the ClusterIPs; for a headless Service
  the ready backends' addresses;
* ``_PORT._PROTO.NAME.NS.svc.DOMAIN`` — SRV for each named port (a headless
  Service's: one per backend, ``A-B-C-D.NAME.NS.svc.DOMAIN`` on its target port);
* ``A-B-C-D.NS.pod.DOMAIN`` — every pod's address.

Any other name is NXDOMAIN, a known name without that record type is an
empty answer; nothing is ever forwarded, so no lab query leaves the lab.
Messages are parsed and written with dnspython; ``answer`` takes and
returns wire bytes, so the daemon serves it on UDP and TCP alike.

>>> z = Zone("cluster.local", {"web.prod.svc.cluster.local.": ("10.96.0.5",)})
>>> import dns.message, dns.rcode
>>> q = dns.message.make_query("web.prod.svc.cluster.local", "A")
>>> r = dns.message.from_wire(z.answer(q.to_wire()) or b"")
>>> [str(rr) for rr in r.answer[0]], dns.rcode.to_text(r.rcode())
(['10.96.0.5'], 'NOERROR')
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from ..ir import Cluster, EndpointKind
from ..ir.services import protocol_name

__all__ = [
    "DEFAULT_DOMAIN",
    "DNS_CLUSTER_IP",
    "DNS_SERVICE",
    "TTL",
    "Srv",
    "Zone",
    "lab_dns_manifests",
    "pod_name",
    "read_frames",
    "resolv_conf",
    "zone_for",
]

DEFAULT_DOMAIN = "cluster.local"
TTL = 5  # seconds; CoreDNS' kubernetes plugin also answers with 5
DNS_SERVICE = ("kube-system", "kube-dns")
DNS_CLUSTER_IP = "10.96.0.10"  # kubeadm's: the tenth address of the default service CIDR
DNS_POD_NET = ipaddress.IPv4Network("10.244.0.0/24")  # the loader never hands these out


@dataclass(frozen=True, slots=True)
class Srv:
    """One SRV record: target host and port (priority 0, weight 100 as CoreDNS writes)."""

    target: str
    port: int


def pod_name(ip: str) -> str:
    """The dashed form CoreDNS uses for an address in a name.

    >>> pod_name("10.244.1.2"), pod_name("fd00::1")
    ('10-244-1-2', 'fd00--1')
    """
    return ip.replace(".", "-").replace(":", "-")


def resolv_conf(nameservers: Sequence[str], namespace: str,
                domain: str = DEFAULT_DOMAIN) -> str:
    """A pod's ``/etc/resolv.conf`` as the kubelet writes it (ClusterFirst).

    >>> print(resolv_conf(["10.96.0.10"], "prod"), end="")
    search prod.svc.cluster.local svc.cluster.local cluster.local
    nameserver 10.96.0.10
    options ndots:5
    """
    lines = [f"search {namespace}.svc.{domain} svc.{domain} {domain}"]
    lines += [f"nameserver {ns}" for ns in nameservers]
    return "\n".join([*lines, "options ndots:5"]) + "\n"


@dataclass
class Zone:
    """The records of one cluster domain; names are absolute (end with a dot)."""

    domain: str = DEFAULT_DOMAIN
    addresses: Mapping[str, Sequence[str]] = field(default_factory=dict)
    services: Mapping[str, Sequence[Srv]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._origin = dns.name.from_text(self.domain)
        self._addr = {dns.name.from_text(n): tuple(ipaddress.ip_address(a) for a in v)
                      for n, v in self.addresses.items()}
        self._srv = {dns.name.from_text(n): tuple(v) for n, v in self.services.items()}
        self._known = set(self._addr) | set(self._srv)
        for name in list(self._known):  # empty non-terminals exist too (NODATA, not NXDOMAIN)
            while name != self._origin and len(name) > len(self._origin):
                name = name.parent()
                self._known.add(name)
        self._known.add(self._origin)

    def to_json(self) -> dict[str, object]:
        return {"domain": self.domain, "addresses": {k: list(v) for k, v in self.addresses.items()},
                "services": {k: [[s.target, s.port] for s in v]
                             for k, v in self.services.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Zone:
        addresses = data.get("addresses") or {}
        services = data.get("services") or {}
        assert isinstance(addresses, dict) and isinstance(services, dict)
        return cls(str(data.get("domain", DEFAULT_DOMAIN)),
                   {str(k): tuple(map(str, v)) for k, v in addresses.items()},
                   {str(k): tuple(Srv(str(t), int(p)) for t, p in v)
                    for k, v in services.items()})

    def _soa(self) -> dns.rrset.RRset:
        origin = self.domain.rstrip(".") + "."
        return dns.rrset.from_text(origin, TTL, "IN", "SOA",
                                   f"ns.dns.{origin} hostmaster.{origin} 1 7200 1800 86400 {TTL}")

    def answer(self, wire: bytes) -> bytes | None:
        """The reply to one query message, or None for what is no query (dropped)."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if query.flags & dns.flags.QR:
            return None
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.AA
        reply.flags &= ~dns.flags.RA
        if len(query.question) != 1:
            reply.set_rcode(dns.rcode.FORMERR)
            return reply.to_wire()
        q = query.question[0]
        name = q.name
        if q.rdclass != dns.rdataclass.IN or not name.is_subdomain(self._origin):
            reply.set_rcode(dns.rcode.REFUSED)  # not ours, and nothing is forwarded
            return reply.to_wire()
        if name not in self._known:
            reply.set_rcode(dns.rcode.NXDOMAIN)
            reply.authority.append(self._soa())
            return reply.to_wire()
        reply.answer += self._records(name, q.rdtype)
        if not reply.answer:
            reply.authority.append(self._soa())
        return reply.to_wire()

    def _records(self, name: dns.name.Name, rdtype: int) -> list[dns.rrset.RRset]:
        out: list[dns.rrset.RRset] = []
        any_type = rdtype == dns.rdatatype.ANY
        for version, kind in ((4, dns.rdatatype.A), (6, dns.rdatatype.AAAA)):
            ips = [str(ip) for ip in self._addr.get(name, ()) if ip.version == version]
            if ips and (any_type or rdtype == kind):
                out.append(dns.rrset.from_text_list(name, TTL, "IN", kind, ips))
        srv = self._srv.get(name, ())
        if srv and (any_type or rdtype == dns.rdatatype.SRV):
            texts = [f"0 100 {s.port} {s.target}" for s in srv]
            out.append(dns.rrset.from_text_list(name, TTL, "IN", "SRV", texts))
        return out


def read_frames(buffer: bytes) -> tuple[list[bytes], bytes]:
    """DNS-over-TCP messages (2-byte length prefix) in ``buffer``, and what is left over.

    >>> read_frames(b"\\x00\\x02hi\\x00\\x05ab")
    ([b'hi'], b'\\x00\\x05ab')
    """
    out: list[bytes] = []
    while len(buffer) >= 2:
        size = int.from_bytes(buffer[:2], "big")
        if len(buffer) < 2 + size:
            break
        out.append(buffer[2:2 + size])
        buffer = buffer[2 + size:]
    return out, buffer


def zone_for(cluster: Cluster, domain: str = DEFAULT_DOMAIN) -> Zone:
    """The records CoreDNS would publish for ``cluster``'s Services and pods.

    ExternalName Services get no record (the lab resolves nothing outside it).
    """
    addresses: dict[str, list[str]] = {}
    services: dict[str, list[Srv]] = {}
    for svc in cluster.services:
        if svc.external_name is not None:
            continue
        host = f"{svc.name}.{svc.namespace}.svc.{domain}."
        if svc.headless:
            for b in svc.ready_backends:
                addresses.setdefault(host, []).append(str(b.ip))
                addresses.setdefault(f"{pod_name(str(b.ip))}.{host}", []).append(str(b.ip))
        else:
            addresses.setdefault(host, []).extend(str(ip) for ip in svc.cluster_ips)
        for i, port in enumerate(svc.ports):
            if not port.name:
                continue
            srv = f"_{port.name}._{protocol_name(port.protocol).lower()}.{host}"
            if svc.headless:
                services[srv] = [Srv(f"{pod_name(str(b.ip))}.{host}", target)
                                 for b, target in svc.destinations(i)]
            else:
                services[srv] = [Srv(host, port.port)]
    for e in cluster.endpoints:
        if e.kind is EndpointKind.POD and e.namespace:
            for ip in e.ips:
                addresses.setdefault(f"{pod_name(str(ip))}.{e.namespace}.pod.{domain}.",
                                     []).append(str(ip))
    return Zone(domain, {k: tuple(dict.fromkeys(v)) for k, v in addresses.items()},
                {k: tuple(v) for k, v in services.items() if v})


def lab_dns_manifests(cluster: Cluster) -> str | None:
    """Manifests of the lab's own kube-dns (pod and Service), or None when the cluster has one.

    The pod takes the first free address of ``10.244.0.0/24``, which the
    loader's default addressing never uses, and a node some pod already names,
    so adding it changes no other pod's default address.
    """
    if cluster.service(*DNS_SERVICE) is not None:
        return None
    pods = [e for e in cluster.endpoints if e.kind is EndpointKind.POD]
    taken = {str(ip) for e in cluster.endpoints for ip in e.ips}
    ip = next(str(a) for a in DNS_POD_NET.hosts() if str(a) not in taken and a.packed[-1] >= 10)
    taken_services = {str(ip) for s in cluster.services for ip in s.cluster_ips}
    cluster_ip = DNS_CLUSTER_IP if DNS_CLUSTER_IP not in taken_services else None
    nodes = {e.node for e in pods}
    node = f"\n  nodeName: {min(n for n in nodes if n)}" if nodes and None not in nodes else ""
    namespace = "" if "kube-system" in cluster.namespaces else (
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: kube-system\n---\n")
    return f"""{namespace}apiVersion: v1
kind: Pod
metadata:
  name: lab-dns
  namespace: kube-system
  labels: {{k8s-app: kube-dns}}
spec:{node}
  containers:
  - name: dns
    image: netwarden-lab-dns
    ports:
    - {{name: dns, containerPort: 53, protocol: UDP}}
    - {{name: dns-tcp, containerPort: 53, protocol: TCP}}
status:
  podIP: {ip}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {{k8s-app: kube-dns}}
spec:
  selector: {{k8s-app: kube-dns}}{f"{chr(10)}  clusterIP: {cluster_ip}" if cluster_ip else ""}
  ports:
  - {{name: dns, port: 53, protocol: UDP, targetPort: 53}}
  - {{name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}}
"""
