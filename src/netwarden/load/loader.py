"""From texts to a ``Snapshot``: split documents, unwrap lists, check fields, dispatch, gather.

Nothing is half-loaded: every document is parsed, every problem is kept, and
only if there were none does a ``Snapshot`` come out; otherwise one
``InvalidManifests`` lists them all in load order.

Before a parser reads an object, strict decoding (``schema.check``) judges
every field of it as ``kubectl apply`` does by default: an unknown field is an
error (a warning with ``Strictness.LENIENT``), a value its field's type cannot
decode is always an error. Kinds netwarden does not read are skipped with a
note, or with a warning when they filter traffic (an error with
``Strictness.STRICT``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from .._errors import READING, InvalidManifests, SelectorError, ValidationError
from ..resources.anp import ClusterNode, ClusterPolicy
from ..resources.ingress import Ingress
from ..resources.k8s import Namespace, NetworkPolicy, Pod
from ..resources.services import EndpointSlice, Service
from ..resources.snapshot import Snapshot
from . import schema
from .addresses import assign_addresses
from .kinds import reason_verdicts_ignore
from .registry import Note, api_group, lookup
from .service_addresses import assign_service_addresses
from .validation import REQUIRED, describe
from .yamlpos import Node, read_documents

__all__ = ["SnapshotBuilder", "Strictness"]


class Strictness(enum.Enum):
    """How hard the loader judges what it does not know.

    ``LENIENT`` (``--lenient``): unknown fields are warnings, as before strict
    field validation, for manifests with CRD fields mixed in. ``DEFAULT``:
    unknown fields are errors, as ``kubectl apply``. ``STRICT`` (``--strict``):
    also kinds that filter traffic but that netwarden cannot read yet
    (AdminNetworkPolicy, ...) are errors instead of warnings.
    """

    LENIENT = "lenient"
    DEFAULT = "default"
    STRICT = "strict"


class SnapshotBuilder:
    """Accumulates resources, notes, warnings and errors over any number of texts."""

    def __init__(self, strictness: Strictness = Strictness.DEFAULT) -> None:
        self.strictness = strictness
        self.errors: list[ValidationError] = []
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.namespaces: list[Namespace] = []
        self.pods: list[Pod] = []
        self.policies: list[NetworkPolicy] = []
        self.calico: list[object] = []
        self.cluster_policies: list[ClusterPolicy] = []
        self.nodes: list[ClusterNode] = []
        self.services: list[Service] = []
        self.endpoint_slices: list[EndpointSlice] = []
        self.ingresses: list[Ingress] = []
        self.documents = 0  # documents read, valid or not: none at all is no input

    def extend(self, other: SnapshotBuilder) -> None:
        """Take ``other``'s objects, notes and warnings (not its errors): the parse
        cache (``load.cache``) builds one snapshot from texts parsed one by one."""
        self.namespaces.extend(other.namespaces)
        self.pods.extend(other.pods)
        self.policies.extend(other.policies)
        self.calico.extend(other.calico)
        self.cluster_policies.extend(other.cluster_policies)
        self.nodes.extend(other.nodes)
        self.services.extend(other.services)
        self.endpoint_slices.extend(other.endpoint_slices)
        self.ingresses.extend(other.ingresses)
        self.notes.extend(other.notes)
        self.warnings.extend(other.warnings)

    def add_texts(self, items: Sequence[tuple[str, str]]) -> None:
        for name, text in items:
            self.add_text(name, text)

    def add_text(self, name: str, text: str) -> None:
        token = READING.set(name)
        docs, errors = read_documents(text, name)
        self.documents += len(docs) + len(errors)
        self.errors.extend(errors)
        for doc in docs:
            self.add_object(doc)
        READING.reset(token)  # left set when an internal error escapes: the CLI names the file

    def add_object(self, doc: Node, *, list_kind: str = "", list_api: str = "") -> None:
        """One object, or each item of a ``List`` / ``PodList`` / ... object.

        Items of a typed list (``PodList``) may omit ``kind`` and ``apiVersion``;
        they are taken from the list.
        """
        if doc.is_null():
            return
        if not doc.is_map():
            self.errors.append(doc.error(f"must be a Kubernetes object, got {describe(doc.value)}"))
            return
        api = self._required_str(doc, "apiVersion", list_api)
        kind = self._required_str(doc, "kind", list_kind)
        if api is None or kind is None:
            return
        group = api_group(api)
        parser = lookup(group, kind)
        if parser is None and kind.endswith("List") and doc.get("items") is not None:
            if not self._decodes(doc, "", "List", "v1"):
                self._add_list(doc, kind, api)
            return
        if parser is None:
            self._skip(doc, group, kind, api)
            return
        mistyped = self._decodes(doc, group, kind, api.rpartition("/")[2])
        try:
            result = parser(doc)
            produced = list(result) if isinstance(result, Iterable) else [result]
        except InvalidManifests as exc:
            self._parser_errors(exc.errors, mistyped)
            return
        except ValidationError as exc:
            self._parser_errors([exc], mistyped)
            return
        except SelectorError as exc:  # a parser that forgot to place it
            self.errors.append(doc.error(str(exc), ""))
            return
        if not mistyped:
            for item in produced:
                self._keep(item)

    def _parser_errors(self, errors: Sequence[ValidationError], mistyped: set[str]) -> None:
        """The parser's errors, less those about a value strict decoding already refused."""
        for error in errors:
            if not any(error.field == path or error.field.startswith((path + ".", path + "["))
                       for path in mistyped):
                self.errors.append(error)

    def _decodes(self, doc: Node, group: str, kind: str, version: str) -> set[str]:
        """Strict decoding of one object: the field paths whose value has the wrong type.

        Neither unknown fields nor wrong types stop the parser, so one run
        reports them together with every other mistake of the object.
        """
        struct = schema.root(group, kind)
        if struct is None:
            return set()
        served = schema.served_versions(group, kind)
        if version not in served:
            api_node = doc.get("apiVersion") or doc
            shown = ", ".join(f"{group}/{v}" if group else v for v in served)
            self._unknown(api_node.error(f"{kind} is not served in version {version!r}; "
                                         f"use {shown}"))
        mistyped: set[str] = set()
        for finding in schema.check(doc, struct):
            if finding.unknown:
                self._unknown(finding.error)
            else:
                self.errors.append(finding.error)
                mistyped.add(finding.error.field)
        return mistyped

    def _unknown(self, error: ValidationError) -> None:
        if self.strictness is Strictness.LENIENT:
            self.warnings.append(f"{error} (ignored: --lenient)")
        else:
            self.errors.append(error)

    def _skip(self, doc: Node, group: str, kind: str, api: str) -> None:
        what = f"{kind}/{_name(doc)}"
        reason = reason_verdicts_ignore(group, kind)
        if reason is None:
            self.notes.append(f"{doc.position}: skipped {what} (not used by network policy)")
        elif self.strictness is Strictness.STRICT:
            self.errors.append(ValidationError(doc.position, "kind", f"{what} ({api}): {reason}, "
                                               "and verdicts would ignore it (--strict)"))
        else:
            self.warnings.append(f"{doc.position}: {what} ({api}) skipped: {reason}; "
                                 "verdicts ignore it")

    def _add_list(self, doc: Node, kind: str, api: str) -> None:
        items_node = doc.get("items")
        assert items_node is not None
        if not items_node.is_list():
            return  # reported by strict decoding
        item_kind = "" if kind == "List" else kind.removesuffix("List")
        for item in items_node.value:
            self.add_object(item.rebased(), list_kind=item_kind, list_api=api if item_kind else "")

    def _required_str(self, doc: Node, key: str, default: str) -> str | None:
        node = doc.get(key)
        if node is None or node.is_null() or node.value == "":
            if default:
                return default
            self.errors.append(doc.error(REQUIRED, doc.child_path(key)))
            return None
        if not isinstance(node.value, str):
            self.errors.append(node.error(f"must be a string, got {describe(node.value)}"))
            return None
        return node.value

    def _keep(self, item: object) -> None:
        if item is None:
            return
        if isinstance(item, Note):
            (self.warnings if item.warning else self.notes).append(str(item))
        elif isinstance(item, Namespace):
            self.namespaces.append(item)
        elif isinstance(item, Pod):
            self.pods.append(item)
        elif isinstance(item, NetworkPolicy):
            self.policies.append(item)
        elif isinstance(item, ClusterPolicy):
            self.cluster_policies.append(item)
        elif isinstance(item, ClusterNode):
            self.nodes.append(item)
        elif isinstance(item, Service):
            self.services.append(item)
        elif isinstance(item, EndpointSlice):
            self.endpoint_slices.append(item)
        elif isinstance(item, Ingress):
            self.ingresses.append(item)
        else:
            self.calico.append(item)

    def build(self) -> Snapshot:
        """The snapshot, with addresses assigned; raises ``InvalidManifests`` on any error."""
        pods, errors = assign_addresses(self.pods)
        self.errors.extend(errors)
        services, errors = assign_service_addresses(self.services)
        self.errors.extend(errors)
        if self.errors:
            raise InvalidManifests(self.errors)
        return Snapshot(
            namespaces=tuple(self.namespaces),
            pods=tuple(pods),
            network_policies=tuple(self.policies),
            calico=tuple(self.calico),
            cluster_policies=tuple(self.cluster_policies),
            nodes=tuple(self.nodes),
            services=tuple(services),
            endpoint_slices=tuple(self.endpoint_slices),
            ingresses=tuple(self.ingresses),
            notes=tuple(self.notes),
            warnings=tuple(self.warnings),
        )


def _name(doc: Node) -> str:
    metadata = doc.get("metadata")
    name = metadata.get("name") if metadata is not None else None
    if name is not None and isinstance(name.value, str) and name.value:
        return name.value
    return "<unnamed>"

