"""Which parser reads which kind: a table keyed by (API group, kind).

Parsers register themselves with ``@register(group, *kinds)`` when their
module is imported, so the loader never names a kind and a new producer
(Calico, say) plugs in without touching it. The group is the ``apiVersion``
without its version: ``""`` for ``v1``, ``"networking.k8s.io"``, ``"apps"``.

A parser takes the object's ``Node`` and returns one resource or an iterable
of them. It reports a bad manifest by raising ``ValidationError`` (or
``InvalidManifests`` to report several at once), and something the user
should know that is not an error by including a ``Note`` in what it returns.

>>> @register("example.com", "Widget")
... def _widget(node: Node) -> object:
...     return node.plain()
>>> lookup("example.com", "Widget") is _widget
True
>>> unregister("example.com", "Widget")
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .._errors import Position
from .yamlpos import Node

__all__ = ["Note", "Parser", "api_group", "lookup", "register", "registered", "unregister"]

Parser = Callable[[Node], "object | Iterable[object]"]

_PARSERS: dict[tuple[str, str], Parser] = {}


@dataclass(frozen=True, slots=True)
class Note:
    """Something a parser wants the user to see that does not stop the load.

    A ``warning`` is something that may make an answer wrong (every command
    prints it); a plain note is information (``validate`` lists it).
    """

    position: Position | None
    text: str
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.position}: {self.text}" if self.position else self.text


def api_group(api_version: str) -> str:
    """``"apps/v1"`` → ``"apps"``; ``"v1"`` (the core group) → ``""``.

    >>> api_group("networking.k8s.io/v1"), api_group("v1")
    ('networking.k8s.io', '')
    """
    group, sep, _ = api_version.rpartition("/")
    return group if sep else ""


def register(group: str, *kinds: str) -> Callable[[Parser], Parser]:
    """Decorator: ``fn`` parses objects of ``kinds`` in API ``group``.

    Registering a (group, kind) twice is a programming error, caught at import.
    """
    if not kinds:
        raise ValueError("register() needs at least one kind")

    def decorate(fn: Parser) -> Parser:
        for kind in kinds:
            key = (group, kind)
            if key in _PARSERS and _PARSERS[key] is not fn:
                raise ValueError(f"a parser for {kind} in group {group!r} is already registered")
            _PARSERS[key] = fn
        return fn

    return decorate


def unregister(group: str, *kinds: str) -> None:
    """Remove parsers (for tests that register throwaway kinds)."""
    for kind in kinds:
        _PARSERS.pop((group, kind), None)


def lookup(group: str, kind: str) -> Parser | None:
    return _PARSERS.get((group, kind))


def registered() -> tuple[tuple[str, str], ...]:
    """Every (group, kind) with a parser, sorted; for ``--help`` texts and tests."""
    return tuple(sorted(_PARSERS))
