"""The Calico selector language: Calico's own test tables, grammar, errors, limits, round trips."""

from __future__ import annotations

import dataclasses

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
from netwarden.load.calico_selector import MAX_DEPTH, MAX_KEY_LENGTH

from .calico_selector_cases import (
    CANONICAL,
    GLOBAL,
    MATCHES,
    REJECTED,
    TOKENIZED,
    VISITED,
    VISITED_PREFIX,
)

# -- Calico's own cases (libcalico-go parser and tokenizer tests) ----------------


@pytest.mark.parametrize(("text", "yes", "no"), MATCHES, ids=[m[0] or "empty" for m in MATCHES])
def test_calico_matches(text: str, yes: list[dict[str, str]], no: list[dict[str, str]]):
    sel = parse_selector(text)
    again = parse_selector(str(sel))
    for labels in yes:
        assert sel.matches(labels) and again.matches(labels), labels
    for labels in no:
        assert not sel.matches(labels) and not again.matches(labels), labels


@pytest.mark.parametrize("text", GLOBAL)
def test_calico_global_is_a_scope(text: str):
    sel = parse_selector(text)
    assert sel == Global() and str(sel) == "global()"
    # As a namespace selector it selects no namespace (only non-namespaced endpoints).
    assert not sel.matches({}) and not sel.matches({"a": "b"})


@pytest.mark.parametrize(("text", "position", "message"), REJECTED, ids=[r[0] for r in REJECTED])
def test_calico_rejects(text: str, position: int, message: str):
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert (info.value.position, info.value.message) == (position, message)


@pytest.mark.parametrize(("text", "canonical"), CANONICAL, ids=[c[0] or "empty" for c in CANONICAL])
def test_calico_canonical_form(text: str, canonical: str):
    assert str(parse_selector(text)) == canonical
    assert str(parse_selector(canonical)) == canonical


@pytest.mark.parametrize(("text", "tree"), TOKENIZED, ids=[t[0] for t in TOKENIZED])
def test_calico_tokens(text: str, tree: Selector):
    assert parse_selector(text) == tree


def _prefixed(sel: Selector, prefix: str) -> Selector:
    if isinstance(sel, Not):
        return Not(_prefixed(sel.operand, prefix))
    if isinstance(sel, And | Or):
        return type(sel)(tuple(_prefixed(op, prefix) for op in sel.operands))
    key = getattr(sel, "key", None)
    return sel if key is None else dataclasses.replace(sel, key=prefix + key)  # type: ignore[type-var]


@pytest.mark.parametrize(("text", "output"), VISITED, ids=[v[0] for v in VISITED])
def test_calico_canonical_output_parses_to_the_same_selector(text: str, output: str):
    assert parse_selector(output) == _prefixed(parse_selector(text), VISITED_PREFIX)


# -- netwarden's grammar cases -----------------------------------------------------

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
    ('!!a == "x"', Eq("a", "x"), {"a": "x"}, {}),          # runs of '!' fold, as in Calico
    ('!(!a == "x")', Eq("a", "x"), {"a": "x"}, {}),        # so do '!' around parentheses
    ('!!!(a == "x")', Not(Eq("a", "x")), {}, {"a": "x"}),
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
    # Operator spellings Calico's tokenizer accepts: any blanks (or none) inside two-word ones.
    ('a startswith "x"', StartsWith("a", "x"), {"a": "xy"}, {"a": "yx"}),
    ('a endswith"x"', EndsWith("a", "x"), {"a": "yx"}, {"a": "xy"}),
    ('a starts\twith "x"', StartsWith("a", "x"), None, None),
    ('a notin {"x"}', NotIn("a", frozenset({"x"})), {}, {"a": "x"}),
    ('a in{"x"}', In("a", frozenset({"x"})), {"a": "x"}, {}),
    ('a contains"x"', Contains("a", "x"), {"a": "axa"}, {}),
    ('not not in {"x"}', NotIn("not", frozenset({"x"})), None, None),
    ('starts starts with "x" && ends ends with "y"',
     And((StartsWith("starts", "x"), EndsWith("ends", "y"))), None, None),
    ("has(in)", Has("in"), {"in": ""}, {}),
    ('-/. == "x"', Eq("-/.", "x"), {"-/.": "x"}, None),      # any run of key characters
    ('a in {"x",}', In("a", frozenset({"x"})), {"a": "x"}, {}),  # comma after the last value
    ('a == "x\\y"', Eq("a", "x\\y"), {"a": "x\\y"}, None),   # no escape sequences
    ('a == "x\ny"', Eq("a", "x\ny"), {"a": "x\ny"}, None),     # a newline inside quotes
    ("((((a == 'x'))))", Eq("a", "x"), None, None),
    ('all() && a == "x"', And((All(), Eq("a", "x"))), {"a": "x"}, {}),
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
    ('a == "x"\n', 8, "a newline is only allowed inside a quoted value"),
    ('a == "x" &&\r\nb == "y"', 11, "a newline is only allowed inside a quoted value"),
    ('a == "x"\u00a0', 8, "unexpected character '\\xa0'"),
    ('(a == "x"', 9,
     "expected '&&', '||' or ')' to close the '(' at position 0, found end of selector"),
    ('((a == "x") b', 12,
     "expected '&&', '||' or ')' to close the '(' at position 0, found 'b'"),
    ('a == "x")', 8, "expected '&&', '||' or end of selector, found ')'"),
    ('a in {,}', 6, "expected a quoted string or '}', found ','"),
    ('a in {"x",,}', 10, "expected a quoted string or '}', found ','"),
    ('a inx {"x"}', 2, "expected an operator after label key 'a' ('==', '!=', 'in', 'not in', "
                       "'contains', 'starts with', 'ends with'), found 'inx'"),
    ('a startswithx "x"', 2, "expected an operator after label key 'a' ('==', '!=', 'in', "
                             "'not in', 'contains', 'starts with', 'ends with'), found "
                             "'startswithx'"),
    ('a Contains "x"', 2, "expected an operator after label key 'a' ('==', '!=', 'in', "
                          "'not in', 'contains', 'starts with', 'ends with'), found 'Contains'"),
    ('a == "x" AND b == "y"', 9, "expected '&&', '||' or end of selector, found 'AND'"),
    ("has( )", 5, "expected a label key inside has(), found ')'"),
    ("global(", 7, "expected ')' after 'global(', found end of selector"),
    ("all ()", 3, "no space is allowed between 'all' and '('"),
    ('a == "x\\"y"', 10, 'unterminated string: missing closing "'),  # a backslash escapes nothing
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


