from __future__ import annotations

import textwrap

import pytest

from netwarden._errors import NftError
from netwarden.dataplane.nft import Chain, Element, FakeNft, Map, Rule, Set, Table, Transaction
from netwarden.dataplane.nft.fake import references

TABLE = Table("nw")


def tx_of(*ops: tuple[str, object]) -> Transaction:
    tx = Transaction(TABLE)
    for verb, obj in ops:
        getattr(tx, verb)(obj)
    return tx


def base() -> Transaction:
    return tx_of(
        ("add", TABLE),
        ("add", Set("a4", "ipv4_addr", ("interval",), ("10.0.0.0/24",))),
        ("add", Chain("pol", (Rule("ip saddr @a4 accept", "p ingress[0]"),))),
        ("add", Map("dispatch", "ifname : verdict", entries=(('"v1"', "jump pol"),))),
        ("add", Chain("fw", (Rule("iifname vmap @dispatch"),), "filter", "forward", 0, "accept")),
    )


def test_dump_and_last_transaction() -> None:
    nft = FakeNft()
    tx = base()
    nft.run(tx)
    assert nft.last_transaction is tx
    assert nft.dump() == textwrap.dedent("""\
        table inet nw {
        \tset a4 {
        \t\ttype ipv4_addr
        \t\tflags interval
        \t\telements = { 10.0.0.0/24 }
        \t}
        \tmap dispatch {
        \t\ttype ifname : verdict
        \t\telements = { "v1" : jump pol }
        \t}
        \tchain fw {
        \t\ttype filter hook forward priority 0; policy accept;
        \t\tiifname vmap @dispatch
        \t}
        \tchain pol {
        \t\tip saddr @a4 accept comment "p ingress[0]"
        \t}
        }
        """)
    assert nft.list_table(TABLE) == nft.dump()


@pytest.mark.parametrize(("obj", "why"), [
    (Chain("x", (Rule("ip saddr @missing accept"),)), "missing set"),
    (Chain("x", (Rule("jump nowhere"),)), "missing chain"),
    (Element("dispatch", '"v2"', "goto nowhere"), "missing chain"),
    (Element("nomap", '"v2"', "jump pol"), "missing set"),
])
def test_rejects_missing_references(obj: object, why: str) -> None:
    nft = FakeNft()
    nft.run(base())
    before = nft.dump()
    with pytest.raises(NftError, match=why) as info:
        nft.run(tx_of(("add", Chain("ok")), ("add", obj)))
    assert info.value.is_not_found
    assert nft.dump() == before  # all or nothing: "ok" was not added either
    assert "ok" not in nft.chain_names()


def test_raw_payload_is_not_a_set_reference() -> None:
    assert references("@th,0,16 0x0800 jump c") == (set(), {"c"})


def test_cannot_delete_what_is_referenced() -> None:
    nft = FakeNft()
    nft.run(base())
    with pytest.raises(NftError, match="still in use"):
        nft.run(tx_of(("delete", Set("a4", "ipv4_addr", ("interval",)))))
    with pytest.raises(NftError, match="still in use"):
        nft.run(tx_of(("flush", Chain("pol")), ("delete", Chain("pol"))))
    # once the map element and the rule are gone the chain and set can go
    nft.run(tx_of(
        ("delete", Element("dispatch", '"v1"')),
        ("flush", Chain("pol")),
        ("delete", Chain("pol")),
        ("delete", Set("a4", "ipv4_addr", ("interval",))),
    ))
    assert nft.chain_names() == ["fw"]
    assert nft.set_names() == ["dispatch"]


def test_not_found_and_invalid_transactions() -> None:
    nft = FakeNft()
    with pytest.raises(NftError) as info:
        nft.run(tx_of(("delete", TABLE)))
    assert info.value.is_not_found
    bad = tx_of(("add", Chain("bad name")))
    with pytest.raises(NftError, match="invalid transaction"):
        nft.run(bad)
    with pytest.raises(NftError):
        nft.check(tx_of(("add", Chain("c"))))  # no table yet
    nft.check(base())
    assert not nft.exists  # check never changes state


def test_recreate_table_replaces_everything() -> None:
    nft = FakeNft()
    nft.run(base())
    tx = Transaction(TABLE)
    tx.recreate_table()
    tx.add(Chain("only"))
    nft.run(tx)
    assert nft.chain_names() == ["only"]
    assert nft.set_names() == []
