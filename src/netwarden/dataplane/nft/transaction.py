"""A batch of nft operations on one table, applied by a backend in one go.

Calls never raise: each operation is validated as it is added and the first
problem is kept in ``error``, so building code stays linear and a backend
refuses the whole batch. ``str(tx)`` is exactly what ``nft -f -`` receives.

>>> from netwarden.dataplane.nft.objects import Rule
>>> tx = Transaction(Table("netwarden"))
>>> tx.add(Chain("c", (Rule("counter"),)))
>>> print(tx)
add chain inet netwarden c
add rule inet netwarden c counter
<BLANKLINE>
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .objects import Chain, Map, NftObject, Set, Table, Verb

__all__ = ["Operation", "Transaction"]


@dataclass(frozen=True, slots=True)
class Operation:
    verb: Verb
    obj: NftObject


@dataclass
class Transaction:
    """Operations on ``table``, in order; ``error`` is the first invalid one."""

    table: Table
    operations: list[Operation] = field(default_factory=list)
    error: str | None = None

    def _append(self, verb: Verb, obj: NftObject) -> None:
        if self.error is not None:
            return
        problem = obj.validate(verb)
        if problem is not None:
            self.error = f"{verb.value}: {problem}"
            return
        self.operations.append(Operation(verb, obj))

    def add(self, obj: NftObject) -> None:
        self._append(Verb.ADD, obj)

    def flush(self, obj: NftObject) -> None:
        self._append(Verb.FLUSH, obj)

    def delete(self, obj: NftObject) -> None:
        self._append(Verb.DELETE, obj)

    def replace(self, obj: Chain | Set | Map) -> None:
        """Make a chain's rules, or a set's elements, exactly those of ``obj``."""
        # Declare (idempotent) so the flush cannot fail, flush, then refill.
        empty = dataclasses.replace(obj, entries=()) if isinstance(obj, Map) else (
            dataclasses.replace(obj, elements=()) if isinstance(obj, Set)
            else dataclasses.replace(obj, rules=())
        )
        self.add(empty)
        self.flush(obj)
        self.add(obj)

    def recreate_table(self) -> None:
        """Delete the table if it exists and add it empty, in this batch.

        ``add`` first makes the ``delete`` safe when the table is missing
        (nft 1.0.6 has no ``destroy``).
        """
        self.add(self.table)
        self.delete(self.table)
        self.add(self.table)

    def lines(self) -> list[str]:
        ref = self.table.ref
        out: list[str] = []
        for op in self.operations:
            out.extend(op.obj.write(op.verb, ref))
        return out

    def __len__(self) -> int:
        return len(self.operations)

    def __str__(self) -> str:
        return "".join(line + "\n" for line in self.lines())
