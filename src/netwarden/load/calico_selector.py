"""Calico's selector language, parsed into the IR's selector tree.

A hand-written tokenizer and recursive-descent parser, so that every error can
name the 0-based offset where it went wrong and what would have been valid
there. The grammar, loosest binding first::

    selector   := [ or ]                      (empty or blank means all())
    or         := and { "||" and }
    and        := unary { "&&" unary }
    unary      := "!" unary | primary         ("!a == 'x'" negates the comparison)
    primary    := "(" or ")" | "all()" | "global()" | "has(" key ")"
                | key "==" str | key "!=" str | key "in" set | key "not" "in" set
                | key "contains" str | key "starts" "with" str | key "ends" "with" str
    set        := "{" [ str { "," str } ] "}"

Keywords are recognised by position, not reserved: ``in == "x"`` compares the
label ``in``. ``has``, ``all`` and ``global`` are calls only when the
parenthesis follows without a space, as in Calico; ``has (a)`` is an error.

>>> sel = parse_selector("app == 'db' && !has(canary)")
>>> sel.matches({"app": "db"}), str(sel)
(True, 'app == "db" && !has(canary)')
"""

from __future__ import annotations

from dataclasses import dataclass

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

__all__ = ["parse_selector"]

_KEY_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-")
_PUNCT = {"(": "(", ")": ")", "{": "{", "}": "}", ",": ","}
_TWO_CHAR = {"&&": "&&", "||": "||", "==": "==", "!=": "!="}


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "key", "str", "end", or the punctuation itself ("(", "&&", "!", ...)
    text: str
    pos: int
    end: int

    def describe(self) -> str:
        if self.kind == "end":
            return "end of selector"
        if self.kind == "str":
            return f"string {self.text!r}"
        return repr(self.text)


def _tokenize(text: str) -> list[_Token]:
    # Checked first, so a newline inside a quoted value is reported too.
    newline = next((i for i, c in enumerate(text) if c in "\n\r"), None)
    if newline is not None:
        raise SelectorError(text, newline, "newlines are not allowed in a selector")
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
            continue
        pair = text[i : i + 2]
        if pair in _TWO_CHAR:
            tokens.append(_Token(pair, pair, i, i + 2))
            i += 2
        elif c in _PUNCT or c == "!":
            tokens.append(_Token(c, c, i, i + 1))
            i += 1
        elif c in "\"'":
            close = text.find(c, i + 1)
            if close < 0:
                raise SelectorError(text, i, f"unterminated string: missing closing {c}")
            tokens.append(_Token("str", text[i + 1 : close], i, close + 1))
            i = close + 1
        elif c in _KEY_CHARS:
            j = i
            while j < n and text[j] in _KEY_CHARS:
                j += 1
            tokens.append(_Token("key", text[i:j], i, j))
            i = j
        else:
            raise SelectorError(text, i, f"unexpected character {c!r}")
    tokens.append(_Token("end", "", n, n))
    return tokens


