"""Live changes with real packets: revocation, atomic updates, anti-spoofing, IPv6, CLI."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netwarden._errors import NftError, ValidationError
from netwarden.cli import main
from netwarden.dataplane.nft.objects import Chain, Rule
from netwarden.lab import Lab, run_in
from netwarden.lab.counters import rule_counters
from netwarden.lab.manifests import current_cluster
from netwarden.lab.observe import observe

from ..lab_fixtures import ENFORCER, lab_for, lab_up
from .labtools import cluster_from_text, grid

pytestmark = pytest.mark.lab


def pod(name: str, *ips: str, ns: str = "shop") -> str:
    status = {"podIP": ips[0], "podIPs": [{"ip": i} for i in ips]}
    return json.dumps({"apiVersion": "v1", "kind": "Pod",
                       "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
                       "spec": {"containers": [{"name": "c", "image": "x"}]},
                       "status": status})


def policy(name: str, app: str, *, ingress: object = None, egress: object = None,
           ns: str = "shop") -> str:
    spec: dict[str, object] = {"podSelector": {"matchLabels": {"app": app}}, "policyTypes": []}
    for kind, rules in (("Ingress", ingress), ("Egress", egress)):
        if rules is not None:
            spec["policyTypes"].append(kind)  # type: ignore[attr-defined]
            spec[kind.lower()] = rules
    return json.dumps({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                       "metadata": {"name": name, "namespace": ns}, "spec": spec})


def from_app(app: str) -> list[dict[str, object]]:
    return [{"podSelector": {"matchLabels": {"app": app}}}]


PODS = [pod("a", "10.70.0.1"), pod("b", "10.70.0.2"), pod("c", "10.70.0.3")]
A, B, C = "shop/a", "shop/b", "shop/c"


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("manifests")
    (d / "pods.yaml").write_text("\n---\n".join(PODS))
    (d / "b-from-c.yaml").write_text(policy("b-from-c", "b", ingress=[{"from": from_app("c")}]))
    (d / "a-no-egress.yaml").write_text(policy("a-no-egress", "a", egress=[]))
    (d / "invalid.yaml").write_text(policy("bad", "b", ingress=[{"from": [{"ipBlock": {
        "cidr": "10.70.0.300/32"}}]}]))
    return d


@pytest.fixture
def lab(manifests: Path) -> Iterator[Lab]:
    with lab_up([manifests / "pods.yaml"]) as built:
        yield built


def matrix(lab: Lab) -> str:
    cluster = current_cluster(lab.id)
    obs = observe(lab, cluster, "TCP", 80)
    assert obs.observed == obs.expected, grid(obs, "observed")
    return grid(obs, "observed")


# -- revocation ---------------------------------------------------------------
def test_revocation_cuts_denied_connections_and_keeps_allowed_ones(lab: Lab,
                                                                   manifests: Path) -> None:
    # Echoed traffic runs both ways on every held connection.
    cut_fast = dict(interval=0.05, stall=0.4)
    keep = dict(interval=0.05, stall=3.0)
    with lab.hold(A, B, 80, **cut_fast) as a_b, lab.hold(C, B, 80, **keep) as c_b, \
            lab.hold(B, A, 80, **keep) as b_a, lab.hold(A, C, 80, **cut_fast) as a_c, \
            lab.hold(C, A, 80, **keep) as c_a:
        time.sleep(0.3)
        assert all(h.alive for h in (a_b, c_b, b_a, a_c, c_a))
        report = ENFORCER.apply_policies(lab, [manifests / "b-from-c.yaml",
                                          manifests / "a-no-egress.yaml"])
        applied = time.monotonic()
        assert a_b.wait_broken(2.0) and a_c.wait_broken(2.0)
        for held in (a_b, a_c):  # a -> b dies at b's ingress, a -> c at a's egress
            assert held.broken_at is not None and held.broken_at - applied <= 1.0, held.reason
        time.sleep(1.0)
        assert c_b.alive and b_a.alive and c_a.alive, (c_b.reason, b_a.reason, c_a.reason)
        before = c_b.exchanges
        time.sleep(0.3)
        assert c_b.exchanges > before  # still carrying data, not just "not noticed"
    revoked = {(str(e.src), str(e.dst), e.dport) for _, e in report.revoked}
    assert revoked == {("10.70.0.1", "10.70.0.2", 80), ("10.70.0.1", "10.70.0.3", 80)}
    assert report.added == ["shop/a-no-egress", "shop/b-from-c"]


def test_without_revocation_an_established_connection_survives(lab: Lab,
                                                               manifests: Path) -> None:
    with lab.hold(A, B, 80, interval=0.05, stall=3.0) as a_b:
        report = ENFORCER.apply_policies(lab, [manifests / "b-from-c.yaml"], revoke_flows=False)
        assert not report.revoked
        time.sleep(1.0)
        assert a_b.alive  # only the first packet is judged: revocation is what cuts it
        assert not lab.probe([(A, B)], "TCP", 80, 1.0)[A, B]  # a new one is refused


# -- atomic updates -------------------------------------------------------------
def test_invalid_manifests_change_nothing(lab: Lab, manifests: Path) -> None:
    ENFORCER.apply_policies(lab, [manifests / "b-from-c.yaml"])
    before = matrix(lab)
    with pytest.raises(ValidationError):
        ENFORCER.apply_policies(lab, [manifests / "invalid.yaml"])
    assert matrix(lab) == before
    assert [p.id for p in current_cluster(lab.id).policies] == ["shop/b-from-c"]


def test_a_batch_nft_refuses_leaves_the_previous_rules(lab: Lab, manifests: Path) -> None:
    ENFORCER.apply_policies(lab, [manifests / "b-from-c.yaml"])
    before = matrix(lab)
    node = lab.nodes[0]
    listed = subprocess.run(["ip", "netns", "exec", lab.node_netns(), "nft", "list", "table",
                             "inet", "netwarden"], capture_output=True, text=True, check=True)
    cluster = current_cluster(lab.id)
    good = ENFORCER.render(lab, dataclasses.replace(cluster, policies=()))[node]
    bad = dataclasses.replace(good, chains=(*good.chains, Chain(
        "zz-broken", (Rule("ip saddr @no-such-set counter drop"),))))
    with pytest.raises(NftError):
        ENFORCER.enforce(lab, cluster, {node: bad})
    after = subprocess.run(["ip", "netns", "exec", lab.node_netns(), "nft", "list", "table",
                            "inet", "netwarden"], capture_output=True, text=True, check=True)
    assert after.stdout == listed.stdout
    assert matrix(lab) == before
    ENFORCER.enforce(lab, cluster)  # and the writer recovers with a full rewrite
    assert matrix(lab) == before


# -- anti-spoofing ----------------------------------------------------------------
SPOOF = """
import socket, sys
s = socket.socket()
s.settimeout(1.5)
s.bind((sys.argv[1], 0))
try:
    s.connect((sys.argv[2], 80))
    print(s.recv(64).decode().strip())
