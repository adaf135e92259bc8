"""Selector cases taken from Calico's own tests, as data.

The selector strings and their expected outcomes come from libcalico-go's
``lib/selector/parser/parser_test.go`` (``selectorTests``, ``badSelectors``,
``canonicalisationTests``) and ``lib/selector/tokenizer/tokenizer_test.go``
(``tokenTests``) in projectcalico/calico. Only the facts are kept (text in,
outcome out), in netwarden's own format; the offsets and messages of rejections
are netwarden's, since Calico's errors name no position.
"""

from __future__ import annotations

from netwarden.ir.selector import (
    All,
    And,
    Contains,
    EndsWith,
    Eq,
    Has,
    In,
    Not,
    NotIn,
    Or,
    Selector,
    StartsWith,
)

Labels = dict[str, str]

# selectorTests: (selector, label sets it matches, label sets it does not match).
# Calico's three global() entries are in GLOBAL below.
MATCHES: list[tuple[str, list[Labels], list[Labels]]] = [
    ('a == "b"', [{"a": "b"}, {"a": "b", "c": "d"}], [{}, {"a": "c"}, {"c": "d"}]),
    ('a == "b" && c == "d"', [{"a": "b", "c": "d"}],
     [{}, {"a": "b", "c": "e"}, {"a": "c", "c": "d"}, {"c": "d"}, {"a": "b"}]),
    ('a == "b" || c == "d"', [{"a": "b", "c": "d"}, {"a": "b"}, {"c": "d"}],
     [{}, {"a": "e", "c": "e"}, {"c": "e"}, {"a": "e"}]),
    ("a in {\"'\", '\"', \"c\"}", [{"a": "c"}, {"a": '"'}, {"a": "'"}], [{}, {"a": "e"}]),
    ("a not in {\"'\", '\"', \"c\"}", [{}, {"a": "e"}], [{"a": "c"}, {"a": '"'}, {"a": "'"}]),
    ("a == 'a'", [{"a": "a"}], []),
    ('a == "a"', [{"a": "a"}], []),
    ('a != "b"', [{"a": "a"}], []),
    ('a != "a"', [{}], []),
    ('a contains "a"', [{"a": "a"}, {"a": "bab"}, {"a": "aaa", "b": "c"}],
     [{}, {"a": "b"}, {"b": "aaa"}]),
    ('a starts with "a"', [{"a": "a"}, {"a": "abb"}, {"a": "aaa", "b": "c"}],
     [{}, {"a": "b"}, {"a": "baa"}, {"b": "aaa"}]),
    ('a ends with "a"', [{"a": "a"}, {"a": "bba"}, {"a": "aaa", "b": "c"}],
     [{}, {"a": "b"}, {"a": "aab"}, {"b": "aaa"}]),
    ('a in {"a"}', [{"a": "a"}], []),
    ('!a in {"a"}', [{"a": "b"}], []),
    ('a in {"a", "b"}', [{"a": "a"}, {"a": "b"}], []),
    ('a not in {"d", "e"}', [{"a": "a"}], []),
    ("has(a)", [{"a": "b"}], []),
    ("!has(a)", [{"b": "b"}], []),
    ("", [{}, {"a": "b"}], []),
    (" ", [{}], []),
    ("all()", [{}], []),
    (" all()", [{}, {"a": "b"}], []),
    ("a == 'a'", [], [{"a": "b"}, {}]),
    ('a != "a"', [], [{"a": "a"}]),
    ("a != 'a'", [], [{"a": "a"}]),
    ('a in {"a"}', [], [{"a": "b"}]),
    ('a not in {"a"}', [], [{"a": "a"}]),
    ('a in {"a", "b"}', [], [{"a": "c"}]),
    ("has(b)", [], [{"a": "b"}]),
    ("!!has(b)", [], [{"a": "b"}]),
    ("! has(a)", [], [{"a": "b"}]),
    ("!has(a)", [], [{"a": "b"}]),
    ("!!! has(a)", [], [{"a": "b"}]),
    ("!!!has(a)", [], [{"a": "b"}]),
    ("!! ! has(a)", [], [{"a": "b"}]),
    ("! !!has(a)", [], [{"a": "b"}]),
    ("a == 'a1' && b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("a != 'a1' && !b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("!a == 'a1' && b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("has(a) && !has(b)", [{"a": "a"}], []),
    ("!has(b) && has(a)", [{"a": "a"}], []),
    ("!(!has(a) || has(b))", [{"a": "a"}], []),
    ("!(has(b) || !has(a))", [{"a": "a"}], []),
    ("a == 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a == 'a1' || b != 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b == 'b1'", [{"a": "a1", "b": "b1"}], []),
    ("a != 'a1' || b != 'b1'", [], [{"a": "a1", "b": "b1"}]),
    ("! a == 'a1' || ! b == 'b1'", [], [{"a": "a1", "b": "b1"}]),
]

# selectorTests' global() entries. Calico's selector library evaluates global()
# as true on any label set, but Calico never uses that value: in a rule's
# namespaceSelector (the only place its validator allows global()) it rewrites
# global() to `!has(projectcalico.org/namespace)` before matching. netwarden's IR
# keeps global() as a scope (no namespace's labels match it; the endpoints without a
# namespace do), so these cases check the parse and the canonical text.
GLOBAL: list[str] = ["global()", " global()", "global( )"]

# badSelectors, then tokenTests' error cases and the tokenTests inputs that
# tokenize but do not parse: (selector, 0-based offset, netwarden's message).
_OPERAND = "expected a label key, 'has(', 'all()', 'global()', '!' or '(', found "
_OPERATOR = ("('==', '!=', 'in', 'not in', 'contains', 'starts with', 'ends with'), found ")
REJECTED: list[tuple[str, int, str]] = [
    ("b == b", 5, "expected a quoted string after '==', found 'b'"),
    ("b contains b", 11, "expected a quoted string after 'contains', found 'b'"),
    ("b starts with b", 14, "expected a quoted string after 'starts with', found 'b'"),
    ("b ends with b", 12, "expected a quoted string after 'ends with', found 'b'"),
    ("'b1' == b", 0, _OPERAND + "string 'b1'"),
    ("b", 1, "expected an operator after label key 'b' " + _OPERATOR + "end of selector"),
    ("a b", 2, "expected an operator after label key 'a' " + _OPERATOR + "'b'"),
    ("!", 1, _OPERAND + "end of selector"),
    ('foo == "bar" &', 13, "unexpected character '&'"),
    ('foo == "bar" |', 13, "unexpected character '|'"),
    ("foo != ||", 7, "expected a quoted string after '!=', found '||'"),
    ('foo in {"", ||', 12, "expected a quoted string or '}', found '||'"),
    ('foo in ""', 7, "expected '{' after 'in', found string ''"),
    ('"FOO', 0, 'unterminated string: missing closing "'),
    ("\"FOO'", 0, 'unterminated string: missing closing "'),
    ("'FOO", 0, "unterminated string: missing closing '"),
    ("(", 1, _OPERAND + "end of selector"),
    ('(a == "foo"', 11,
     "expected '&&', '||' or ')' to close the '(' at position 0, found end of selector"),
    (")", 0, _OPERAND + "')'"),
    ("()", 1, _OPERAND + "')'"),
    ("%", 0, "unexpected character '%'"),
    ('a == "b" && %', 12, "unexpected character '%'"),
    ('a == "b" || %', 12, "unexpected character '%'"),
    ("a ", 2, "expected an operator after label key 'a' " + _OPERATOR + "end of selector"),
    ("has(foo) &&", 11, _OPERAND + "end of selector"),
    ('label starts foo "value"', 13, "expected 'with' after 'starts', found 'foo'"),
    ('label ends foo "value"', 11, "expected 'with' after 'ends', found 'foo'"),
    ('label squiggles "value"', 6,
     "expected an operator after label key 'label' " + _OPERATOR + "'squiggles'"),
    ('a not in "bar" && !has(foo) || b in c', 9,
     "expected '{' after 'not in', found string 'bar'"),
    ('a notin"bar"&&!has(foo)||b in"c"', 7, "expected '{' after 'not in', found string 'bar'"),
]

# canonicalisationTests: (selector, Calico's canonical form), which is netwarden's too.
CANONICAL: list[tuple[str, str]] = [
    ("", "all()"),
    (" all() ", "all()"),
    (" (all() )", "all()"),
    ("! (has( b)||! has(a ))", "!(has(b) || !has(a))"),
    ('! (a == "b"&&! c != "d")', '!(a == "b" && !c != "d")'),
    ("a == \"'\"", "a == \"'\""),
    ("a == '\"'", "a == '\"'"),
    ("a contains '\"'", "a contains '\"'"),
    ("a contains \"'\"", "a contains \"'\""),
    ("a startswith '\"'", "a starts with '\"'"),
    ("a endswith \"'\"", "a ends with \"'\""),
    ("a!='\"'", "a != '\"'"),
    ('a in {"d"}', 'a in {"d"}'),
    ('a in {"a", "b"}', 'a in {"a", "b"}'),
    ('a in {"d", "a", "b"}', 'a in {"a", "b", "d"}'),
    ('a in {"z", "x", "y", "a"}', 'a in {"a", "x", "y", "z"}'),
    ('a in {"z", "z", "x", "y", "x", "a"}', 'a in {"a", "x", "y", "z"}'),
]

# tokenTests whose tokens also parse: (selector, the tree).
TOKENIZED: list[tuple[str, Selector]] = [
    ('a=="b"', Eq("a", "b")),
    ('label == "value"', Eq("label", "value")),
    ('label contains "value"', Contains("label", "value")),
    ('contains contains "contains"', Contains("contains", "contains")),
    ("contains contains 'contains'", Contains("contains", "contains")),
    ('label contains"value"', Contains("label", "value")),
    ('label startswith "value"', StartsWith("label", "value")),
    ('label endswith "value"', EndsWith("label", "value")),
    ('label starts with "value"', StartsWith("label", "value")),
    ('startswith starts with "value"', StartsWith("startswith", "value")),
    ('label ends with "value"', EndsWith("label", "value")),
    ('endswith ends with "value"', EndsWith("endswith", "value")),
    ('label starts  with "value"', StartsWith("label", "value")),
    ('label ends  with "value"', EndsWith("label", "value")),
    ("has(calico/k8s_ns)", Has("calico/k8s_ns")),
    ("has(calico/k8s_ns/role)", Has("calico/k8s_ns/role")),
    ("has(calico/k8s_NS-.1/role)", Has("calico/k8s_NS-.1/role")),
    ('calico/k8s_ns == "kube-system" && k8s-app == "kube-dns"',
     And((Eq("calico/k8s_ns", "kube-system"), Eq("k8s-app", "kube-dns")))),
    ("a not in {}", NotIn("a", frozenset())),
    ('a not in {"a"}', NotIn("a", frozenset({"a"}))),
    ('a not in {"a","B"}', NotIn("a", frozenset({"a", "B"}))),
    ("all()", All()),
    # The two rejected tokenTests inputs above, with sets where the parser wants them.
    ('a  not  in  {"bar"}  &&  ! has( foo )  ||  b  in  {"c"} ',
     Or((And((NotIn("a", frozenset({"bar"})), Not(Has("foo")))), In("b", frozenset({"c"}))))),
    ('a notin{"bar"}&&!has(foo)||b in{"c"}',
     Or((And((NotIn("a", frozenset({"bar"})), Not(Has("foo")))), In("b", frozenset({"c"}))))),
]

# parser_test.go "Visitor tests": (selector, Calico's canonical form after its test
# visitor prefixed every label key with "visited/"). Calico's String() parenthesises
# every && and || group; the outputs must parse to the input with its keys prefixed.
VISITED_PREFIX = "visited/"
VISITED: list[tuple[str, str]] = [
    ("k == 'v'", 'visited/k == "v"'),
    ("k != 'v'", 'visited/k != "v"'),
    ("k contains 'v'", 'visited/k contains "v"'),
    ("k starts with 'v'", 'visited/k starts with "v"'),
    ("k ends with 'v'", 'visited/k ends with "v"'),
    ("k == 'v' && x == 'y'", '(visited/k == "v" && visited/x == "y")'),
    ("k == 'v' || has(x)", '(visited/k == "v" || has(visited/x))'),
    ("!(k == 'v')", '!visited/k == "v"'),
    ("k in {'v'}", 'visited/k in {"v"}'),
    ("k not in {'v'}", 'visited/k not in {"v"}'),
    ("!(!(k == 'v' && has(t) || all()) && (a in {'b', 'c'}))",
     '!(!((visited/k == "v" && has(visited/t)) || all()) && visited/a in {"b", "c"})'),
]
