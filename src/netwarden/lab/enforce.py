"""Policy in a running lab: what it enforces, live changes, revocation, counters, checks.

The lab itself (``Lab``) knows only namespaces and addresses. This module is
the glue to the dataplane and the engine, shared by ``netwarden lab``, the
demo, the enforcement tests and the benchmarks:

* ``up`` builds a lab from manifests and remembers the manifests (a copy of
  their text, so editing a file later does not change what the lab "runs")
  under ``/run/netwarden/labs/<id>.manifests/``; ``current_cluster`` reads
  them back in any later process.
* ``enforce`` renders one ruleset per node, dry-runs every node's batch with
  ``nft --check`` and only then applies them, so an invalid update changes
  nothing anywhere. Within one process the per-node ``TableWriter`` is kept,
  so later updates are incremental.
* ``apply_policies`` replaces the policy set (pods stay), then deletes the
  conntrack entries of connections the new policies deny (``revoke_denied``).
* ``rule_counters`` maps nft counters back to rule origins (rule comments).
* ``observe`` probes every pod pair with real packets and compares with the
  engine.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import shutil
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .._errors import LabError, NftError, ValidationError
from ..dataplane import (
    ApplyStats,
    Conntrack,
    ConntrackEntry,
    Marks,
    Renderer,
    RenderOptions,
    Ruleset,
    TableWriter,
    revoke,
)
from ..dataplane.nft.backend import SystemNft
from ..dataplane.nft.objects import Table
from ..engine import Engine
from ..ir import Cluster, Direction, EndpointKind, NamedPort
from ..ir.services import ECHO_REQUEST, ICMP, ICMPV6, TCP, UDP, protocol_number
from . import Lab, LabHost, _ns, parse_host_arg, parse_lab_hosts
from .topology import DEFAULT_PORTS, STATE_DIR

__all__ = [
    "ApplyReport",
    "Observation",
    "RuleCounter",
    "allows",
    "apply_policies",
    "current_cluster",
    "down",
    "enforce",
    "forget",
    "observe",
    "render_lab",
    "revoke_denied",
    "rule_counters",
    "snapshot",
    "up",
    "with_policies",
]

_writers: dict[tuple[str, str], TableWriter] = {}
_renderers: dict[tuple[str, str], Renderer] = {}
_lock = threading.Lock()


# -- what the lab runs ------------------------------------------------------
def snapshot(paths: Sequence[str | os.PathLike[str]],
             stdin: TextIO | None = None) -> list[tuple[str, str]]:
    """(name, text) of every manifest under ``paths``; raises on unreadable input."""
    from ..load.sources import read_sources

    texts, errors = read_sources(paths, stdin)
    if errors:
        raise errors[0]
    return texts


def _store(lab_id: str) -> Path:
    return Path(STATE_DIR) / f"{lab_id}.manifests"


def _write(lab_id: str, part: str, sources: Sequence[tuple[str, str]]) -> Path:
    """Store texts as ``NNN-name`` files so a directory load keeps their order."""
    target = _store(lab_id) / part
    tmp = target.with_name(part + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for i, (name, text) in enumerate(sources):
        base = Path(name).name if name != "<stdin>" else "stdin.yaml"
        if Path(base).suffix.lower() not in (".yaml", ".yml", ".json"):
            base += ".yaml"
        (tmp / f"{i:03d}-{base}").write_text(text, encoding="utf-8")
    (tmp / "SOURCES").write_text("\n".join(n for n, _ in sources) + "\n", encoding="utf-8")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    return target


def _load_dir(path: Path) -> Cluster:
    from .._api import load_cluster

    files = sorted(p for p in path.iterdir() if p.name != "SOURCES")
    return load_cluster(files) if files else Cluster()


def sources_of(lab_id: str) -> dict[str, list[str]]:
    """The original file names behind the lab's cluster and its current policies."""
    out: dict[str, list[str]] = {}
    for part in ("cluster", "policies"):
        f = _store(lab_id) / part / "SOURCES"
        if f.exists():
            out[part] = [n for n in f.read_text(encoding="utf-8").splitlines() if n]
    return out


