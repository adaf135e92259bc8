"""nftables objects, transactions and backends (the real binary and a fake)."""

from .backend import Execer, NftBackend, SystemNft
from .fake import FakeNft
from .objects import (
    Chain,
    ChainRules,
    Element,
    Map,
    Rule,
    Set,
    Table,
    Verb,
    concat,
    quote,
    set_literal,
)
from .transaction import Operation, Transaction

__all__ = [
    "Chain",
    "ChainRules",
    "Element",
    "Execer",
    "FakeNft",
    "Map",
    "NftBackend",
    "Operation",
    "Rule",
    "Set",
    "SystemNft",
    "Table",
    "Transaction",
    "Verb",
    "concat",
    "quote",
    "set_literal",
]
