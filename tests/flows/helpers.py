"""Flows of the three-tier shop (data/shop) as a cluster would record them."""

from __future__ import annotations

from pathlib import Path

from netwarden.analysis.flows import Flow, FlowEnd, FlowService, FlowVerdict, Workload

SHOP = Path(__file__).parent / "data" / "shop"


def pod(namespace: str, name: str, kind: str, workload: str, address: str,
        **labels: str) -> FlowEnd:
    return FlowEnd(namespace=namespace, pod=name, workload=Workload(kind, workload),
                   labels=tuple(sorted(labels.items())), address=address)


WEB_1 = pod("shop", "web-7d9f-abcde", "Deployment", "web", "10.244.1.5", app="web",
            tier="frontend", **{"pod-template-hash": "7d9f"})
WEB_2 = pod("shop", "web-7d9f-fghij", "Deployment", "web", "10.244.1.5", app="web",
            tier="frontend", **{"pod-template-hash": "7d9f"})
API = pod("shop", "api-5c4b-klmno", "Deployment", "api", "10.244.1.3", app="backend",
          **{"app.kubernetes.io/name": "api", "pod-template-hash": "5c4b"})
DB = pod("shop", "db-0", "StatefulSet", "db", "10.244.1.4", app="db",
         **{"statefulset.kubernetes.io/pod-name": "db-0", "controller-revision-hash": "db-6f"})
DNS = pod("kube-system", "coredns-5d78-x2x7q", "Deployment", "coredns", "10.244.1.2",
          **{"k8s-app": "kube-dns", "pod-template-hash": "5d78"})
LB = FlowEnd(address="192.0.2.50")


def flow(src: FlowEnd, dst: FlowEnd, port: int | None, protocol: str = "TCP",
         verdict: str = "allowed", second: int = 0, service: FlowService | None = None,
         ) -> Flow:
    return Flow(time=f"2026-12-01T12:00:{second:02d}Z",
                source=FlowEnd(src.namespace, src.pod, src.workload, src.labels, src.address,
                               40000 + second),
                destination=FlowEnd(dst.namespace, dst.pod, dst.workload, dst.labels,
                                    dst.address, port),
                protocol=protocol, verdict=FlowVerdict(verdict), service=service)


def shop_flows() -> list[Flow]:
    """The application's traffic: the load balancer to web, web to api, api to db and
    to two outside payment addresses, everyone resolving names through kube-dns."""
    return [
        flow(LB, WEB_1, 8080, second=1),
        flow(LB, WEB_2, 8080, second=2),
        flow(WEB_1, DNS, 53, "UDP", second=3,
             service=FlowService("kube-system", "kube-dns", 53)),
        flow(WEB_1, API, 9090, second=4, service=FlowService("shop", "api", 80)),
        flow(WEB_2, API, 9090, second=5, service=FlowService("shop", "api", 80)),
        flow(API, DNS, 53, "UDP", second=6),
        flow(API, DB, 5432, second=7, service=FlowService("shop", "db", 5432)),
        flow(API, FlowEnd(address="203.0.113.10"), 443, second=8),
        flow(API, FlowEnd(address="203.0.113.20"), 443, second=9),
        flow(FlowEnd(address="198.51.100.9"), DB, 5432, verdict="denied", second=10),
    ]