def with_policies(base: Cluster, update: Cluster) -> Cluster:
    """``base``'s pods and namespaces with ``update``'s policies, tiers and network sets."""
    pods = tuple(e for e in base.endpoints if e.kind is not EndpointKind.NETWORK_SET)
    sets = tuple(e for e in update.endpoints if e.kind is EndpointKind.NETWORK_SET)
    return dataclasses.replace(base, endpoints=pods + sets, policies=update.policies,
                               tiers=update.tiers, namespaces={**base.namespaces})


def current_cluster(lab_id: str) -> Cluster:
    """The cluster a lab enforces, as ``up`` and the last ``apply_policies`` left it."""
    store = _store(lab_id)
    if not (store / "cluster").is_dir():
        raise LabError(f"lab {lab_id} has no recorded manifests (was it made by `lab up`?)")
    cluster = _load_dir(store / "cluster")
    if (store / "policies").is_dir():
        cluster = with_policies(cluster, _load_dir(store / "policies"))
    return cluster


def forget(lab_id: str) -> None:
    """Drop the recorded manifests and cached writers of a lab."""
    shutil.rmtree(_store(lab_id), ignore_errors=True)
    with _lock:
        for key in [k for k in _writers if k[0] == lab_id]:
            del _writers[key]
        for key in [k for k in _renderers if k[0] == lab_id]:
            del _renderers[key]


def prune() -> None:
    """Forget the manifests of labs that no longer exist (e.g. removed by ``Lab.down``)."""
    if not os.path.isdir(STATE_DIR):
        return
    alive = set(Lab.ids())
    for name in os.listdir(STATE_DIR):
        if name.endswith(".manifests") and name[: -len(".manifests")] not in alive:
            forget(name[: -len(".manifests")])


# -- building and tearing down ----------------------------------------------
def serving(cluster: Cluster, ports: Iterable[tuple[int, int]] = ()) -> Cluster:
    """``cluster`` with every pod and host endpoint serving its ports, the lab
    defaults and ``ports``.

    Only the lab's daemon sees this copy: a declared containerPort does not
    stop a real container from listening elsewhere, and policy verdicts are
    what the lab tests, so every probed port must have a listener.
    """
    extra = tuple(NamedPort(p, proto) for p, proto in (*DEFAULT_PORTS, *ports))
    served = (EndpointKind.POD, EndpointKind.HOST)
    endpoints = tuple(
        dataclasses.replace(e, ports=e.ports + extra) if e.kind in served else e
        for e in cluster.endpoints
    )
    return dataclasses.replace(cluster, endpoints=endpoints)


def policy_ports(cluster: Cluster, limit: int = 64) -> list[tuple[int, int]]:
    """The TCP/UDP ports the policies name (small ranges only), so the lab serves them."""
    out: set[tuple[int, int]] = set()
    for policy in cluster.policies:
        for direction in Direction:
            for rule in policy.rules(direction):
                for e in (None, *(x for x in cluster.endpoints if x.kind is EndpointKind.POD)):
                    for proto, values in rule.services(e).protocols():
                        if proto not in (TCP, UDP):
                            continue
                        for lo, hi in values:
                            if hi - lo < 16:
                                out.update((p, proto) for p in range(max(lo, 1), hi + 1))
                    if not rule.depends_on_named_ports:
                        break
    return sorted(out)[:limit]


def up(paths: Sequence[str | os.PathLike[str]], *, hosts: Sequence[str | LabHost] = (),
       nodes: int = 1, ports: Iterable[tuple[int, int]] = (), keep: bool = False,
       stdin: TextIO | None = None) -> tuple[Lab, Cluster]:
    """Build a lab for the manifests under ``paths`` and enforce their policies.

    ``kind: LabHost`` documents and ``hosts`` (``name=ip`` or ``LabHost``)
    become external hosts. Fails with ``LabError`` without root, ip or nft.
    """
    _ns.require_root_and_tools("ip", "nft", "conntrack")
    sources = snapshot(paths, stdin)
    cluster = _load(paths, sources)
    lab_hosts = list(parse_lab_hosts(text for _, text in sources))
    lab_hosts += [h if isinstance(h, LabHost) else parse_host_arg(h) for h in hosts]
    prune()
    ports = [*policy_ports(cluster), *ports]
    lab = Lab.up(serving(cluster, ports), lab_hosts, nodes, keep=keep)
    try:
        _write(lab.id, "cluster", sources)
        enforce(lab, cluster)
    except BaseException:
        down(lab)
        raise
    return lab, cluster


