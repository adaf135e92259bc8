"""A suggestion checked before it is written: the engine, lint and diff on the result.

The cluster after is the manifests as loaded (every object, existing policies
included) with the suggested policies added. Every flow the suggestion was made from
must be allowed there; lint must find no error or warning in the suggested policies;
``diff`` between before and after says what the suggestion changes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import orjson
import yaml

from ..compile import compile_snapshot
from ..ir import Cluster
from ..load import load_texts
from ..load.scalars import plain
from ..resources.snapshot import Snapshot
from .findings import Finding, Severity
from .flow_verdicts import FlowVerdicts, Unplaced
from .flows import Flow
from .lint import lint
from .suggest import Suggestion

__all__ = ["Verification", "combine", "json_texts", "manifest_path", "manifest_texts", "verify"]


def manifest_path(manifest: dict[str, Any], directory: str = "suggested") -> str:
    """``DIR/<namespace>/<name>.yaml``: one file per policy, stable across runs."""
    meta = manifest["metadata"]
    return f"{directory.rstrip('/')}/{meta['namespace']}/{meta['name']}.yaml"


class _Dumper(yaml.CSafeDumper):
    """libyaml's emitter (PyYAML's own takes 8 ms a policy), quoting as ``KubeDumper``:
    every string Kubernetes would not read back as the same string."""


def _represent_str(dumper: yaml.CSafeDumper, data: str) -> yaml.ScalarNode:
    style = "'" if data and plain(data) != data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def manifest_texts(suggestion: Suggestion, directory: str = "suggested",
                   ) -> list[tuple[str, str]]:
    """``(DIR/<namespace>/<name>.yaml, YAML)`` of every suggested manifest."""
    return [(manifest_path(m, directory),
             yaml.dump(m, Dumper=_Dumper, sort_keys=False, default_flow_style=False))
            for m in suggestion.manifests]


def json_texts(suggestion: Suggestion, directory: str) -> list[tuple[str, str]]:
    """The same manifests as JSON, which the loader reads far faster than YAML."""
    return [(manifest_path(m, directory).removesuffix(".yaml") + ".json",
             orjson.dumps(m, option=orjson.OPT_INDENT_2).decode())
            for m in suggestion.manifests]


@dataclass(frozen=True, slots=True)
class Verification:
    after: Cluster
    denied: tuple[Flow, ...]                  # flows of the suggestion the engine denies
    findings: tuple[Finding, ...]             # lint errors and warnings in suggested files
    unchecked: dict[str, int] = field(default_factory=dict)  # end -> flows not checked
    # NW005 (no DNS): least privilege when no lookup was recorded, so said, not refused.
    unobserved_dns: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.denied and not self.findings

    def problems(self) -> list[str]:
        out = [f"the suggestion denies an observed flow: {_flow_text(f)}" for f in self.denied]
        out += [_finding_text(f) for f in self.findings]
        return out

    def warnings(self) -> list[str]:
        return [_finding_text(f) + " (no DNS lookup from these pods was recorded, so none is "
                "allowed; if they resolve names, record that traffic too)"
                for f in self.unobserved_dns]

    def notes(self) -> list[str]:
        return [f"{n} flows not checked: {end} is not in the manifests"
                for end, n in sorted(self.unchecked.items())]


def _finding_text(f: Finding) -> str:
    # Verified as JSON (``json_texts``), written as YAML: name the file the user gets.
    where = (f"{f.location.file.removesuffix('.json')}.yaml:{f.location.line}"
             if f.location is not None else f.subject)
    return f"lint {f.severity.value} {f.id}: {where}: {f.message}"


def _flow_text(flow: Flow) -> str:
    src = flow.source.key or flow.source.address
    dst = flow.destination.key or flow.destination.address
    port = f"/{flow.destination.port}" if flow.destination.port is not None else ""
    return f"{src} -> {dst} {flow.protocol}{port}"


def combine(snapshot: Snapshot, texts: Sequence[tuple[str, str]]) -> Cluster:
    """The cluster of ``snapshot`` with the policies of ``texts`` added."""
    added = load_texts(list(texts))
    return compile_snapshot(replace(
        snapshot, network_policies=snapshot.network_policies + added.network_policies,
        calico=snapshot.calico + added.calico))


def verify(snapshot: Snapshot, suggestion: Suggestion,
           directory: str = "suggested") -> Verification:
    texts = json_texts(suggestion, directory)
    after = combine(snapshot, texts)
    verdicts = FlowVerdicts(after)
    denied: list[Flow] = []
    unchecked: Counter[str] = Counter()
    seen: set[tuple[object, ...]] = set()
    for flow in suggestion.used:
        key = (flow.source.key or flow.source.address, flow.destination.key,
               flow.destination.address, flow.protocol, flow.destination.port)
        if key in seen:
            continue
        seen.add(key)
        allowed = verdicts.allows(flow)
        if isinstance(allowed, Unplaced):
            unchecked[allowed.end] += 1
        elif not allowed:
            denied.append(flow)
    files = {name for name, _ in texts}
    findings = [f for f in lint(after)
                if f.severity in (Severity.ERROR, Severity.WARNING)
                and f.location is not None and f.location.file in files]
    dns = tuple(f for f in findings if f.id == "NW005")
    return Verification(after, tuple(denied), tuple(f for f in findings if f.id != "NW005"),
                        dict(unchecked), dns)
