"""Loading Calico objects: both API groups, every kind, and Calico's validation."""

from __future__ import annotations

import ipaddress
import textwrap

import pytest

from netwarden._errors import InvalidManifests
from netwarden.ir.selector import All, Eq, Global
from netwarden.load import load_texts
from netwarden.load.calico import KINDS, parse_calico
from netwarden.load.registry import lookup
from netwarden.load.yamlpos import parse_documents
from netwarden.resources import calico as res


def load(text: str) -> object:
    (doc,) = parse_documents(textwrap.dedent(text), "p.yaml")
    return parse_calico(doc)


def policy(spec: str, kind: str = "GlobalNetworkPolicy",
           api: str = "projectcalico.org/v3") -> str:
    body = textwrap.indent(textwrap.dedent(spec), "  ")
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: p\nspec:\n{body}"


def errors_of(text: str) -> list[str]:
    """What the whole loader (strict decoding, then Calico's validation) reports."""
    with pytest.raises(InvalidManifests) as info:
        load_texts([("p.yaml", textwrap.dedent(text))])
    return [str(e) for e in info.value.errors]


@pytest.mark.parametrize("group", ["projectcalico.org", "crd.projectcalico.org"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_registered_for_both_groups(group: str, kind: str):
    assert lookup(group, kind) is parse_calico


def test_network_policy_fields():
    obj = load("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata:
          name: allow-web
          namespace: prod
          labels: {team: a}
        spec:
          tier: security
          order: 10
          selector: app == 'web'
          types: [Ingress]
          ingress:
            - action: Allow
              protocol: TCP
              ipVersion: 4
              source:
                nets: [10.0.0.0/8]
                notNets: [10.1.0.0/16]
                selector: role == 'lb'
                notSelector: canary == 'true'
                namespaceSelector: global()
                serviceAccounts: {names: [lb]}
                ports: ["1000:2000"]
              destination:
                ports: [80, "443", http]
                notPorts: [8080]
    """)
    assert isinstance(obj, res.NetworkPolicy)
    assert obj.meta == res.CalicoMeta("allow-web", "projectcalico.org", "prod",
                                      res.Labels({"team": "a"}))
    spec = obj.spec
    assert (spec.tier, spec.order, spec.types, spec.selector) == (
        "security", 10.0, ("Ingress",), Eq("app", "web"))
    (rule,) = spec.ingress
    assert (rule.action, rule.protocol, rule.ip_version) == ("Allow", "TCP", 4)
    src = rule.source
    assert src.nets == (ipaddress.ip_network("10.0.0.0/8"),)
    assert src.not_nets == (ipaddress.ip_network("10.1.0.0/16"),)
    assert (src.selector, src.not_selector, src.namespace_selector) == (
        Eq("role", "lb"), Eq("canary", "true"), Global())
    assert src.service_account_names == ("lb",)
    assert src.ports == (res.PortEntry(1000, 2000),)
    assert rule.destination.ports == (
        res.PortEntry(80, 80), res.PortEntry(443, 443), res.PortEntry(name="http"))
    assert rule.destination.not_ports == (res.PortEntry(8080, 8080),)


def test_defaults_and_groups():
    obj = load(policy("ingress: [{action: Deny}]\n", api="crd.projectcalico.org/v1"))
    assert isinstance(obj, res.GlobalNetworkPolicy)
    assert obj.meta.api_group == "crd.projectcalico.org"
    assert (obj.spec.selector, obj.spec.tier, obj.spec.order, obj.spec.types) == (
        All(), None, None, ())


def test_tier_host_endpoint_and_network_sets():
    tier = load("""\
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: security}
        spec: {order: 100, defaultAction: Pass}
    """)
    assert tier == res.Tier(res.CalicoMeta("security", "projectcalico.org"), 100.0, "Pass")
    hep = load("""\
        apiVersion: crd.projectcalico.org/v1
        kind: HostEndpoint
        metadata: {name: n1-eth0, labels: {role: node}}
        spec:
          node: n1
          interfaceName: eth0
          expectedIPs: [192.168.1.1]
          ports: [{name: ssh, port: 22, protocol: TCP}]
    """)
    assert isinstance(hep, res.HostEndpoint)
    assert (hep.node, hep.interface_name, hep.expected_ips, hep.ports) == (
        "n1", "eth0", (ipaddress.ip_address("192.168.1.1"),), (res.EndpointPort("ssh", 22),))
    ns = load("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkSet
        metadata: {name: ext, namespace: prod}
        spec: {nets: [1.2.3.4, "2001:db8::/32"]}
    """)
    assert ns == res.NetworkSet(res.CalicoMeta("ext", "projectcalico.org", "prod"), (
        ipaddress.ip_network("1.2.3.4/32"), ipaddress.ip_network("2001:db8::/32")))
    gns = load("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata: {name: ext, namespace: ignored}
        spec: {nets: [10.0.0.0/8]}
    """)
    assert isinstance(gns, res.GlobalNetworkSet) and gns.meta.namespace is None


INVALID = [
    ("bad action", "ingress: [{action: allow}]\n",
     ['p.yaml:6: spec.ingress[0].action: unsupported value "allow": must be one of "Allow", '
      '"Deny", "Pass", "Log"']),
    ("missing action", "ingress: [{protocol: TCP}]\n",
     ["p.yaml:6: spec.ingress[0].action: is required"]),
    ("protocol case", "ingress: [{action: Allow, protocol: tcp}]\n",
     ['p.yaml:6: spec.ingress[0].protocol: unsupported value "tcp": must be one of TCP, UDP, '
      "ICMP, ICMPv6, SCTP, UDPLite or a number 1-255"]),
    ("protocol 0", "ingress: [{action: Allow, protocol: 0}]\n",
     ["p.yaml:6: spec.ingress[0].protocol: unsupported value 0: must be one of TCP, UDP, "
      "ICMP, ICMPv6, SCTP, UDPLite or a number 1-255"]),
    ("ports without protocol", "ingress: [{action: Allow, destination: {ports: [80]}}]\n",
     ["p.yaml:6: spec.ingress[0].destination.ports: ports need protocol TCP, UDP, SCTP "
      "or UDPLite"]),
    ("named ports without protocol",
     "ingress: [{action: Allow, source: {notPorts: [http]}}]\n",
     ["p.yaml:6: spec.ingress[0].source.notPorts: ports need protocol TCP, UDP, SCTP "
      "or UDPLite"]),
    ("ports with ICMP", "ingress: [{action: Allow, protocol: ICMP, destination: {ports: [1]}}]\n",
     ["p.yaml:6: spec.ingress[0].destination.ports: ports need protocol TCP, UDP, SCTP "
      "or UDPLite, not ICMP"]),
    ("port range reversed",
     "ingress: [{action: Allow, protocol: TCP, destination: {ports: ['2000:1000']}}]\n",
     ['p.yaml:6: spec.ingress[0].destination.ports[0]: invalid port range "2000:1000": '
      "the minimum must not be greater than the maximum"]),
    ("port 0", "ingress: [{action: Allow, protocol: UDP, destination: {ports: [0]}}]\n",
     ["p.yaml:6: spec.ingress[0].destination.ports[0]: invalid port 0: "
      "must be between 1 and 65535, inclusive"]),
    ("port range 0", "ingress: [{action: Allow, protocol: UDP, destination: {ports: ['0:10']}}]\n",
     ['p.yaml:6: spec.ingress[0].destination.ports[0]: invalid port range "0:10": '
      "must be between 1 and 65535, inclusive"]),
    ("icmp type", "ingress: [{action: Allow, protocol: ICMP, icmp: {type: 255}}]\n",
     ["p.yaml:6: spec.ingress[0].icmp.type: invalid ICMP type 255: "
      "must be between 0 and 254, inclusive"]),
    ("icmp code", "ingress: [{action: Allow, protocol: ICMP, icmp: {type: 3, code: 256}}]\n",
     ["p.yaml:6: spec.ingress[0].icmp.code: invalid ICMP code 256: "
      "must be between 0 and 255, inclusive"]),
    ("icmp code without type", "ingress: [{action: Allow, protocol: ICMP, icmp: {code: 1}}]\n",
     ["p.yaml:6: spec.ingress[0].icmp.code: an ICMP code needs an ICMP type"]),
    ("icmp without protocol", "ingress: [{action: Allow, protocol: TCP, icmp: {type: 8}}]\n",
     ["p.yaml:6: spec.ingress[0].icmp: icmp needs protocol ICMP or ICMPv6"]),
    ("icmp ipVersion", "ingress: [{action: Allow, protocol: ICMP, ipVersion: 6}]\n",
     ["p.yaml:6: spec.ingress[0].ipVersion: must be 4 with protocol ICMP"]),
    ("icmpv6 ipVersion", "egress: [{action: Allow, notProtocol: ICMPv6, ipVersion: 4}]\n",
     ["p.yaml:6: spec.egress[0].ipVersion: must be 6 with protocol ICMPv6"]),
    ("ipVersion value", "egress: [{action: Allow, ipVersion: 5}]\n",
     ["p.yaml:6: spec.egress[0].ipVersion: unsupported value 5: must be 4 or 6"]),
    ("mixed families",
     "egress: [{action: Allow, source: {nets: [10.0.0.0/8]}, destination: {nets: ['::/0']}}]\n",
     ["p.yaml:6: spec.egress[0].destination.nets: a rule cannot mix IPv4 and IPv6 CIDRs"]),
    ("family vs ipVersion",
     "egress: [{action: Allow, ipVersion: 6, source: {nets: [10.0.0.0/8]}}]\n",
     ["p.yaml:6: spec.egress[0].source.nets: CIDR versions do not match ipVersion 6"]),
    ("bad cidr", "egress: [{action: Allow, source: {nets: [10.0.0.300/8]}}]\n",
     ['p.yaml:6: spec.egress[0].source.nets[0]: invalid CIDR "10.0.0.300/8": must be a valid '
      "CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)"]),
    ("preDNAT needs applyOnForward", "preDNAT: true\n",
     ["p.yaml:6: spec.preDNAT: preDNAT needs applyOnForward: true"]),
    ("doNotTrack needs applyOnForward", "doNotTrack: true\n",
     ["p.yaml:6: spec.doNotTrack: doNotTrack needs applyOnForward: true"]),
    ("preDNAT and doNotTrack", "applyOnForward: true\npreDNAT: true\ndoNotTrack: true\n",
     ["p.yaml:7: spec.preDNAT: preDNAT and doNotTrack cannot both be true"]),
    ("preDNAT egress",
     "applyOnForward: true\npreDNAT: true\ntypes: [Egress]\negress: [{action: Deny}]\n",
     ["p.yaml:8: spec.types: a preDNAT policy cannot have type Egress",
      "p.yaml:9: spec.egress: a preDNAT policy cannot have egress rules"]),
    ("bad selector", "selector: app = 'x'\n",
     ["p.yaml:6: spec.selector: invalid selector \"app = 'x'\" at position 4: "
      "unexpected character '='"]),
    ("rule selector", "ingress: [{action: Allow, source: {selector: 'has (a)'}}]\n",
     ["p.yaml:6: spec.ingress[0].source.selector: invalid selector 'has (a)' at position 3: "
      "no space is allowed between 'has' and '('"]),
    ("global in selector", "selector: global()\n",
     ["p.yaml:6: spec.selector: global() is only valid as a whole namespaceSelector, "
      "not in a selector"]),
    ("global mixed",
     "ingress: [{action: Allow, source: {namespaceSelector: 'global() || a == \"b\"'}}]\n",
     ["p.yaml:6: spec.ingress[0].source.namespaceSelector: global() must be the whole "
      "namespaceSelector"]),
    ("types", "types: [Ingress, ingress, Ingress]\n",
     ['p.yaml:6: spec.types[1]: unsupported value "ingress": must be "Ingress" or "Egress"',
      'p.yaml:6: spec.types[2]: duplicate value "Ingress"']),
    ("order", "order: high\n", ["p.yaml:6: spec.order: must be a number, got string 'high'"]),
    ("unknown field (lost indentation)", "action: Allow\n",
     ["p.yaml:6: spec.action: unknown field"]),
    ("http", "ingress: [{action: Allow, http: {methods: [GET]}}]\n",
     ["p.yaml:6: spec.ingress[0].http: HTTP matches need an application-layer proxy; "
      "netwarden does not model them"]),
    ("sa selector", "ingress: [{action: Allow, source: {serviceAccounts: {selector: a == 'b'}}}]\n",
     ["p.yaml:6: spec.ingress[0].source.serviceAccounts.selector: service account selectors "
      "are not supported by netwarden yet"]),
]


@pytest.mark.parametrize(
    ("spec", "expected"), [i[1:] for i in INVALID], ids=[i[0] for i in INVALID]
)
def test_invalid_policy(spec: str, expected: list[str]):
    assert errors_of(policy(spec)) == expected


def test_global_only_fields_rejected_on_network_policy():
    assert errors_of(policy("preDNAT: true\n", kind="NetworkPolicy")) == [
        "p.yaml:6: spec.preDNAT: unknown field"]


def test_every_problem_is_reported_at_once():
    errors = errors_of(policy("order: x\ningress: [{action: Nope, protocol: tcp}]\n"))
    assert len(errors) == 3


def test_invalid_other_kinds():
    assert errors_of("""\
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata: {name: h}
        spec: {expectedIPs: [300.1.1.1]}
    """) == [
        "p.yaml:4: spec.node: is required",
        'p.yaml:4: spec.expectedIPs[0]: invalid IP address "300.1.1.1": must be a valid IP '
        "address (e.g. 10.9.8.7 or 2001:db8::ffff)",
    ]
    assert errors_of("""\
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: t}
        spec: {defaultAction: Allow}
    """) == [
        'p.yaml:4: spec.defaultAction: unsupported value "Allow": must be "Deny" or "Pass"']
    assert errors_of("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata: {name: s, labels: {projectcalico.org/namespace: x}}
        spec: {nets: [1.2.3.0/24]}
    """) == ["p.yaml:3: metadata.labels: projectcalico.org/namespace is not a valid label name"]
    assert errors_of("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkSet
        metadata: {namespace: x}
    """) == ["p.yaml:3: metadata.name: is required"]


def named(kind: str, name: str, spec: str = "{}", extra: str = "") -> str:
    return (f"apiVersion: projectcalico.org/v3\nkind: {kind}\n"
            f"metadata: {{name: {name}{extra}}}\nspec: {spec}\n")


_LABEL_RULE = ("must consist of lowercase alphanumerics or '-', "
               "and start and end with an alphanumeric")
_ONE_DOT = ("must consist of lowercase alphanumerics or '-' with at most one '.', "
            "and start and end with an alphanumeric")
_SUBDOMAIN = ("must consist of lowercase alphanumerics, '-' or '.', "
              "and start and end with an alphanumeric")
_NETS = "{nets: [10.0.0.0/8]}"

INVALID_NAMES = [
    ("tier with a dot", "Tier", '"a.b"', "{}", f'invalid name "a.b": {_LABEL_RULE}'),
    ("tier too long", "Tier", "t" * 64, "{}",
     f'invalid name "{"t" * 64}": must be no more than 63 characters'),
    ("policy unicode", "GlobalNetworkPolicy", "名前", "{}",
     f'invalid name "\\u540d\\u524d": {_ONE_DOT}'),
    ("policy two dots", "GlobalNetworkPolicy", "a.b.c", "{}",
     f'invalid name "a.b.c": {_ONE_DOT}'),
    ("policy newline", "GlobalNetworkPolicy", '"a\\nb"', "{}",
     f'invalid name "a\\nb": {_ONE_DOT}'),
    ("namespaced policy zone", "NetworkPolicy", '"fe80::1%eth0"', "{}",
     f'invalid name "fe80::1%eth0": {_ONE_DOT}'),
    ("policy upper case", "NetworkPolicy", "Web", "{}", f'invalid name "Web": {_ONE_DOT}'),
    ("network set unicode", "NetworkSet", "ünï", _NETS,
     f'invalid name "\\u00fcn\\u00ef": {_SUBDOMAIN}'),
    ("global network set", "GlobalNetworkSet", "a_b", _NETS, f'invalid name "a_b": {_SUBDOMAIN}'),
    ("host endpoint", "HostEndpoint", "-h", "{node: node1, interfaceName: eth0}",
     f'invalid name "-h": {_SUBDOMAIN}'),
]


@pytest.mark.parametrize(("kind", "name", "spec", "message"), [i[1:] for i in INVALID_NAMES],
                         ids=[i[0] for i in INVALID_NAMES])
def test_names_calico_refuses(kind: str, name: str, spec: str, message: str):
    assert errors_of(named(kind, name, spec)) == [f"p.yaml:3: metadata.name: {message}"]


@pytest.mark.parametrize(("kind", "name"), [
    ("GlobalNetworkPolicy", "security.allow-dns"),
    ("NetworkPolicy", "platform.web"),
    ("NetworkPolicy", "knp.default.allow.web"),  # a converted Kubernetes policy
    ("GlobalNetworkSet", "a.b.c"),
    ("Tier", "security"),
])
def test_names_calico_accepts(kind: str, name: str):
    obj = load(named(kind, name, _NETS if "Set" in kind else "{}"))
    assert obj.meta.name == name  # type: ignore[attr-defined]


def test_calico_labels_and_namespace_are_kubernetes_shaped():
    assert errors_of(named("NetworkSet", "s", _NETS,
                           ", namespace: Prod, labels: {'a b': x, app: 'ü'}")) == [
        'p.yaml:3: metadata.labels: invalid key "a b": name part must consist of '
        "alphanumerics, '-', '_' or '.', and start and end with an alphanumeric",
        'p.yaml:3: metadata.labels.app: invalid value "\\u00fc": must be empty or consist of '
        "alphanumerics, '-', '_' or '.', and start and end with an alphanumeric",
        f'p.yaml:3: metadata.namespace: invalid namespace "Prod": {_LABEL_RULE}',
    ]


def test_policy_tier_reference_must_be_a_tier_name():
    assert errors_of(policy("tier: Sec.urity\n")) == [
        f'p.yaml:6: spec.tier: invalid tier name "Sec.urity": {_LABEL_RULE}']


HOST_ENDPOINT_INVALID = [
    ("unicode interface", "{node: node1, interfaceName: 名前}",
     'p.yaml:4: spec.interfaceName: invalid interface name "\\u540d\\u524d": must be "*" or 1-15 '
     "characters, each a letter, a digit, '_', '.' or '-'"),
    ("long interface", "{node: node1, interfaceName: abcdefghijklmnop}",
     'p.yaml:4: spec.interfaceName: invalid interface name "abcdefghijklmnop": must be "*" '
     "or 1-15 characters, each a letter, a digit, '_', '.' or '-'"),
    ("interface with a slash", "{node: node1, interfaceName: eth0/1}",
     'p.yaml:4: spec.interfaceName: invalid interface name "eth0/1": must be "*" '
     "or 1-15 characters, each a letter, a digit, '_', '.' or '-'"),
    ("zone in expected IP", "{node: node1, expectedIPs: ['fe80::1%eth0']}",
     'p.yaml:4: spec.expectedIPs[0]: invalid IP address "fe80::1%eth0": must not have a '
     'zone index ("%eth0")'),
    ("node name", "{node: Node_1, interfaceName: eth0}",
     f'p.yaml:4: spec.node: invalid node name "Node_1": {_SUBDOMAIN}'),
    ("port name", "{node: node1, interfaceName: eth0, ports: [{name: Web, port: 80}]}",
     'p.yaml:4: spec.ports[0].name: invalid port name "Web": must contain only lowercase '
     "alphanumerics and '-'"),
    ("profiles", "{node: node1, interfaceName: eth0, profiles: [allow-all]}",
     "p.yaml:4: spec.profiles: host endpoint profiles are not supported by netwarden yet"),
]


@pytest.mark.parametrize(("spec", "message"), [i[1:] for i in HOST_ENDPOINT_INVALID],
                         ids=[i[0] for i in HOST_ENDPOINT_INVALID])
def test_host_endpoint_fields_calico_refuses(spec: str, message: str):
    assert errors_of(named("HostEndpoint", "h", spec)) == [message]


@pytest.mark.parametrize("interface", ["eth0", "*", "bond0.100", "veth_a-b", "a" * 15])
def test_host_endpoint_interfaces_calico_accepts(interface: str):
    hep = load(named("HostEndpoint", "h", f"{{node: node1, interfaceName: '{interface}'}}"))
    assert isinstance(hep, res.HostEndpoint)
    assert hep.interface_name == interface


def test_host_endpoint_without_interface_or_addresses():
    assert errors_of(named("HostEndpoint", "h", "{node: node1}")) == [
        "p.yaml:4: spec: a host endpoint needs interfaceName or expectedIPs"]
