"""Calico host endpoints, tiers, Pass, Log and ICMP in the rendered ruleset (text and kernel).

Golden fragments from the seed's examples; the kernel tests load the whole
ruleset with ``nft -f`` inside a throwaway ``nwt-`` namespace.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from netwarden import load_cluster
from netwarden.dataplane import RenderOptions, Ruleset, full_transaction, render_ruleset
from netwarden.dataplane.nft import FakeNft, SystemNft

from .conftest import NetnsFactory, in_ns

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
OPTS = RenderOptions(pod_interface_prefix="nwv")


def render(example: str, ifaces: dict[str, str] | None = None) -> Ruleset:
    return render_ruleset(load_cluster([EXAMPLES / example]), "kube-02", ifaces or {}, OPTS)


def bodies(rs: Ruleset, name: str) -> list[str]:
    return [r.body for r in rs.chain(name).rules]


def test_host_endpoint_hooks_and_priorities() -> None:
    rs = render("calico-vpn")
    hooks = {c.name: (c.hook, c.priority) for c in rs.chains if c.is_base}
    assert hooks == {"forward": ("forward", 0), "hep-prednat": ("prerouting", -101),
                     "hep-input": ("input", 0), "hep-output": ("output", 0)}
    # interfaceName "*": every interface but lo and the pods'.
    assert bodies(rs, "hep-prednat")[0] == (
        'iifname != "lo" iifname != "nwv*" jump hep-host/kube-02/__8bb590-prednat-ingress')
    assert bodies(rs, "hep-input")[:2] == ["ct state established,related accept",
                                           "meta mark & 0x40000 != 0 return"]


def test_pre_dnat_chain_has_failsafe_then_rules_and_no_default_drop() -> None:
    rs = render("calico-vpn")
    chain = bodies(rs, "hep-host/kube-02/__8bb590-prednat-ingress")
    assert not any(b.endswith("drop") for b in chain)
    policy = next(c for c in rs.chains if c.name.startswith("pol-global_vpn-rules"))
    assert [r.comment for r in policy.rules] == ["global:vpn-rules ingress[0]",
                                                 "global:vpn-rules ingress[1]"]
    assert policy.rules[0].body.endswith("counter drop")
    # normal host policy: failsafe, then the host endpoint default deny
    assert bodies(rs, "hep-host/kube-02/__8bb590-input-ingress")[-1] == "counter drop"


def test_host_endpoint_icmp_tiers_and_end_of_tier() -> None:
    rs = render("calico-host-endpoint-icmp")
    chain = bodies(rs, "hep-host/kube-02/eth0-input-ingress")
    jumps = [b.split("jump ")[1].split("_")[1] for b in chain if b.startswith("jump")]
    assert jumps == ["felix", "deny-icmp-kube-02", "block-icmp"]
    assert chain[-2:] == ["counter drop", "counter drop"]  # end of tier default, host default
    assert bodies(rs, "hep-input")[-1] == 'iifname "eth0" jump hep-host/kube-02/eth0-input-ingress'


def test_untracked_policy_goes_to_raw_with_notrack(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("""
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: n-eth0, labels: {role: node}}
spec: {node: kube-02, interfaceName: eth0, expectedIPs: [192.168.2.2]}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: fast-dns}
spec:
  selector: role == 'node'
  doNotTrack: true
  applyOnForward: true
  ingress: [{action: Allow, protocol: UDP, destination: {ports: [53]}}, {action: Log}]
  egress: [{action: Allow, protocol: UDP, source: {ports: [53]}}]
