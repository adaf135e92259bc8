"""The cluster-wide policy conformance scenarios, as data, for the engine and the lab.

The layout is the one of the network-policy-api conformance suite: four
namespaces (gryffindor, slytherin, hufflepuff, ravenclaw, labelled
``conformance-house: <house>``), two pods each (labelled the same), every pod
serving TCP 80 and 8080, UDP 53 and 5353, SCTP 9003 and 9005, with port names
``serve-<port>-<protocol>``. Pod ``<ns>/<pod>-<i>`` has address ``10.0.<n>.<i+1>``.

A step is one state of the cluster's policies (the upstream tests patch
actions and priorities, or delete a NetworkPolicy, between probes) and, per
probed protocol and port, a grid of houses: row = source house, column =
destination house, ``.`` allowed and ``X`` denied, for every pair of distinct
pods of those houses. The scenarios are written here from the upstream tests'
descriptions; none of their manifests is copied.
"""

from __future__ import annotations

from dataclasses import dataclass

HOUSES = ("gryffindor", "slytherin", "hufflepuff", "ravenclaw")
SHORT = {"gry": "gryffindor", "sly": "slytherin", "huf": "hufflepuff", "rav": "ravenclaw"}
STUDENTS = {"gryffindor": "harry-potter", "slytherin": "draco-malfoy",
            "hufflepuff": "cedric-diggory", "ravenclaw": "luna-lovegood"}
SERVED = ((80, "TCP"), (8080, "TCP"), (53, "UDP"), (5353, "UDP"), (9003, "SCTP"),
          (9005, "SCTP"))


def ns(house: str) -> str:
    return f"network-policy-conformance-{house}"


PODS = tuple(f"{ns(h)}/{STUDENTS[h]}-{i}" for h in HOUSES for i in (0, 1))


def house_of(pod: str) -> str:
    return pod.split("/")[0].removeprefix("network-policy-conformance-")


def _base() -> str:
    docs = []
    for n, house in enumerate(HOUSES, start=1):
        docs.append(f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns(house)}\n"
                    f"  labels: {{conformance-house: {house}}}\n")
        for i in (0, 1):
            ports = "".join(f"    - {{name: serve-{p}-{proto.lower()}, containerPort: {p}, "
                            f"protocol: {proto}}}\n" for p, proto in SERVED)
            docs.append(
                f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {STUDENTS[house]}-{i}\n"
                f"  namespace: {ns(house)}\n  labels: {{conformance-house: {house}}}\n"
                f"spec:\n  containers:\n  - name: c\n    ports:\n{ports}"
                f"status:\n  podIP: 10.0.{n}.{i + 1}\n")
    return "---\n".join(docs)


BASE_CLUSTER_YAML = _base()


@dataclass(frozen=True)
class Step:
    """One state of the policies and the verdicts expected in it."""

    id: str
    policies: str
    grids: tuple[tuple[str, int, str], ...]  # (protocol, port, house grid)


def parse_house_grid(text: str) -> dict[tuple[str, str], bool]:
    """``{(source house, destination house): allowed}`` from a grid of short names."""
    lines = [line.split() for line in text.strip().splitlines()]
    header = [SHORT[h] for h in lines[0]]
    out: dict[tuple[str, str], bool] = {}
    for row in lines[1:]:
        source = SHORT[row[0]]
        for dest, cell in zip(header, row[1:], strict=True):
            out[source, dest] = cell == "."
    return out


def expected_for(grid: str, src: str, dst: str) -> bool:
    return parse_house_grid(grid)[house_of(src), house_of(dst)]


# -- policy builders ----------------------------------------------------------
V1 = "policy.networking.k8s.io/v1alpha1"
V2 = "policy.networking.k8s.io/v1alpha2"


def houses_peer(house: str) -> str:
    return f"namespaces: {{matchLabels: {{conformance-house: {house}}}}}"


def pods_peer(house: str) -> str:
    return (f"pods: {{namespaceSelector: {{matchLabels: {{conformance-house: {house}}}}}, "
            f"podSelector: {{matchLabels: {{conformance-house: {house}}}}}}}")


