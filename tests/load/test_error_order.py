"""A load's errors read top to bottom, whichever check found them first."""

from __future__ import annotations

import pytest

from netwarden import InvalidManifests
from netwarden.load import load_texts

POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: a, namespace: prod}
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 70000
  egres: []
"""
POD = "apiVersion: v1\nkind: Pod\nmetadata: {}\n"


def test_schema_and_field_errors_of_a_file_come_by_line_and_files_in_reading_order() -> None:
    with pytest.raises(InvalidManifests) as caught:
        load_texts([("b.yaml", POLICY), ("a.yaml", POD)])
    assert [str(e.position) for e in caught.value.errors] == ["b.yaml:8", "b.yaml:9", "a.yaml:3"]
