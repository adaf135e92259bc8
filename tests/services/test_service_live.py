"""A live cluster's Services, EndpointSlices and pod readiness reach the model."""

from __future__ import annotations

import json

from netwarden.compile import compile_snapshot
from netwarden.load import load_texts
from netwarden.load.live import KIND_SPECS, KindSpec, normalize


def _spec(kind: str) -> KindSpec:
    return next(s for s in KIND_SPECS if s.kind == kind and not s.custom)


def test_the_live_reader_lists_services_and_endpoint_slices() -> None:
    assert {(s.group, s.plural) for s in KIND_SPECS} >= {("", "services"),
                                                         ("discovery.k8s.io", "endpointslices")}


def test_a_live_pod_keeps_its_ready_condition_so_services_skip_it() -> None:
    listed = {"metadata": {"name": "b1", "namespace": "staging", "labels": {"role": "b"}},
              "spec": {"containers": [{"name": "c"}]},
              "status": {"phase": "Running", "podIP": "10.244.1.9",
                         "conditions": [{"type": "PodScheduled", "status": "True"},
                                        {"type": "Ready", "status": "False"}]}}
    service = {"metadata": {"name": "b", "namespace": "staging"},
               "spec": {"selector": {"role": "b"}, "ports": [{"port": 80}],
                        "clusterIP": "10.96.5.5", "type": "ClusterIP"}}
    texts = [("kube:Pod", json.dumps(normalize(_spec("Pod"), listed))),
             ("kube:Service", json.dumps(normalize(_spec("Service"), service)))]
    cluster = compile_snapshot(load_texts(texts))
    svc = cluster.service("staging", "b")
    assert svc is not None and [b.ready for b in svc.backends] == [False]
