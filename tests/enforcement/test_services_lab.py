"""Services in the lab with real packets: kube-proxy's DNAT in nftables and the cluster DNS.

One lab (``lab up`` as the CLI builds it, so with the lab's kube-dns) runs
three ``app=backend`` pods that name their ``http`` port differently (8080,
9090, 8080), a database, a client and an outside ``LabHost``; each test
enforces its policies (``lab apply``) and connects by name or ClusterIP from
inside a pod, as ``kubectl exec … curl`` would.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from netwarden.engine import Engine
from netwarden.engine.services import check_service
from netwarden.ir import Cluster, EndpointKind
from netwarden.ir.services import TCP
from netwarden.lab import Lab
from netwarden.lab.lifecycle import down, up
from netwarden.lab.manifests import current_cluster
from netwarden.lab.observe import flush_conntrack
from netwarden.lab.topology import NETNS_ETC
from netwarden.netns import inside

from ..lab_fixtures import ENFORCER, lab_up
from ..services.service_walkthroughs import SERVICE_CASES

pytestmark = pytest.mark.lab

APP = """
apiVersion: v1
kind: Namespace
metadata: {name: staging}
---
apiVersion: v1
kind: Pod
metadata: {name: backend-0, namespace: staging, labels: {app: backend}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: backend-1, namespace: staging, labels: {app: backend}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 9090, name: http}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: backend-2, namespace: staging, labels: {app: backend}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: staging, labels: {app: db}}
spec: {containers: [{name: c, image: postgres, ports: [{containerPort: 5432, name: pg}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: curl, namespace: staging, labels: {app: curl}}
spec: {containers: [{name: c, image: curl}]}
---
apiVersion: v1
kind: Service
metadata: {name: backend, namespace: staging}
spec: {selector: {app: backend}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: staging}
spec: {selector: {app: db}, ports: [{name: pg, port: 5432}]}
---
apiVersion: v1
kind: Service
metadata: {name: backend-pods, namespace: staging}
spec: {clusterIP: None, selector: {app: backend}, ports: [{name: http, port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: web-cluster, namespace: staging}
spec:
  type: NodePort
  externalTrafficPolicy: Cluster
  selector: {app: backend}
  ports: [{port: 80, targetPort: http, nodePort: 30080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-local, namespace: staging}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: backend}
  ports: [{port: 80, targetPort: http, nodePort: 30081}]
---
apiVersion: netwarden.dev/v1
kind: LabHost
metadata: {name: client}
spec: {ip: 203.0.113.7}
"""

# staging is isolated for ingress; backends take port http from staging/curl and from
# 203.0.113.0/24 (the outside client's range); db takes nothing.
INGRESS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-ingress, namespace: staging}
spec: {podSelector: {}, policyTypes: [Ingress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: backend-from-curl-and-outside, namespace: staging}
spec:
  podSelector: {matchLabels: {app: backend}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: curl}}}, {ipBlock: {cidr: 203.0.113.0/24}}]
    ports: [{port: http}]
"""

# curl may open only connections to the backends: DNS is forgotten.
EGRESS_WITHOUT_DNS = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: curl-egress, namespace: staging}
spec:
  podSelector: {matchLabels: {app: curl}}
  policyTypes: [Egress]
  egress:
  - to: [{podSelector: {matchLabels: {app: backend}}}]
"""

DNS_ALLOWED = """
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: curl-dns, namespace: staging}
spec:
  podSelector: {matchLabels: {app: curl}}
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
      podSelector: {matchLabels: {k8s-app: kube-dns}}
    ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
"""

NO_POLICY = "apiVersion: v1\nkind: Namespace\nmetadata: {name: staging}\n"
BACKENDS = {"staging/backend-0", "staging/backend-1", "staging/backend-2"}
NAME = "backend.staging.svc.cluster.local"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    path = tmp_path_factory.mktemp("svc") / "app.yaml"
    path.write_text(APP)
    with lab_up([path]) as built:
        yield built


@pytest.fixture
def policies(lab: Lab, tmp_path: Path) -> Iterator[object]:
    """``policies(text)`` enforces ``text`` as the lab's policy set; back to none afterwards."""
    def apply(text: str) -> None:
        f = tmp_path / f"p{len(list(tmp_path.iterdir()))}.yaml"
        f.write_text(text or NO_POLICY)
        ENFORCER.apply_policies(lab, [f], revoke_flows=False)
        flush_conntrack(lab)

    yield apply
    apply("")


def run(lab: Lab, key: str, *argv: str) -> subprocess.CompletedProcess[str]:
    return lab.exec(key, list(argv), timeout=30)


def connect_greeting(lab: Lab, key: str, ip: str, port: int, timeout: float = 2.0) -> str | None:
    """The daemon's ``nw <key>`` greeting over TCP from ``key``'s namespace, or None."""
    with inside(lab.netns(key)):
        s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((ip, port))
        return s.recv(256).decode().strip()
    except OSError:
        return None
    finally:
        s.close()


def cluster_of(lab: Lab) -> Cluster:
    return current_cluster(lab.id)


def cluster_ip(lab: Lab, name: str) -> str:
    svc = cluster_of(lab).service("staging", name)
    assert svc is not None and svc.cluster_ips
    return str(svc.cluster_ips[0])


# -- ClusterIP: DNAT to a random ready backend, policed after DNAT ------------------------
def test_curl_by_service_name_reaches_a_backend(lab: Lab) -> None:
    proc = run(lab, "staging/curl", "curl", "-s", "-m", "5", f"http://{NAME}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().removeprefix("nw ") in BACKENDS


def test_short_names_resolve_through_the_search_path(lab: Lab) -> None:
    proc = run(lab, "staging/curl", "curl", "-s", "-m", "5", "http://backend")
    assert proc.stdout.strip().removeprefix("nw ") in BACKENDS


def test_repeated_connections_reach_all_three_backends_on_their_own_target_ports(
        lab: Lab) -> None:
    ip = cluster_ip(lab, "backend")
    seen = {connect_greeting(lab, "staging/curl", ip, 80) for _ in range(60)}
    assert {s.removeprefix("nw ") for s in seen if s} == BACKENDS
    assert None not in seen


def test_an_allowed_backend_connects_through_the_cluster_ip(lab: Lab, policies) -> None:
    policies(INGRESS)
    proc = run(lab, "staging/curl", "curl", "-s", "-m", "5", f"http://{NAME}")
    assert proc.stdout.strip().removeprefix("nw ") in BACKENDS


def test_a_denied_backend_times_out_through_the_cluster_ip(lab: Lab, policies) -> None:
    policies(INGRESS)
    start = time.monotonic()
    proc = run(lab, "staging/curl", "nc", "-z", "-w2", "db.staging.svc.cluster.local", "5432")
    elapsed = time.monotonic() - start
    assert proc.returncode != 0
    assert elapsed >= 1.8, "refused at once instead of timing out: not a policy drop"


def test_the_pod_address_behind_the_service_is_what_policy_judges(lab: Lab, policies) -> None:
    """Allowing the ClusterIP's address in an ipBlock allows nothing: policy sees the pod."""
    ip = cluster_ip(lab, "db")
    policies(INGRESS + f"""
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: db-from-cluster-ip, namespace: staging}}
spec:
  podSelector: {{matchLabels: {{app: db}}}}
  ingress: [{{from: [{{ipBlock: {{cidr: {ip}/32}}}}]}}]
""")
    assert connect_greeting(lab, "staging/curl", ip, 5432) is None


def test_a_pod_reaching_itself_through_its_service_lands_on_itself(lab: Lab) -> None:
    ip = cluster_ip(lab, "backend")
    seen = {connect_greeting(lab, "staging/backend-1", ip, 80) for _ in range(40)}
    assert "nw staging/backend-1" in seen  # hairpin: answered, source-NATed to the gateway
    assert None not in seen


def _held(lab: Lab, ip: str) -> socket.socket:
    with inside(lab.netns("staging/curl")):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(3)
    s.connect((ip, 80))
    assert s.recv(256).startswith(b"nw staging/backend-")
    return s


def _echoes(s: socket.socket) -> bool:
    s.settimeout(1.5)
    try:
        s.sendall(b"ping\n")
        return s.recv(64) == b"ping\n"
    except OSError:
        return False


def test_a_connection_through_a_service_is_cut_when_policy_comes_to_deny_it(
        lab: Lab, policies, tmp_path: Path) -> None:
    """Revocation judges the DNATed flow: the backend on its target port, not the ClusterIP."""
    s = _held(lab, cluster_ip(lab, "backend"))
    try:
        deny = tmp_path / "deny.yaml"
        deny.write_text(INGRESS.split("---")[0])  # default-deny-ingress alone
        report = ENFORCER.apply_policies(lab, [deny])
        assert any(e.dport == 80 and str(e.dst) == cluster_ip(lab, "backend")
                   for _node, e in report.revoked)
        assert not _echoes(s)
    finally:
        s.close()


def test_a_connection_through_a_service_the_new_policy_allows_is_kept(
        lab: Lab, policies, tmp_path: Path) -> None:
    s = _held(lab, cluster_ip(lab, "backend"))
    try:
        allow = tmp_path / "allow.yaml"
        allow.write_text(INGRESS)
        report = ENFORCER.apply_policies(lab, [allow])
        assert not report.revoked
        assert _echoes(s)
    finally:
        s.close()


def test_lab_apply_says_that_it_ignores_services(lab: Lab, tmp_path: Path) -> None:
    f = tmp_path / "with-service.yaml"
    f.write_text(INGRESS + """
---
apiVersion: v1
kind: Service
metadata: {name: extra, namespace: staging}
spec: {selector: {app: db}, ports: [{port: 1234}]}
""")
    try:
        report = ENFORCER.apply_policies(lab, [f], revoke_flows=False)
        assert report.warnings == [
            "1 Service(s) in these files ignored: lab apply replaces the policies only; "
            "Services come from the manifests of lab up"]
        assert cluster_of(lab).service("staging", "extra") is None
    finally:
        none = tmp_path / "none.yaml"
        none.write_text(NO_POLICY)
        ENFORCER.apply_policies(lab, [none], revoke_flows=False)


# -- engine and lab agree, Service by Service ------------------------------------------------
def service_mismatches(lab: Lab, cluster: Cluster, attempts: int = 6) -> list[str]:
    """Every pod → every TCP ClusterIP port, ``attempts`` times, against ``check_service``.

    Each connection lands on one random backend, so the lab's answer for a cell
    is the set of backends that answered: it must lie within the backends the
    engine allows, hold every attempt when the engine allows them all, and
    none when it allows none.
    """
    engine = Engine(cluster)
    pods = [e.key for e in cluster.endpoints if e.kind is EndpointKind.POD]
    cells = [(src, svc, port) for src in pods for svc in cluster.services
             if svc.cluster_ips and not svc.headless
             for port in svc.ports if port.protocol == TCP]

    def attempt(cell: tuple[str, object, object]) -> str | None:
        src, svc, port = cell
        return connect_greeting(lab, src, str(svc.cluster_ips[0]), port.port, 1.5)  # type: ignore[attr-defined]

    with ThreadPoolExecutor(32) as pool:
        seen = list(pool.map(attempt, [c for c in cells for _ in range(attempts)]))
    out = []
    for i, (src, svc, port) in enumerate(cells):
        got = seen[i * attempts:(i + 1) * attempts]
        (want,) = check_service(engine, src, svc, port.port, TCP)
        allowed = {b.backend for b in want.allowed_backends}
        reached = {g.removeprefix("nw ") for g in got if g}
        where = f"{src} -> {svc.key}:{port.port}"
        if not reached <= allowed:
            out.append(f"{where}: reached {sorted(reached - allowed)}, engine denies them")
        if want.allowed and None in got:
            out.append(f"{where}: engine allows every backend, a connection failed")
        if not allowed and reached:
            out.append(f"{where}: engine allows no backend, lab reached {sorted(reached)}")
    return out


@pytest.mark.parametrize("text", [NO_POLICY, INGRESS, EGRESS_WITHOUT_DNS + DNS_ALLOWED,
                                  INGRESS + "---\n" + EGRESS_WITHOUT_DNS],
                         ids=["open", "ingress", "egress-with-dns", "ingress-and-egress"])
def test_engine_and_lab_agree_on_every_pod_to_service_cell(lab: Lab, policies, text: str
                                                           ) -> None:
    policies(text)
    assert service_mismatches(lab, cluster_of(lab)) == []


def test_an_isolated_pod_still_reaches_itself_through_its_service(lab: Lab, policies) -> None:
    """Like loopback, which no policy judges (the engine's answer too)."""
    policies(INGRESS)  # db takes no ingress at all
    ip = cluster_ip(lab, "db")
    assert connect_greeting(lab, "staging/db", ip, 5432) == "nw staging/db"
    (want,) = check_service(Engine(cluster_of(lab)), "staging/db",
                            cluster_of(lab).service("staging", "db"), 5432)
    assert want.allowed
    assert connect_greeting(lab, "staging/curl", ip, 5432) is None


# -- NodePort: externalTrafficPolicy against an ipBlock ----------------------------------
def test_nodeport_with_cluster_policy_hides_the_client_address(lab: Lab, policies) -> None:
    """SNAT to the node address: the ipBlock naming the client's range does not match."""
    policies(INGRESS)
    node_ip = str(lab.topology.nodes[0].ips[0])
    assert connect_greeting(lab, "client", node_ip, 30080) is None
    (engine,) = check_service(Engine(cluster_of(lab)), "203.0.113.7",
                              cluster_of(lab).service("staging", "web-cluster"), 30080)
    assert not engine.allowed_backends
    assert {b.seen_source.split()[0] for b in engine.backends} == {node_ip}


def test_nodeport_with_local_policy_keeps_the_client_address(lab: Lab, policies) -> None:
    policies(INGRESS)
    node_ip = str(lab.topology.nodes[0].ips[0])
    got = connect_greeting(lab, "client", node_ip, 30081) or connect_greeting(
        lab, "client", node_ip, 30081)  # an allowed connection may be retried once
    assert got is not None and got.removeprefix("nw ") in BACKENDS
    (engine,) = check_service(Engine(cluster_of(lab)), "203.0.113.7",
                              cluster_of(lab).service("staging", "web-local"), 30081)
    assert engine.allowed
    assert {b.seen_source.split()[0] for b in engine.backends} == {"203.0.113.7"}


def test_nodeport_with_cluster_policy_connects_without_policy(lab: Lab) -> None:
    node_ip = str(lab.topology.nodes[0].ips[0])
    got = connect_greeting(lab, "client", node_ip, 30080)
    assert got is not None and got.removeprefix("nw ") in BACKENDS


# -- cluster DNS ---------------------------------------------------------------------------
def query(lab: Lab, key: str, name: str, rdtype: str, tcp: bool = False,
          timeout: float = 3) -> dns.message.Message:
    """Ask the pod's nameserver from inside the pod (the socket stays in its namespace)."""
    nameserver = lab.topology.nameservers[0]
    q = dns.message.make_query(name, rdtype)
    with inside(lab.netns(key)):
        return (dns.query.tcp if tcp else dns.query.udp)(q, nameserver, timeout=timeout)


def test_a_service_name_resolves_to_its_cluster_ip(lab: Lab) -> None:
    reply = query(lab, "staging/curl", NAME, "A")
    assert [str(r) for r in reply.answer[0]] == [cluster_ip(lab, "backend")]


def test_dns_answers_over_tcp_too(lab: Lab) -> None:
    reply = query(lab, "staging/curl", NAME, "A", tcp=True)
    assert [str(r) for r in reply.answer[0]] == [cluster_ip(lab, "backend")]


def test_a_headless_service_resolves_to_the_ready_pod_addresses(lab: Lab) -> None:
    reply = query(lab, "staging/curl", "backend-pods.staging.svc.cluster.local", "A")
    want = {str(ip) for e in cluster_of(lab).endpoints if e.key in BACKENDS for ip in e.ips}
    assert {str(r) for r in reply.answer[0]} == want


def test_a_named_port_has_an_srv_record(lab: Lab) -> None:
    reply = query(lab, "staging/curl", f"_http._tcp.{NAME}", "SRV")
    assert [(r.port, str(r.target)) for r in reply.answer[0]] == [(80, NAME + ".")]


def test_an_unknown_name_is_nxdomain_and_nothing_is_forwarded(lab: Lab) -> None:
    assert query(lab, "staging/curl", "nope.staging.svc.cluster.local", "A").rcode() == \
        dns.rcode.NXDOMAIN
    assert query(lab, "staging/curl", "example.com", "A").rcode() == dns.rcode.REFUSED


def test_egress_isolation_that_forgets_dns_leaves_names_unresolved(lab: Lab, policies) -> None:
    policies(EGRESS_WITHOUT_DNS)
    with pytest.raises(dns.exception.Timeout):
        query(lab, "staging/curl", NAME, "A", timeout=2)
    proc = run(lab, "staging/curl", "curl", "-s", "-m", "3", f"http://{NAME}")
    assert proc.returncode != 0 and not proc.stdout
    ip = cluster_ip(lab, "backend")
    assert connect_greeting(lab, "staging/curl", ip, 80) is not None  # the ClusterIP still works


def test_egress_isolation_that_allows_dns_resolves_and_connects(lab: Lab, policies) -> None:
    policies(EGRESS_WITHOUT_DNS + DNS_ALLOWED)
    proc = run(lab, "staging/curl", "curl", "-s", "-m", "5", f"http://{NAME}")
    assert proc.stdout.strip().removeprefix("nw ") in BACKENDS


DUAL_STACK = """
apiVersion: v1
kind: Pod
metadata: {name: a, namespace: x, labels: {app: a}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080, name: http}]}]}
status: {podIPs: [{ip: 10.244.1.2}, {ip: "fd00:244::2"}]}
---
apiVersion: v1
kind: Pod
metadata: {name: b, namespace: x, labels: {app: a}}
spec: {containers: [{name: c, image: i, ports: [{containerPort: 8080, name: http}]}]}
status: {podIPs: [{ip: 10.244.1.3}, {ip: "fd00:244::3"}]}
---
apiVersion: v1
kind: Service
metadata: {name: s, namespace: x}
spec:
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv6, IPv4]
  selector: {app: a}
  ports: [{port: 80, targetPort: http}]
"""


def test_a_dual_stack_service_balances_over_ipv6_to_the_pods_ipv6_addresses(
        tmp_path: Path) -> None:
    path = tmp_path / "ds.yaml"
    path.write_text(DUAL_STACK)
    with lab_up([path]) as built:
        svc = current_cluster(built.id).service("x", "s")
        assert svc is not None
        (v6,) = [str(ip) for ip in svc.cluster_ips if ip.version == 6]
        seen = {connect_greeting(built, "x/a", v6, 80) for _ in range(30)}
        assert seen == {"nw x/a", "nw x/b"}  # x/a → itself too: the IPv6 hairpin
        reply = query(built, "x/b", "s.x.svc.cluster.local", "AAAA")
        assert [str(r) for r in reply.answer[0]] == [v6]


# -- what the lab leaves behind ------------------------------------------------------------
def test_lab_down_removes_the_resolvers_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(APP)
    built, _ = up([path], ENFORCER)
    dirs = built.topology.resolv_dirs
    names = built.topology.netns_names
    assert dirs and all(os.path.isfile(os.path.join(d, "resolv.conf")) for d in dirs)
    assert all(os.path.basename(d).startswith("nw") for d in dirs)
    down(built, ENFORCER)
    assert not any(os.path.exists(d) for d in dirs)
    listed = set(os.listdir("/run/netns")) if os.path.isdir("/run/netns") else set()
    assert not listed & set(names)
    assert not [n for n in os.listdir(NETNS_ETC) if n.startswith(built.prefix)]


# -- the seed walkthroughs, by Service name ------------------------------------------------

@pytest.fixture(scope="module")
def example_labs() -> Iterator[dict[tuple[str, ...], Lab]]:
    """One lab per example (its cluster and Services, ``lab up`` by the CLI's path)."""
    labs: dict[tuple[str, ...], Lab] = {}
    with contextlib.ExitStack() as stack:
        for case in SERVICE_CASES:
            base = tuple(str(p) for p in case.paths() if "/policies/" not in str(p))
            if base not in labs:
                labs[base] = stack.enter_context(lab_up(base))
        yield labs


@pytest.mark.parametrize("case", SERVICE_CASES, ids=[c.id for c in SERVICE_CASES])
def test_seed_walkthrough_by_service_name(example_labs: dict[tuple[str, ...], Lab],
                                          case: object) -> None:
    """The article's command, by name, in the lab: resolved by the lab's DNS (through
    policy), DNATed to a backend, policed; allowed and denied as the article says."""
    paths = [str(p) for p in case.paths()]  # type: ignore[attr-defined]
    lab = example_labs[tuple(p for p in paths if "/policies/" not in p)]
    ENFORCER.apply_policies(lab, [p for p in paths if "/policies/" in p], revoke_flows=False)
    flush_conntrack(lab)
    src, name, port = case.source, case.name, case.port  # type: ignore[attr-defined]
    if case.protocol == "UDP":  # type: ignore[attr-defined]  # a DNS query to the name's server
        svc = cluster_of(lab).service(*reversed(name.split(".")[:2]))
        assert svc is not None and port == 53
        try:
            with inside(lab.netns(src)):
                reply = dns.query.udp(dns.message.make_query(name, "A"),
                                      str(svc.cluster_ips[0]), timeout=2)
            got = bool(reply.answer)
        except dns.exception.Timeout:
            got = False
    elif port == 80:
        proc = run(lab, src, "curl", "-s", "-m", "3", f"http://{name}:{port}")
        got = proc.returncode == 0 and proc.stdout.startswith("nw ")
    else:
        got = run(lab, src, "nc", "-z", "-w2", name, str(port)).returncode == 0
    assert got == case.allowed, case.says  # type: ignore[attr-defined]


EXAMPLE_STATES = sorted({tuple(str(p) for p in c.paths()) for c in SERVICE_CASES})


@pytest.mark.parametrize("paths", EXAMPLE_STATES,
                         ids=[Path(p[0]).parent.name for p in EXAMPLE_STATES])
def test_engine_and_lab_agree_on_the_examples_service_matrix(
        example_labs: dict[tuple[str, ...], Lab], paths: tuple[str, ...]) -> None:
    """Every pod → every ClusterIP port of the example, with its policies, as check_service says."""
    lab = example_labs[tuple(p for p in paths if "/policies/" not in p)]
    ENFORCER.apply_policies(lab, [p for p in paths if "/policies/" in p], revoke_flows=False)
    flush_conntrack(lab)
    assert service_mismatches(lab, cluster_of(lab)) == []