# -- limits: key length, nesting, size ----------------------------------------------

def test_label_key_of_512_characters_is_accepted():
    key = "k" * MAX_KEY_LENGTH
    assert parse_selector(f'{key} == "x" || has({key})') == Or((Eq(key, "x"), Has(key)))


@pytest.mark.parametrize(("text", "position"), [
    ("k" * 513 + ' == "x"', 0),
    ('a == "x" && has(' + "k" * 513 + ")", 16),
], ids=["key", "has"])
def test_label_key_over_512_characters_is_rejected(text: str, position: int):
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert info.value.position == position
    assert info.value.message == "label key is 513 characters long; Calico allows at most 512"


def test_300_parentheses_parse():
    assert parse_selector("(" * 300 + 'a == "x"' + ")" * 300) == Eq("a", "x")


def test_300_unclosed_parentheses_are_an_error_naming_the_innermost():
    with pytest.raises(SelectorError) as info:
        parse_selector("(" * 300 + 'a == "x"')
    assert info.value.position == 308
    assert info.value.message == (
        "expected '&&', '||' or ')' to close the '(' at position 299, found end of selector")


def test_2000_negations_fold_to_their_parity():
    assert parse_selector("!" * 2000 + 'a == "x"') == Eq("a", "x")
    assert parse_selector("!" * 2001 + 'a == "x"') == Not(Eq("a", "x"))
    with pytest.raises(SelectorError) as info:
        parse_selector("!" * 2000)
    assert info.value.position == 2000


def _chain(levels: int) -> str:
    """A selector whose tree nests ``levels`` deep: alternating ``||`` and ``&&`` groups."""
    text = 'x == "v"'
    for i in range(levels):
        text = f'k{i} == "v" {"&&" if i % 2 else "||"} ({text})'
    return text


def test_nesting_up_to_the_bound_parses_and_prints():
    sel = parse_selector(_chain(MAX_DEPTH))
    assert parse_selector(str(sel)) == sel
    assert sel.matches({"k99": "v", "k98": "v"}) and not sel.matches({"k98": "v"})
    assert len(sel.keys()) == MAX_DEPTH + 1
    assert hash(sel) == hash(parse_selector(str(sel)))


@pytest.mark.parametrize(("prefix", "position"), [("", 0), ('z == "v" || (', 13)])
def test_nesting_past_the_bound_is_an_error_at_the_expression(prefix: str, position: int):
    text = prefix + _chain(MAX_DEPTH + 1) + (")" if prefix else "")
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert info.value.position == position
    assert info.value.message == ("the expression starting here nests more than 100 levels "
                                  "of '&&', '||' and '!' (netwarden's limit)")


def test_folded_negations_do_not_count_towards_the_bound():
    text = "!(" * 1000 + 'a == "x"' + ")" * 1000
    assert parse_selector(text) == Eq("a", "x")


def test_a_100_kb_selector_parses():
    text = " || ".join(f'key-{i} == "value-{i}"' for i in range(4000))
    assert len(text) > 100_000
    sel = parse_selector(text)
    assert isinstance(sel, Or) and len(sel.operands) == 4000
    assert sel.matches({"key-3999": "value-3999"}) and not sel.matches({"key-1": "value-2"})


def test_errors_in_long_selectors_quote_only_the_part_around_the_offset():
    text = " || ".join(f'key-{i} == "value-{i}"' for i in range(4000)) + " ||"
    with pytest.raises(SelectorError) as info:
        parse_selector(text)
    assert info.value.position == len(text)
    shown = f"{text[-60:]!r} (characters {len(text) - 60}-{len(text)} of {len(text)})"
    assert str(info.value) == (
        f"invalid selector {shown} at position {len(text)}: expected a label key, 'has(', "
        "'all()', 'global()', '!' or '(', found end of selector")


def test_errors_shorten_a_long_key_or_value():
    with pytest.raises(SelectorError) as info:
        parse_selector("a" * 100 + " ~")
    assert info.value.message == "unexpected character '~'"
    with pytest.raises(SelectorError) as info:
        parse_selector('a == "x" ' + "b" * 100)
    assert info.value.message == (
        "expected '&&', '||' or end of selector, found " + repr("b" * 40) + "... (100 characters)")


# -- property: str() is a canonical form that re-parses to the same meaning ------

KEYS = st.sampled_from(["a", "b", "app", "example.com/x-1", "in", "has"])
VALUES = st.text(alphabet="xy\"' -\\\n", max_size=3).filter(lambda v: not ('"' in v and "'" in v))
VALUE_SETS = st.frozensets(VALUES, max_size=3)

LEAVES = st.one_of(
    st.just(All()),
    st.just(Global()),
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