def admin(name: str, priority: int, subject: str, ingress: str = "", egress: str = "",
          *, v2: bool = False, tier: str = "Admin") -> str:
    """An ANP (or, with ``v2``, a ClusterNetworkPolicy of ``tier``)."""
    head = (f"apiVersion: {V2}\nkind: ClusterNetworkPolicy\nmetadata: {{name: {name}}}\n"
            f"spec:\n  tier: {tier}\n  priority: {priority}\n") if v2 else (
        f"apiVersion: {V1}\nkind: AdminNetworkPolicy\nmetadata: {{name: {name}}}\n"
        f"spec:\n  priority: {priority}\n")
    return head + _body(subject, ingress, egress)


def baseline(subject: str, ingress: str = "", egress: str = "") -> str:
    return (f"apiVersion: {V1}\nkind: BaselineAdminNetworkPolicy\n"
            "metadata: {name: default}\nspec:\n" + _body(subject, ingress, egress))


def _body(subject: str, ingress: str, egress: str) -> str:
    text = f"  subject: {{{subject}}}\n"
    if ingress:
        text += "  ingress:\n" + _indent(ingress)
    if egress:
        text += "  egress:\n" + _indent(egress)
    return text


def _indent(rules: str) -> str:
    return "".join(f"  {line}\n" for line in rules.strip("\n").splitlines())


def rule(action: str, peers_key: str, *peers: str, ports: str = "") -> str:
    text = f"- action: {action}\n  {peers_key}:\n" + "".join(f"  - {{{p}}}\n" for p in peers)
    if ports:
        text += ports
    return text


def np_gry_allows_sly() -> str:
    """NetworkPolicy in gryffindor: ingress only from and egress only to slytherin."""
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
            f"  name: allow-slytherin\n  namespace: {ns('gryffindor')}\nspec:\n"
            "  podSelector: {}\n  policyTypes: [Ingress, Egress]\n"
            "  ingress:\n  - from: [{namespaceSelector: {matchLabels: "
            "{conformance-house: slytherin}}}]\n"
            "  egress:\n  - to: [{namespaceSelector: {matchLabels: "
            "{conformance-house: slytherin}}}]\n")


def np_deny_ingress(house: str) -> str:
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n"
            f"  name: deny-ingress\n  namespace: {ns(house)}\nspec:\n  podSelector: {{}}\n"
            "  policyTypes: [Ingress]\n")


def join(*docs: str) -> str:
    return "---\n".join(docs)


GRY = "namespaces: {matchLabels: {conformance-house: gryffindor}}"
GRY_PODS = ("pods: {namespaceSelector: {matchLabels: {conformance-house: gryffindor}}, "
            "podSelector: {matchLabels: {conformance-house: gryffindor}}}")
ALLOW = {False: "Allow", True: "Accept"}


# -- scenario: ANP, NetworkPolicy, BANP together (upstream "integration") -------------
def _integration(v2: bool) -> list[Step]:
    tag = "v1alpha2" if v2 else "v1alpha1"

    def policies(ingress: str, egress: str, with_np: bool = True) -> str:
        anp = admin("pass-example", 10, GRY, rule(ingress, "from", houses_peer("slytherin")),
                    rule(egress, "to", houses_peer("slytherin")), v2=v2)
        if v2:
            banp = admin("baseline", 10, GRY, rule("Deny", "from", houses_peer("slytherin")),
                         rule("Deny", "to", houses_peer("slytherin")), v2=True,
                         tier="Baseline")
        else:
            banp = baseline(GRY, rule("Deny", "from", houses_peer("slytherin")),
                            rule("Deny", "to", houses_peer("slytherin")))
        return join(anp, *([np_gry_allows_sly()] if with_np else []), banp)

    deny_both = """
        gry sly huf rav
    gry  X   X   X   X
    sly  X   .   .   .
    huf  X   .   .   .
    rav  X   .   .   .
    """
    pass_ingress = """
        gry sly huf rav
    gry  X   X   X   X
    sly  .   .   .   .
    huf  X   .   .   .
    rav  X   .   .   .
    """
    pass_both = """
        gry sly huf rav
    gry  X   .   X   X
    sly  .   .   .   .
    huf  X   .   .   .
    rav  X   .   .   .
    """
    baseline_decides = """
        gry sly huf rav
    gry  .   X   .   .
    sly  X   .   .   .
    huf  .   .   .   .
    rav  .   .   .   .
    """
    probes = (("TCP", 80), ("TCP", 8080), ("UDP", 53), ("SCTP", 9003))
    return [
        Step(f"integration-{tag}-deny", policies("Deny", "Deny"),
             tuple((p, n, deny_both) for p, n in probes)),
        Step(f"integration-{tag}-ingress-pass", policies("Pass", "Deny"),
             tuple((p, n, pass_ingress) for p, n in probes)),
        Step(f"integration-{tag}-both-pass", policies("Pass", "Pass"),
             tuple((p, n, pass_both) for p, n in probes)),
        Step(f"integration-{tag}-np-deleted", policies("Pass", "Pass", with_np=False),
             tuple((p, n, baseline_decides) for p, n in probes)),
    ]


