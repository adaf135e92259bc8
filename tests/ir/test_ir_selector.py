"""IR label selectors: what each node matches, the keys it reads, its canonical text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwarden.compile.k8s import label_selector
from netwarden.ir.selector import (
    All,
    And,
    Contains,
    EndsWith,
    Eq,
    Global,
    Has,
    In,
    Ne,
    Not,
    NotIn,
    Or,
    Selector,
    StartsWith,
    conjunction,
    quote,
)
from netwarden.resources.k8s import LabelSelector, LabelSelectorRequirement

WEB = {"app": "web", "tier": "front"}
DB = {"app": "db"}
BARE: dict[str, str] = {}


@pytest.mark.parametrize(
    ("selector", "web", "db", "bare"),
    [
        (All(), True, True, True),
        (Global(), False, False, False),
        (Has("tier"), True, False, False),
        (Eq("app", "web"), True, False, False),
        # A missing label makes != and "not in" true, every other comparison false.
        (Ne("app", "web"), False, True, True),
        (In("app", frozenset({"web", "api"})), True, False, False),
        (NotIn("app", frozenset({"web", "api"})), False, True, True),
        (Contains("app", "e"), True, False, False),
        (StartsWith("tier", "fr"), True, False, False),
        (EndsWith("app", "b"), True, True, False),
        (Not(Has("tier")), False, True, True),
        (And((Eq("app", "web"), Has("tier"))), True, False, False),
        (Or((Eq("app", "db"), Has("tier"))), True, True, False),
        (And(()), True, True, True),
        (Or(()), False, False, False),
    ],
    ids=lambda v: str(v) if isinstance(v, Selector) else None,
)
def test_matches(selector: Selector, web: bool, db: bool, bare: bool) -> None:
    assert (selector.matches(WEB), selector.matches(DB), selector.matches(BARE)) == (
        web, db, bare)


@pytest.mark.parametrize(
    ("selector", "text"),
    [
        (All(), "all()"),
        (Global(), "global()"),
        (Has("app"), "has(app)"),
        (Eq("app", "web"), 'app == "web"'),
        (Ne("app", "web"), 'app != "web"'),
        (In("app", frozenset({"web", "api"})), 'app in {"api", "web"}'),
        (NotIn("app", frozenset({"b", "a"})), 'app not in {"a", "b"}'),
        (Contains("app", "we"), 'app contains "we"'),
        (StartsWith("app", "we"), 'app starts with "we"'),
        (EndsWith("app", "eb"), 'app ends with "eb"'),
        (Eq("msg", 'say "hi"'), "msg == 'say \"hi\"'"),
        (Not(Has("canary")), "!has(canary)"),
        (Not(And((Has("a"), Has("b")))), "!(has(a) && has(b))"),
        (And((Eq("a", "1"), Or((Has("b"), Has("c"))))), 'a == "1" && (has(b) || has(c))'),
        (Or((And((Has("a"), Has("b"))), Has("c"))), "has(a) && has(b) || has(c)"),
    ],
)
def test_canonical_str(selector: Selector, text: str) -> None:
    assert str(selector) == text


def test_in_renders_its_values_sorted_whatever_the_input_order() -> None:
    assert str(In("k", frozenset(["z", "a", "m"]))) == str(In("k", frozenset(["m", "z", "a"])))


def test_quote() -> None:
    assert quote("plain") == '"plain"'
    assert quote('has "quotes"') == "'has \"quotes\"'"


def test_keys() -> None:
    sel = And((Eq("app", "web"), Not(Has("canary")), Or((In("t", frozenset({"x"})), All()))))
    assert sel.keys() == {"app", "canary", "t"}
    assert All().keys() == frozenset()


def test_selectors_are_values() -> None:
    assert Eq("a", "1") == Eq("a", "1")
    assert hash(In("a", frozenset({"1", "2"}))) == hash(In("a", frozenset({"2", "1"})))
    assert {And((Has("a"),)), And((Has("a"),))} == {And((Has("a"),))}


def test_conjunction_flattens_and_drops_all() -> None:
    assert conjunction([]) == All()
    assert conjunction([All(), All()]) == All()
    assert conjunction([All(), Has("a")]) == Has("a")
    nested = conjunction([And((Has("a"), Has("b"))), Has("c")])
    assert nested == And((Has("a"), Has("b"), Has("c")))


def _k8s(labels: dict[str, str], *exprs: tuple[str, str, tuple[str, ...]]) -> Selector:
    return label_selector(LabelSelector(
        tuple(sorted(labels.items())),
        tuple(LabelSelectorRequirement(k, op, v) for k, op, v in exprs),
    ))


def test_kubernetes_selectors_compile_to_nodes() -> None:
    assert _k8s({}) == All()
    assert _k8s({"app": "web"}) == Eq("app", "web")
    sel = _k8s({"app": "web"}, ("tier", "In", ("a", "b")), ("x", "NotIn", ("1",)),
               ("y", "Exists", ()), ("z", "DoesNotExist", ()))
    assert str(sel) == ('app == "web" && tier in {"a", "b"} && x not in {"1"} '
                        "&& has(y) && !has(z)")


# -- property: Kubernetes selector semantics against a direct reading ----------
KEYS, VALUES = ("k1", "k2"), ("v1", "v2", "v3")
label_sets = st.dictionaries(st.sampled_from(KEYS), st.sampled_from(VALUES), max_size=2)
requirements = st.tuples(
    st.sampled_from(KEYS),
    st.sampled_from(("In", "NotIn", "Exists", "DoesNotExist")),
    st.lists(st.sampled_from(VALUES), min_size=1, max_size=2, unique=True).map(tuple),
).map(lambda r: r if r[1] in ("In", "NotIn") else (r[0], r[1], ()))


def _reference(labels: dict[str, str], match: dict[str, str],
               exprs: list[tuple[str, str, tuple[str, ...]]]) -> bool:
    """The LabelSelector rules as the Kubernetes API documents them."""
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for key, op, values in exprs:
        ok = {
            "In": key in labels and labels[key] in values,
            "NotIn": key not in labels or labels[key] not in values,
            "Exists": key in labels,
            "DoesNotExist": key not in labels,
        }[op]
        if not ok:
            return False
    return True


@settings(max_examples=200, deadline=None)
@given(label_sets, label_sets, st.lists(requirements, max_size=3))
def test_kubernetes_selector_semantics(
    labels: dict[str, str], match: dict[str, str],
    exprs: list[tuple[str, str, tuple[str, ...]]],
) -> None:
    assert _k8s(match, *exprs).matches(labels) == _reference(labels, match, exprs)
