"""The nftables dataplane: render the IR to a table, write it, revoke flows.

``render_ruleset`` is pure, and a ``Renderer`` re-renders only what a change
touches; ``TableWriter`` applies rulesets through an ``NftBackend``
(``SystemNft`` or ``FakeNft``); ``conntrack`` lists and deletes tracked
connections that a new policy no longer allows.
"""

from ..ir.addresses import AddressSet
from .conntrack import Conntrack, ConntrackEntry, parse_conntrack, revoke, set_tcp_loose
from .incremental import Renderer
from .names import endpoint_chain
from .nft.backend import SystemNft
from .options import Marks, RenderOptions
from .render import render_ruleset
from .ruleset import Ruleset, full_transaction, update_transaction
from .writer import ApplyStats, TableWriter

__all__ = [
    "AddressSet",
    "ApplyStats",
    "Conntrack",
    "ConntrackEntry",
    "Marks",
    "RenderOptions",
    "Renderer",
    "Ruleset",
    "SystemNft",
    "TableWriter",
    "endpoint_chain",
    "full_transaction",
    "parse_conntrack",
    "render_ruleset",
    "revoke",
    "set_tcp_loose",
    "update_transaction",
]
