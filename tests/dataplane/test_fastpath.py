"""Allow-only tiers as set lookups (``fastpath``) and drop logging, as rendered text."""

from __future__ import annotations

from netwarden import ir
from netwarden.dataplane import RenderOptions, Ruleset, render_ruleset
from netwarden.dataplane.fastpath import disjoint
from netwarden.dataplane.names import LOG_PREFIX_MAX, log_prefix
from netwarden.ir.services import ICMP, TCP, UDP

from .builders import allow, make_pod, make_policy, peer, ports

IN, OUT = ir.Direction.INGRESS, ir.Direction.EGRESS
WEB = make_pod("web", ips=("10.0.0.2", "fd00::2"))
CLIENT = make_pod("client", ips=("10.0.0.3", "fd00::3"))
DB = make_pod("db", ips=("10.0.0.4",))
IFACES = {"default/web": "nwv-web", "default/client": "nwv-cli", "default/db": "nwv-db"}


def render(*policies: ir.Policy, **options: object) -> Ruleset:
    cluster = ir.Cluster(endpoints=(WEB, CLIENT, DB), policies=policies)
    opts = RenderOptions(pod_interface_prefix="nwv", **options)  # type: ignore[arg-type]
    return render_ruleset(cluster, "node1", IFACES, opts)


def bodies(rs: Ruleset, name: str) -> list[str]:
    return [r.body for r in rs.chain(name).rules]


def set_of(rs: Ruleset, body: str) -> tuple[str, ...]:
    return rs.set(body.split("@")[1].split()[0]).elements


ALLOWED = "meta mark set meta mark | 0x10000 return"


def test_an_allow_only_tier_is_one_lookup_per_kind_and_family() -> None:
    p1 = make_policy("p1", "web", ingress=(
        allow("default/p1", IN, 0, source=peer("client"),
              destination=ir.EntityMatch(ports=ports(80)), protocol=TCP),))
    p2 = make_policy("p2", "web", ingress=(
        allow("default/p2", IN, 0, source=peer("db"), protocol=UDP),
        allow("default/p2", IN, 1, source=peer("client")),))
    rs = render(p1, p2)
    lookups = bodies(rs, "ep-default/web-ingress")
    assert [b.split(" @")[0] for b in lookups[1:-1]] == [
        "ip saddr . meta l4proto . th dport", "ip saddr . meta l4proto", "ip saddr",
        "ip6 saddr . meta l4proto . th dport", "ip6 saddr",
    ]
    assert all(b.endswith(ALLOWED) for b in lookups[1:-1]) and lookups[-1] == "counter drop"
    assert set_of(rs, lookups[1]) == ('10.0.0.3 . 6 . 80 comment "default/p1 ingress[0]"',)
    assert set_of(rs, lookups[2]) == ('10.0.0.4 . 17 comment "default/p2 ingress[0]"',)
    assert set_of(rs, lookups[3]) == ('10.0.0.3 comment "default/p2 ingress[1]"',)
    assert rs.set(lookups[1].split("@")[1].split()[0]).counter
    assert not [c for c in rs.chains if c.name.startswith("pol-")]


def test_rules_that_do_not_fit_stay_in_a_residual_chain() -> None:
    p1 = make_policy("p1", "web", ingress=(
        allow("default/p1", IN, 0, source=peer("client"), protocol=ICMP,
              icmp=ir.IcmpMatch(8)),
        allow("default/p1", IN, 1, source=peer("db"), protocol=TCP),))
    rs = render(p1)
    lookups = bodies(rs, "ep-default/web-ingress")
    assert lookups[1].startswith("ip saddr . meta l4proto @u4w-")
    assert lookups[2].startswith("jump pol-default/p1-i-")
    assert lookups[3:] == ["meta mark & 0x10000 != 0 return", "counter drop"]
    residual = bodies(rs, lookups[2].split()[1])  # only the ICMP rule, per family
    assert [b.split(" ", 3)[3] for b in residual] == [
        "meta l4proto 1 icmp type . icmp code { 8 . 0-255 } counter " + ALLOWED] * 2


