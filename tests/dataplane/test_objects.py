from __future__ import annotations

import pytest

from netwarden.dataplane.nft import Chain, Element, Map, Rule, Set, Table, Transaction, Verb
from netwarden.dataplane.nft.objects import NftObject, concat, quote, set_literal

T = "inet nw"

CASES: list[tuple[Verb, NftObject, str]] = [
    (Verb.ADD, Table("nw"), "add table inet nw"),
    (Verb.FLUSH, Table("nw"), "flush table inet nw"),
    (Verb.DELETE, Table("nw"), "delete table inet nw"),
    (Verb.ADD, Chain("c", (Rule("counter", "why"),)),
     'add chain inet nw c\nadd rule inet nw c counter comment "why"'),
    (Verb.ADD, Chain("fw", type="filter", hook="forward", priority=0, policy="accept"),
     "add chain inet nw fw { type filter hook forward priority 0 ; policy accept ; }"),
    (Verb.FLUSH, Chain("c"), "flush chain inet nw c"),
    (Verb.DELETE, Chain("c"), "delete chain inet nw c"),
    (Verb.ADD, Set("s", "ipv4_addr . inet_proto . inet_service", ("interval",),
                   ("10.0.0.0/8 . 6 . 80-90",)),
     "add set inet nw s { type ipv4_addr . inet_proto . inet_service ; flags interval ; }\n"
     "add element inet nw s { 10.0.0.0/8 . 6 . 80-90 }"),
    (Verb.FLUSH, Set("s", "ipv4_addr"), "flush set inet nw s"),
    (Verb.DELETE, Set("s", "ipv4_addr"), "delete set inet nw s"),
    (Verb.ADD, Map("m", "ifname : verdict", entries=(('"a"', "jump c"),)),
     'add map inet nw m { type ifname : verdict ; }\nadd element inet nw m { "a" : jump c }'),
    (Verb.FLUSH, Map("m", "ifname : verdict"), "flush map inet nw m"),
    (Verb.DELETE, Map("m", "ifname : verdict"), "delete map inet nw m"),
    (Verb.ADD, Element("m", '"a"', "jump c"), 'add element inet nw m { "a" : jump c }'),
    (Verb.DELETE, Element("m", '"a"', "jump c"), 'delete element inet nw m { "a" }'),
    (Verb.ADD, Element("s", "10.0.0.1"), "add element inet nw s { 10.0.0.1 }"),
]


@pytest.mark.parametrize(("verb", "obj", "expected"), CASES,
                         ids=[f"{v.value}-{type(o).__name__}" for v, o, _ in CASES])
def test_write(verb: Verb, obj: NftObject, expected: str) -> None:
    assert obj.validate(verb) is None
    assert "\n".join(obj.write(verb, T)) == expected


def test_every_object_has_every_verb() -> None:
    covered = {(type(o), v) for v, o, _ in CASES}
    for kind in (Table, Chain, Set, Map, Element):
        for verb in Verb:
            if kind is Element and verb is Verb.FLUSH:
                continue
            assert (kind, verb) in covered, (kind, verb)


INVALID: list[tuple[Verb, NftObject, str]] = [
    (Verb.ADD, Table("bad name"), "invalid table name"),
    (Verb.ADD, Table("t", family="inet6"), "invalid family"),
    (Verb.ADD, Chain("1c"), "invalid chain name"),
    (Verb.ADD, Chain("c", type="filter", hook="forward"), "need type, hook and priority"),
    (Verb.ADD, Chain("c", type="filter", hook="fwd", priority=0), "unknown hook"),
    (Verb.ADD, Chain("c", policy="drop"), "needs a base chain"),
    (Verb.ADD, Chain("c", (Rule(""),)), "empty rule"),
    (Verb.ADD, Chain("c", (Rule("counter; drop"),)), "one statement list"),
    (Verb.ADD, Chain("c", (Rule("counter", "x" * 200),)), "comment longer"),
    (Verb.ADD, Set("s", " "), "empty type"),
    (Verb.ADD, Set("s", "ipv4_addr", elements=("",)), "empty or multi-line"),
    (Verb.FLUSH, Element("s", "1"), "cannot be flushed"),
]


@pytest.mark.parametrize(("verb", "obj", "message"), INVALID, ids=[m for _, _, m in INVALID])
def test_validate(verb: Verb, obj: NftObject, message: str) -> None:
    problem = obj.validate(verb)
    assert problem is not None and message in problem


def test_helpers() -> None:
    assert quote('a "b"') == "\"a 'b'\""
    assert concat("ip saddr 1.2.3.4", "", None, " counter ") == "ip saddr 1.2.3.4 counter"
    assert set_literal(["1"]) == "1"
    assert set_literal(["1", "2"]) == "{ 1, 2 }"


def test_transaction_golden_and_first_error_kept() -> None:
    tx = Transaction(Table("nw"))
    tx.recreate_table()
    tx.add(Set("a4", "ipv4_addr", ("interval",), ("10.0.0.0/24",)))
    tx.replace(Chain("c", (Rule("ip saddr @a4 accept"),)))
    assert str(tx) == (
        "add table inet nw\n"
        "delete table inet nw\n"
        "add table inet nw\n"
        "add set inet nw a4 { type ipv4_addr ; flags interval ; }\n"
        "add element inet nw a4 { 10.0.0.0/24 }\n"
        "add chain inet nw c\n"
        "flush chain inet nw c\n"
        "add chain inet nw c\n"
        "add rule inet nw c ip saddr @a4 accept\n"
    )
    tx.add(Chain("bad name"))
    tx.add(Chain("also bad"))
    tx.add(Chain("fine"))
    assert tx.error == "add: invalid chain name 'bad name'"
    assert len(tx) == 7  # nothing after the first error is kept


def test_replace_set_flushes_elements() -> None:
    tx = Transaction(Table("nw"))
    tx.replace(Set("s", "ipv4_addr", elements=("10.0.0.1",)))
    assert tx.lines() == [
        "add set inet nw s { type ipv4_addr ; }",
        "flush set inet nw s",
        "add set inet nw s { type ipv4_addr ; }",
        "add element inet nw s { 10.0.0.1 }",
    ]
