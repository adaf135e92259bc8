"""``Ruleset``: the desired content of one table, and the nft batches that install it.

``full_transaction`` deletes (if present) and recreates the whole table;
``update_transaction`` writes only the difference from a ruleset already in
force. Chains are compared by identity first (a ``Renderer`` hands back
unchanged chains as the same objects), then by value, which is what Felix's
per-chain hashes stand for: new chains are declared and filled, changed ones
are flushed and refilled without being declared again, set and map elements
are added and deleted one by one, and removed chains and sets are deleted
last, once the rules that referred to them are gone. Either way nft applies
the batch atomically.

>>> from netwarden.dataplane.nft.objects import Rule
>>> print(Ruleset(Table("t"), (Chain("c", (Rule("counter"),)),), ()).text(), end="")
add table inet t
delete table inet t
add table inet t
add chain inet t c
add rule inet t c counter
"""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import NftError
from .nft.objects import Chain, ChainRules, Element, Map, Set, Table
from .nft.transaction import Transaction

__all__ = ["Ruleset", "full_transaction", "update_transaction"]


@dataclass(frozen=True, slots=True)
class Ruleset:
    """The desired content of one table: chains and sets/maps.

    Chains are ordered so that a regular chain only jumps to chains after it
    (base chains first, then endpoint chains, then policy chains); sets
    never refer to chains, maps may.
    """

    table: Table
    chains: tuple[Chain, ...]
    sets: tuple[Set, ...]

    def chain(self, name: str) -> Chain:
        for chain in self.chains:
            if chain.name == name:
                return chain
        raise KeyError(name)

    def set(self, name: str) -> Set:
        for item in self.sets:
            if item.name == name:
                return item
        raise KeyError(name)

    def text(self) -> str:
        """The ruleset as an ``nft -f`` batch that (re)creates the table.

        Raises ``NftError`` when an object is invalid (the batch would stop
        there): never a truncated batch.
        """
        tx = full_transaction(self)
        if tx.error is not None:
            raise NftError(f"invalid ruleset: {tx.error}")
        return str(tx)


def _entries(item: Set) -> dict[str, str | None]:
    if isinstance(item, Map):
        return {k: v for k, v in item.entries}
    return dict.fromkeys(item.elements)


def _declaration(item: Set) -> tuple[str, str, tuple[str, ...], bool]:
    return (item.keyword, item.type, item.flags, item.counter)


def full_transaction(ruleset: Ruleset) -> Transaction:
    """Delete (if present) and recreate the table with everything in it."""
    tx = Transaction(ruleset.table)
    tx.recreate_table()
    # Dependency order (see ``Ruleset``): sets, chains from last to first so a
    # jump's target exists, verdict maps, then the base chains that use them.
    for item in ruleset.sets:
        if not isinstance(item, Map):
            tx.add(item)
    for chain in reversed(ruleset.chains):
        if not chain.is_base:
            tx.add(chain)
    for item in ruleset.sets:
        if isinstance(item, Map):
            tx.add(item)
    for chain in ruleset.chains:
        if chain.is_base:
            tx.add(chain)
    return tx


def update_transaction(old: Ruleset, new: Ruleset) -> Transaction | None:
    """The difference from ``old`` to ``new``, or None when it needs a full rewrite.

    A full rewrite is needed when a base chain's hook or a set's type changes,
    since those cannot be altered in place while rules refer to them.
    """
    tx = Transaction(new.table)
    old_chains = {c.name: c for c in old.chains}
    new_chains = {c.name: c for c in new.chains}
    old_sets = {s.name: s for s in old.sets}
    new_sets = {s.name: s for s in new.sets}
    for name, chain in new_chains.items():
        before = old_chains.get(name)
        if before is not None and (before.hook, before.type, before.priority, before.policy) != (
            chain.hook, chain.type, chain.priority, chain.policy
        ):
            return None
    for name, item in new_sets.items():
        if name in old_sets and _declaration(old_sets[name]) != _declaration(item):
            return None

    added = [c for n, c in new_chains.items() if n not in old_chains]
    changed = [
        c for n, c in new_chains.items()
        if n in old_chains and old_chains[n] is not c and old_chains[n] != c
    ]
    removed = [c for n, c in old_chains.items() if n not in new_chains]
    for chain in added:  # declared empty first: rules may jump to one another
        tx.add(Chain(chain.name, (), chain.type, chain.hook, chain.priority, chain.policy))
    for name, item in new_sets.items():
        if name not in old_sets:
            tx.add(item)
            continue
        old_items, new_items = _entries(old_sets[name]), _entries(item)
        for key, value in old_items.items():
            if key not in new_items or new_items[key] != value:
                tx.delete(Element(name, key, value))
        for key, value in new_items.items():
            if key not in old_items or old_items[key] != value:
                tx.add(Element(name, key, value))
    for chain in changed + removed:
        tx.flush(chain)
    for chain in added + changed:
        tx.add(ChainRules(chain))
    for chain in removed:
        tx.delete(chain)
    for name, item in old_sets.items():
        if name not in new_sets:
            tx.delete(item)
    return tx
