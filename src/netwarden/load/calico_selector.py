"""Calico's selector language, parsed into the IR's selector tree.

The language and its corner cases follow libcalico-go's own tokenizer and parser
(``lib/selector/tokenizer`` and ``lib/selector/parser`` in projectcalico/calico;
docs/calico.md lists each rule and where netwarden departs from it). The grammar,
loosest binding first::

    selector   := [ or ]                      (empty or blank means all())
    or         := and { "||" and }
    and        := unary { "&&" unary }
    unary      := { "!" } primary             ("!a == 'x'" negates the comparison)
    primary    := "(" or ")" | "all()" | "global()" | "has(" key ")"
                | key "==" str | key "!=" str | key "in" set | key "not in" set
                | key "contains" str | key "starts with" str | key "ends with" str
    set        := "{" [ str { "," str } [ "," ] ] "}"

Operator words are recognised by position, not reserved: ``in == "x"`` compares
the label ``in``. ``not in``, ``starts with`` and ``ends with`` may be written
with any number of spaces or tabs between their words, none included
(``startswith``). ``has``, ``all`` and ``global`` are calls only when the
parenthesis follows without a space. A label key is 1 to 512 of the characters
``A-Z a-z 0-9 _ . / -``; a quoted value is anything up to the next quote of the
same kind (there are no escape sequences). Only spaces and tabs separate tokens.

The parser keeps an explicit stack instead of recursing, so deep parentheses
and long runs of ``!`` cost no Python stack. The tree it builds is bounded to
``MAX_DEPTH`` levels of ``&&``/``||``/``!`` so that the IR's recursive
``matches``/``str`` stay within Python's recursion limit.

>>> sel = parse_selector("app == 'db' && !has(canary)")
>>> sel.matches({"app": "db"}), str(sel)
(True, 'app == "db" && !has(canary)')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from .._errors import SelectorError
from ..ir.selector import (
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

__all__ = ["MAX_DEPTH", "MAX_KEY_LENGTH", "parse_selector"]

MAX_KEY_LENGTH = 512
"""Longest label key Calico's tokenizer accepts (``MaxLabelLength``)."""

MAX_DEPTH = 100
"""Deepest nesting of ``&&``/``||``/``!`` netwarden builds (Calico has no limit)."""

_TOKEN = re.compile(
    r"""(?P<space>[ \t]+)
      | (?P<key>[A-Za-z0-9_./-]+)
      | (?P<str>"[^"]*"|'[^']*')
      | (?P<op>&&|\|\||==|!=|[!(){},])""",
    re.VERBOSE,
)
_SHOWN = 40  # longest key or value repeated in an error message


def _shorten(text: str) -> str:
    if len(text) <= _SHOWN:
        return repr(text)
    return f"{text[:_SHOWN]!r}... ({len(text)} characters)"


class _Token(NamedTuple):
    kind: str  # "key", "str", "end", or the punctuation itself ("(", "&&", "!", ...)
    text: str  # a key's name, a string's unquoted value, or the punctuation
    pos: int
    end: int

    def describe(self) -> str:
        if self.kind == "end":
            return "end of selector"
        if self.kind == "str":
            return f"string {_shorten(self.text)}"
        return _shorten(self.text)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    append = tokens.append
    match = _TOKEN.match
    i, n = 0, len(text)
    while i < n:
        m = match(text, i)
        if m is None:
            c = text[i]
            if c in "\"'":
                raise SelectorError(text, i, f"unterminated string: missing closing {c}")
            if c in "\n\r":
                raise SelectorError(text, i, "a newline is only allowed inside a quoted value")
            raise SelectorError(text, i, f"unexpected character {c!r}")
        kind, end = m.lastgroup, m.end()
        if kind == "key":
            if end - i > MAX_KEY_LENGTH:
                raise SelectorError(
                    text, i, f"label key is {end - i} characters long; "
                    f"Calico allows at most {MAX_KEY_LENGTH}")
            append(_Token("key", text[i:end], i, end))
        elif kind == "str":
            append(_Token("str", text[i + 1 : end - 1], i, end))
        elif kind == "op":
            op = text[i:end]
            append(_Token(op, op, i, end))
        i = end
    append(_Token("end", "", n, n))
    return tokens


