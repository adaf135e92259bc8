from __future__ import annotations

import pytest

from netwarden import ir
from netwarden._errors import NftError
from netwarden.dataplane import RenderOptions, Ruleset, TableWriter, render_ruleset
from netwarden.dataplane.nft import Chain, FakeNft, Rule, Table, Verb

from .builders import allow, make_pod, make_policy, peer

IN = ir.Direction.INGRESS
WEB = make_pod("web", ips=("10.0.0.2",))
CLIENT = make_pod("client", ips=("10.0.0.3",))
DB = make_pod("db", ips=("10.0.0.4",))


def ruleset(*policies: ir.Policy, ifaces: dict[str, str] | None = None) -> Ruleset:
    cluster = ir.Cluster(endpoints=(WEB, CLIENT, DB), policies=policies)
    ifaces = ifaces or {"default/web": "nwv-web", "default/client": "nwv-cli"}
    return render_ruleset(cluster, None, ifaces,
                          RenderOptions(pod_interface_prefix="nwv", allow_sets=False))


def web_from(app: str) -> ir.Policy:
    return make_policy("web-in", "web", ingress=(allow("default/web-in", IN, 0, source=peer(app)),))


def test_first_apply_recreates_table_then_only_changes() -> None:
    nft = FakeNft()
    writer = TableWriter(nft)
    first = writer.apply(ruleset(web_from("client")))
    assert first.full
    assert nft.last_transaction is not None
    assert str(nft.last_transaction).startswith(
        "add table inet netwarden\ndelete table inet netwarden\nadd table inet netwarden\n")

    assert writer.apply(ruleset(web_from("client"))).operations == 0  # nothing dirty

    writer.apply(ruleset(web_from("db")))
    text = str(nft.last_transaction)
    assert "delete table" not in text
    assert "flush chain inet netwarden ep-default/web-ingress" in text
    # the old policy chain and its address set are deleted after the flush
    assert text.index("flush chain inet netwarden pol-") < text.index(
        "delete chain inet netwarden pol-")
    assert "delete set inet netwarden a4-" in text
    fresh = FakeNft()
    TableWriter(fresh).apply(ruleset(web_from("db")))
    assert nft.dump() == fresh.dump()  # the update reached the same state as a rebuild


def test_dispatch_map_elements_follow_interfaces() -> None:
    nft = FakeNft()
    writer = TableWriter(nft)
    writer.apply(ruleset())
    writer.apply(ruleset(ifaces={"default/web": "nwv-web2", "default/db": "nwv-db"}))
    lines = nft.last_transaction.lines() if nft.last_transaction else []
    assert 'delete element inet netwarden egress_dispatch { "nwv-cli" }' in lines
    assert 'add element inet netwarden egress_dispatch { "nwv-db" : jump ep-default/db-egress }' \
        in lines
    assert "delete chain inet netwarden ep-default/client-egress" in lines
    assert nft.elements("local_ifaces") == {'"nwv-db"': None, '"nwv-web2"': None}


def test_failed_apply_keeps_previous_and_next_apply_is_full() -> None:
    nft = FakeNft()
    writer = TableWriter(nft)
    good = ruleset(web_from("client"))
    writer.apply(good)
    before = nft.dump()
    broken = Ruleset(good.table, (*good.chains, Chain("bad", (Rule("jump nowhere"),))), good.sets)
    with pytest.raises(NftError):
        writer.apply(broken)
    assert nft.dump() == before
    assert writer.apply(good).full


def test_base_chain_change_forces_full_rewrite() -> None:
    nft = FakeNft()
    writer = TableWriter(nft)
    writer.apply(ruleset())
    rs = ruleset()
    fw = rs.chains[0]
    changed = Ruleset(rs.table, (Chain(fw.name, fw.rules, fw.type, fw.hook, 10, fw.policy),
                                 *rs.chains[1:]), rs.sets)
    assert writer.plan(changed)[1] is True
    assert all(op.verb is not Verb.DELETE or op.obj != rs.table
               for op in writer.plan(ruleset())[0].operations)


def test_a_ruleset_with_an_invalid_object_has_no_text_rather_than_a_truncated_one() -> None:
    bad = Ruleset(Table("netwarden"), (Chain("a", (Rule("counter"),)),
                                       Chain("b", (Rule("counter", "x" * 200),))), ())
    with pytest.raises(NftError, match="comment longer than 127 bytes"):
        bad.text()