def test_tiers_with_deny_keep_their_ordered_chains() -> None:
    p1 = make_policy("p1", "web", ingress=(
        allow("default/p1", IN, 0, source=peer("db"), action=ir.Action.DENY),
        allow("default/p1", IN, 1),))
    rs = render(p1)
    assert bodies(rs, "ep-default/web-ingress")[1].startswith("jump pol-default/p1-i-")


def test_overlaps_count_on_the_first_rule_in_policy_order() -> None:
    # the doctest shows it on numbers; here on a rendered union of two policies
    wide = make_policy("a-wide", "web", ingress=(allow("default/a-wide", IN, 0),))
    narrow = make_policy("b-narrow", "web", ingress=(
        allow("default/b-narrow", IN, 0, source=peer("client")),))
    rs = render(wide, narrow)
    v4 = next(b for b in bodies(rs, "ep-default/web-ingress") if b.startswith("ip saddr @"))
    assert set_of(rs, v4) == ('0.0.0.0/0 comment "default/a-wide ingress[0]"',)
    assert disjoint([(((1, 1),), ((0, 9),), "x"), (((1, 2),), ((5, 20),), "y")]) == [
        ((1, 1), (0, 9), "x"), ((1, 1), (10, 20), "y"), ((2, 2), (5, 20), "y")]


def test_identical_unions_share_one_set() -> None:
    p = make_policy("all-in", "web", ingress=(allow("default/all-in", IN, 0,
                                                      source=peer("db")),))
    q = make_policy("all-in2", "client", ingress=(allow("default/all-in", IN, 0,
                                                        source=peer("db")),))
    rs = render(p, q)
    assert bodies(rs, "ep-default/web-ingress")[1] == bodies(rs, "ep-default/client-ingress")[1]


def test_drop_logging_precedes_every_drop_without_a_verdict() -> None:
    p1 = make_policy("p1", "web", ingress=(
        allow("default/p1", IN, 0, source=peer("db"), action=ir.Action.DENY),))
    p2 = make_policy("p2", "client", ingress=(allow("default/p2", IN, 0, source=peer("db")),))
    rs = render(p1, p2, drop_log_group=7)
    log = "limit rate 10/second burst 20 packets log group 7 prefix"
    forward = bodies(rs, "forward")
    assert forward[1:3] == [f'ct state invalid {log} "nw conntrack invalid"',
                            "ct state invalid counter drop"]
    assert forward[3] == (f'iifname "nwv*" iifname != @local_ifaces {log} '
                          '"nw unknown pod interface (iifname)"')
    assert bodies(rs, "ep-default/client-ingress")[-2:] == [
        f'{log} "nw default/client ingress end of tier default"', "counter drop"]
    egress = bodies(rs, "ep-default/db-egress")
    assert egress[1:3] == [f'ip saddr != 10.0.0.4 {log} "nw default/db anti-spoofing"',
                           "ip saddr != 10.0.0.4 counter drop"]
    (pol,) = [c for c in rs.chains if c.name.startswith("pol-default/p1")]
    assert [r.body.split(" ", 3)[-1] for r in pol.rules[:2]] == [
        f'{log} "nw default/p1 ingress[0]"', "counter drop"]
    assert pol.rules[0].comment is None  # lab stats counts the drop, not the log rule
    assert not any("log" in b for b in bodies(render(p1), "forward"))


def test_log_prefixes_fit_nft() -> None:
    long = "ns/" + "x" * 200 + " ingress end of tier default"
    text = log_prefix(long)
    assert len(text.encode()) <= LOG_PREFIX_MAX and text.endswith("end of tier default")
    assert text.startswith("nw ..")
    assert log_prefix("a/b anti-spoofing") == "nw a/b anti-spoofing"
