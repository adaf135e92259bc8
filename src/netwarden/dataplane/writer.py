"""Apply rulesets to the kernel: one transaction per update, only what changed.

``TableWriter`` remembers the last ruleset it applied. The first apply (and
the one after a failure, when the kernel may have drifted from our picture)
deletes and recreates the whole table in one batch. Later ones compare chains
(by identity first: a ``Renderer`` hands back unchanged chains as the same
objects, then by value, which is what Felix's per-chain hashes stand for) and
write only the difference: new chains are declared and filled, changed ones
are flushed and refilled without being declared again, set and map elements
are added and deleted one by one, and removed chains and sets are deleted
last, once the rules that referred to them are gone. Either way nft
applies the batch atomically, so a failed apply leaves the previous ruleset.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .._errors import NftError
from .nft.backend import NftBackend
from .nft.objects import Chain, ChainRules, Element, Map, Set
from .nft.transaction import Transaction
from .render import Ruleset

__all__ = ["ApplyStats", "TableWriter", "chain_hash", "full_transaction", "update_transaction"]


def chain_hash(chain: Chain) -> str:
    """Hash of everything a chain writes; equal hashes mean nothing to rewrite."""
    text = "\n".join([chain.declaration("-"), *chain.rule_lines("-")])
    return hashlib.sha256(text.encode()).hexdigest()


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


@dataclass
class ApplyStats:
    full: bool
    operations: int


class TableWriter:
    """Keeps one table in the kernel equal to the last ruleset given to ``apply``."""

    def __init__(self, backend: NftBackend) -> None:
        self.backend = backend
        self.applied: Ruleset | None = None
        self.last: ApplyStats | None = None

    def mark_drift(self) -> None:
        """Make the next apply rewrite the whole table (e.g. after a resync found drift)."""
        self.applied = None

    def plan(self, ruleset: Ruleset) -> tuple[Transaction, bool]:
        """The transaction ``apply`` would run, and whether it is a full rewrite."""
        if self.applied is not None and self.applied.table == ruleset.table:
            tx = update_transaction(self.applied, ruleset)
            if tx is not None:
                return tx, False
        return full_transaction(ruleset), True

    def apply(self, ruleset: Ruleset) -> ApplyStats:
        """Make the kernel's table match ``ruleset`` in one nft batch.

        Raises ``NftError`` if nft refuses it; the previous ruleset stays in
        force and the next apply rewrites the whole table.
        """
        tx, full = self.plan(ruleset)
        try:
            self.backend.run(tx)
        except NftError:
            self.applied = None
            raise
        self.applied = ruleset
        self.last = ApplyStats(full, len(tx))
        return self.last
