"""The Service model: backends, per-pod target ports, addresses, EndpointSlices.

A connection through a Service goes to a ready backend's targetPort: these
tests pin down which pods are backends and on which port each one listens.
"""

from __future__ import annotations

import ipaddress

from netwarden.ir.services import TCP, UDP

from .svc_helpers import cluster, errors, pod, service


def _targets(text: str, name: str = "backend", index: int = 0) -> dict[str, int]:
    svc = cluster(text).service("staging", name)
    assert svc is not None
    return {b.key: port for b, port in svc.destinations(index)}


def test_a_numeric_target_port_is_the_same_on_every_backend() -> None:
    text = (pod("b1") + pod("b2")
            + service("backend", "selector: {role: backend}\n"
                                 "ports: [{port: 80, targetPort: 8080}]"))
    assert _targets(text) == {"staging/b1": 8080, "staging/b2": 8080}


def test_no_target_port_means_the_service_port() -> None:
    text = pod("b1") + service("backend", "selector: {role: backend}\nports: [{port: 80}]")
    assert _targets(text) == {"staging/b1": 80}


def test_one_port_name_maps_to_different_numbers_on_different_pods() -> None:
    text = (pod("b1", ports="[{name: http, containerPort: 8080}]")
            + pod("b2", ports="[{name: http, containerPort: 9090}]")
            + service("backend", "selector: {role: backend}\n"
                                 "ports: [{port: 80, targetPort: http}]"))
    assert _targets(text) == {"staging/b1": 8080, "staging/b2": 9090}


def test_a_pod_without_the_named_port_is_no_backend_for_that_port() -> None:
    text = (pod("b1", ports="[{name: http, containerPort: 8080}]")
            + pod("b2", ports="[{name: web, containerPort: 8080}]")
            + service("backend", "selector: {role: backend}\n"
                                 "ports: [{port: 80, targetPort: http}]"))
    svc = cluster(text).service("staging", "backend")
    assert svc is not None
    assert [b.key for b, _ in svc.destinations(0)] == ["staging/b1"]
    assert [b.key for b in svc.unresolved(0)] == ["staging/b2"]


def test_a_named_target_port_matches_the_protocol_too() -> None:
    text = (pod("dns", ports="[{name: dns, containerPort: 5353, protocol: UDP}, "
                             "{name: dns-tcp, containerPort: 5354}]")
            + service("backend", "selector: {role: backend}\nports:\n"
                                 "- {name: udp, port: 53, protocol: UDP, targetPort: dns}\n"
                                 "- {name: tcp, port: 53, targetPort: dns}"))
    svc = cluster(text).service("staging", "backend")
    assert svc is not None
    assert [(b.key, port) for b, port in svc.destinations(0)] == [("staging/dns", 5353)]
    assert svc.destinations(1) == ()  # no TCP port named dns


def test_a_multi_port_service_maps_each_port() -> None:
    text = (pod("b1", ports="[{name: http, containerPort: 8080}, {name: metrics, "
                            "containerPort: 9100}]")
            + service("backend", "selector: {role: backend}\nports:\n"
                                 "- {name: web, port: 80, targetPort: http}\n"
                                 "- {name: metrics, port: 9000, targetPort: metrics}"))
    svc = cluster(text).service("staging", "backend")
    assert svc is not None
    assert svc.port_index("metrics") == 1 and svc.port_index(80) == 0
    assert [port for _, port in svc.destinations(1)] == [9100]


def test_udp_and_tcp_ports_of_one_number_are_two_service_ports() -> None:
    text = pod("b1") + service("backend", "selector: {role: backend}\nports:\n"
                                          "- {name: dns, port: 53, protocol: UDP}\n"
                                          "- {name: dns-tcp, port: 53}")
    svc = cluster(text).service("staging", "backend")
    assert svc is not None
    assert svc.port_index(53, UDP) == 0 and svc.port_index(53, TCP) == 1


def test_only_pods_of_the_service_namespace_with_every_selector_label_back_it() -> None:
    text = (pod("b1", labels="{role: backend, tier: api}") + pod("b2", labels="{role: backend}")
            + pod("b3", ns="other", labels="{role: backend, tier: api}")
            + service("backend", "selector: {role: backend, tier: api}\nports: [{port: 80}]"))
    assert list(_targets(text)) == ["staging/b1"]


def test_a_pod_whose_status_says_not_ready_is_not_a_backend() -> None:
    text = (pod("b1") + pod("b2", status="{conditions: [{type: Ready, status: 'False'}]}")
            + pod("b3", status="{phase: Succeeded}")
            + service("backend", "selector: {role: backend}\nports: [{port: 80}]"))
    svc = cluster(text).service("staging", "backend")
    assert svc is not None
    assert [b.key for b in svc.ready_backends] == ["staging/b1"]
    assert [b.key for b in svc.backends] == ["staging/b1", "staging/b2", "staging/b3"]


def test_publish_not_ready_addresses_makes_every_pod_a_backend() -> None:
    text = (pod("b1", status="{conditions: [{type: Ready, status: 'False'}]}")
            + service("backend", "selector: {role: backend}\npublishNotReadyAddresses: true\n"
                                 "ports: [{port: 80}]"))
    assert list(_targets(text)) == ["staging/b1"]


