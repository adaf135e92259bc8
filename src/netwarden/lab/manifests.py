"""What a lab runs: a copy of its manifests, stored so any later process can read it back.

``up`` stores the cluster's manifests (their text, so editing a file later
does not change what the lab "runs") under
``/run/netwarden/labs/<id>.manifests/cluster``; ``lab apply`` stores the
current policy set beside it (``policies``). ``current_cluster`` composes the
two again: the cluster's pods and namespaces with the latest policies.
"""

from __future__ import annotations

import dataclasses
import io
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .._api import load_cluster
from .._errors import LabError, ValidationError
from ..ir import Cluster, EndpointKind
from ..load.sources import read_sources
from .topology import STATE_DIR

__all__ = [
    "current_cluster",
    "forget_manifests",
    "lab_ids_with_manifests",
    "load_sources",
    "manifests_stamp",
    "snapshot",
    "sources_of",
    "store_sources",
    "with_policies",
]

Sources = Sequence[tuple[str, str]]


def snapshot(paths: Sequence[str | os.PathLike[str]],
             stdin: TextIO | None = None) -> list[tuple[str, str]]:
    """(name, text) of every manifest under ``paths``; raises on unreadable input."""
    texts, errors = read_sources(paths, stdin)
    if errors:
        raise errors[0]
    return texts


def load_sources(paths: Sequence[str | os.PathLike[str]], sources: Sources,
                 strictness: str = "default") -> Cluster:
    """Compile what ``snapshot`` read; from the files themselves when possible (their
    names then appear in errors), from the read text when stdin was one of them.
    ``strictness`` as ``load_cluster``'s (``--lenient``, ``--strict``)."""
    if not sources:
        raise ValidationError(None, "", "no manifests found")
    if all(os.fspath(p) != "-" for p in paths):
        return load_cluster(paths, strictness=strictness)
    text = "\n---\n".join(t for _, t in sources)
    return load_cluster(["-"], stdin=io.StringIO(text), strictness=strictness)


def _store(lab_id: str) -> Path:
    return Path(STATE_DIR) / f"{lab_id}.manifests"


def store_sources(lab_id: str, part: str, sources: Sources,
                  strictness: str = "default") -> Path:
    """Store texts as ``NNN-name`` files of ``part`` so a directory load keeps their order,
    with the strictness they were read with (later commands read them back the same way)."""
    target = _store(lab_id) / part
    tmp = target.with_name(part + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for i, (name, text) in enumerate(sources):
        base = Path(name).name if name != "<stdin>" else "stdin.yaml"
        if Path(base).suffix.lower() not in (".yaml", ".yml", ".json"):
            base += ".yaml"
        (tmp / f"{i:03d}-{base}").write_text(text, encoding="utf-8")
    (tmp / "SOURCES").write_text("\n".join(n for n, _ in sources) + "\n", encoding="utf-8")
    (tmp / _STRICTNESS).write_text(strictness + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


_STRICTNESS = "STRICTNESS"


def _load_dir(path: Path) -> Cluster:
    files = sorted(p for p in path.iterdir() if p.name not in ("SOURCES", _STRICTNESS))
    mark = path / _STRICTNESS
    strictness = mark.read_text(encoding="utf-8").strip() if mark.exists() else "default"
    return load_cluster(files, strictness=strictness) if files else Cluster()


def sources_of(lab_id: str) -> dict[str, list[str]]:
    """The original file names behind the lab's cluster and its current policies."""
    out: dict[str, list[str]] = {}
    for part in ("cluster", "policies"):
        f = _store(lab_id) / part / "SOURCES"
        if f.exists():
            out[part] = [n for n in f.read_text(encoding="utf-8").splitlines() if n]
    return out


def with_policies(base: Cluster, update: Cluster) -> Cluster:
    """``base``'s pods and namespaces with ``update``'s policies, tiers and network sets."""
    pods = tuple(e for e in base.endpoints if e.kind is not EndpointKind.NETWORK_SET)
    sets = tuple(e for e in update.endpoints if e.kind is EndpointKind.NETWORK_SET)
    return dataclasses.replace(base, endpoints=pods + sets, policies=update.policies,
                               tiers=update.tiers, namespaces={**base.namespaces})


def current_cluster(lab_id: str) -> Cluster:
    """The cluster a lab enforces, as ``up`` and the last ``apply_policies`` left it."""
    store = _store(lab_id)
    if not (store / "cluster").is_dir():
        raise LabError(f"lab {lab_id} has no recorded manifests (was it made by `lab up`?)")
    cluster = _load_dir(store / "cluster")
    if (store / "policies").is_dir():
        cluster = with_policies(cluster, _load_dir(store / "policies"))
    return cluster


def manifests_stamp(lab_id: str) -> tuple[int, ...]:
    """Changes whenever ``store_sources`` stores new manifests for the lab (cheap: two stats)."""
    out: list[int] = []
    for path in (_store(lab_id), _store(lab_id) / "policies"):
        try:
            st = path.stat()
        except FileNotFoundError:
            out += [0, 0]
            continue
        out += [st.st_mtime_ns, st.st_ino]
    return tuple(out)


def forget_manifests(lab_id: str) -> None:
    """Drop the recorded manifests of a lab."""
    shutil.rmtree(_store(lab_id), ignore_errors=True)


def lab_ids_with_manifests() -> list[str]:
    """Ids of the labs whose manifests are recorded (alive or not)."""
    if not os.path.isdir(STATE_DIR):
        return []
    return sorted(name[: -len(".manifests")] for name in os.listdir(STATE_DIR)
                  if name.endswith(".manifests"))