def _load(paths: Sequence[str | os.PathLike[str]], sources: Sequence[tuple[str, str]]) -> Cluster:
    """Compile what ``snapshot`` read; from the files themselves when possible (their
    names then appear in errors), from the read text when stdin was one of them."""
    import io

    from .._api import load_cluster

    if not sources:
        raise ValidationError(None, "", "no manifests found")
    if all(os.fspath(p) != "-" for p in paths):
        return load_cluster(paths)
    text = "\n---\n".join(t for _, t in sources)
    return load_cluster(["-"], stdin=io.StringIO(text))


def down(lab: Lab) -> None:
    """``lab.down()`` plus forgetting what it ran."""
    try:
        lab.down()
    finally:
        forget(lab.id)


# -- enforcing ----------------------------------------------------------------
def render_lab(lab: Lab, cluster: Cluster) -> dict[str, Ruleset]:
    """One ruleset per node, with the lab's veth prefix so unknown pods fail closed.

    Each node keeps a ``Renderer`` within this process, so an update re-renders
    only the endpoints it touches.
    """
    opts = RenderOptions(pod_interface_prefix=lab.pod_veth_prefix)
    out = {}
    for node in lab.nodes:
        with _lock:
            renderer = _renderers.setdefault((lab.id, node), Renderer(opts))
        out[node] = renderer.render(cluster, node, lab.interfaces(node))
    return out


def _writer(lab: Lab, node: str) -> TableWriter:
    with _lock:
        key = (lab.id, node)
        if key not in _writers:
            _writers[key] = TableWriter(SystemNft(lab.node_netns(node)))
        return _writers[key]


def enforce(lab: Lab, cluster: Cluster,
            rulesets: Mapping[str, Ruleset] | None = None) -> dict[str, ApplyStats]:
    """Make every node enforce ``cluster``: all batches are checked before any is applied.

    Raises ``NftError`` (nothing changed) if nft refuses a node's batch.
    """
    if shutil.which("nft") is None:
        raise LabError("enforcing policy needs nft (nftables) on PATH")
    rulesets = rulesets if rulesets is not None else render_lab(lab, cluster)
    writers = {node: _writer(lab, node) for node in rulesets}
    for node, ruleset in rulesets.items():
        tx, _full = writers[node].plan(ruleset)
        try:
            writers[node].backend.check(tx)
        except NftError:
            writers[node].mark_drift()
            raise
    return {node: writers[node].apply(ruleset) for node, ruleset in rulesets.items()}


# -- verdicts -----------------------------------------------------------------
def allows(engine: Engine, src: str, dst: str, protocol: str | int, port: int | None,
           family: int | None = None) -> bool:
    """``engine.allows`` for one address family (ipBlocks can differ between v4 and v6)."""
    proto = protocol_number(protocol)
    if family is not None and proto in (ICMP, ICMPV6):
        proto = ICMPV6 if family == 6 else ICMP  # ping on the family's own ICMP
    return engine.check(src, dst, proto, port, family).allowed


def _entry_allowed(engine: Engine, entry: ConntrackEntry) -> bool:
    if entry.protocol in (ICMP, ICMPV6):
        port: int | None = (ECHO_REQUEST[entry.protocol] if entry.icmp_type is None
                            else (entry.icmp_type << 8) | (entry.icmp_code or 0))
    else:
        port = entry.dport
    return engine.allows(str(entry.src), str(entry.dst), entry.protocol, port)


def flush_conntrack(lab: Lab) -> None:
    """Forget every tracked connection on every node, so the next probes are all new.

    Tests that switch one lab between unrelated policy sets need it: a probe
    whose 5-tuple happens to match an entry left by an earlier case would ride
    that entry instead of meeting the new policies.
    """
    import subprocess

    for node in lab.nodes:
        subprocess.run(["ip", "netns", "exec", lab.node_netns(node), "conntrack", "-F"],
                       check=False, capture_output=True)


