"""From texts to a ``Snapshot``: split documents, unwrap lists, dispatch, gather.

Nothing is half-loaded: every document is parsed, every problem is kept, and
only if there were none does a ``Snapshot`` come out; otherwise one
``InvalidManifests`` lists them all in load order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .._errors import InvalidManifests, SelectorError, ValidationError
from ..resources.k8s import Namespace, NetworkPolicy, Pod
from ..resources.snapshot import Snapshot
from .addresses import assign_addresses
from .registry import Note, api_group, lookup
from .yamlpos import Node, _kind, read_documents

__all__ = ["SnapshotBuilder"]


class SnapshotBuilder:
    """Accumulates resources, notes, warnings and errors over any number of texts."""

    def __init__(self) -> None:
        self.errors: list[ValidationError] = []
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.namespaces: list[Namespace] = []
        self.pods: list[Pod] = []
        self.policies: list[NetworkPolicy] = []
        self.calico: list[object] = []

    def add_texts(self, items: Sequence[tuple[str, str]]) -> None:
        for name, text in items:
            self.add_text(name, text)

    def add_text(self, name: str, text: str) -> None:
        docs, errors = read_documents(text, name)
        self.errors.extend(errors)
        for doc in docs:
            self.add_object(doc)

    def add_object(self, doc: Node, *, list_kind: str = "", list_api: str = "") -> None:
        """One object, or each item of a ``List`` / ``PodList`` / ... object.

        Items of a typed list (``PodList``) may omit ``kind`` and ``apiVersion``;
        they are taken from the list.
        """
        if doc.is_null():
            return
        if not doc.is_map():
            self.errors.append(doc.error(f"must be a Kubernetes object, got {_kind(doc.value)}"))
            return
        api = self._required_str(doc, "apiVersion", list_api)
        kind = self._required_str(doc, "kind", list_kind)
        if api is None or kind is None:
            return
        group = api_group(api)
        parser = lookup(group, kind)
        if parser is None and kind.endswith("List") and doc.get("items") is not None:
            self._add_list(doc, kind, api)
            return
        if parser is None:
            self.notes.append(f"{doc.position}: skipped {kind}/{_name(doc)} "
                              "(not used by network policy)")
            return
        try:
            result = parser(doc)
            produced = list(result) if isinstance(result, Iterable) else [result]
        except InvalidManifests as exc:
            self.errors.extend(exc.errors)
            return
        except ValidationError as exc:
            self.errors.append(exc)
            return
        except SelectorError as exc:  # a parser that forgot to place it
            self.errors.append(doc.error(str(exc), ""))
            return
        for item in produced:
            self._keep(item)

    def _add_list(self, doc: Node, kind: str, api: str) -> None:
        items_node = doc.get("items")
        assert items_node is not None
        if not items_node.is_list():
            self.errors.append(items_node.error(f"must be a list, got {_kind(items_node.value)}"))
            return
        item_kind = "" if kind == "List" else kind.removesuffix("List")
        for item in items_node.value:
            self.add_object(item.rebased(), list_kind=item_kind, list_api=api if item_kind else "")

    def _required_str(self, doc: Node, key: str, default: str) -> str | None:
        node = doc.get(key)
        if node is None or node.is_null() or node.value == "":
            if default:
                return default
            self.errors.append(doc.error("is required", doc.child_path(key)))
            return None
        if not isinstance(node.value, str):
            self.errors.append(node.error(f"must be a string, got {_kind(node.value)}"))
            return None
        return node.value

    def _keep(self, item: object) -> None:
        if item is None:
            return
        if isinstance(item, Note):
            self.notes.append(str(item))
        elif isinstance(item, Namespace):
            self.namespaces.append(item)
        elif isinstance(item, Pod):
            self.pods.append(item)
        elif isinstance(item, NetworkPolicy):
            self.policies.append(item)
        else:
            self.calico.append(item)

    def build(self) -> Snapshot:
        """The snapshot, with addresses assigned; raises ``InvalidManifests`` on any error."""
        pods, errors = assign_addresses(self.pods)
        self.errors.extend(errors)
        if self.errors:
            raise InvalidManifests(self.errors)
        return Snapshot(
            namespaces=tuple(self.namespaces),
            pods=tuple(pods),
            network_policies=tuple(self.policies),
            calico=tuple(self.calico),
            notes=tuple(self.notes),
            warnings=tuple(self.warnings),
        )


def _name(doc: Node) -> str:
    metadata = doc.get("metadata")
    name = metadata.get("name") if metadata is not None else None
    if name is not None and isinstance(name.value, str) and name.value:
        return name.value
    return "<unnamed>"