class _Part(NamedTuple):
    """A parsed sub-expression: its tree, how deep the tree nests, where it starts."""

    node: Selector
    depth: int
    start: int


@dataclass(slots=True)
class _Group:
    """An open parenthesis (or the whole selector): its ``||`` and ``&&`` chains so far."""

    open: _Token | None
    negate: bool  # an odd number of '!' stood before the '('
    start: int  # offset of the first of those '!', or of the '('
    ors: list[_Part] = field(default_factory=list)
    ands: list[_Part] = field(default_factory=list)


_OPERAND = "a label key, 'has(', 'all()', 'global()', '!' or '('"
_OPERATORS = ("'==', '!=', 'in', 'not in', 'contains', 'starts with', 'ends with'")
# Operator words after a label key: one word, or two with optional blanks between.
_SET_OPS = {"in": "in", "notin": "not in"}
_STRING_OPS = {"contains": "contains", "startswith": "starts with", "endswith": "ends with"}
_FIRST_WORDS = {"not": "in", "starts": "with", "ends": "with"}


class _Parser:
    """One parse of one selector; ``tokens`` always ends with an ``end`` token."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    # -- helpers --------------------------------------------------------------
    def _fail(self, expected: str, tok: _Token | None = None) -> SelectorError:
        tok = tok or self.tokens[self.i]
        return SelectorError(self.text, tok.pos, f"expected {expected}, found {tok.describe()}")

    def _expect(self, kind: str, expected: str) -> _Token:
        tok = self.tokens[self.i]
        if tok.kind != kind:
            raise self._fail(expected)
        self.i += 1
        return tok

    def _checked(self, part: _Part) -> _Part:
        if part.depth > MAX_DEPTH:
            raise SelectorError(
                self.text, part.start, f"the expression starting here nests more than "
                f"{MAX_DEPTH} levels of '&&', '||' and '!' (netwarden's limit)")
        return part

    def _negate(self, part: _Part, start: int) -> _Part:
        if isinstance(part.node, Not):  # !!x is x, as Calico folds runs of '!'
            return _Part(part.node.operand, part.depth - 1, start)
        return self._checked(_Part(Not(part.node), part.depth + 1, start))

    def _combine(self, cls: type[And] | type[Or], parts: list[_Part]) -> _Part:
        """One node for a chain, absorbing parenthesised chains of the same operator.

        ``(a && b) && c`` means the same as ``a && b && c``; flattening makes
        both parse to one tree, so ``parse(str(s)) == s`` holds for parsed trees.
        """
        if len(parts) == 1:
            return parts[0]
        flat: list[Selector] = []
        depth = 0
        for part in parts:
            if isinstance(part.node, cls):
                flat.extend(part.node.operands)
                depth = max(depth, part.depth - 1)
            else:
                flat.append(part.node)
                depth = max(depth, part.depth)
        return self._checked(_Part(cls(tuple(flat)), depth + 1, parts[0].start))

    def _close(self, group: _Group) -> _Part:
        group.ors.append(self._combine(And, group.ands))
        part = self._combine(Or, group.ors)
        if group.open is None:
            return part
        if group.negate:
            return self._negate(part, group.start)
        return part._replace(start=group.start)

    # -- grammar --------------------------------------------------------------
    def parse(self) -> Selector:
        tokens = self.tokens
        if tokens[0].kind == "end":
            return All()
        stack = [_Group(None, False, 0)]
        while True:
            # An operand: '!'s, then '(' or a primary expression.
            start = tokens[self.i].pos
            negate = False
            while tokens[self.i].kind == "!":
                negate = not negate
                self.i += 1
            if tokens[self.i].kind == "(":
                stack.append(_Group(tokens[self.i], negate, start))
                self.i += 1
                continue
            part = _Part(self._primary(), 0, start)
            stack[-1].ands.append(self._negate(part, start) if negate else part)
            # Then operators; each ')' closes a group, which is an operand of the one outside.
            while True:
                tok = tokens[self.i]
                group = stack[-1]
                if tok.kind == "&&":
                    self.i += 1
                    break
                if tok.kind == "||":
                    self.i += 1
                    group.ors.append(self._combine(And, group.ands))
                    group.ands = []
                    break
                if group.open is None:
                    if tok.kind != "end":
                        raise self._fail("'&&', '||' or end of selector")
                    return self._close(group).node
                if tok.kind != ")":
                    raise self._fail(f"'&&', '||' or ')' to close the '(' at position "
                                     f"{group.open.pos}")
                self.i += 1
                stack.pop()
                stack[-1].ands.append(self._close(group))

    def _primary(self) -> Selector:
        tok = self.tokens[self.i]
        if tok.kind != "key":
            raise self._fail(_OPERAND)
        paren = self.tokens[self.i + 1]
        if tok.text in ("has", "all", "global") and paren.kind == "(":
            if paren.pos != tok.end:
                raise SelectorError(
                    self.text, tok.end, f"no space is allowed between {tok.text!r} and '('")
            self.i += 2
            if tok.text == "has":
                key = self._expect("key", "a label key inside has()")
                self._expect(")", "')' after the label key of has()")
                return Has(key.text)
            self._expect(")", f"')' after '{tok.text}('")
            return All() if tok.text == "all" else Global()
        self.i += 1
        return self._comparison(tok.text)

    def _operator(self, key: str) -> str | None:
        """The operator after label key ``key`` in canonical spelling, or None."""
        tok = self.tokens[self.i]
        if tok.kind in ("==", "!="):
            self.i += 1
            return tok.kind
        if tok.kind != "key":
            return None
        word = tok.text
        if word in _SET_OPS or word in _STRING_OPS:
            self.i += 1
            return _SET_OPS.get(word) or _STRING_OPS[word]
        second = _FIRST_WORDS.get(word)
        if second is None:
            return None
        following = self.tokens[self.i + 1]
        if following.kind != "key" or following.text != second:
            raise self._fail(f"{second!r} after {word!r}", following)
        self.i += 2
        return f"{word} {second}"

    def _comparison(self, key: str) -> Selector:
        op = self._operator(key)
        if op is None:
            raise self._fail(f"an operator after label key {_shorten(key)} ({_OPERATORS})")
        if op == "in":
            return In(key, self._set(op))
        if op == "not in":
            return NotIn(key, self._set(op))
        value = self._expect("str", f"a quoted string after {op!r}").text
        if op == "==":
            return Eq(key, value)
        if op == "!=":
            return Ne(key, value)
        if op == "contains":
            return Contains(key, value)
        return StartsWith(key, value) if op == "starts with" else EndsWith(key, value)

    def _set(self, after: str) -> frozenset[str]:
        """``{"a", "b"}``; Calico allows ``{}`` and a comma after the last value."""
        self._expect("{", f"'{{' after {after!r}")
        values: list[str] = []
        expected = "a quoted string or '}'"
        while self.tokens[self.i].kind == "str":
            values.append(self.tokens[self.i].text)
            self.i += 1
            if self.tokens[self.i].kind != ",":
                expected = "',' or '}' in the value set"
                break
            self.i += 1
        self._expect("}", expected)
        return frozenset(values)


def parse_selector(text: str) -> Selector:
    """Parse a Calico selector; blank text is ``all()``.

    Raises ``SelectorError`` (a ``ValueError``) with the 0-based position (in
    characters) of the first problem.

    >>> str(parse_selector("role in {'db', 'cache'} || !has(tier)"))
    'role in {"cache", "db"} || !has(tier)'
    >>> str(parse_selector("a startswith 'x' && !!b notin {}"))
    'a starts with "x" && b not in {}'
    """
    if not isinstance(text, str):
        got = type(text).__name__
        raise SelectorError(repr(text), 0, f"a selector must be a string, got {got}")
    return _Parser(text).parse()
