"""The one counters reader: rule counters and fast-path set elements, origins parsed once."""

from __future__ import annotations

from typing import Any

from netwarden.dataplane.counters import (
    Counted,
    by_origin,
    by_policy,
    default_deny_of,
    parse_counters,
    policy_of,
)
from netwarden.dataplane.names import COMMENT_MAX, short_comment

ALLOW_MARK = {"mangle": {"key": {"meta": {"key": "mark"}},
                         "value": {"|": [{"meta": {"key": "mark"}}, 65536]}}}
PASS_MARK = {"mangle": {"key": {"meta": {"key": "mark"}},
                        "value": {"|": [{"meta": {"key": "mark"}}, 131072]}}}


def rule(comment: str | None, *expr: dict[str, Any], packets: int = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"chain": "c", "expr": [{"counter": {"packets": packets,
                                                                 "bytes": 60 * packets}},
                                                    *expr]}
    if comment is not None:
        body["comment"] = comment
    return {"rule": body}


def element(comment: str, packets: int) -> dict[str, Any]:
    return {"elem": {"val": "10.0.0.1", "comment": comment,
                     "counter": {"packets": packets, "bytes": 60 * packets}}}


def test_comments_map_to_policies_and_default_denies() -> None:
    assert policy_of("prod/db-in ingress[0] from[1]") == ("prod/db-in", "ingress")
    assert default_deny_of("prod/db ingress tier default default deny") == (
        "prod/db", "ingress", "default")
    totals = by_policy([Counted("c", "prod/db-in ingress[0]", "allow", 3, 180),
                        Counted("c", "prod/db ingress tier default default deny", "drop", 2, 120),
                        Counted("c", "conntrack invalid", "drop", 9, 9)])
    assert totals == {("prod/db-in", "ingress", "match"): (3, 180),
                      ("default-deny:default", "ingress", "drop"): (2, 120)}


def test_verdicts_are_read_from_the_statements() -> None:
    objects = [rule("p/a ingress[0]", ALLOW_MARK, {"return": None}),
               rule("p/a ingress[1]", PASS_MARK, {"return": None}),
               rule("p/a ingress[2]", {"drop": None}),
               rule("p/a ingress[3]", {"log": {"prefix": "nw x"}}),
               rule(None, {"drop": None})]  # uncommented: not an origin, not read
    assert [(c.origin, c.verdict) for c in parse_counters(objects)] == [
        ("p/a ingress[0]", "allow"), ("p/a ingress[1]", "pass"), ("p/a ingress[2]", "drop"),
        ("p/a ingress[3]", "log")]


def test_fast_path_elements_count_as_allows_of_their_policy() -> None:
    objects = [{"set": {"name": "u4a-1", "elem": [element("prod/db-in ingress[0]", 4),
                                                  element("prod/db-in ingress[1]", 1)]}},
               rule("prod/db-in ingress[2]", ALLOW_MARK, packets=2)]
    counted = parse_counters(objects)
    assert [(c.element, c.verdict) for c in counted] == [(True, "allow")] * 2 + [
        (False, "allow")]
    assert by_policy(counted) == {("prod/db-in", "ingress", "match"): (7, 420)}
    assert by_origin(counted)[("prod/db-in ingress[0]", "allow")] == (4, 240)


def test_short_comments_are_stable_unique_and_map_back_to_the_full_origin() -> None:
    a, b = "prod/" + "é" * 70 + " ingress[0]", "prod/" + "é" * 70 + " ingress[1]"
    assert short_comment(a) == short_comment(a) != short_comment(b)
    assert all(len(short_comment(t).encode()) <= COMMENT_MAX for t in (a, b))
    counted = parse_counters([rule(short_comment(a), {"drop": None})],
                             origins={short_comment(a): a})
    assert [c.origin for c in counted] == [a]
    assert by_policy(counted) == {("prod/" + "é" * 70, "ingress", "drop"): (1, 60)}