def revoke_denied(lab: Lab, cluster: Cluster) -> list[tuple[str, ConntrackEntry]]:
    """Delete, on every node, the tracked pod connections ``cluster`` no longer allows.

    Only entries with a cluster pod on at least one side are judged; the
    node's own traffic (gateway, link-local) is left alone.
    """
    engine = Engine(cluster)
    pod_ips = {ip for e in cluster.endpoints if e.kind is EndpointKind.POD for ip in e.ips}
    revoked: list[tuple[str, ConntrackEntry]] = []

    def judged(entry: ConntrackEntry) -> bool:
        if entry.src not in pod_ips and entry.dst not in pod_ips:
            return True
        if any(ip.is_link_local for ip in (entry.src, entry.dst)):
            return True
        return _entry_allowed(engine, entry)

    for node in lab.nodes:
        tool = Conntrack(lab.node_netns(node))
        revoked += [(node, e) for e in revoke(tool.list(), judged, tool)]
    return revoked


@dataclass
class ApplyReport:
    added: list[str]
    removed: list[str]
    changed: list[str]
    stats: dict[str, ApplyStats]
    revoked: list[tuple[str, ConntrackEntry]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "added": self.added, "removed": self.removed, "changed": self.changed,
            "nodes": {n: {"full": s.full, "operations": s.operations}
                      for n, s in self.stats.items()},
            "revoked": [
                {"node": n, "protocol": e.proto_name or e.protocol, "src": str(e.src),
                 "dst": str(e.dst), "sport": e.sport, "dport": e.dport}
                for n, e in self.revoked
            ],
        }


def apply_policies(lab: Lab, paths: Sequence[str | os.PathLike[str]], *,
                   revoke_flows: bool = True, stdin: TextIO | None = None) -> ApplyReport:
    """Replace the lab's policy set by the one under ``paths``; pods stay.

    Invalid manifests raise ``ValidationError`` and an nft refusal ``NftError``;
    either way the previous rules keep enforcing and nothing is recorded.
    """
    old = current_cluster(lab.id)
    sources = snapshot(paths, stdin)
    new = with_policies(old, _load(paths, sources))
    stats = enforce(lab, new)
    _write(lab.id, "policies", sources)
    before = {p.id: p for p in old.policies}
    after = {p.id: p for p in new.policies}
    report = ApplyReport(
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(k for k in set(before) & set(after) if before[k] != after[k]),
        stats=stats,
    )
    if revoke_flows:
        report.revoked = revoke_denied(lab, new)
    return report


# -- counters -----------------------------------------------------------------
@dataclass(frozen=True)
class RuleCounter:
    origin: str       # the rule comment: a policy rule origin, or a default deny / guard
    verdict: str      # "allow", "pass", "drop" or "log"
    packets: int
    bytes: int


def _verdict_of(expr: list[dict[str, Any]]) -> str:
    text = repr(expr)
    if "'drop'" in text:
        return "drop"
    if "'log'" in text:
        return "log"
    if "'mangle'" in text:
        return "allow" if str(Marks().allow) in text else "pass"
    return "other"


