"""Peers in words: selectors as kubectl writes them, namespaces and pods as exposure says them.

>>> from netwarden.ir import selector as sel
>>> selector_text(sel.And((sel.Eq("app", "web"), sel.Not(sel.Has("canary")))))
'app=web, !canary'
"""

from __future__ import annotations

from ..ir import NAME_LABEL, EndpointKind, EntityMatch, Selector
from ..ir import selector as sel

__all__ = ["CLUSTER", "match_text", "namespaces_text", "selector_text"]

CLUSTER = "entire cluster"


def selector_text(selector: Selector) -> str:
    """A selector as kubectl writes one: ``app=web, tier in (a,b), !canary``.

    >>> selector_text(sel.And((sel.Eq("app", "web"), sel.Not(sel.Has("canary")))))
    'app=web, !canary'
    """
    if isinstance(selector, sel.And):
        return ", ".join(selector_text(op) for op in selector.operands)
    if isinstance(selector, sel.Eq):
        return f"{selector.key}={selector.value}"
    if isinstance(selector, sel.Ne):
        return f"{selector.key}!={selector.value}"
    if isinstance(selector, sel.In):
        return f"{selector.key} in ({','.join(sorted(selector.values))})"
    if isinstance(selector, sel.NotIn):
        return f"{selector.key} notin ({','.join(sorted(selector.values))})"
    if isinstance(selector, sel.Has):
        return selector.key
    if isinstance(selector, sel.Not) and isinstance(selector.operand, sel.Has):
        return f"!{selector.operand.key}"
    return str(selector)


def namespaces_text(selector: Selector) -> str:
    """``namespace dev`` for a selector on the name label, else ``namespaces with …``."""
    if selector.is_all:
        return "all namespaces"
    if isinstance(selector, sel.Eq) and selector.key == NAME_LABEL:
        return f"namespace {selector.value}"
    if isinstance(selector, sel.In) and selector.key == NAME_LABEL:
        return "namespaces " + ", ".join(sorted(selector.values))
    return f"namespaces with {selector_text(selector)}"


def match_text(match: EntityMatch) -> tuple[str, str, str]:
    """(namespaces, pods, peer) for an identity match."""
    pods_only = match.kinds == frozenset((EndpointKind.POD,))
    noun = "pods" if pods_only else "endpoints"
    chosen = match.selector
    pods = f"all {noun}" if chosen is None or chosen.is_all else \
        f"{noun} with {selector_text(chosen)}"
    if match.service_accounts:
        pods += " with service account " + ", ".join(sorted(match.service_accounts))
    scope = match.scope
    if scope.global_only:
        namespaces = "no namespace"
    elif scope.namespace is not None:
        namespaces = f"namespace {scope.namespace}"
    elif scope.namespace_selector is not None:
        namespaces = namespaces_text(scope.namespace_selector)
    else:
        namespaces = "any namespace or none"
    if pods == "all pods" and namespaces == "all namespaces" and match.not_selector is None:
        peer = CLUSTER
    elif not pods_only and pods == "all endpoints" and namespaces == "any namespace or none" \
            and match.not_selector is None:
        peer = CLUSTER + " (pods, host endpoints and network sets)"
    else:
        peer = f"{pods} in {namespaces}"
    if match.not_selector is not None:
        peer += f" but not {noun} with {selector_text(match.not_selector)}"
    return namespaces, pods, peer

