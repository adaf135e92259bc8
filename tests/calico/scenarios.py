"""The seed's Calico examples as data: directory, files to load, probes with expected verdicts.

A probe is ``(src, dst, protocol, port, expected)``; ``src``/``dst`` are
``ns/pod``, a host endpoint key (``host/<node>/<iface>``) or an address
outside the cluster; ``port`` None with ICMP means an echo request. The
engine tests replay every probe (``test_calico_examples.py``); the lab can
replay them with real packets. ``why`` says which rule decides.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["EXAMPLES", "SCENARIOS", "Probe", "Scenario"]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@dataclass(frozen=True)
class Probe:
    src: str
    dst: str
    protocol: str
    port: int | None
    expected: bool
    why: str = ""

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Unpacks as the 5-tuple ``(src, dst, protocol, port, expected)``."""
        return iter((self.src, self.dst, self.protocol, self.port, self.expected))


@dataclass(frozen=True)
class Scenario:
    id: str
    example: str
    files: tuple[str, ...]
    probes: tuple[Probe, ...]

    @property
    def paths(self) -> list[Path]:
        return [EXAMPLES / self.example / "cluster.yaml"] + [
            EXAMPLES / self.example / f for f in self.files
        ]


P = Probe
OUTSIDE = "192.0.2.10"  # an address outside the cluster (TEST-NET-1)
KUBE_01, KUBE_02 = "192.168.2.1", "192.168.2.2"