# -- scenario: priorities (upstream "priority field") ---------------------------------
def _priority(v2: bool) -> list[Step]:
    tag = "v1alpha2" if v2 else "v1alpha1"
    allow = ALLOW[v2]

    def policies(pass_priority: int, baseline_action: str) -> str:
        deny = admin("priority-50", 50, GRY_PODS, rule("Deny", "from", pods_peer("slytherin")),
                     rule("Deny", "to", pods_peer("slytherin")), v2=v2)
        passing = admin("priority-moves", pass_priority, GRY_PODS,
                        rule("Pass", "from", pods_peer("slytherin")),
                        rule("Pass", "to", pods_peer("slytherin")), v2=v2)
        action = allow if baseline_action == "Allow" else baseline_action
        if v2:
            base = admin("baseline", 1, GRY_PODS, rule(action, "from", pods_peer("slytherin")),
                         rule(action, "to", pods_peer("slytherin")), v2=True,
                         tier="Baseline")
        else:
            base = baseline(GRY_PODS, rule(action, "from", pods_peer("slytherin")),
                            rule(action, "to", pods_peer("slytherin")))
        return join(deny, passing, base)

    denied = """
        gry sly huf rav
    gry  .   X   .   .
    sly  X   .   .   .
    huf  .   .   .   .
    rav  .   .   .   .
    """
    everything = """
        gry sly huf rav
    gry  .   .   .   .
    sly  .   .   .   .
    huf  .   .   .   .
    rav  .   .   .   .
    """
    probes = (("TCP", 80), ("UDP", 5353))
    return [
        Step(f"priority-{tag}-deny-at-50-first", policies(60, "Allow"),
             tuple((p, n, denied) for p, n in probes)),
        Step(f"priority-{tag}-pass-moved-to-40", policies(40, "Allow"),
             tuple((p, n, everything) for p, n in probes)),
        Step(f"priority-{tag}-pass-to-baseline-deny", policies(40, "Deny"),
             tuple((p, n, denied) for p, n in probes)),
    ]


# -- scenario: ports, and Allow overriding NetworkPolicy -------------------------------
def _ports(v2: bool) -> list[Step]:
    tag = "v1alpha2" if v2 else "v1alpha1"
    allow = ALLOW[v2]
    if v2:
        sctp9005 = "  protocols:\n  - sctp: {destinationPort: {number: 9005}}\n"
        tcp80 = "  protocols:\n  - tcp: {destinationPort: {number: 80}}\n"
        udp_range = ("  protocols:\n  - udp: {destinationPort: {range: {start: 5000, "
                     "end: 6000}}}\n")
    else:
        sctp9005 = "  ports:\n  - portNumber: {protocol: SCTP, port: 9005}\n"
        tcp80 = "  ports:\n  - portNumber: {protocol: TCP, port: 80}\n"
        udp_range = "  ports:\n  - portRange: {protocol: UDP, start: 5000, end: 6000}\n"
    anp = admin("ports", 5, GRY,
                rule(allow, "from", houses_peer("ravenclaw"), ports=tcp80)
                + rule("Deny", "from", houses_peer("ravenclaw"))
                + rule(allow, "from", houses_peer("slytherin"), ports=sctp9005),
                rule(allow, "to", houses_peer("hufflepuff"), ports=udp_range)
                + rule("Deny", "to", houses_peer("hufflepuff")), v2=v2)
    policies = join(anp, np_deny_ingress("gryffindor"))
    return [Step(f"ports-{tag}", policies, (
        ("TCP", 80, """
            gry sly huf rav
        gry  X   .   X   .
        sly  X   .   .   .
        huf  X   .   .   .
        rav  .   .   .   .
        """),
        ("TCP", 8080, """
            gry sly huf rav
        gry  X   .   X   .
        sly  X   .   .   .
        huf  X   .   .   .
        rav  X   .   .   .
        """),
        ("UDP", 5353, """
            gry sly huf rav
        gry  X   .   .   .
        sly  X   .   .   .
        huf  X   .   .   .
        rav  X   .   .   .
        """),
        ("UDP", 53, """
            gry sly huf rav
        gry  X   .   X   .
        sly  X   .   .   .
        huf  X   .   .   .
        rav  X   .   .   .
        """),
        ("SCTP", 9005, """
            gry sly huf rav
        gry  X   .   X   .
        sly  .   .   .   .
        huf  X   .   .   .
        rav  X   .   .   .
        """),
        ("SCTP", 9003, """
            gry sly huf rav
        gry  X   .   X   .
        sly  X   .   .   .
        huf  X   .   .   .
        rav  X   .   .   .
        """),
    ))]


