from __future__ import annotations

import ipaddress

from netwarden import ir
from netwarden.dataplane import RenderOptions, Ruleset, endpoint_chain, render_ruleset
from netwarden.ir.selector import Eq
from netwarden.ir.services import ICMP, TCP

from .builders import allow, make_pod, make_policy, peer, ports

IN, OUT = ir.Direction.INGRESS, ir.Direction.EGRESS
WEB = make_pod("web", ips=("10.0.0.2", "fd00::2"), named_ports=(("http", 8080, TCP),))
CLIENT = make_pod("client", ips=("10.0.0.3", "fd00::3"))
DB = make_pod("db", ips=("10.0.0.4",), named_ports=(("http", 9090, TCP),))
IFACES = {"default/web": "nwv-web", "default/client": "nwv-cli", "default/db": "nwv-db"}


def render(*policies: ir.Policy, tiers: tuple[ir.Tier, ...] = (),
           endpoints: tuple[ir.Endpoint, ...] = (WEB, CLIENT, DB),
           ifaces: dict[str, str] = IFACES) -> Ruleset:
    cluster = ir.Cluster(endpoints=endpoints, policies=policies, tiers=tiers)
    # one jump per policy: the chain form these golden texts describe (test_fastpath: sets)
    opts = RenderOptions(pod_interface_prefix="nwv", allow_sets=False)
    return render_ruleset(cluster, "node1", ifaces, opts)


def bodies(rs: Ruleset, name: str) -> list[str]:
    return [r.body for r in rs.chain(name).rules]


def jumps(rs: Ruleset, name: str) -> list[str]:
    return [b.split("jump ")[1] for b in bodies(rs, name) if "jump " in b]


def elements(rs: Ruleset, ref: str) -> tuple[str, ...]:
    return rs.set(ref.lstrip("@")).elements


def web_in(*rules: ir.Rule, name: str = "web-in") -> ir.Policy:
    return make_policy(name, "web", ingress=rules)


def test_layout_without_policies() -> None:
    rs = render()
    assert bodies(rs, "forward") == [
        "ct state established,related accept",
        "ct state invalid counter drop",
        'iifname "nwv*" iifname != @local_ifaces counter drop',
        'oifname "nwv*" oifname != @local_ifaces counter drop',
        "iifname vmap @egress_dispatch",
        "oifname vmap @ingress_dispatch",
    ]
    assert rs.chain("forward").hook == "forward" and rs.chain("forward").policy == "accept"
    assert bodies(rs, "ep-default/web-ingress") == ["meta mark set meta mark & 0xfffcffff"]
    assert bodies(rs, "ep-default/db-egress") == [
        "meta mark set meta mark & 0xfffcffff",
        "ip saddr != 10.0.0.4 counter drop",
        "meta nfproto ipv6 counter drop",  # db has no IPv6 address
    ]
    assert rs.set("egress_dispatch").entries == (  # type: ignore[attr-defined]
        ('"nwv-cli"', "jump ep-default/client-egress"),
        ('"nwv-db"', "jump ep-default/db-egress"),
        ('"nwv-web"', "jump ep-default/web-egress"),
    )
    assert rs.set("local_ifaces").elements == ('"nwv-cli"', '"nwv-db"', '"nwv-web"')


def test_only_local_policed_pods_get_chains() -> None:
    host = make_pod("hostpod", ips=("192.168.1.1",), host_network=True)
    remote = make_pod("far", ips=("10.0.9.9",), node="node2")
    rs = render(endpoints=(WEB, host, remote),
                ifaces={"default/web": "nwv-web", "default/hostpod": "nwv-h",
                        "default/far": "nwv-far", "default/ghost": "nwv-g"})
    assert [c.name for c in rs.chains] == [
        "forward", "ep-default/web-egress", "ep-default/web-ingress"]


def test_allow_rule_uses_named_sets_and_marks() -> None:
    rule = allow("default/web-in", IN, 0, source=peer("client"),
                 destination=ir.EntityMatch(ports=ports(80, "http")), protocol=TCP)
    rs = render(web_in(rule))
    (pol,) = jumps(rs, "ep-default/web-ingress")
    assert pol.startswith("pol-default/web-in-i-")
    assert bodies(rs, "ep-default/web-ingress")[1:] == [
        f"jump {pol}",
        "meta mark & 0x10000 != 0 return",
        "counter drop",
    ]
    rules = rs.chain(pol).rules
    assert [r.comment for r in rules] == ["default/web-in ingress[0]"] * 2
    v4, v6 = (r.body.split() for r in rules)
    assert v4[:2] == ["ip", "saddr"] and v6[:2] == ["ip6", "saddr"]
    assert elements(rs, v4[2]) == ("10.0.0.3",)
    assert elements(rs, v6[2]) == ("fd00::3",)
    assert v4[3:7] == ["meta", "l4proto", ".", "th"]
    assert elements(rs, v4[8]) == ("6 . 80", "6 . 8080")  # named port resolved on web
    assert " ".join(v4[9:]) == "counter meta mark set meta mark | 0x10000 return"


def test_policy_chains_are_shared_and_named_by_content() -> None:
    rule = allow("default/all-in", IN, 0, source=peer("db"))
    policy = make_policy("all-in", None, ingress=(rule,))
    rs = render(policy)
    targets = {jumps(rs, endpoint_chain(k, IN))[0] for k in ("default/web", "default/client")}
    assert len(targets) == 1  # same content for web and client → one chain
    again = render(policy)
    assert again == rs  # stable names


