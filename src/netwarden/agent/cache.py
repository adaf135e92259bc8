"""Manifests → ``Cluster`` again and again, re-reading only what changed.

The agent sees the whole cluster after every event, but usually only one
object differs. Parsing (with positions) and compiling 1,500 objects per
change would cost most of the latency budget, so each (name, text) pair is
parsed once through the loader's own ``SnapshotBuilder`` (same validation as
``netwarden validate``) and each parsed resource is compiled once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .._errors import InvalidManifests, ValidationError
from ..compile.k8s import compile_namespace, compile_network_policy, compile_pod
from ..ir import Cluster, Endpoint, Namespace, Policy, Tier
from ..load.loader import SnapshotBuilder  # importing ``load`` registers every parser
from ..resources.snapshot import Snapshot

__all__ = ["ManifestCache", "Parsed"]


@dataclass(slots=True)
class Parsed:
    """What one text produced: its resources, notes and errors."""

    text: str
    namespaces: list[object] = field(default_factory=list)
    pods: list[object] = field(default_factory=list)
    policies: list[object] = field(default_factory=list)
    calico: list[object] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    errors: list[ValidationError] = field(default_factory=list)


def _parse(name: str, text: str) -> Parsed:
    builder = SnapshotBuilder()
    builder.add_text(name, text)
    return Parsed(text, list(builder.namespaces), list(builder.pods), list(builder.policies),
                  list(builder.calico), list(builder.notes), list(builder.errors))


class ManifestCache:
    """Remembers parsed texts and compiled resources between snapshots.

    ``strict`` (the directory source) rejects the whole set when any text is
    invalid, so a half-edited file never weakens what is enforced; otherwise
    (the Kubernetes source, whose objects the API server already validated)
    an object the loader refuses is left out and reported in ``skipped``.
    """

    def __init__(self, *, strict: bool = True) -> None:
        self.strict = strict
        self._parsed: dict[str, Parsed] = {}
        self._compiled: dict[int, tuple[object, object]] = {}
        self.skipped: list[ValidationError] = []

    def snapshot(self, items: Sequence[tuple[str, str]]) -> Snapshot:
        """A ``Snapshot`` of ``items``; raises ``InvalidManifests`` as the loader does."""
        parsed: dict[str, Parsed] = {}
        for name, text in items:
            old = self._parsed.get(name)
            parsed[name] = old if old is not None and old.text == text else _parse(name, text)
        self._parsed = parsed
        builder = SnapshotBuilder()
        skipped: list[ValidationError] = []
        for item in parsed.values():
            if item.errors:
                if self.strict:
                    builder.errors.extend(item.errors)
                else:
                    skipped.extend(item.errors)
                    continue
            builder.namespaces.extend(item.namespaces)  # type: ignore[arg-type]
            builder.pods.extend(item.pods)  # type: ignore[arg-type]
            builder.policies.extend(item.policies)  # type: ignore[arg-type]
            builder.calico.extend(item.calico)
            builder.notes.extend(item.notes)
        self.skipped = skipped
        if builder.errors:
            raise InvalidManifests(builder.errors)
        return builder.build()

    def cluster(self, items: Sequence[tuple[str, str]]) -> Cluster:
        """Like ``compile_snapshot(load_texts(items))``, reusing earlier work."""
        snap = self.snapshot(items)
        compiled: dict[int, tuple[object, object]] = {}

        def once(obj: object, fn: object) -> object:
            hit = self._compiled.get(id(obj))
            value = hit[1] if hit is not None and hit[0] is obj else fn(obj)  # type: ignore[operator]
            compiled[id(obj)] = (obj, value)
            return value

        namespaces: dict[str, Namespace] = {}
        for ns in snap.namespaces:
            namespaces[ns.meta.name] = once(ns, compile_namespace)  # type: ignore[assignment]
        endpoints: list[Endpoint] = [once(p, compile_pod) for p in snap.pods]  # type: ignore[misc]
        policies: list[Policy] = [
            once(np, compile_network_policy) for np in snap.network_policies  # type: ignore[misc]
        ]
        self._compiled = compiled
        tiers: list[Tier] = []
        if snap.calico:
            from ..compile.calico import compile_calico

            calico = compile_calico(snap.calico, namespaces)
            endpoints.extend(calico.endpoints)
            policies.extend(calico.policies)
            tiers.extend(calico.tiers)
        return Cluster(endpoints=tuple(endpoints), policies=tuple(policies),
                       namespaces=namespaces, tiers=tuple(tiers), notes=snap.notes)
