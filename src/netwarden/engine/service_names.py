"""How users name a Service on the command line: ``ns/svc/name``, DNS names, its addresses.

The forms cluster DNS answers for (``NAME.NS.svc.DOMAIN``, and the shorter
``NAME.NS.svc`` and ``NAME.NS`` a pod's search path completes), ``NAME``
alone when a namespace is given (as a pod of that namespace would write it),
and the addresses that lead to a Service: a ClusterIP, a load-balancer
address or external IP, a node's address with a NodePort.

>>> from netwarden.ir import Cluster, KubeService
>>> cluster = Cluster(services=(KubeService("staging", "db"),))
>>> find_service(cluster, "db.staging.svc.cluster.local").key
'staging/svc/db'
>>> find_service(cluster, "db", namespace="staging").key
'staging/svc/db'
>>> find_service(cluster, "staging/db") is None
True
"""

from __future__ import annotations

import difflib
import ipaddress

from .._errors import LookupFailed
from ..ir import Cluster, KubeService
from ..ir.kube_services import DEFAULT_CLUSTER_DOMAIN

__all__ = ["find_service", "is_service_name", "service_at"]


def is_service_name(name: str, domain: str = DEFAULT_CLUSTER_DOMAIN) -> bool:
    """Whether ``name`` can only mean a Service (``ns/svc/x`` or ``*.svc[.DOMAIN]``)."""
    parts = name.rstrip(".").split(".")
    return ("/svc/" in name and name.count("/") == 2) or "svc" in parts[2:3]


def find_service(cluster: Cluster, name: str, *, namespace: str | None = None,
                 domain: str = DEFAULT_CLUSTER_DOMAIN) -> KubeService | None:
    """The Service ``name`` names, or None when it names none.

    A name in a Service-only form (``ns/svc/x``, ``x.ns.svc...``) that matches
    no Service raises ``LookupFailed`` with the closest Service's name, so a
    typo is not mistaken for a pod.
    """
    key = _key(name, namespace, domain)
    if key is None:
        return None
    found = cluster.service(*key)
    if found is None and is_service_name(name, domain):
        keys = [s.key for s in cluster.services]
        close = difflib.get_close_matches(f"{key[0]}/svc/{key[1]}", keys, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise LookupFailed(f"no Service named {key[1]!r} in namespace {key[0]!r}{hint}")
    return found


def _key(name: str, namespace: str | None, domain: str) -> tuple[str, str] | None:
    if name.count("/") == 2:
        ns, kind, svc = name.split("/")
        return (ns, svc) if kind == "svc" else None
    if "/" in name:
        return None
    text = name.rstrip(".")
    suffix = f".svc.{domain}"
    if text.endswith(suffix):
        text = text[: -len(suffix)]
    elif text.endswith(".svc"):
        text = text[:-4]
    elif ".svc." in text:
        raise LookupFailed(f"{name!r} is not in the cluster domain {domain!r} "
                           "(--cluster-domain)")
    parts = text.split(".")
    if len(parts) == 2 and all(parts):
        return parts[1], parts[0]
    if len(parts) == 1 and namespace is not None and parts[0]:
        return namespace, parts[0]
    return None


def service_at(cluster: Cluster, address: str, port: int | None = None
               ) -> KubeService | None:
    """The Service an address leads to: its ClusterIP, a load-balancer address or
    external IP, or (with ``port``) a node's address and one of its NodePorts."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    for svc in cluster.services:
        if ip in svc.cluster_ips or ip in svc.load_balancer_ips or ip in svc.external_ips:
            return svc
    if port is not None and ip in cluster.node_addresses.values():
        for svc in cluster.services:
            if any(p.node_port == port for p in svc.ports):
                return svc
    return None
