"""Naming a pod that does not exist: the error says which one was probably meant."""

from __future__ import annotations

import pytest

from netwarden._errors import LookupFailed
from netwarden.compile import compile_snapshot
from netwarden.engine import Engine
from netwarden.load import load_texts

PODS = "".join(
    f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: {ns}}}\n"
    for ns, name in (("prod", "web"), ("prod", "db"), ("dev", "api"), ("dev", "db"))
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(compile_snapshot(load_texts([("pods.yaml", PODS)])))


@pytest.mark.parametrize(("name", "expected"), [
    ("prod/wbe", "no pod or endpoint named 'prod/wbe'; did you mean prod/web?"),
    ("web", "no pod or endpoint named 'web'; did you mean prod/web?"),
    ("staging/api", "no pod or endpoint named 'staging/api'; did you mean dev/api?"),
    ("prod/zzzzzz", "no pod or endpoint named 'prod/zzzzzz' (use namespace/pod or an IP)"),
])
def test_an_unknown_pod_gets_a_did_you_mean(engine: Engine, name: str, expected: str) -> None:
    with pytest.raises(LookupFailed) as info:
        engine.resolve(name)
    assert str(info.value) == expected


def test_a_pod_name_in_two_namespaces_is_matched_by_spelling(engine: Engine) -> None:
    with pytest.raises(LookupFailed) as info:
        engine.resolve("prod/dbb")
    assert str(info.value) == "no pod or endpoint named 'prod/dbb'; did you mean prod/db?"
