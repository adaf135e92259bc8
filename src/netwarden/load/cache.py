"""Texts → ``Snapshot`` again and again, parsing only the texts that changed.

The agent sees the whole cluster after every event, but usually only one
object differs. Parsing 1,500 objects with positions per change would cost
most of the latency budget, so each (name, text) pair is parsed once, through
the loader's own ``SnapshotBuilder`` (the validation ``netwarden validate``
applies), and the parsed objects are handed back unchanged (the same Python
objects) while the text is. ``netwarden.compile.CompileMemo`` relies on that
to compile each object once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .._errors import InvalidManifests, ValidationError
from ..resources.anp import ClusterNode, ClusterPolicy
from ..resources.k8s import Namespace, NetworkPolicy, Pod
from ..resources.services import EndpointSlice, Service
from ..resources.snapshot import Snapshot
from .loader import SnapshotBuilder, Strictness

__all__ = ["ManifestCache", "Parsed"]


@dataclass(slots=True)
class Parsed:
    """What one text produced: its resources, notes, warnings and errors."""

    text: str
    namespaces: list[Namespace] = field(default_factory=list)
    pods: list[Pod] = field(default_factory=list)
    policies: list[NetworkPolicy] = field(default_factory=list)
    calico: list[object] = field(default_factory=list)
    cluster_policies: list[ClusterPolicy] = field(default_factory=list)
    nodes: list[ClusterNode] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    errors: list[ValidationError] = field(default_factory=list)
    services: list[Service] = field(default_factory=list)
    endpoint_slices: list[EndpointSlice] = field(default_factory=list)


def _parse(name: str, text: str, strictness: Strictness) -> Parsed:
    builder = SnapshotBuilder(strictness)
    builder.add_text(name, text)
    return Parsed(text, list(builder.namespaces), list(builder.pods), list(builder.policies),
                  list(builder.calico), list(builder.cluster_policies), list(builder.nodes),
                  list(builder.notes), list(builder.warnings), list(builder.errors),
                  list(builder.services), list(builder.endpoint_slices))


class ManifestCache:
    """Remembers parsed texts between snapshots.

    By default (the directory source) the whole set is rejected when any text
    is invalid, so a half-edited file never weakens what is enforced. With
    ``skip_invalid`` (the Kubernetes source, whose objects the API server
    already validated) a text the loader refuses is left out, listed in
    ``skipped`` and named in the snapshot's warnings; and fields this schema
    does not know (a newer API server's, a newer Calico's) are warnings, not
    errors (``Strictness.LENIENT``). ``strictness`` sets how the directory
    source's texts are judged (``netwarden agent --lenient/--strict``).
    """

    def __init__(self, *, skip_invalid: bool = False,
                 strictness: Strictness = Strictness.DEFAULT) -> None:
        self.skip_invalid = skip_invalid
        self.strictness = Strictness.LENIENT if skip_invalid else strictness
        self._parsed: dict[str, Parsed] = {}
        self.skipped: list[ValidationError] = []

    def snapshot(self, items: Sequence[tuple[str, str]]) -> Snapshot:
        """A ``Snapshot`` of ``items``; raises ``InvalidManifests`` as the loader does."""
        parsed: dict[str, Parsed] = {}
        for name, text in items:
            old = self._parsed.get(name)
            parsed[name] = (old if old is not None and old.text == text
                            else _parse(name, text, self.strictness))
        self._parsed = parsed
        builder = SnapshotBuilder()
        skipped: list[ValidationError] = []
        for item in parsed.values():
            if item.errors:
                if not self.skip_invalid:
                    builder.errors.extend(item.errors)
                else:
                    skipped.extend(item.errors)
                    continue
            builder.namespaces.extend(item.namespaces)
            builder.pods.extend(item.pods)
            builder.policies.extend(item.policies)
            builder.calico.extend(item.calico)
            builder.cluster_policies.extend(item.cluster_policies)
            builder.nodes.extend(item.nodes)
            builder.services.extend(item.services)
            builder.endpoint_slices.extend(item.endpoint_slices)
            builder.notes.extend(item.notes)
            builder.warnings.extend(item.warnings)
        builder.warnings.extend(f"{error} (object left out)" for error in skipped)
        self.skipped = skipped
        if builder.errors:
            raise InvalidManifests(builder.errors)
        return builder.build()
