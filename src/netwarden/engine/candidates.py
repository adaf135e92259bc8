"""The few endpoints a selector can match, found by label and namespace instead of a scan.

Large policy sets select pods by ``matchLabels`` (``netwarden suggest`` writes one
policy per workload, each peer a pod's stable labels), so testing every rule or
peer against every pod costs rules × pods. A selector that is an equality, or an
``And`` of terms one of which is, can only match endpoints carrying that label;
a scope names the namespaces it admits. ``LabelIndex`` keeps the positions of
items per label and per namespace and returns those that satisfy such a
necessary condition: the caller still tests the real match on each candidate,
so the answer is the scan's, only cheaper.

>>> from netwarden.ir import Labels
>>> from netwarden.ir.selector import And, Eq, Has
>>> index = LabelIndex([("a", Labels({"app": "web"})), ("b", Labels({"app": "db"})),
...                     ("a", Labels({"app": "db", "tier": "x"}))])
>>> index.candidates(And((Eq("app", "db"), Has("tier"))), None, lambda name: Labels())
[1, 2]
>>> index.candidates(Has("tier"), None, lambda name: Labels()) is None
True
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence

from ..ir import Scope
from ..ir.index import required_labels
from ..ir.selector import Selector

Labels = Mapping[str, str]

__all__ = ["LabelIndex", "required_labels"]


class LabelIndex:
    """Item positions by label ``(key, value)`` and by namespace, for candidate lookups."""

    def __init__(self, items: Sequence[tuple[str | None, Labels]]) -> None:
        by_label: dict[tuple[str, str], list[int]] = defaultdict(list)
        by_ns: dict[str | None, list[int]] = defaultdict(list)
        for i, (namespace, labels) in enumerate(items):
            by_ns[namespace].append(i)
            for pair in labels.items():
                by_label[pair].append(i)
        self._by_label = dict(by_label)
        self._by_ns = dict(by_ns)
        self._found: dict[tuple[Selector | None, Scope | None], list[int] | None] = {}

    def candidates(self, selector: Selector | None, scope: Scope | None,
                   ns_labels: Callable[[str], Labels]) -> list[int] | None:
        """Positions (ascending) of the items that may match; None when any item may.

        ``selector`` is tested on an item's labels, ``scope`` on its namespace, as
        ``EntityMatch.selects`` and ``Policy.applies_to`` do. Answers are kept:
        the caller must not change the list.
        """
        key = (selector, scope)
        if key not in self._found:
            self._found[key] = self._candidates(selector, scope, ns_labels)
        return self._found[key]

    def _candidates(self, selector: Selector | None, scope: Scope | None,
                    ns_labels: Callable[[str], Labels]) -> list[int] | None:
        best: list[int] | None = None
        for pair in required_labels(selector):
            found = self._by_label.get(pair, [])
            if best is None or len(found) < len(best):
                best = found
            if not best:
                return []
        spaces = self._namespaces(scope, ns_labels)
        if spaces is not None:
            in_spaces = sorted(i for ns in spaces for i in self._by_ns.get(ns, ()))
            if best is None or len(in_spaces) < len(best):
                best = in_spaces
        return best

    def _namespaces(self, scope: Scope | None,
                    ns_labels: Callable[[str], Labels]) -> list[str | None] | None:
        if scope is None:
            return None
        if scope.global_only:
            return [None]
        if scope.namespace is not None:
            return [scope.namespace]
        if scope.namespace_selector is not None:
            sel = scope.namespace_selector
            return [ns for ns in self._by_ns if ns is not None and sel.matches(ns_labels(ns))]
        return None