def test_destination_resolved_statically_against_the_endpoint() -> None:
    only_v4 = ir.EntityMatch(nets=(ipaddress.ip_network("10.0.0.0/24"),))
    other = ir.EntityMatch(selector=Eq("app", "db"))
    rs = render(web_in(
        allow("default/web-in", IN, 0, destination=only_v4),
        allow("default/web-in", IN, 1, destination=other),
    ))
    (pol,) = jumps(rs, "ep-default/web-ingress")
    # rule 1 never matches web; rule 0 matches web's IPv4 address only
    assert [(r.body, r.comment) for r in rs.chain(pol).rules] == [
        ("meta nfproto ipv4 counter meta mark set meta mark | 0x10000 return",
         "default/web-in ingress[0]")]


def test_destination_narrowed_to_some_addresses() -> None:
    two = make_pod("two", ips=("10.0.0.7", "10.0.1.7"))
    only = ir.EntityMatch(nets=(ipaddress.ip_network("10.0.0.0/24"),))
    rule = allow("default/two-in", IN, 0, destination=only)
    policy = make_policy("two-in", "two", ingress=(rule,))
    rs = render(policy, endpoints=(two,), ifaces={"default/two": "nwv-two"})
    (pol,) = jumps(rs, "ep-default/two-ingress")
    assert bodies(rs, pol) == ["ip daddr 10.0.0.7 counter meta mark set meta mark | 0x10000 return"]


def test_policy_without_matching_rules_still_denies() -> None:
    rs = render(web_in(allow("default/web-in", IN, 0, destination=peer("db"))))
    assert bodies(rs, "ep-default/web-ingress") == [
        "meta mark set meta mark & 0xfffcffff", "counter drop"]


def test_except_is_subtracted_up_front() -> None:
    source = ir.EntityMatch(nets=(ipaddress.ip_network("10.1.0.0/16"),),
                            not_nets=(ipaddress.ip_network("10.1.5.0/24"),))
    rs = render(web_in(allow("default/web-in", IN, 0, source=source)))
    (pol,) = jumps(rs, "ep-default/web-ingress")
    (rule,) = rs.chain(pol).rules
    assert elements(rs, rule.body.split()[2]) == (
        "10.1.0.0-10.1.4.255", "10.1.6.0-10.1.255.255")


def test_egress_named_ports_resolve_per_destination() -> None:
    rule = allow("default/cli-out", OUT, 0, destination=ir.EntityMatch(ports=ports("http")),
                 protocol=TCP)
    rs = render(make_policy("cli-out", "client", egress=(rule,)))
    (pol,) = jumps(rs, "ep-default/client-egress")
    found = {}
    for r in rs.chain(pol).rules:
        words = r.body.split()
        found[elements(rs, words[2])] = elements(rs, words[8])
    assert found == {("10.0.0.2",): ("6 . 8080",), ("fd00::2",): ("6 . 8080",),
                     ("10.0.0.4",): ("6 . 9090",)}


def test_services_icmp_and_other_protocols() -> None:
    rs = render(web_in(
        allow("default/web-in", IN, 0, protocol=ICMP, icmp=ir.IcmpMatch(8)),
        allow("default/web-in", IN, 1, not_protocol=TCP, action=ir.Action.DENY),
        allow("default/web-in", IN, 2, action=ir.Action.LOG),
    ))
    (pol,) = jumps(rs, "ep-default/web-ingress")
    assert bodies(rs, pol) == [
        "meta l4proto 1 icmp type . icmp code { 8 . 0-255 } counter meta mark set meta mark "
        "| 0x10000 return",
        "meta l4proto != 6 counter drop",
        'counter limit rate 10/second log prefix "nw default/web-in ingress[2] "',
    ]


def test_tiers_pass_and_default_actions() -> None:
    sec = ir.Tier("security", order=10)
    soft = ir.Tier("soft", order=20, default_action=ir.Action.PASS)
    calico = ir.PolicyKind.CALICO
    p1 = make_policy("a-pass", "web", tier="security", order=1, kind=calico,
                     ingress=(allow("p1", IN, 0, action=ir.Action.PASS, source=peer("client")),))
    p2 = make_policy("b-deny", "web", tier="security", order=2, kind=calico,
                     ingress=(allow("p2", IN, 0, action=ir.Action.DENY, source=peer("db")),))
    p3 = make_policy("c-soft", "web", tier="soft", order=1, kind=calico,
                     ingress=(allow("p3", IN, 0, action=ir.Action.DENY, source=peer("db")),))
    p4 = web_in(allow("default/web-in", IN, 0, source=peer("client")))
    rs = render(p1, p2, p3, p4, tiers=(sec, soft))
    c1, c2, c3, c4 = jumps(rs, "ep-default/web-ingress")
    assert bodies(rs, "ep-default/web-ingress") == [
        "meta mark set meta mark & 0xfffcffff",
        f"jump {c1}",
        f"meta mark & 0x20000 == 0 jump {c2}",
        "meta mark & 0x20000 == 0 counter drop",
        "meta mark set meta mark & 0xfffdffff",
        f"jump {c3}",  # soft tier ends without a drop
        f"jump {c4}",
        "meta mark & 0x10000 != 0 return",
        "counter drop",
    ]
    assert c1.startswith("pol-calico_default/a-pass_")
    assert bodies(rs, c1)[0].endswith("meta mark set meta mark | 0x20000 return")


def test_ip_version_and_family_without_addresses() -> None:
    rs = render(web_in(allow("default/web-in", IN, 0, ip_version=6)))
    (pol,) = jumps(rs, "ep-default/web-ingress")
    assert bodies(rs, pol) == [
        "meta nfproto ipv6 counter meta mark set meta mark | 0x10000 return"]