class _Parser:
    """One parse of one selector; ``tokens`` always ends with an ``end`` token."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0

    # -- helpers --------------------------------------------------------------
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def _peek(self, offset: int = 1) -> _Token:
        return self.tokens[min(self.i + offset, len(self.tokens) - 1)]

    def _advance(self) -> _Token:
        tok = self.tok
        self.i += 1
        return tok

    def _fail(self, expected: str, tok: _Token | None = None) -> SelectorError:
        tok = tok or self.tok
        return SelectorError(self.text, tok.pos, f"expected {expected}, found {tok.describe()}")

    def _expect(self, kind: str, expected: str) -> _Token:
        if self.tok.kind != kind:
            raise self._fail(expected)
        return self._advance()

    # -- grammar --------------------------------------------------------------
    def parse(self) -> Selector:
        if self.tok.kind == "end":
            return All()
        sel = self._or()
        if self.tok.kind != "end":
            raise self._fail("'&&', '||' or end of selector")
        return sel

    def _or(self) -> Selector:
        parts = [self._and()]
        while self.tok.kind == "||":
            self._advance()
            parts.append(self._and())
        return _flatten(Or, parts)

    def _and(self) -> Selector:
        parts = [self._unary()]
        while self.tok.kind == "&&":
            self._advance()
            parts.append(self._unary())
        return _flatten(And, parts)

    def _unary(self) -> Selector:
        if self.tok.kind == "!":
            self._advance()
            return Not(self._unary())
        return self._primary()

    def _primary(self) -> Selector:
        tok = self.tok
        if tok.kind == "(":
            self._advance()
            inner = self._or()
            self._expect(")", "')' to close the '(' at position " + str(tok.pos))
            return inner
        if tok.kind != "key":
            raise self._fail("a label key, 'has(', 'all()', 'global()', '!' or '('")
        call = self._call(tok)
        if call is not None:
            return call
        self._advance()
        return self._comparison(tok.text)

    def _call(self, name: _Token) -> Selector | None:
        """``has(k)``, ``all()``, ``global()`` when '(' follows the name directly."""
        if name.text not in ("has", "all", "global"):
            return None
        paren = self._peek()
        if paren.kind != "(":
            return None  # a label that happens to be called "has"
        if paren.pos != name.end:
            raise SelectorError(
                self.text, name.end, f"no space is allowed between {name.text!r} and '('"
            )
        self.i += 2
        if name.text == "has":
            key = self._expect("key", "a label key inside has()")
            self._expect(")", "')' after the label key of has()")
            return Has(key.text)
        self._expect(")", f"')' after '{name.text}('")
        return All() if name.text == "all" else Global()

    def _comparison(self, key: str) -> Selector:
        op = self.tok
        if op.kind == "==":
            self._advance()
            return Eq(key, self._string("=="))
        if op.kind == "!=":
            self._advance()
            return Ne(key, self._string("!="))
        if op.kind == "key":
            word = op.text
            if word == "in":
                self._advance()
                return In(key, self._set("in"))
            if word in ("not", "starts", "ends"):
                second = {"not": "in", "starts": "with", "ends": "with"}[word]
                following = self._peek()
                if following.kind != "key" or following.text != second:
                    raise self._fail(f"{second!r} after {word!r}", following)
                self.i += 2
                phrase = f"{word} {second}"
                if word == "not":
                    return NotIn(key, self._set(phrase))
                value = self._string(phrase)
                return StartsWith(key, value) if word == "starts" else EndsWith(key, value)
            if word == "contains":
                self._advance()
                return Contains(key, self._string("contains"))
        raise self._fail(
            f"an operator after label key {key!r} "
            "('==', '!=', 'in', 'not in', 'contains', 'starts with', 'ends with')"
        )

    def _string(self, after: str) -> str:
        return self._expect("str", f"a quoted string after {after!r}").text

    def _set(self, after: str) -> frozenset[str]:
        self._expect("{", f"'{{' after {after!r}")
        values: list[str] = []
        if self.tok.kind != "}":
            values.append(self._string("{" if not values else ","))
            while self.tok.kind == ",":
                self._advance()
                values.append(self._string(","))
        self._expect("}", "',' or '}' in the value set")
        return frozenset(values)


def _flatten(cls: type[And] | type[Or], parts: list[Selector]) -> Selector:
    """One node for a chain, absorbing parenthesised chains of the same operator.

    ``(a && b) && c`` means the same as ``a && b && c``; flattening makes
    both parse to one tree, so ``parse(str(s)) == s`` holds for parsed trees.
    """
    if len(parts) == 1:
        return parts[0]
    flat: list[Selector] = []
    for part in parts:
        flat.extend(part.operands if isinstance(part, cls) else (part,))
    return cls(tuple(flat))


def parse_selector(text: str) -> Selector:
    """Parse a Calico selector; blank text is ``all()``.

    Raises ``SelectorError`` (a ``ValueError``) with the 0-based position of
    the first problem.

    >>> str(parse_selector("role in {'db', 'cache'} || !has(tier)"))
    'role in {"cache", "db"} || !has(tier)'
    """
    if not isinstance(text, str):
        got = type(text).__name__
        raise SelectorError(repr(text), 0, f"a selector must be a string, got {got}")
    return _Parser(text).parse()
