"""The Calico selector language: one case per grammar rule, errors, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwarden import SelectorError, parse_selector
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
)

# (text, expected tree, labels it matches, labels it does not match)
GRAMMAR = [
    ("", All(), {}, None),
    ("   \t", All(), {"a": "1"}, None),
    ("all()", All(), {}, None),
    ("all( )", All(), {}, None),
    ("global()", Global(), None, {}),
    ('a == "x"', Eq("a", "x"), {"a": "x"}, {"a": "y"}),
    ("a == 'x'", Eq("a", "x"), {"a": "x"}, {}),
    ('a != "x"', Ne("a", "x"), {}, {"a": "x"}),
    ('a in {"x", \'y\'}', In("a", frozenset({"x", "y"})), {"a": "y"}, {}),
    ("a in {}", In("a", frozenset()), None, {"a": ""}),
    ('a not in {"x"}', NotIn("a", frozenset({"x"})), {}, {"a": "x"}),
    ("a not   in {}", NotIn("a", frozenset()), {}, None),
    ("has(a)", Has("a"), {"a": ""}, {"b": "a"}),
    ("has( a )", Has("a"), {"a": "1"}, {}),
    ("!has(a)", Not(Has("a")), {}, {"a": "1"}),
    ('a contains "bc"', Contains("a", "bc"), {"a": "abcd"}, {}),
    ('a starts with "ab"', StartsWith("a", "ab"), {"a": "abc"}, {"a": "cab"}),
    ('a ends with "bc"', EndsWith("a", "bc"), {"a": "abc"}, {"a": "bca"}),
    ('!a == "x"', Not(Eq("a", "x")), {}, {"a": "x"}),
    ('!!a == "x"', Not(Not(Eq("a", "x"))), {"a": "x"}, {}),
    ('a == "1" && b == "2"', And((Eq("a", "1"), Eq("b", "2"))), {"a": "1", "b": "2"}, {"a": "1"}),
    ('a == "1" || b == "2"', Or((Eq("a", "1"), Eq("b", "2"))), {"b": "2"}, {}),
    (
        'a == "1" || b == "2" && c == "3"',
        Or((Eq("a", "1"), And((Eq("b", "2"), Eq("c", "3"))))),
        {"a": "1"},
        {"b": "2"},
    ),
    (
        '(a == "1" || b == "2") && c == "3"',
        And((Or((Eq("a", "1"), Eq("b", "2"))), Eq("c", "3"))),
        {"b": "2", "c": "3"},
        {"a": "1"},
    ),
    ('!(a == "1" && b == "2")', Not(And((Eq("a", "1"), Eq("b", "2")))), {"a": "1"}, None),
    ('(a == "1" && b == "2") && c == "3"', And((Eq("a", "1"), Eq("b", "2"), Eq("c", "3"))),
     None, None),
    ('example.com/tier-1_x == "v"', Eq("example.com/tier-1_x", "v"), {"example.com/tier-1_x": "v"},
     None),
    ('in == "x" && has == "y"', And((Eq("in", "x"), Eq("has", "y"))), None, None),
    ('a=="x"&&!has(b)', And((Eq("a", "x"), Not(Has("b")))), {"a": "x"}, None),
    ("a == 'say \"hi\"'", Eq("a", 'say "hi"'), {"a": 'say "hi"'}, None),
]


@pytest.mark.parametrize(
    ("text", "tree", "yes", "no"), GRAMMAR, ids=[g[0] or "empty" for g in GRAMMAR]
)
def test_grammar(text: str, tree: Selector, yes: dict[str, str] | None, no: dict[str, str] | None):
    sel = parse_selector(text)
    assert sel == tree
    assert parse_selector(str(sel)) == sel
    if yes is not None:
        assert sel.matches(yes)
    if no is not None:
        assert not sel.matches(no)


def test_missing_label_semantics():
    assert parse_selector('a != "x"').matches({})
    assert parse_selector('a not in {"x"}').matches({})
    for text in ('a == "x"', 'a in {"x"}', 'a contains ""', 'a starts with ""', 'a ends with ""'):
        assert not parse_selector(text).matches({}), text


INVALID = [
    ("has (a)", 3, "no space is allowed between 'has' and '('"),
    ("a ==", 4, "expected a quoted string after '==', found end of selector"),
    ('a = "x"', 2, "unexpected character '='"),
    ("a == x", 5, "expected a quoted string after '==', found 'x'"),
    ('a == "x"\n', 8, "newlines are not allowed in a selector"),
    ('a == "x\ny"', 7, "newlines are not allowed in a selector"),
    ('(a == "x"', 9, "expected ')' to close the '(' at position 0, found end of selector"),
    ('a in {"x",}', 10, "expected a quoted string after ',', found '}'"),
    ('a in "x"', 5, "expected '{' after 'in', found string 'x'"),
    ('a in {"x" "y"}', 10, "expected ',' or '}' in the value set, found string 'y'"),
    ('a not "x"', 6, "expected 'in' after 'not', found string 'x'"),
    ('a starts "x"', 9, "expected 'with' after 'starts', found string 'x'"),
    ('a == "x" b', 9, "expected '&&', '||' or end of selector, found 'b'"),
    ("&&", 0, "expected a label key, 'has(', 'all()', 'global()', '!' or '(', found '&&'"),
    ('a == "x" &&', 11,
     "expected a label key, 'has(', 'all()', 'global()', '!' or '(', found end of selector"),
    ("!", 1,
     "expected a label key, 'has(', 'all()', 'global()', '!' or '(', found end of selector"),
    ("all( x)", 5, "expected ')' after 'all(', found 'x'"),
    ("has()", 4, "expected a label key inside has(), found ')'"),
    ("has(a b)", 6, "expected ')' after the label key of has(), found 'b'"),
    ('a == "x', 5, 'unterminated string: missing closing "'),
    ("a", 1, "expected an operator after label key 'a' ('==', '!=', 'in', 'not in', "
             "'contains', 'starts with', 'ends with'), found end of selector"),
    ('a == "x" & b == "y"', 9, "unexpected character '&'"),
    ("@", 0, "unexpected character '@'"),
    ("()", 1, "expected a label key, 'has(', 'all()', 'global()', '!' or '(', found ')'"),
]


@pytest.mark.parametrize(("text", "position", "message"), INVALID, ids=[i[0] for i in INVALID])
def test_invalid(text: str, position: int, message: str):
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert info.value.position == position
    assert info.value.message == message
    assert str(info.value) == f"invalid selector {text!r} at position {position}: {message}"
    assert isinstance(info.value, ValueError)


# -- property: str() is a canonical form that re-parses to the same meaning ------

KEYS = st.sampled_from(["a", "b", "app", "example.com/x-1", "in", "has"])
VALUES = st.text(alphabet="xy\"' -", max_size=3).filter(lambda v: not ('"' in v and "'" in v))
VALUE_SETS = st.frozensets(VALUES, max_size=3)

LEAVES = st.one_of(
    st.just(All()),
    st.builds(Has, KEYS),
    st.builds(Eq, KEYS, VALUES),
    st.builds(Ne, KEYS, VALUES),
    st.builds(In, KEYS, VALUE_SETS),
    st.builds(NotIn, KEYS, VALUE_SETS),
    st.builds(Contains, KEYS, VALUES),
    st.builds(StartsWith, KEYS, VALUES),
    st.builds(EndsWith, KEYS, VALUES),
)


def _extend(children: st.SearchStrategy[Selector]) -> st.SearchStrategy[Selector]:
    many = st.lists(children, min_size=2, max_size=3).map(tuple)
    return st.one_of(st.builds(Not, children), st.builds(And, many), st.builds(Or, many))


TREES = st.recursive(LEAVES, _extend, max_leaves=8)
LABELS = st.dictionaries(st.sampled_from(["a", "b", "app", "in"]), VALUES, max_size=4)


@settings(max_examples=300, deadline=None)
@given(TREES, st.lists(LABELS, min_size=1, max_size=6))
def test_round_trip_preserves_meaning(tree: Selector, label_sets: list[dict[str, str]]):
    parsed = parse_selector(str(tree))
    for labels in label_sets:
        assert parsed.matches(labels) == tree.matches(labels)
    # Parsed trees are canonical: printing and parsing again changes nothing.
    assert parse_selector(str(parsed)) == parsed
    assert str(parse_selector(str(parsed))) == str(parsed)
