"""The vendored schema: complete for every kind netwarden reads, and equal to an independent copy.

The schema file is generated (``scripts/gen_k8s_schema.py``) from the JSON
Schema of Kubernetes' OpenAPI document; the official ``kubernetes`` Python
client is generated from the same document by other tooling, so the field
names of its models must match ours type for type.
"""

from __future__ import annotations

import pytest

from netwarden.load import kubernetes_version
from netwarden.load.schema import ListOf, MapOf, Struct, root

client = pytest.importorskip("kubernetes.client")

KINDS = [("", "Namespace"), ("", "Pod"), ("apps", "Deployment"), ("apps", "ReplicaSet"),
         ("apps", "StatefulSet"), ("apps", "DaemonSet"), ("batch", "Job"), ("batch", "CronJob"),
         ("networking.k8s.io", "NetworkPolicy")]


def _structs(struct: Struct, seen: dict[str, Struct]) -> dict[str, Struct]:
    if struct.name in seen:
        return seen
    seen[struct.name] = struct
    for field in struct.fields.values():
        while isinstance(field, ListOf | MapOf):
            field = field.item if isinstance(field, ListOf) else field.value
        if isinstance(field, Struct):
            _structs(field, seen)
    return seen


def _model(name: str) -> type | None:
    """``api.core.v1.PodSpec`` → ``kubernetes.client.V1PodSpec`` (if the client has it)."""
    parts = name.split(".")
    version, kind = parts[-2], parts[-1]
    return getattr(client, f"{version.capitalize()}{kind}", None)


def test_the_schema_follows_a_stated_kubernetes_release() -> None:
    assert kubernetes_version() == "1.37.0"


@pytest.mark.parametrize(("group", "kind"), KINDS, ids=[k for _, k in KINDS])
def test_every_type_of_a_kind_has_the_fields_of_the_official_client_model(
    group: str, kind: str
) -> None:
    kind_root = root(group, kind)
    assert kind_root is not None
    compared = 0
    for name, struct in _structs(kind_root, {}).items():
        model = _model(name)
        if model is None or not hasattr(model, "attribute_map"):
            continue  # the client names a few types differently (CoreV1ResourceClaim...)
        assert set(struct.fields) == set(model.attribute_map.values()), name
        compared += 1
    assert compared >= 3
