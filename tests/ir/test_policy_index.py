"""``PolicyIndex`` and ``Tier.stage``: which tiers and policies apply, in what order."""

from __future__ import annotations

from netwarden.compile.felix import host_endpoint_stages
from netwarden.ir import (
    Action,
    Cluster,
    Direction,
    Endpoint,
    EndpointKind,
    Policy,
    PolicyIndex,
    PolicyKind,
    Scope,
    Stage,
    Tier,
)
from netwarden.ir.selector import All

INGRESS, EGRESS = Direction.INGRESS, Direction.EGRESS
HOST = Endpoint("host/n1/eth0", EndpointKind.HOST, "n1-eth0", node="n1", interface="eth0")
POD = Endpoint("prod/web", EndpointKind.POD, "web", "prod", node="n1")
KINDS = frozenset(EndpointKind)


def gnp(name: str, tier: str, order: float | None = None, **flags: bool) -> Policy:
    return Policy(name, PolicyKind.CALICO_GLOBAL, None, All(), frozenset({INGRESS, EGRESS}),
                  tier=tier, order=order, applies_to_kinds=KINDS, **flags)


def names(index: PolicyIndex, endpoint: Endpoint, direction: Direction = INGRESS,
          **kwargs: object) -> list[tuple[str, list[str]]]:
    return [(t.name, [p.name for p in ps])
            for t, ps in index.layers(endpoint, direction, **kwargs)]  # type: ignore[arg-type]


def test_stage_ranks_follow_felix_pipeline() -> None:
    assert sorted(Stage, key=lambda s: s.rank) == [
        Stage.FAILSAFE, Stage.UNTRACKED, Stage.PRE_DNAT, Stage.NORMAL, Stage.HOST_DEFAULT]


def test_tiers_sort_by_stage_before_their_order() -> None:
    # A normal tier ordered far below every other and an untracked one far above:
    # the stage still decides (the old encoding offset orders by 1e12 and lost).
    tiers = (Tier("early", -1e15), Tier("late", 1e15), Tier("u", 1e15, Action.PASS,
                                                               stage=Stage.UNTRACKED),
             Tier("fs", 5.0, Action.PASS, stage=Stage.FAILSAFE),
             Tier("end", -1e15, stage=Stage.HOST_DEFAULT))
    policies = tuple(gnp(f"p-{t.name}", t.name) for t in tiers)
    cluster = Cluster(endpoints=(HOST,), policies=policies, tiers=tiers)
    assert [t.name for t, _ in cluster.evaluation_order] == ["fs", "u", "early", "late", "end"]
    assert [t for t, _ in names(PolicyIndex(cluster), HOST)] == ["fs", "u", "early", "late",
                                                                   "end"]


def test_layers_of_some_stages_only() -> None:
    tiers = (Tier("u", 1.0, Action.PASS, stage=Stage.UNTRACKED),
             Tier("pre", 1.0, Action.PASS, stage=Stage.PRE_DNAT), Tier("n", 1.0))
    policies = tuple(gnp(f"p-{t.name}", t.name) for t in tiers)
    index = PolicyIndex(Cluster(endpoints=(HOST,), policies=policies, tiers=tiers))
    assert names(index, HOST, stages={Stage.PRE_DNAT}) == [("pre", ["p-pre"])]
    assert names(index, HOST, stages={Stage.NORMAL, Stage.UNTRACKED}) == [
        ("u", ["p-u"]), ("n", ["p-n"])]
    assert names(index, HOST, stages=()) == []


def test_forwarded_traffic_meets_only_apply_on_forward_policies() -> None:
    policies = (gnp("local", "default"), gnp("fwd", "default", apply_on_forward=True))
    index = PolicyIndex(Cluster(endpoints=(HOST,), policies=policies))
    assert names(index, HOST) == [("default", ["fwd", "local"])]
    assert names(index, HOST, forwarded=True) == [("default", ["fwd"])]


def test_namespaced_and_global_policies_interleave_in_evaluation_order() -> None:
    ns_policy = Policy("a", PolicyKind.K8S, "prod", All(), frozenset({INGRESS}), order=1000.0,
                       scope=Scope(namespace="prod"))
    global_first = gnp("g-first", "default", 10.0)
    global_last = gnp("g-last", "default", 2000.0)
    index = PolicyIndex(Cluster(endpoints=(POD,), policies=(global_last, ns_policy,
                                                            global_first)))
    assert names(index, POD) == [("default", ["g-first", "a", "g-last"])]
    assert names(index, POD, EGRESS) == [("default", ["g-first", "g-last"])]


def test_felix_stages_are_tiers_with_a_stage() -> None:
    user = Tier("security", 50.0)
    untracked = gnp("u", "security", 1.0, do_not_track=True)
    pre = gnp("p", "default", 1.0, pre_dnat=True)
    normal = gnp("n", "security", 1.0)
    tiers, policies = host_endpoint_stages((user,), (untracked, pre, normal), with_hosts=True)
    by_name = {t.name: t for t in tiers}
    stage_of = {p.name: by_name[p.tier].stage for p in policies}
    assert stage_of == {"felix:failsafe": Stage.FAILSAFE, "u": Stage.UNTRACKED,
                        "p": Stage.PRE_DNAT, "n": Stage.NORMAL,
                        "felix:host-endpoint-default": Stage.HOST_DEFAULT}
    # A stage tier keeps its real tier's order and never drops at its end.
    u_tier = by_name[next(p.tier for p in policies if p.name == "u")]
    assert (u_tier.order, u_tier.default_action) == (50.0, Action.PASS)
    cluster = Cluster(endpoints=(HOST,), policies=policies, tiers=tiers)
    assert [ps[0].name for _, ps in PolicyIndex(cluster).layers(HOST, INGRESS)] == [
        "felix:failsafe", "u", "p", "n", "felix:host-endpoint-default"]


def test_without_host_endpoints_no_builtin_stage_is_added() -> None:
    tiers, policies = host_endpoint_stages((), (gnp("n", "default"),), with_hosts=False)
    assert [t.stage for t in tiers] == []
    assert [p.name for p in policies] == ["n"]
