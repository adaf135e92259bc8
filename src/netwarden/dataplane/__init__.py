"""The nftables dataplane: render the IR to a table, write it, revoke flows.

``render_ruleset`` is pure; ``TableWriter`` applies rulesets through an
``NftBackend`` (``SystemNft`` or ``FakeNft``); ``conntrack`` lists and deletes
tracked connections that a new policy no longer allows.
"""

from .addresses import AddressSet
from .conntrack import Conntrack, ConntrackEntry, parse_conntrack, revoke, set_tcp_loose
from .matches import Marks
from .render import RenderOptions, Ruleset, endpoint_chain, render_ruleset
from .writer import ApplyStats, TableWriter, full_transaction, update_transaction

__all__ = [
    "AddressSet",
    "ApplyStats",
    "Conntrack",
    "ConntrackEntry",
    "Marks",
    "RenderOptions",
    "Ruleset",
    "TableWriter",
    "endpoint_chain",
    "full_transaction",
    "parse_conntrack",
    "render_ruleset",
    "revoke",
    "set_tcp_loose",
    "update_transaction",
]