def _element_counters(item: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
    """(origin, counter) of each counted, commented element of a set (allow unions)."""
    out = []
    for elem in (item or {}).get("elem", ()):
        inner = elem.get("elem") if isinstance(elem, dict) else None
        if isinstance(inner, dict) and "comment" in inner and "counter" in inner:
            out.append((str(inner["comment"]), inner["counter"]))
    return out


def rule_counters(lab: Lab) -> list[RuleCounter]:
    """Packets and bytes per rule origin, summed over nodes and endpoints.

    Rules count through their own counter; Allow rules compiled into an
    allow-only tier's sets (``netwarden.dataplane.fastpath``) count through
    the set elements they became, whose comment is the rule origin.
    """
    totals: dict[tuple[str, str], list[int]] = {}
    for node in lab.nodes:
        backend = SystemNft(lab.node_netns(node))
        try:
            items = backend.list_json(Table(RenderOptions().table))
        except NftError:
            continue  # nothing enforced on this node
        for item in items:
            for origin, counted in _element_counters(item.get("set")):
                acc = totals.setdefault((origin, "allow"), [0, 0])  # only allow unions count
                acc[0] += int(counted.get("packets", 0))
                acc[1] += int(counted.get("bytes", 0))
            rule = item.get("rule")
            if not rule or "comment" not in rule:
                continue
            counter = next((x["counter"] for x in rule.get("expr", []) if "counter" in x), None)
            if counter is None:
                continue
            key = (rule["comment"], _verdict_of(rule.get("expr", [])))
            acc = totals.setdefault(key, [0, 0])
            acc[0] += int(counter.get("packets", 0))
            acc[1] += int(counter.get("bytes", 0))
    return sorted((RuleCounter(o, v, p, b) for (o, v), (p, b) in totals.items()),
                  key=lambda c: (-c.packets, c.origin))


# -- observing ----------------------------------------------------------------
@dataclass
class Observation:
    """Real packets against the engine for one protocol/port."""

    protocol: str
    port: int | None
    endpoints: list[str]
    observed: dict[str, dict[str, bool]]
    expected: dict[str, dict[str, bool]]

    @property
    def mismatches(self) -> list[tuple[str, str, bool, bool]]:
        return [(s, d, self.expected[s][d], self.observed[s][d])
                for s in self.endpoints for d in self.endpoints
                if self.expected[s][d] != self.observed[s][d]]

    def to_json(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "port": self.port, "endpoints": self.endpoints,
                "observed": self.observed, "expected": self.expected,
                "mismatches": [list(m) for m in self.mismatches]}


def observe(lab: Lab, cluster: Cluster, protocol: str = "TCP", port: int | None = 80, *,
            family: int | None = None, timeout: float = 1.5,
            endpoints: Sequence[str] | None = None) -> Observation:
    """Probe every ordered pair of the cluster's pods in the lab; compare with the engine."""
    engine = Engine(cluster)
    keys = list(endpoints) if endpoints is not None else [
        e.key for e in cluster.endpoints if e.kind is EndpointKind.POD and e.key in lab.keys
        and (family is None or any(ip.version == family for ip in e.ips))
    ]
    pairs = [(s, d) for s in keys for d in keys]
    proto = protocol.upper()
    seen = lab.probe(pairs, proto, port or 0, timeout, family=family)
    observed = {s: {d: seen[s, d] for d in keys} for s in keys}
    if family is None and proto not in ("ICMP", "ICMPV6"):
        from ..analysis.matrix import port_matrix

        full = port_matrix(engine.connectivity, proto, port)["allowed"]
        expected = {s: {d: bool(full[s][d]) for d in keys} for s in keys}
    else:
        expected = {s: {d: allows(engine, s, d, proto, port if proto not in ("ICMP", "ICMPV6")
                                  else None, family) for d in keys} for s in keys}
    return Observation(proto, port, keys, observed, expected)


def unserved(lab: Lab, protocol: str, port: int | None) -> list[str]:
    """Endpoints with no listener for ``protocol``/``port`` (probes to them must fail)."""
    proto = protocol_number(protocol)
    if proto not in (TCP, UDP) or port is None:
        return []
    return [a.key for a in lab.topology.attachments if (port, proto) not in a.ports]


def observe_many(lab: Lab, cluster: Cluster, services: Sequence[tuple[str, int | None]],
                 **kwargs: Any) -> list[Observation]:
    """``observe`` for several protocol/port pairs at once (their waits overlap)."""
    results: list[Observation | BaseException | None] = [None] * len(services)

    def run(i: int) -> None:
        try:
            results[i] = observe(lab, cluster, services[i][0], services[i][1], **kwargs)
        except BaseException as e:  # re-raised in the caller's thread
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(services))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out: list[Observation] = []
    for r in results:
        if isinstance(r, BaseException):
            raise r
        assert r is not None
        out.append(r)
    return out


def ip_owner(cluster: Cluster, text: str) -> str:
    """``ns/pod`` owning address ``text``, or the address itself."""
    ip = ipaddress.ip_address(text)
    owner = cluster.endpoint_at(ip)
    return owner.key if owner is not None else text
