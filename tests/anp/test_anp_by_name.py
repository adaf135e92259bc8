"""``check --to-name``: a destination known by DNS name, against domainNames peers.

Upstream (network-policy-api ``DomainName``): an exact name matches only itself;
``*.`` stands for one or more whole labels, so ``*.example.com`` matches
``www.example.com`` and ``a.b.example.com`` but not ``example.com``. Every other
rule sees an outside address netwarden cannot know without DNS; the rules
naming addresses met before the decision are listed, and the answer is certain
only without them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from netwarden._errors import LookupFailed
from netwarden.cli import main
from netwarden.compile import compile_snapshot
from netwarden.engine import Engine
from netwarden.load import load_texts

from .test_anp_engine import PODS

ALLOWLIST = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: egress-allowlist}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {tenant: a}}}
  egress:
  - action: Allow
    to: [{domainNames: ['*.example.com', 'kubernetes.io']}]
    ports: [{portNumber: {port: 443}}]
  - action: Deny
    to: [{networks: [0.0.0.0/0, '::/0']}]
"""

ONLY_NAMES = """
apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: names-then-deny}
spec:
  priority: 20
  subject: {namespaces: {matchLabels: {tenant: a}}}
  egress:
  - action: Allow
    to: [{domainNames: [api.example.com]}]
  - action: Deny
    to: [{namespaces: {}}]
"""

ISOLATED_BY_NETWORKPOLICY = """
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-dns-only, namespace: tenant-a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 203.0.113.0/24}}]
"""


def _engine(*texts: str) -> Engine:
    return Engine(compile_snapshot(load_texts([(f"f{i}.yaml", t)
                                               for i, t in enumerate(texts)])))


CASES = [
    # (id, policies, name, port, allowed, certain, address rules listed)
    ("wildcard, one label", [ALLOWLIST], "www.example.com", 443, True, True, []),
    ("wildcard, two labels", [ALLOWLIST], "latest.blog.example.com", 443, True, True, []),
    ("wildcard does not match the bare domain", [ALLOWLIST], "example.com", 443, True, False,
     ["anp:egress-allowlist egress[1] to[0]"]),
    ("exact name", [ALLOWLIST], "kubernetes.io", 443, True, True, []),
    ("exact name does not match a subdomain", [ALLOWLIST], "blog.kubernetes.io", 443, True,
     False, ["anp:egress-allowlist egress[1] to[0]"]),
    ("case and a final dot do not matter", [ALLOWLIST], "WWW.Example.COM.", 443, True, True,
     []),
    ("a name on another port", [ALLOWLIST], "www.example.com", 80, True, False,
     ["anp:egress-allowlist egress[1] to[0]"]),
    ("no address rule: certain", [ONLY_NAMES], "api.example.com", 80, True, True, []),
    ("not the name, no address rule: the default, certain", [ONLY_NAMES], "db.example.com", 80,
     True, True, []),
    ("NetworkPolicy ipBlock: unknown", [ISOLATED_BY_NETWORKPOLICY], "api.example.com", 443,
     False, False, ["tenant-a/egress-dns-only egress[0] to[0]"]),
    ("admin Allow by name decides before the NetworkPolicy", [ALLOWLIST,
     ISOLATED_BY_NETWORKPOLICY], "api.example.com", 443, True, True, []),
    ("no policy", [], "api.example.com", 443, True, True, []),
]


@pytest.mark.parametrize(("policies", "name", "port", "allowed", "certain", "rules"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_destination_known_by_name(policies: list[str], name: str, port: int,
                                     allowed: bool, certain: bool, rules: list[str]) -> None:
    answer = _engine(PODS, *policies).check_name("tenant-a/web", name, "TCP", port)
    assert (answer.verdict.allowed, answer.certain,
            [str(r.origin) for r in answer.address_rules]) == (allowed, certain, rules)


def test_namespaces_peers_never_match_a_name() -> None:
    answer = _engine(PODS, ONLY_NAMES.replace("api.example.com", "x.example.com")) \
        .check_name("tenant-a/web", "api.example.com", "TCP", 80)
    # the Deny of every namespace's pods does not take an outside host
    assert answer.verdict.allowed and answer.certain


def test_the_domain_names_warning_points_at_check_to_name() -> None:
    (warning,) = _engine(PODS, ALLOWLIST).cluster.warnings
    assert warning.endswith("; `check --to-name NAME` asks by name")


def test_the_trace_names_the_domain_rule() -> None:
    answer = _engine(PODS, ALLOWLIST).check_name("tenant-a/web", "www.example.com", "TCP", 443)
    assert answer.verdict.reasons[-1] == (
        "allowed by anp:egress-allowlist egress[0] to[0] ports[0] (priority 20): Allow to "
        "domain names *.example.com, kubernetes.io on TCP 443")


@pytest.mark.parametrize(("name", "message"), [
    ("*.example.com", "--to-name '*.example.com': not a DNS name (labels of letters, digits, "
                      "'-' and '_', separated by dots)"),
    ("a..b", "--to-name 'a..b': not a DNS name (labels of letters, digits, '-' and '_', "
             "separated by dots)"),
])
def test_a_name_that_is_not_a_dns_name_is_refused(name: str, message: str) -> None:
    with pytest.raises(LookupFailed) as info:
        _engine(PODS).check_name("tenant-a/web", name, "TCP", 443)
    assert str(info.value) == message


def test_the_source_must_be_in_the_cluster() -> None:
    with pytest.raises(LookupFailed, match="the source must be a pod or endpoint"):
        _engine(PODS).check_name("198.51.100.1", "api.example.com", "TCP", 443)


@pytest.fixture
def cluster_dir(tmp_path: Path) -> Path:
    (tmp_path / "pods.yaml").write_text(PODS)
    (tmp_path / "anp.yaml").write_text(ALLOWLIST)
    return tmp_path


def test_cli_json_says_what_netwarden_cannot_know(
    cluster_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", str(cluster_dir), "--from", "tenant-a/web", "--to-name",
                 "example.com", "--port", "443", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {k: data[k] for k in ("allowed", "certain", "from", "to_name", "protocol", "port",
                                 "address_rules")} == {
        "allowed": True, "certain": False, "from": "tenant-a/web", "to_name": "example.com",
        "protocol": "TCP", "port": 443, "address_rules": ["anp:egress-allowlist egress[1] to[0]"]}
    assert data["uncertainty"] == (
        "not certain: without DNS netwarden cannot know whether anp:egress-allowlist "
        "egress[1] to[0] (naming addresses) match the address example.com resolves to; "
        "any of them could change the answer")


def test_cli_text_allowed_by_name_exits_0(cluster_dir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", str(cluster_dir), "--from", "tenant-a/web", "--to-name",
                 "api.example.com", "--port", "443"])
    out = capsys.readouterr().out
    assert code == 0
    assert "ALLOWED  tenant-a/web → api.example.com  TCP/443" in out
    assert "not certain" not in out


@pytest.mark.parametrize(("argv", "message"), [
    (["--to-name", "api.example.com"], "--to-name needs --port: a host known by name is "
                                       "checked one port at a time"),
    (["--to-name", "web.tenant-a.svc.cluster.local", "--port", "80"],
     "--to-name web.tenant-a.svc.cluster.local: a Service name of the cluster domain is "
     "checked through the Service: use --to"),
])
def test_cli_refuses_without_a_port_or_with_a_service_name(
    cluster_dir: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["check", str(cluster_dir), "--from", "tenant-a/web", *argv]) == 2
    assert message in capsys.readouterr().err
