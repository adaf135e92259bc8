"""Apply rulesets to the kernel: one transaction per update, only what changed.

``TableWriter`` remembers the last ruleset it applied. The first apply (and
the one after a failure, when the kernel may have drifted from our picture)
deletes and recreates the whole table in one batch (``full_transaction``);
later ones write only the difference (``update_transaction``). nft applies a
batch atomically, so a failed apply leaves the previous ruleset in force.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._errors import NftError
from .nft.backend import NftBackend
from .nft.transaction import Transaction
from .ruleset import Ruleset, full_transaction, update_transaction

__all__ = ["ApplyStats", "TableWriter"]


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
