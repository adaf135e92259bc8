"""The nftables dataplane: render the IR to a table, write it, revoke flows.

``render_ruleset`` is pure, and a ``Renderer`` re-renders only what a change
touches; ``TableWriter`` applies rulesets through an ``NftBackend``
(``SystemNft`` or ``FakeNft``); ``conntrack`` lists and deletes tracked
connections and ``revocation`` picks those a new policy no longer allows;
``counters`` reads the table's counters back by rule origin.
"""

from ..ir.addresses import AddressSet
from .conntrack import Conntrack, ConntrackEntry, parse_conntrack, set_tcp_loose
from .incremental import Renderer
from .names import endpoint_chain
from .nft.backend import SystemNft
from .options import Marks, RenderOptions
from .render import render_ruleset
from .revocation import FlowPacket, FlowVerdict, entry_packet, revoke_denied
from .ruleset import Ruleset, full_transaction, update_transaction
from .writer import ApplyStats, TableWriter

__all__ = [
    "AddressSet",
    "ApplyStats",
    "Conntrack",
    "ConntrackEntry",
    "FlowPacket",
    "FlowVerdict",
    "Marks",
    "RenderOptions",
    "Renderer",
    "Ruleset",
    "SystemNft",
    "TableWriter",
    "endpoint_chain",
    "entry_packet",
    "full_transaction",
    "parse_conntrack",
    "render_ruleset",
    "revoke_denied",
    "set_tcp_loose",
    "update_transaction",
]
