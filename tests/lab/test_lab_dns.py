"""The lab's cluster DNS zone: which names answer what (no lab needed: wire bytes in, out)."""

from __future__ import annotations

import io

import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from netwarden import load_cluster
from netwarden.lab.dns import Zone, lab_dns_manifests, read_frames, resolv_conf, zone_for

APP = """
apiVersion: v1
kind: Pod
metadata: {name: web-0, namespace: prod, labels: {app: web}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080, name: http}]}]}
status: {podIP: 10.244.1.2}
---
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: prod, labels: {app: web}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 9090, name: http}]}]}
status: {podIP: 10.244.1.3}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: prod}
spec:
  clusterIP: 10.96.5.5
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-pods, namespace: prod}
spec: {clusterIP: None, selector: {app: web}, ports: [{name: http, port: 80, targetPort: http}]}
"""


@pytest.fixture(scope="module")
def zone() -> Zone:
    return zone_for(load_cluster(["-"], stdin=io.StringIO(APP)))


def ask(zone: Zone, name: str, rdtype: str) -> dns.message.Message:
    wire = zone.answer(dns.message.make_query(name, rdtype).to_wire())
    assert wire is not None
    return dns.message.from_wire(wire)


def records(reply: dns.message.Message) -> list[str]:
    return sorted(str(r) for rrset in reply.answer for r in rrset)


def test_a_service_name_is_its_cluster_ip(zone: Zone) -> None:
    assert records(ask(zone, "web.prod.svc.cluster.local", "A")) == ["10.96.5.5"]


def test_a_headless_service_name_is_its_ready_pods(zone: Zone) -> None:
    assert records(ask(zone, "web-pods.prod.svc.cluster.local", "A")) == [
        "10.244.1.2", "10.244.1.3"]


def test_a_headless_backend_has_its_own_name(zone: Zone) -> None:
    reply = ask(zone, "10-244-1-3.web-pods.prod.svc.cluster.local", "A")
    assert records(reply) == ["10.244.1.3"]


def test_srv_of_a_cluster_ip_service_names_the_service_port(zone: Zone) -> None:
    reply = ask(zone, "_http._tcp.web.prod.svc.cluster.local", "SRV")
    assert records(reply) == ["0 100 80 web.prod.svc.cluster.local."]


def test_srv_of_a_headless_service_names_each_pod_on_its_target_port(zone: Zone) -> None:
    reply = ask(zone, "_http._tcp.web-pods.prod.svc.cluster.local", "SRV")
    assert records(reply) == ["0 100 8080 10-244-1-2.web-pods.prod.svc.cluster.local.",
                              "0 100 9090 10-244-1-3.web-pods.prod.svc.cluster.local."]


def test_pods_have_dashed_address_names(zone: Zone) -> None:
    assert records(ask(zone, "10-244-1-2.prod.pod.cluster.local", "A")) == ["10.244.1.2"]


@pytest.mark.parametrize(("name", "rdtype", "rcode", "answers"), [
    ("nope.prod.svc.cluster.local", "A", "NXDOMAIN", 0),
    ("web.prod.svc.cluster.local", "AAAA", "NOERROR", 0),     # known name, no such record
    ("prod.svc.cluster.local", "A", "NOERROR", 0),            # an empty non-terminal
    ("example.com", "A", "REFUSED", 0),                       # never forwarded
])
def test_other_questions(zone: Zone, name: str, rdtype: str, rcode: str, answers: int) -> None:
    reply = ask(zone, name, rdtype)
    assert dns.rcode.to_text(reply.rcode()) == rcode
    assert len(reply.answer) == answers


def test_what_is_no_query_gets_no_answer(zone: Zone) -> None:
    assert zone.answer(b"nw probe") is None
    reply = dns.message.make_response(dns.message.make_query("web.prod.svc.cluster.local", "A"))
    assert zone.answer(reply.to_wire()) is None  # a response is not answered


def test_the_zone_survives_the_state_file(zone: Zone) -> None:
    again = Zone.from_json(zone.to_json())
    assert records(ask(again, "web.prod.svc.cluster.local", "A")) == ["10.96.5.5"]


def test_tcp_frames_may_arrive_in_pieces() -> None:
    frames, rest = read_frames(b"\x00\x03ab")
    assert (frames, rest) == ([], b"\x00\x03ab")
    assert read_frames(rest + b"c") == ([b"abc"], b"")


def test_resolv_conf_is_the_kubelets() -> None:
    assert resolv_conf(["10.96.0.10"], "staging") == (
        "search staging.svc.cluster.local svc.cluster.local cluster.local\n"
        "nameserver 10.96.0.10\noptions ndots:5\n")


def test_the_lab_dns_moves_no_pod_address() -> None:
    """Added manifests keep every other pod's default address and pick a free ClusterIP."""
    plain = "\n---\n".join(APP.split("---")[:2]).replace("status: {podIP: 10.244.1.2}\n", "")
    cluster = load_cluster(["-"], stdin=io.StringIO(plain + "\n---\n" + APP.split("---")[2]))
    extra = lab_dns_manifests(cluster)
    assert extra is not None
    both = load_cluster(["-"], stdin=io.StringIO(plain + "\n---\n" + APP.split("---")[2]
                                                 + "\n---\n" + extra))
    before = {e.key: e.ips for e in cluster.endpoints}
    after = {e.key: e.ips for e in both.endpoints}
    assert {k: v for k, v in after.items() if k in before} == before
    dns_svc = both.service("kube-system", "kube-dns")
    assert dns_svc is not None and [str(i) for i in dns_svc.cluster_ips] == ["10.96.0.10"]
    assert [b.key for b in dns_svc.ready_backends] == ["kube-system/lab-dns"]


def test_a_cluster_with_kube_dns_gets_none_of_the_labs() -> None:
    text = APP + """
---
apiVersion: v1
kind: Service
metadata: {name: kube-dns, namespace: kube-system}
spec: {selector: {k8s-app: kube-dns}, ports: [{name: dns, port: 53, protocol: UDP}]}
"""
    assert lab_dns_manifests(load_cluster(["-"], stdin=io.StringIO(text))) is None


def test_aaaa_answers_for_ipv6_addresses() -> None:
    z = Zone("cluster.local", {"web.prod.svc.cluster.local.": ("fd00::5", "10.96.0.5")})
    reply = ask(z, "web.prod.svc.cluster.local", "AAAA")
    assert reply.answer[0].rdtype == dns.rdatatype.AAAA and records(reply) == ["fd00::5"]
