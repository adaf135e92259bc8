"""The nftables dataplane: render the IR to a table, write it, revoke flows.

``render_ruleset`` is pure, and a ``Renderer`` re-renders only what a change
touches; ``TableWriter`` applies rulesets through an ``NftBackend``
(``SystemNft`` or ``FakeNft``); ``conntrack`` lists and deletes tracked
connections that a new policy no longer allows.
"""

from .addresses import AddressSet
from .conntrack import Conntrack, ConntrackEntry, parse_conntrack, revoke, set_tcp_loose
from .incremental import Renderer
from .matches import Marks
from .nft.backend import SystemNft
from .render import RenderOptions, Ruleset, endpoint_chain, render_ruleset
from .writer import ApplyStats, TableWriter, full_transaction, update_transaction

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