def test_a_workload_template_backs_a_service() -> None:
    text = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: staging}\n"
            "spec:\n  selector: {matchLabels: {role: backend}}\n  template:\n"
            "    metadata: {labels: {role: backend}}\n"
            "    spec: {containers: [{name: c, ports: [{name: http, containerPort: 5000}]}]}\n"
            "---\n"
            + service("backend", "selector: {role: backend}\nports: [{port: 5001, "
                                 "targetPort: http}]"))
    assert _targets(text) == {"staging/api": 5000}


def test_default_cluster_ips_follow_the_documented_rule() -> None:
    text = (service("b", "selector: {a: b}\nports: [{port: 80}]")
            + service("a", "selector: {a: b}\nports: [{port: 80}]")
            + service("given", "clusterIP: 10.96.1.1\nselector: {a: b}\nports: [{port: 80}]")
            + service("kube-dns", "selector: {a: b}\nports: [{port: 53, protocol: UDP}]",
                      ns="kube-system")
            + service("headless", "clusterIP: None\nselector: {a: b}"))
    ips = {s.name: [str(ip) for ip in s.cluster_ips] for s in cluster(text).services}
    assert ips == {"a": ["10.96.1.0"], "b": ["10.96.1.2"], "given": ["10.96.1.1"],
                   "kube-dns": ["10.96.0.10"], "headless": []}


def test_a_dual_stack_service_gets_an_address_of_each_family() -> None:
    text = service("a", "ipFamilyPolicy: PreferDualStack\nselector: {a: b}\nports: [{port: 80}]")
    (svc,) = cluster(text).services
    assert svc.cluster_ips == (ipaddress.ip_address("10.96.1.0"),
                               ipaddress.ip_address("fd00:10:96::100"))


def test_default_node_ports_skip_declared_ones() -> None:
    text = (service("a", "type: NodePort\nselector: {a: b}\nports: [{name: web, port: 80}, "
                         "{name: api, port: 81}]")
            + service("b", "type: NodePort\nselector: {a: b}\n"
                           "ports: [{port: 80, nodePort: 30001}]"))
    ports = {s.name: [p.node_port for p in s.ports] for s in cluster(text).services}
    assert ports == {"a": [30000, 30002], "b": [30001]}


def test_two_services_may_not_declare_one_cluster_ip() -> None:
    text = (service("a", "clusterIP: 10.96.5.5\nports: [{port: 80}]")
            + service("b", "clusterIP: 10.96.5.5\nports: [{port: 80}]"))
    assert errors(text, "svc.yaml") == [
        "svc.yaml:8: spec.clusterIP: address 10.96.5.5 is already allocated to Service "
        "staging/a"]


def test_two_services_may_not_declare_one_node_port() -> None:
    text = (service("a", "type: NodePort\nports: [{port: 80, nodePort: 30080}]")
            + service("b", "type: NodePort\nports: [{port: 80, nodePort: 30080}]"))
    assert errors(text, "svc.yaml") == [
        "svc.yaml:13: spec.ports[0].nodePort: node port 30080 is already allocated to "
        "Service staging/a"]


def test_load_balancer_ingress_addresses_are_frontends() -> None:
    text = (pod("b1") + service("backend", "type: LoadBalancer\nselector: {role: backend}\n"
                                           "ports: [{port: 80, nodePort: 30080}]",
                                status="{loadBalancer: {ingress: [{ip: 198.51.100.7}]}}"))
    svc = cluster(text).service("staging", "backend")
    assert svc is not None
    assert [str(f) for f in svc.frontends] == [
        "10.96.1.0:80/TCP", "<node>:30080/TCP", "198.51.100.7:80/TCP"]
    assert svc.external_traffic_policy == "Cluster"


def test_an_external_name_service_is_a_note_and_has_no_backend() -> None:
    c = cluster(service("ext", "type: ExternalName\nexternalName: db.example.com"))
    svc = c.service("staging", "ext")
    assert svc is not None and svc.backends == () and svc.frontends == ()
    assert c.notes == ("svc.yaml:1: Service staging/ext is an ExternalName (db.example.com): a "
                       "DNS alias, which no policy sees; connections go to the address that "
                       "name resolves to",)


SLICE = """\
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: db-1
  namespace: staging
  labels: {kubernetes.io/service-name: db}
addressType: IPv4
ports: [{name: pg, port: 5432}]
endpoints:
- addresses: [10.244.1.2]
- addresses: [192.0.2.10]
- addresses: [192.0.2.11]
  conditions: {ready: false}
"""


def test_a_service_without_selector_is_backed_by_its_endpoint_slices() -> None:
    text = pod("b1") + service("db", "ports: [{name: pg, port: 5432, targetPort: 1}]") + SLICE
    svc = cluster(text).service("staging", "db")
    assert svc is not None
    assert [(b.key, b.pod, port) for b, port in svc.destinations(0)] == [
        ("staging/b1", True, 5432), ("192.0.2.10", False, 5432)]


def test_an_endpoint_slice_of_a_missing_service_is_a_warning() -> None:
    c = cluster(SLICE)
    assert c.warnings == ("svc.yaml:1: EndpointSlice staging/db-1 belongs to Service "
                          "staging/db, which is not loaded; ignored",)


def test_an_endpoint_slice_address_of_the_wrong_family_is_rejected() -> None:
    text = SLICE.replace("192.0.2.10", "2001:db8::1")
    assert errors(text, "es.yaml") == [
        'es.yaml:11: endpoints[1].addresses[0]: invalid IP address "2001:db8::1": must be '
        "an IPv4 address (addressType)"]
