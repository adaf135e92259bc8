"""Strict fields, as ``kubectl apply --validate=strict``: a misspelled field is an error.

Each case is a manifest with one misspelling, at one level of one kind, and
the exact error; with ``--lenient`` the same manifest loads, and the error is
a warning instead.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from netwarden.cli import main
from netwarden.load import Strictness, load_texts

from .load_helpers import errors

NP = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
  namespace: prod
spec:
  podSelector: {{matchLabels: {{app: db}}}}
  {rules}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web, namespace: prod}}
spec:
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers:
      - name: web
        image: nginx
        {container}
"""

CALICO = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {{name: p, namespace: prod}}
spec:
  selector: app == 'db'
  ingress:
  - action: Allow
    {rule}
"""

CASES = [
    # NetworkPolicy, level by level
    ("top", NP.format(rules="").replace("spec:", "specs: {}\nspec:"),
     "np.yaml:6: specs: unknown field; did you mean spec?"),
    ("metadata", NP.format(rules="").replace("namespace: prod", "namesapce: prod"),
     "np.yaml:5: metadata.namesapce: unknown field; did you mean namespace?"),
    ("spec", NP.format(rules="").replace("podSelector", "podSelecter"),
     "np.yaml:7: spec.podSelecter: unknown field; did you mean podSelector?"),
    ("spec, a block map under the key",
     NP.format(rules="").replace("podSelector: {matchLabels: {app: db}}",
                                 "podSelecter:\n    matchLabels:\n      app: db"),
     "np.yaml:7: spec.podSelecter: unknown field; did you mean podSelector?"),
    ("spec beside the right one, a block list under the key",
     NP.format(rules="ingres:\n  - from: []\n  ingress: []"),
     "np.yaml:8: spec.ingres: unknown field; did you mean ingress?"),
    ("selector", NP.format(rules="").replace("matchLabels", "matchLabel"),
     "np.yaml:7: spec.podSelector.matchLabel: unknown field; did you mean matchLabels?"),
    ("rule", NP.format(rules="ingress: [{port: [{port: 80}]}]"),
     "np.yaml:8: spec.ingress[0].port: unknown field; did you mean ports?"),
    ("rule, wrong case", NP.format(rules="ingress: [{From: [{podSelector: {}}]}]"),
     "np.yaml:8: spec.ingress[0].From: unknown field; did you mean from?"),
    ("peer", NP.format(rules="egress: [{to: [{podselector: {}, namespaceSelector: {}}]}]"),
     "np.yaml:8: spec.egress[0].to[0].podselector: unknown field; did you mean podSelector?"),
    ("peer ipBlock", NP.format(rules="egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8, "
                                     "excepts: [10.1.0.0/16]}}]}]"),
     "np.yaml:8: spec.egress[0].to[0].ipBlock.excepts: unknown field; did you mean except?"),
    ("peer selector expression",
     NP.format(rules="ingress: [{from: [{namespaceSelector: {matchExpressions: "
                     "[{key: a, operator: In, values: [x], valeus: [y]}]}}]}]"),
     "np.yaml:8: spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].valeus: "
     "unknown field; did you mean values?"),
    ("port", NP.format(rules="ingress: [{ports: [{port: 80, endport: 90}]}]"),
     "np.yaml:8: spec.ingress[0].ports[0].endport: unknown field; did you mean endPort?"),
    # the pod template of a workload, and fields netwarden itself never reads
    ("pod template, a block list under the key", DEPLOYMENT.format(container="").replace(
        "containers:", "initcontainers:\n      - name: init\n        image: busybox\n"
                       "      containers:"),
     "np.yaml:9: spec.template.spec.initcontainers: unknown field; "
     "did you mean initContainers?"),
    ("container, a block map under the key",
     DEPLOYMENT.format(container="readinesProbe:\n          tcpSocket:\n            port: 80"),
     "np.yaml:12: spec.template.spec.containers[0].readinesProbe: unknown field; "
     "did you mean readinessProbe?"),
    ("container port", DEPLOYMENT.format(container="ports: [{containerPort: 80, hostport: 80}]"),
     "np.yaml:12: spec.template.spec.containers[0].ports[0].hostport: unknown field; "
     "did you mean hostPort?"),
    ("probe", DEPLOYMENT.format(container="readinessProbe: {httpGet: {port: 80, pth: /}}"),
     "np.yaml:12: spec.template.spec.containers[0].readinessProbe.httpGet.pth: unknown field; "
     "did you mean path?"),
    ("no suggestion", DEPLOYMENT.format(container="colour: blue"),
     "np.yaml:12: spec.template.spec.containers[0].colour: unknown field"),
    # Calico
    ("calico rule", CALICO.format(rule="sources: {selector: all()}"),
     "np.yaml:8: spec.ingress[0].sources: unknown field; did you mean source?"),
    ("calico entity", CALICO.format(rule="destination: {port: [80]}\n    protocol: TCP"),
     "np.yaml:8: spec.ingress[0].destination.port: unknown field; did you mean ports?"),
    ("calico global-only field", CALICO.format(rule="").replace("selector:", "preDNAT: true\n"
                                                                 "  selector:"),
     "np.yaml:5: spec.preDNAT: unknown field"),
]


def _text(manifest: str) -> str:
    return textwrap.dedent(manifest)


@pytest.mark.parametrize(("manifest", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_a_misspelled_field_is_an_error_naming_file_line_and_path(
    manifest: str, expected: str
) -> None:
    assert errors(manifest, "np.yaml") == [expected]


@pytest.mark.parametrize(("manifest", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_with_lenient_the_same_manifest_loads_with_a_warning(
    manifest: str, expected: str
) -> None:
    snap = load_texts([("np.yaml", _text(manifest))], strictness=Strictness.LENIENT)
    assert snap.warnings == (f"{expected} (ignored: --lenient)",)


def test_fields_of_a_pod_netwarden_does_not_use_are_known() -> None:
    pod = """\
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          annotations: {a: b}
          creationTimestamp: null
        spec:
          securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
          volumes: [{name: data, emptyDir: {sizeLimit: 1Gi}}]
          containers:
          - name: web
            image: nginx:1.27
            env: [{name: A, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
            resources: {limits: {cpu: 1, memory: 128Mi}, requests: {cpu: 100m}}
            livenessProbe: {tcpSocket: {port: http}, periodSeconds: 10}
            volumeMounts: [{name: data, mountPath: /data}]
        status: {phase: Running, podIP: 10.0.0.5, conditions: [{type: Ready, status: "True"}]}
    """
    (loaded,) = load_texts([("pod.yaml", textwrap.dedent(pod))]).pods
    assert loaded.meta.name == "web"


def test_an_unserved_api_version_is_an_error() -> None:
    text = NP.format(rules="").replace("networking.k8s.io/v1", "networking.k8s.io/v1beta1")
    assert errors(text, "np.yaml") == [
        "np.yaml:1: apiVersion: NetworkPolicy is not served in version 'v1beta1'; "
        "use networking.k8s.io/v1"]


def test_the_items_of_a_list_are_checked_as_objects_of_their_own() -> None:
    text = """\
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Namespace
          metadata: {name: prod, lables: {a: b}}
    """
    assert errors(text) == [
        "test.yaml:6: metadata.lables: unknown field; did you mean labels?"]


def test_validate_exits_2_on_a_misspelling_and_0_with_lenient_printing_the_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "np.yaml"
    path.write_text(NP.format(rules="").replace("podSelector", "podSelecter"))
    expected = f"{path}:7: spec.podSelecter: unknown field; did you mean podSelector?"
    assert main(["validate", str(path)]) == 2
    assert expected in capsys.readouterr().err
    assert main(["validate", str(path), "--lenient"]) == 0
    assert f"warning: {expected} (ignored: --lenient)" in capsys.readouterr().err
    assert main(["diff", str(path), str(path), "--lenient"]) == 0


def test_in_json_too_an_unknown_field_is_reported_at_its_key() -> None:
    text = ('{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",\n'
            ' "metadata": {"name": "np", "namespace": "prod"},\n'
            ' "spec": {"podSelecter":\n'
            '   {"matchLabels": {"app": "db"}}}}\n')
    assert errors(text, "np.json") == [
        "np.json:3: spec.podSelecter: unknown field; did you mean podSelector?"]