except OSError as e:
    print("failed", e)
"""


def test_a_pod_cannot_send_with_an_address_that_is_not_its_own(lab: Lab) -> None:
    lab.exec(A, ["ip", "addr", "add", "10.70.0.99/32", "dev", "eth0"], check=True)

    def spoof_drops() -> int:
        return sum(c.packets for c in rule_counters(lab)
                   if c.origin == f"{A} anti-spoofing")

    own = lab.exec(A, [sys.executable, "-c", SPOOF, "10.70.0.1", "10.70.0.2"]).stdout
    assert own.strip() == f"nw {B}"
    before = spoof_drops()
    spoofed = lab.exec(A, [sys.executable, "-c", SPOOF, "10.70.0.99", "10.70.0.2"]).stdout
    assert spoofed.startswith("failed")
    assert spoof_drops() > before  # dropped by the anti-spoofing rule, not by chance
    stolen = lab.exec(A, [sys.executable, "-c", SPOOF, "10.70.0.99", "10.70.0.3"]).stdout
    assert stolen.startswith("failed")


# -- IPv6 -------------------------------------------------------------------------
def test_dual_stack_pods_and_an_ipv6_ip_block() -> None:
    cluster = cluster_from_text(
        pod("a", "10.71.0.1", "fd71::1"), pod("b", "10.71.0.2", "fd71::2"),
        pod("c", "10.71.0.3", "fd71::3"),
        policy("b-from-a-v6", "b", ingress=[{"from": [{"ipBlock": {"cidr": "fd71::1/128"}}]}]),
        policy("c-to-v6-only", "c", egress=[{"to": [{"ipBlock": {"cidr": "fd71::/64"}}]}]),
    )
    with lab_for(cluster) as lab:
        v4 = observe(lab, cluster, "TCP", 80, family=4)
        v6 = observe(lab, cluster, "TCP", 80, family=6)
        u6 = observe(lab, cluster, "UDP", 80, family=6)
        i6 = observe(lab, cluster, "ICMP", None, family=6)
    for obs in (v4, v6, u6, i6):
        assert obs.observed == obs.expected, f"{obs.protocol}\n{grid(obs, 'observed')}"
    assert not v4.observed[A][B] and v6.observed[A][B]  # the ipBlock admits a's IPv6 only
    assert not v4.observed[C][A] and v6.observed[C][A]
    assert not v6.observed[C][B]


# -- the command line -------------------------------------------------------------
def test_lab_run_json(manifests: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lab", "run", str(manifests / "pods.yaml"), str(manifests / "b-from-c.yaml"),
                 "--port", "8443", "--protocol", "TCP", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["mismatches"] == []
    assert data["protocol"] == "TCP" and data["port"] == 8443
    assert data["observed"][A][B] is False and data["observed"][C][B] is True
    assert data["expected"] == data["observed"]


def test_lab_commands_across_processes(manifests: Path, tmp_path: Path) -> None:
    env_bin = [str(Path(sys.executable).parent / "netwarden")]

    def nw(*args: str, lab_id: str | None = None) -> subprocess.CompletedProcess[str]:
        import os
        env = {**os.environ, "NO_COLOR": "1", **({"NETWARDEN_LAB": lab_id} if lab_id else {})}
        return subprocess.run([*env_bin, *args], capture_output=True, text=True, env=env,
                              timeout=120)

    up = nw("lab", "up", str(manifests / "pods.yaml"), "--format", "json")
    assert up.returncode == 0, up.stderr
    lab_id = json.loads(up.stdout)["lab"]
    try:
        probe = nw("lab", "probe", "--format", "json", lab_id=lab_id)
        assert probe.returncode == 0 and all(
            all(row.values()) for row in json.loads(probe.stdout)["observed"].values())
        applied = nw("lab", "apply", str(manifests / "b-from-c.yaml"), lab_id=lab_id)
        assert applied.returncode == 0 and "added    shop/b-from-c" in applied.stdout
        probe = nw("lab", "probe", "--format", "json", lab_id=lab_id)
        data = json.loads(probe.stdout)
        assert probe.returncode == 0 and data["observed"][A][B] is False, data
        stats = nw("lab", "stats", "--format", "json", lab_id=lab_id)
        origins = {c["origin"]: c for c in json.loads(stats.stdout)}
        assert origins["shop/b ingress tier default default deny"]["packets"] > 0
        assert origins["shop/b-from-c ingress[0] from[0]"]["verdict"] == "allow"
        assert nw("lab", "exec", "--lab", lab_id, A, "--", "sh", "-c", "exit 7").returncode == 7
        assert lab_id in nw("lab", "list").stdout
    finally:
        down = nw("lab", "down", "--lab", lab_id)
    assert down.returncode == 0
    assert not (Path("/run/netwarden/labs") / f"{lab_id}.manifests").exists()


def test_lab_up_without_root_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, manifests: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    import os
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert main(["lab", "up", str(manifests / "pods.yaml")]) == 3
    assert "needs root" in capsys.readouterr().err


def test_lab_commands_report_a_table_deleted_by_hand(lab: Lab,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cluster = current_cluster(lab.id)
    run_in(lab.node_netns(), ["nft", "delete", "table", "inet", "netwarden"], check=True)
    try:
        assert main(["lab", "stats", "--lab", lab.id]) == 0
        err = " ".join(capsys.readouterr().err.split())
        assert f"warning: node {lab.nodes[0]}: table inet netwarden is missing" in err
    finally:
        ENFORCER.forget(lab.id)  # its writer no longer knows the kernel: rewrite whole
        ENFORCER.enforce(lab, cluster)
    assert main(["lab", "stats", "--lab", lab.id]) == 0
    assert "warning" not in capsys.readouterr().err
