"""A destination known only by its DNS name (``check --to-name``).

AdminNetworkPolicy ``domainNames`` peers match connections by the name they
were made to; netwarden has no DNS. Asked about a name, the engine evaluates
the source's egress with a destination that carries the name and no address:
``domainNames`` peers are matched against the name, and every other rule sees
an address outside the cluster that it cannot place. A rule naming addresses
(ipBlock, ``networks``, Calico ``nets``/``notNets``) met before the deciding
one might match the address the name resolves to and decide otherwise; those
rules are listed, and the answer is certain only when there are none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .._errors import LookupFailed
from ..ir import Action, Direction, Endpoint, PolicyIndex, Rule
from .verdict import Packet, SideVerdict, Verdict

__all__ = ["NameVerdict", "address_rules_in_play", "dns_name"]

_LABEL = r"[A-Za-z0-9](?:[-A-Za-z0-9_]*[A-Za-z0-9])?"
_NAME = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}\.?")


def dns_name(text: str) -> str:
    """``text`` as a DNS name to match domainNames against: lower case, no final dot.

    >>> dns_name("API.Example.com.")
    'api.example.com'
    >>> dns_name("*.example.com")
    Traceback (most recent call last):
    ...
    netwarden.LookupFailed: --to-name '*.example.com': not a DNS name \
(labels of letters, digits, '-' and '_', separated by dots)
    """
    if len(text) > 254 or not _NAME.fullmatch(text):
        raise LookupFailed(f"--to-name {text!r}: not a DNS name (labels of letters, digits, "
                           "'-' and '_', separated by dots)")
    return text.lower().rstrip(".")


@dataclass(frozen=True, slots=True)
class NameVerdict:
    """The verdict for a destination known by name, and what it rests on.

    ``address_rules`` are the egress rules, met before the decision, that name
    addresses: each might match the address the name resolves to. ``certain``
    when there are none.
    """

    verdict: Verdict
    address_rules: tuple[Rule, ...]

    @property
    def certain(self) -> bool:
        return not self.address_rules


def address_rules_in_play(index: PolicyIndex, endpoint: Endpoint, side: SideVerdict,
                          packet: Packet) -> tuple[Rule, ...]:
    """Rules of ``endpoint``'s egress that name addresses and come before ``side``'s
    decision (every such rule when it fell to the end of a tier or the default), on
    the packet's protocol and port, with an action other than Log."""
    out: list[Rule] = []
    for _tier, policies in index.layers(endpoint, Direction.EGRESS):
        for policy in policies:
            for rule in policy.rules(Direction.EGRESS):
                if rule is side.decided_by:
                    return tuple(out)
                if (rule.action is not Action.LOG
                        and (rule.destination.nets or rule.destination.not_nets)
                        and rule.services(None).contains(packet.protocol, packet.port)):
                    out.append(rule)
    return tuple(out)