_DENY_ALL = (
    P(OUTSIDE, "org-1/web-1", "TCP", 80, True, "team-netpol (order 1000) allows TCP 80"),
    P(OUTSIDE, "org-1/web-1", "TCP", 8080, False,
      "team-netpol no match; global-deny-all (2000) no match: end of tier default"),
    P("kube-system/coredns", "org-1/web-1", "TCP", 80, True,
      "egress: global-deny-all egress[0] (source in kube-system); ingress: team-netpol"),
    P("org-1/web-1", "kube-system/coredns", "UDP", 53, True,
      "egress: team-netpol has no egress rule, global-deny-all egress[1] allows DNS; "
      "ingress: global-deny-all ingress[0]"),
    P("org-1/web-1", "kube-system/coredns", "TCP", 53, False, "DNS is allowed over UDP only"),
    P("org-2/client", "kube-system/coredns", "UDP", 53, True, "global-deny-all egress[1]"),
    P("org-2/client", "org-1/web-1", "TCP", 80, False,
      "client's egress: only DNS and kube-system are allowed, end of tier"),
    P("org-1/web-1", "org-1/web-2", "TCP", 80, False,
      "web-1's egress: team-netpol isolates egress, only DNS passes global-deny-all"),
    P("org-2/client", OUTSIDE, "TCP", 443, False, "end of tier default for client's egress"),
)
_REDIS_INGRESS = (
    P("default/nodejs", "default/redis", "TCP", 6379, True, "allow-redis-nodejs ingress"),
    P("default/php", "default/redis", "TCP", 6379, False, "redis isolated for ingress"),
    P("default/nodejs", "default/redis", "TCP", 9100, False, "only 6379 is opened"),
    P("default/php", "default/nodejs", "TCP", 80, True, "nodejs is not selected"),
)
_METRICS_INGRESS = (
    P("kube-prometheus/prometheus", "default/redis", "TCP", 9100, True,
      "source namespace has module=prometheus"),
    P("kube-prometheus/prometheus", "default/nodejs", "TCP", 9100, True, "every pod of default"),
    P("kube-prometheus/prometheus", "default/redis", "TCP", 6379, False, "only 9100"),
    P("default/nodejs", "default/redis", "TCP", 9100, False, "default lacks module=prometheus"),
    P("default/nodejs", "default/redis", "TCP", 6379, False,
      "alone the policy isolates every pod of default"),
)
_BLOCK_ICMP = (
    P("default/a", "default/b", "ICMP", None, False, "block-icmp egress[0] Deny ICMP"),
    P("default/a", KUBE_02, "ICMP", None, False, "pod → node: a's egress denies ICMP"),
    P(KUBE_01, "default/a", "ICMP", None, False, "node → pod: a's ingress denies ICMP"),
    P(KUBE_01, KUBE_02, "ICMP", None, True, "node ↔ node: no endpoint is policed"),
    P("default/a", "default/b", "TCP", 80, False,
      "block-icmp selects every pod and has only Deny rules: end of tier drops TCP too"),
)
_HEP_ICMP = (
    P(KUBE_01, "host/kube-02/eth0", "ICMP", None, True,
      "kube-02's ingress: deny-icmp-kube-02 (order 0) allows ICMP before block-icmp"),
    P("host/kube-02/eth0", KUBE_01, "ICMP", None, True, "kube-02's egress: order 0 allows"),
    P("default/a", "host/kube-02/eth0", "ICMP", None, False, "a's egress: block-icmp denies"),
    P("host/kube-02/eth0", "default/a", "ICMP", None, False, "a's ingress: block-icmp denies"),
    P(KUBE_01, "host/kube-02/eth0", "TCP", 22, True, "Felix failsafe: inbound TCP 22"),
    P(KUBE_01, "host/kube-02/eth0", "TCP", 80, False,
      "policies select kube-02 and none allows TCP 80: end of tier"),
    P("host/kube-02/eth0", KUBE_01, "UDP", 53, True, "Felix failsafe: outbound UDP 53"),
    P("host/kube-02/eth0", KUBE_01, "TCP", 443, False, "end of tier for kube-02's egress"),
)
_VPN = (
    P(OUTSIDE, "host/kube-02/*", "TCP", 6379, False, "vpn-rules (pre-DNAT) ingress[0] Deny"),
    P(OUTSIDE, "host/kube-02/*", "UDP", 53, True, "vpn-rules (pre-DNAT) ingress[1] Allow"),
    P(OUTSIDE, "host/kube-02/*", "UDP", 67, True, "vpn-rules (pre-DNAT) ingress[1] Allow"),
    P(OUTSIDE, "host/kube-02/*", "TCP", 22, True, "Felix failsafe: inbound TCP 22"),
    P(OUTSIDE, "host/kube-02/*", "TCP", 80, False,
      "pre-DNAT has no default drop; no normal policy selects the host endpoint: "
      "host endpoint default deny"),
)

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("global-deny-all", "calico-global-deny-all",
             ("policies/01-global-deny-all.yaml", "policies/02-team-netpol.yaml"), _DENY_ALL),
    Scenario("redis-nodejs-calico", "calico-redis-nodejs",
             ("policies/calico/allow-redis-nodejs.yaml",), (*_REDIS_INGRESS,
                 P("default/redis", "default/nodejs", "TCP", 80, False,
                   "crd.projectcalico.org/v1 without types: egress is shut too"))),
    Scenario("redis-nodejs-kubernetes", "calico-redis-nodejs",
             ("policies/kubernetes/allow-redis-nodejs.yaml",), (*_REDIS_INGRESS,
                 P("default/redis", "default/nodejs", "TCP", 80, True,
                   "policyTypes defaults to [Ingress]: egress stays open"))),
    Scenario("metrics-prom-calico", "calico-metrics-prom",
             ("policies/calico/allow-metrics-prom.yaml",), (*_METRICS_INGRESS,
                 P("default/nodejs", OUTSIDE, "TCP", 443, False,
                   "crd.projectcalico.org/v1 without types: every pod's egress is shut"))),
    Scenario("metrics-prom-kubernetes", "calico-metrics-prom",
             ("policies/kubernetes/allow-metrics-prom.yaml",), (*_METRICS_INGRESS,
                 P("default/nodejs", OUTSIDE, "TCP", 443, True,
                   "egress stays open"))),
    Scenario("block-icmp", "calico-block-icmp", ("policies/01-block-icmp.yaml",), _BLOCK_ICMP),
    Scenario("host-endpoint-icmp", "calico-host-endpoint-icmp",
             ("policies/01-block-icmp.yaml", "policies/02-deny-icmp-kube-02.yaml"), _HEP_ICMP),
    Scenario("vpn-rules", "calico-vpn", ("policies/01-vpn-rules.yaml",), _VPN),
)
