"""Counters read back from a node's table, by rule origin: rules *and* set elements.

Every counted rule carries the origin of the IR rule it stands for as its
comment (``prod/db-in ingress[0] from[1]``), or says what it is (``prod/db
ingress tier default default deny``, ``conntrack invalid``). Allow rules of
an allow-only tier (the fast path, ``fastpath``, on by default) are not rules
in the kernel but elements of interval sets, each with its own counter and the
origin as the element's comment. A packet such a tier allows counts there and
nowhere else, so a reader of rule counters alone misses every fast-path allow:
this module reads both, and parses the origins in one place for ``lab stats``
and the agent's per-policy metrics.

A comment longer than nft allows is written in a short form
(``names.short_comment``); ``comment_origins`` gives the full text of each
from the IR, so counters are always reported under the full origin.

>>> objs = [{"rule": {"chain": "pol-x", "comment": "prod/db-in ingress[0]",
...          "expr": [{"counter": {"packets": 2, "bytes": 120}}, {"drop": None}]}},
...         {"set": {"name": "u4a-1", "elem": [{"elem": {"val": "10.0.0.1",
...          "counter": {"packets": 3, "bytes": 180}, "comment": "prod/db-in ingress[1]"}}]}}]
>>> [(c.origin, c.verdict, c.packets, c.element) for c in parse_counters(objs)]
[('prod/db-in ingress[0]', 'drop', 2, False), ('prod/db-in ingress[1]', 'allow', 3, True)]
>>> by_policy(parse_counters(objs))
{('prod/db-in', 'ingress', 'drop'): (2, 120), ('prod/db-in', 'ingress', 'match'): (3, 180)}
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .._errors import NftError
from ..ir import Cluster, Direction, EndpointKind
from .names import anti_spoofing_comment, default_deny_comment, rule_comment
from .nft.backend import NftBackend
from .nft.objects import Table
from .options import Marks

__all__ = [
    "Counted",
    "by_origin",
    "by_policy",
    "comment_origins",
    "default_deny_of",
    "parse_counters",
    "policy_of",
    "read_counters",
]

Totals = dict[tuple[str, ...], tuple[int, int]]

_DEFAULT_DENY = re.compile(r"^(?P<endpoint>\S+) (?P<direction>ingress|egress) tier "
                           r"(?P<tier>\S+) default deny$")


@dataclass(frozen=True, slots=True)
class Counted:
    """One counter of the table: a rule's, or a fast-path set element's."""

    where: str      # the rule's chain, or the element's set
    origin: str     # the comment: an IR rule origin, a default deny, a guard
    verdict: str    # "allow", "pass", "drop", "log" or "other"
    packets: int
    bytes: int
    element: bool = False


def _verdict(expr: list[Any], marks: Marks) -> str:
    """What a rule does with what it counts, from its JSON statements."""
    for statement in expr:
        if not isinstance(statement, dict):
            continue
        if "drop" in statement:
            return "drop"
        if "log" in statement:
            return "log"
        mangle = statement.get("mangle")
        if isinstance(mangle, dict) and mangle.get("key") == {"meta": {"key": "mark"}}:
            value = repr(mangle.get("value"))
            if str(marks.allow) in value:
                return "allow"
            if str(marks.pass_) in value:
                return "pass"
    return "other"


def _counter(expr: list[Any]) -> dict[str, Any] | None:
    for statement in expr:
        if isinstance(statement, dict) and isinstance(statement.get("counter"), dict):
            return statement["counter"]  # type: ignore[no-any-return]
    return None


def comment_origins(cluster: Cluster) -> dict[str, str]:
    """{short form: full text} of every comment rendering ``cluster`` had to shorten.

    The texts are made by the same functions the renderer uses (``names``):
    rule origins, tiers' default denies per endpoint and direction, and
    anti-spoofing.
    """
    out: dict[str, str] = {}

    def keep(short: str, full: str) -> None:
        if short != full:
            out[short] = full

    for policy in cluster.policies:
        for direction in Direction:
            for rule in policy.rules(direction):
                keep(rule_comment(rule.origin), str(rule.origin))
    tiers = [tier.name for tier, _ in cluster.evaluation_order]
    for endpoint in cluster.endpoints:
        if endpoint.kind not in (EndpointKind.POD, EndpointKind.HOST):
            continue
        if endpoint.kind is EndpointKind.POD:
            keep(anti_spoofing_comment(endpoint.key), f"{endpoint.key} anti-spoofing")
        for direction in Direction:
            for tier in tiers:
                keep(default_deny_comment(endpoint.key, direction, tier),
                     f"{endpoint.key} {direction.lower} tier {tier} default deny")
    return out


def parse_counters(objects: Iterable[dict[str, Any]], marks: Marks | None = None,
                   origins: Mapping[str, str] | None = None) -> list[Counted]:
    """Every commented counter among ``nft -j list table`` objects.

    Set elements only ever count in allow unions, so they are Allows.
    ``origins`` (``comment_origins``) turns short forms back into full texts.
    """
    marks = marks or Marks()
    full = origins or {}
    out: list[Counted] = []
    for obj in objects:
        rule = obj.get("rule")
        if isinstance(rule, dict) and rule.get("comment"):
            expr = rule.get("expr", [])
            counter = _counter(expr)
            if counter is not None:
                out.append(Counted(rule.get("chain", ""),
                                   full.get(str(rule["comment"]), str(rule["comment"])),
                                   _verdict(expr, marks), int(counter.get("packets", 0)),
                                   int(counter.get("bytes", 0))))
            continue
        item = obj.get("set")
        if not isinstance(item, dict):
            continue
        for elem in item.get("elem", ()):
            inner = elem.get("elem") if isinstance(elem, dict) else None
            if isinstance(inner, dict) and "comment" in inner and "counter" in inner:
                counter = inner["counter"]
                comment = str(inner["comment"])
                out.append(Counted(item.get("name", ""), full.get(comment, comment), "allow",
                                   int(counter.get("packets", 0)),
                                   int(counter.get("bytes", 0)), element=True))
    return out


def read_counters(backend: NftBackend, table: Table, marks: Marks | None = None,
                  origins: Mapping[str, str] | None = None) -> list[Counted]:
    """The counters of ``table`` as the kernel has them; [] when there is no such table."""
    try:
        text = backend.list_table(table, as_json=True)
    except NftError:
        return []
    return parse_counters(json.loads(text).get("nftables", []), marks, origins)


def policy_of(comment: str) -> tuple[str, str] | None:
    """(policy id, direction) of an IR-origin comment ``ns/name ingress[0] ...``.

    >>> policy_of("prod/db-in ingress[0] from[1]"), policy_of("conntrack invalid")
    (('prod/db-in', 'ingress'), None)
    """
    parts = comment.split()
    if len(parts) >= 2 and _DEFAULT_DENY.match(comment) is None:
        direction = parts[1].split("[", 1)[0]
        if direction in ("ingress", "egress") and parts[1] != direction:
            return parts[0], direction
    return None


def default_deny_of(comment: str) -> tuple[str, str, str] | None:
    """(endpoint, direction, tier) of a tier's default-deny drop rule.

    >>> default_deny_of("prod/db ingress tier default default deny")
    ('prod/db', 'ingress', 'default')
    """
    m = _DEFAULT_DENY.match(comment)
    return (m["endpoint"], m["direction"], m["tier"]) if m else None


def _add(out: Totals, key: tuple[str, ...], c: Counted) -> None:
    p, b = out.get(key, (0, 0))
    out[key] = (p + c.packets, b + c.bytes)


def by_origin(counters: Iterable[Counted]) -> dict[tuple[str, str], tuple[int, int]]:
    """(origin, verdict) → (packets, bytes), summed over chains, sets and endpoints."""
    out: Totals = {}
    for c in counters:
        _add(out, (c.origin, c.verdict), c)
    return {(k[0], k[1]): v for k, v in out.items()}


def by_policy(counters: Iterable[Counted]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(policy or ``default-deny:<tier>``, direction, "match"/"drop") → (packets, bytes).

    A policy rule counts as "drop" when it is a Deny, else "match" (Allow,
    Pass, Log), whether it counted as a rule or as a fast-path element.
    """
    out: Totals = {}
    for c in counters:
        pol = policy_of(c.origin)
        if pol is not None:
            _add(out, (pol[0], pol[1], "drop" if c.verdict == "drop" else "match"), c)
            continue
        deny = default_deny_of(c.origin)
        if deny is not None:
            _add(out, (f"default-deny:{deny[2]}", deny[1], "drop"), c)
    return {(k[0], k[1], k[2]): v for k, v in out.items()}