# -- scenario: both sides still needed; named ports; ANP with CNP ------------------------
def _both_sides() -> list[Step]:
    named = admin("named-port-out", 1, GRY,
                  egress=rule("Allow", "to", houses_peer("slytherin"),
                              ports="  ports:\n  - namedPort: serve-80-tcp\n"))
    accept = admin("slytherin-accepts-gryffindor", 2,
                   "namespaces: {matchLabels: {conformance-house: slytherin}}",
                   ingress=rule("Accept", "from", houses_peer("gryffindor")), v2=True)
    isolated = """
        gry sly huf rav
    gry  .   X   .   .
    sly  .   X   .   .
    huf  .   X   .   .
    rav  .   X   .   .
    """
    accepted = """
        gry sly huf rav
    gry  .   .   .   .
    sly  .   X   .   .
    huf  .   X   .   .
    rav  .   X   .   .
    """
    probes = (("TCP", 80), ("TCP", 8080))
    return [
        Step("both-sides-egress-allow-needs-ingress", join(named, np_deny_ingress("slytherin")),
             tuple((p, n, isolated) for p, n in probes)),
        Step("both-sides-admin-accept-overrides-np",
             join(named, accept, np_deny_ingress("slytherin")),
             tuple((p, n, accepted) for p, n in probes)),
    ]


# -- scenario: v1alpha2 Baseline Pass falls to the default allow; networks peers ----------
def _baseline_pass_and_networks() -> list[Step]:
    base_pass = admin("baseline-pass", 1, GRY, rule("Pass", "from", houses_peer("slytherin")),
                      v2=True, tier="Baseline")
    base_deny = admin("baseline-deny", 2, GRY, rule("Deny", "from", houses_peer("slytherin")),
                      v2=True, tier="Baseline")
    networks = admin("no-slytherin-addresses", 3, GRY,
                     egress=rule("Deny", "to", "networks: [10.0.2.0/24]"))
    everything = """
        gry sly huf rav
    gry  .   .   .   .
    sly  .   .   .   .
    huf  .   .   .   .
    rav  .   .   .   .
    """
    return [
        Step("baseline-pass-is-default-allow", join(base_pass, base_deny),
             (("TCP", 80, everything),)),
        Step("baseline-deny-without-pass", base_deny, (("TCP", 80, """
            gry sly huf rav
        gry  .   .   .   .
        sly  X   .   .   .
        huf  .   .   .   .
        rav  .   .   .   .
        """),)),
        Step("networks-peer-matches-pod-addresses", networks, (("UDP", 53, """
            gry sly huf rav
        gry  .   X   .   .
        sly  .   .   .   .
        huf  .   .   .   .
        rav  .   .   .   .
        """),)),
    ]


STEPS: list[Step] = [
    *_integration(False), *_integration(True), *_priority(False), *_priority(True),
    *_ports(False), *_ports(True), *_both_sides(), *_baseline_pass_and_networks(),
]
