"""Valid names of any length render, load and enforce: comments stay within nft's limit.

A Pod name may be 253 characters and a Calico policy name 127 (two labels); the
rule comments carrying their origins then exceed the 128 bytes nft accepts.
netwarden writes a short form (``names.short_comment``) and reports counters
under the full origin.
"""

from __future__ import annotations

import json

import pytest

from netwarden.dataplane import RenderOptions, render_ruleset
from netwarden.dataplane.names import COMMENT_MAX
from netwarden.lab.counters import rule_counters
from netwarden.lab.observe import observe

from ..lab_fixtures import lab_for
from .labtools import cluster_from_text

pytestmark = pytest.mark.lab

LONG_POD = ".".join(["d" * 63] * 3) + "." + "b" * 61  # 253 characters, a valid DNS name
LONG_K8S = "allow-" + "x" * 247                          # 253 characters
LONG_CALICO = "refus" + "e" * 58 + "." + "f" * 63         # 127: Calico's longest label.label


def pod(name: str, ip: str, app: str) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name, "namespace": "prod", "labels": {"app": app}},
                       "spec": {"containers": [{"name": "c", "image": "x"}]},
                       "status": {"podIP": ip}})


DOCS = (
    json.dumps({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod"}}),
    pod(LONG_POD, "10.72.0.1", "db"), pod("client", "10.72.0.2", "client"),
    pod("other", "10.72.0.3", "other"),
    json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": LONG_K8S, "namespace": "prod"},
                "spec": {"podSelector": {"matchLabels": {"app": "db"}},
                         "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}},
                                               {"podSelector": {"matchLabels": {"app": "other"}}}],
                                      "ports": [{"port": 80}]}]}}),
    json.dumps({"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
                "metadata": {"name": LONG_CALICO, "namespace": "prod"},
                "spec": {"selector": "app == 'db'", "order": 10, "types": ["Ingress"],
                         "ingress": [{"action": "Deny",
                                      "source": {"selector": "app == 'other'"}}]}}),
)


def test_long_names_render_within_the_comment_limit() -> None:
    cluster = cluster_from_text(*DOCS)
    ruleset = render_ruleset(cluster, None, {f"prod/{LONG_POD}": "v0", "prod/client": "v1",
                                             "prod/other": "v2"},
                             RenderOptions(pod_interface_prefix="v"))
    comments = [r.comment for c in ruleset.chains for r in c.rules if r.comment]
    assert comments and all(len(c.encode()) <= COMMENT_MAX for c in comments)
    assert any("~" in c for c in comments)  # some had to be shortened
    assert len(ruleset.text().splitlines()) > 10  # the whole batch, not a truncated one


def test_long_names_load_and_enforce_in_the_lab() -> None:
    cluster = cluster_from_text(*DOCS)
    db = f"prod/{LONG_POD}"
    with lab_for(cluster) as lab:
        obs = observe(lab, cluster, "TCP", 80)
        counters = {(c.origin, c.verdict): c.packets for c in rule_counters(lab, cluster)}
    assert obs.observed == obs.expected
    assert obs.observed["prod/client"][db] and not obs.observed["prod/other"][db]
    # counted under the full origins, though the kernel holds short forms
    assert counters[(f"calico:prod/{LONG_CALICO} ingress[0]", "drop")] >= 1
    assert any(o.startswith(f"prod/{LONG_K8S} ingress[0]") and v == "allow" and n >= 1
               for (o, v), n in counters.items())
    assert any(o == f"{db} ingress tier default default deny" for o, _ in counters)
