"""The agent's parse cache builds the snapshot the loader builds, whatever kinds the texts hold."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from netwarden import InvalidManifests
from netwarden.load import load_texts
from netwarden.load.cache import ManifestCache
from netwarden.load.sources import read_sources
from netwarden.resources.snapshot import Snapshot


def outcome(read: Callable[[list[tuple[str, str]]], Snapshot],
            texts: list[tuple[str, str]]) -> Snapshot | list[str]:
    """The snapshot, or the errors of an example that holds invalid files on purpose."""
    try:
        return read(texts)
    except InvalidManifests as error:
        return [str(e) for e in error.errors]


EXAMPLES = sorted(p for p in (Path(__file__).parents[2] / "examples").iterdir() if p.is_dir())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_the_cache_snapshot_of_an_example_is_the_loaders(example: Path) -> None:
    texts, errors = read_sources([example])
    assert not errors
    assert outcome(ManifestCache().snapshot, texts) == outcome(load_texts, texts)


def test_a_text_read_again_unchanged_gives_the_same_objects() -> None:
    texts, _ = read_sources([EXAMPLES[0]])
    cache = ManifestCache()
    first, second = cache.snapshot(texts), cache.snapshot(texts)
    assert first.pods and all(a is b for a, b in zip(first.pods, second.pods, strict=True))
