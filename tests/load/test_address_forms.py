"""Address forms: every address field read as the API server reads it, or a field error.

Pod and ipBlock fields predate strict IP validation (KEP-4858, whose
``StrictIPCIDRValidation`` gate is off by default): IPv4 octets with leading
zeros are decimal and IPv4-mapped IPv6 addresses are IPv4, each with a
warning; host bits in a CIDR are masked off with a warning. A zone index is
never accepted: ``fe80::1%eth0`` used to be read as ``fe80::1`` and then broke
``lab up``.
"""

from __future__ import annotations

import ipaddress
import textwrap

import pytest

from netwarden.load import load_texts

from .load_helpers import errors, np_yaml

POD = "apiVersion: v1\nkind: Pod\nmetadata: {{name: web}}\nstatus: {{{status}}}\n"
CALICO = ("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {{name: s}}\n"
          "spec: {{nets: [{net}]}}\n")
HEP = ("apiVersion: projectcalico.org/v3\nkind: HostEndpoint\nmetadata: {{name: h}}\n"
       "spec: {{node: n1, interfaceName: eth0, expectedIPs: ['{ip}']}}\n")
IP_EXAMPLE = "must be a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)"
CIDR_EXAMPLE = "must be a valid CIDR value (e.g. 10.9.8.0/24 or 2001:db8::/64)"
FUTURE = "the API server accepts it with a warning; a future Kubernetes rejects it"


def _peer_cidr(cidr: str) -> str:
    return np_yaml(f"ingress: [{{from: [{{ipBlock: {{cidr: '{cidr}'}}}}]}}]")


READ = [
    # (case, manifest, the address read, the warning or None)
    ("pod IPv4", POD.format(status="podIP: 10.0.0.5"), "10.0.0.5", None),
    ("pod IPv6 upper case", POD.format(status="podIP: 'FD00::5'"), "fd00::5", None),
    ("pod leading zeros", POD.format(status="podIP: 010.000.000.005"), "10.0.0.5",
     f'test.yaml:4: status.podIP: non-standard IP address "010.000.000.005" is read as '
     f"10.0.0.5 ({FUTURE})"),
    ("pod IPv4-mapped", POD.format(status="podIP: '::ffff:10.0.0.5'"), "10.0.0.5",
     f'test.yaml:4: status.podIP: IPv4-mapped IPv6 address "::ffff:10.0.0.5" is read as '
     f"10.0.0.5 ({FUTURE})"),
    ("cidr", _peer_cidr("10.0.0.0/8"), "10.0.0.0/8", None),
    ("cidr prefix with leading zero", _peer_cidr("10.0.0.0/08"), "10.0.0.0/8", None),
    ("cidr host bits", _peer_cidr("10.0.0.1/24"), "10.0.0.0/24",
     'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: CIDR value "10.0.0.1/24" has bits set '
     "beyond the prefix length; read as 10.0.0.0/24 (the API server accepts it with a "
     "warning: 10.0.0.0/24 or 10.0.0.1/32?)"),
    ("cidr leading zeros", _peer_cidr("010.0.0.0/8"), "10.0.0.0/8",
     f'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: non-standard CIDR value "010.0.0.0/8" '
     f"is read as 10.0.0.0/8 ({FUTURE})"),
    ("cidr IPv4-mapped", _peer_cidr("::ffff:10.0.0.0/104"), "10.0.0.0/8",
     'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: non-standard CIDR value '
     f'"::ffff:10.0.0.0/104" is read as 10.0.0.0/8 ({FUTURE})'),
]

REJECTED = [
    ("pod zone index", POD.format(status="podIP: 'fe80::1%eth0'"),
     'test.yaml:4: status.podIP: invalid IP address "fe80::1%eth0": must not have a zone '
     'index ("%eth0")'),
    ("podIPs entry", POD.format(status="podIPs: [{ip: 10.0.0.256}]"),
     f'test.yaml:4: status.podIPs[0].ip: invalid IP address "10.0.0.256": {IP_EXAMPLE}'),
    ("hostIP", POD.format(status="hostIP: node-1"),
     f'test.yaml:4: status.hostIP: invalid IP address "node-1": {IP_EXAMPLE}'),
    ("pod CIDR for an IP", POD.format(status="podIP: 10.0.0.5/32"),
     f'test.yaml:4: status.podIP: invalid IP address "10.0.0.5/32": {IP_EXAMPLE}'),
    ("pod hex octet", POD.format(status="podIP: 0x0a.0.0.5"),
     f'test.yaml:4: status.podIP: invalid IP address "0x0a.0.0.5": {IP_EXAMPLE}'),
    ("cidr zone index", _peer_cidr("fe80::1%eth0/64"),
     'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "fe80::1%eth0/64": '
     'must not have a zone index ("%eth0")'),
    ("cidr without a prefix", _peer_cidr("10.0.0.0"),
     f'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.0": {CIDR_EXAMPLE}'),
    ("cidr prefix too long", _peer_cidr("fd00::/129"),
     f'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "fd00::/129": '
     f"{CIDR_EXAMPLE}"),
    ("cidr signed prefix", _peer_cidr("10.0.0.0/+8"),
     f'np.yaml:7: spec.ingress[0].from[0].ipBlock.cidr: invalid CIDR "10.0.0.0/+8": '
     f"{CIDR_EXAMPLE}"),
    ("calico net zone index", CALICO.format(net="'fe80::1%eth0'"),
     'test.yaml:4: spec.nets[0]: invalid CIDR "fe80::1%eth0": must not have a zone index '
     '("%eth0")'),
    ("calico net leading zeros", CALICO.format(net="010.0.0.0/8"),
     f'test.yaml:4: spec.nets[0]: invalid CIDR "010.0.0.0/8": {CIDR_EXAMPLE}'),
    ("calico expected IP zone index", HEP.format(ip="fe80::1%eth0"),
     'test.yaml:4: spec.expectedIPs[0]: invalid IP address "fe80::1%eth0": must not have a '
     'zone index ("%eth0")'),
]


def _file(manifest: str) -> str:
    return "np.yaml" if "NetworkPolicy" in manifest.split("\n")[1] else "test.yaml"


@pytest.mark.parametrize(("manifest", "address", "warning"), [c[1:] for c in READ],
                         ids=[c[0] for c in READ])
def test_an_address_is_read_as_the_api_server_reads_it(
    manifest: str, address: str, warning: str | None
) -> None:
    snap = load_texts([(_file(manifest), textwrap.dedent(manifest))])
    if snap.pods:
        assert snap.pods[0].ips == (ipaddress.ip_address(address),)
    else:
        block = snap.network_policies[0].ingress[0].peers[0].ip_block
        assert block is not None and block.cidr == ipaddress.ip_network(address)
    assert snap.warnings == (() if warning is None else (warning,))


@pytest.mark.parametrize(("manifest", "expected"), [c[1:] for c in REJECTED],
                         ids=[c[0] for c in REJECTED])
def test_an_address_the_api_server_refuses_is_a_field_error(manifest: str, expected: str) -> None:
    assert errors(manifest, _file(manifest)) == [expected]


def test_a_calico_net_may_be_a_single_address() -> None:
    snap = load_texts([("s.yaml", CALICO.format(net="10.0.0.1"))])
    assert snap.calico[0].nets == (ipaddress.ip_network("10.0.0.1/32"),)  # type: ignore[attr-defined]