""")
    rs = render_ruleset(load_cluster([tmp_path]), "kube-02", {}, OPTS)
    assert (rs.chain("hep-raw-in").hook, rs.chain("hep-raw-in").priority) == ("prerouting", -300)
    assert (rs.chain("hep-raw-out").hook, rs.chain("hep-raw-out").priority) == ("output", -300)
    assert any("notrack" in b for b in bodies(rs, "hep-raw-in"))
    log = [r.body for c in rs.chains for r in c.rules if " log " in r.body]
    assert log == ['meta nfproto ipv4 counter limit rate 10/second log prefix '
                   '"nw global:fast-dns ingress[1] "']


def test_apply_on_forward_policy_gets_a_forward_chain(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("""
apiVersion: projectcalico.org/v3
kind: HostEndpoint
metadata: {name: n-eth0, labels: {role: node}}
spec: {node: kube-02, interfaceName: eth0}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: fwd}
spec:
  selector: role == 'node'
  applyOnForward: true
  ingress: [{action: Allow, protocol: ICMP, icmp: {type: 8, code: 0}}]
""")
    rs = render_ruleset(load_cluster([tmp_path]), "kube-02", {}, OPTS)
    assert (rs.chain("hep-forward").hook, rs.chain("hep-forward").priority) == ("forward", -1)
    policy = next(c for c in rs.chains if c.name.startswith("pol-global_fwd"))
    assert "icmp type . icmp code { 8 . 0 }" in policy.rules[0].body


def test_fake_nft_accepts_every_calico_example() -> None:
    for example in sorted(p.name for p in EXAMPLES.glob("calico-*")):
        fake = FakeNft()
        fake.run(full_transaction(render(example)))


# -- kernel ------------------------------------------------------------------------------

# One ICMP echo request over a raw socket (no ping binary needed); exit 0 on a reply.
_PING = """
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1.0)
body = struct.pack("!BBHHH", 8, 0, 0, 0x4e57, 1) + b"netwarden"
c = sum(struct.unpack("!%dH" % (len(body) // 2), body[: len(body) // 2 * 2]))
c += body[-1] << 8 if len(body) % 2 else 0
c = (c >> 16) + (c & 0xFFFF); c = ~(c + (c >> 16)) & 0xFFFF
s.sendto(body[:2] + struct.pack("!H", c) + body[4:], (sys.argv[1], 0))
try:
    while True:
        data = s.recv(1024)
        if data[20] == 0:
            sys.exit(0)
except socket.timeout:
    sys.exit(1)
"""

@pytest.mark.lab
@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.glob("calico-*")))
def test_kernel_loads_calico_rulesets(netns: NetnsFactory, example: str) -> None:
    ns = netns()
    rs = render(example)
    nft = SystemNft(ns)
    nft.run(full_transaction(rs))
    listed = nft.list_table(rs.table)
    for chain in rs.chains:
        assert f"chain {chain.name}" in listed


@pytest.mark.lab
def test_kernel_host_endpoint_icmp_with_real_packets(netns: NetnsFactory) -> None:
    """kube-01 (peer netns) pings kube-02 (node netns, HEP eth0): ICMP allowed, TCP 80 dropped."""
    node, peer = netns(), netns()
    in_ns(node, "ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1")
    in_ns(node, "ip", "link", "set", "eth1", "netns", peer)
    in_ns(node, "ip", "addr", "add", "192.168.2.2/24", "dev", "eth0")
    in_ns(peer, "ip", "addr", "add", "192.168.2.1/24", "dev", "eth1")
    in_ns(node, "ip", "link", "set", "eth0", "up")
    in_ns(peer, "ip", "link", "set", "eth1", "up")
    SystemNft(node).run(full_transaction(render("calico-host-endpoint-icmp")))
    assert in_ns(peer, sys.executable, "-c", _PING, "192.168.2.2", check=False).returncode == 0
    tcp = in_ns(peer, "timeout", "2", "bash", "-c", "echo > /dev/tcp/192.168.2.2/80",
                check=False)
    assert tcp.returncode != 0
    counters = in_ns(node, "nft", "list", "chain", "inet", "netwarden",
                     "hep-host/kube-02/eth0-input-ingress").stdout
    assert "counter packets 0" not in counters.splitlines()[-2]  # the tier-end drop counted it
