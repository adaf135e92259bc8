"""Fixtures for analysis tests: write manifests to files (so positions are real) and load."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from netwarden import load_cluster
from netwarden.ir import Cluster
from netwarden.load.scalars import KubeDumper

Load = Callable[..., Cluster]


@pytest.fixture
def load(tmp_path: Path) -> Load:
    counter = [0]

    def _load(*docs: dict[str, Any]) -> Cluster:
        counter[0] += 1
        path = tmp_path / f"m{counter[0]}.yaml"
        path.write_text(yaml.dump_all(list(docs), Dumper=KubeDumper, sort_keys=False))
        return load_cluster([path])

    return _load
