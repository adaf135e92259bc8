"""A local lab: pods as network namespaces behind routed node namespaces.

``Lab.up(cluster)`` builds one namespace per node and per pod (Calico-style
routing: ``topology`` plans it, ``wiring`` builds it), starts one daemon that
serves every pod's ports (``daemon``) and records the lab in
``/run/netwarden/labs/<id>.json`` so that another process can ``Lab.load(id)``
or ``Lab.current()`` it. Policy is not
the lab's business: ``enforce`` hands each node to an enforcer, by default
``netwarden.dataplane``.

>>> with Lab.up(cluster) as lab:  # doctest: +SKIP
...     lab.probe([("prod/web", "prod/db")], "TCP", 5432)
{('prod/web', 'prod/db'): True}
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence

from .._errors import LabError
from ..dataplane import SystemNft, TableWriter, render_ruleset
from ..ir import Cluster
from . import _ns
from .conn import HeldConnection, hold_connection
from .probe import DEFAULT_TIMEOUT, ProbeUnsupported, probe, probe_detailed
from .topology import (
    DEFAULT_PORTS,
    IN_NODE,
    STATE_DIR,
    Attachment,
    LabHost,
    Topology,
    parse_host_arg,
    parse_lab_hosts,
    plan,
    read_state,
    state_path,
    write_state,
)
from .wiring import build, remove_resolvers, teardown

__all__ = [
    "DEFAULT_PORTS",
    "DEFAULT_TIMEOUT",
    "Enforcer",
    "HeldConnection",
    "Lab",
    "LabHost",
    "ProbeUnsupported",
    "Topology",
    "exec",
    "hold_connection",
    "parse_host_arg",
    "parse_lab_hosts",
    "probe",
    "probe_detailed",
    "run_in",
]

# (cluster, node name, node netns, {endpoint key: node-side veth}) -> None
Enforcer = Callable[[Cluster, str, str, Mapping[str, str]], None]

_created_here: set[str] = set()  # ids this process built; the tests' safety net uses it


def _dataplane_enforcer(cluster: Cluster, node: str, netns: str,
                        interfaces: Mapping[str, str]) -> None:
    TableWriter(SystemNft(netns)).apply(render_ruleset(cluster, node, interfaces))


def _daemon_alive(pid: int, lab_id: str) -> bool:
    """The pid is still our daemon (not a recycled pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return b"netwarden.lab.daemon" in argv and state_path(lab_id).encode() in argv


def _stop_daemon(pid: int | None, lab_id: str) -> None:
    if not pid or not _daemon_alive(pid, lab_id):
        return
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + 3
    while time.monotonic() < end:
        if not _daemon_alive(pid, lab_id):
            return
        time.sleep(0.01)
    if _daemon_alive(pid, lab_id):
        os.kill(pid, signal.SIGKILL)


def _start_daemon(topo: Topology, path: str) -> int:
    read_fd, write_fd = os.pipe()
    log = open(os.path.join(STATE_DIR, f"{topo.id}.log"), "ab")  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "netwarden.lab.daemon", path, str(write_fd)],
            pass_fds=(write_fd,), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            start_new_session=True, cwd="/",
        )
    finally:
        os.close(write_fd)
        log.close()
    with os.fdopen(read_fd) as ready:
        # EOF if it dies; the timeout only guards against a daemon wedged in setup
        line = ready.readline().strip() if select.select([ready], [], [], 30)[0] else ""
    proc.wait(timeout=30)
    if not line.startswith("ok "):
        raise LabError(f"lab daemon failed: {line or 'exited during setup'}")
    return int(line.split()[1])


class Lab:
    """A running lab. Build with ``up``; reattach with ``load``/``current``."""

    __slots__ = ("_down", "daemon_pid", "keep", "topology")

    def __init__(self, topology: Topology, daemon_pid: int | None, keep: bool = True) -> None:
        self.topology = topology
        self.daemon_pid = daemon_pid
        self.keep = keep
        self._down = False

    # -- lifecycle ---------------------------------------------------------
    @classmethod
    def up(cls, cluster: Cluster, hosts: Sequence[LabHost] = (), nodes: int = 1, *,
           keep: bool = False, lab_id: str | None = None) -> Lab:
        """Build the lab for ``cluster``'s pods plus external ``hosts``.

        With ``keep=False`` (for tests and scripts) the lab is also removed at
        interpreter exit; the CLI's ``lab up`` passes ``keep=True``. Any failure
        removes whatever was created.
        """
        _ns.require_root_and_tools("ip")
        topo = plan(cluster, hosts, nodes, lab_id)
        _created_here.add(topo.id)
        path = ""
        try:
            build(topo)
            path = write_state(topo, {"daemon_pid": None, "keep": keep, "created": time.time()})
            pid = _start_daemon(topo, path)
            write_state(topo, {"daemon_pid": pid, "keep": keep, "created": time.time()})
        except BaseException:
            teardown(topo)
            if path:
                os.unlink(path)
            raise
        lab = cls(topo, pid, keep)
        if not keep:
            atexit.register(lab.down)
        return lab

    @classmethod
    def load(cls, lab_id: str) -> Lab:
        state = read_state(lab_id)
        pid = state.get("daemon_pid")
        return cls(Topology.from_json(state), int(str(pid)) if pid else None,
                   bool(state.get("keep", True)))

    @classmethod
    def current(cls) -> Lab:
        """``$NETWARDEN_LAB`` if set, else the most recently created lab."""
        if os.environ.get("NETWARDEN_LAB"):
            return cls.load(os.environ["NETWARDEN_LAB"])
        ids = cls.ids()
        if not ids:
            raise LabError("no lab is up (netwarden lab up)")
        return cls.load(max(ids, key=lambda i: os.stat(state_path(i)).st_mtime))

    @staticmethod
    def ids() -> list[str]:
        if not os.path.isdir(STATE_DIR):
            return []
        return sorted(f[:-5] for f in os.listdir(STATE_DIR) if f.endswith(".json"))

    def down(self) -> None:
        """Stop the daemon, delete every namespace (and so every veth), forget the lab."""
        if self._down:
            return
        _stop_daemon(self.daemon_pid, self.id)
        teardown(self.topology)
        leftover = {n for n in _ns.list_netns() if n.startswith(f"{self.prefix}-")}
        _ns.netns_delete(leftover)
        for suffix in (".json", ".log"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(STATE_DIR, self.id + suffix))
        self._down = True

    @classmethod
    def down_all(cls) -> list[str]:
        """Remove every lab on the machine: state files first, then stray ``nwXXXX-`` netns."""
        gone: list[str] = []
        for lab_id in cls.ids():
            try:
                cls.load(lab_id).down()
            except (LabError, ValueError, KeyError):
                os.unlink(state_path(lab_id))
            gone.append(lab_id)
        strays = {n for n in _ns.list_netns() if _ns.LAB_NETNS_RE.match(n)}
        _ns.netns_delete(strays)
        for lab_id in {n[2:6] for n in strays}:
            remove_resolvers(f"nw{lab_id}")
        return gone + sorted({n[2:6] for n in strays} - set(gone))

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.down()

    # -- what the lab is ---------------------------------------------------
    @property
    def id(self) -> str:
        return self.topology.id

    @property
    def prefix(self) -> str:
        return self.topology.prefix

    @property
    def pod_veth_prefix(self) -> str:
        """Every pod's node-side veth starts with this (for nft ``iifname "<prefix>*"``)."""
        return f"{self.prefix}p"

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.topology.by_key)

    @property
    def nodes(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.topology.nodes)

    def node_netns(self, node: str | None = None) -> str:
        """The namespace of ``node`` (its name, ``n1``, ...; default the first node)."""
        if node is None:
            return self.topology.nodes[0].netns
        return self.topology.node(node).netns

    def netns(self, key: str) -> str:
        return self._attachment(key).netns

    def interfaces(self, node: str | None = None) -> dict[str, str]:
        """``{endpoint key: node-side veth}`` for the pods and hosts on ``node``."""
        name = self.topology.node(node).name if node else self.topology.nodes[0].name
        return {a.key: a.veth for a in self.topology.attachments
                if a.node == name and a.veth is not None}

    def _attachment(self, key: str) -> Attachment:
        try:
            return self.topology.by_key[key]
        except KeyError:
            raise LabError(f"lab {self.id} has no endpoint {key!r}") from None

    # -- using it -----------------------------------------------------------
    def probe(self, pairs: Iterable[tuple[str, str]], protocol: str | int = "TCP",
              port: int = 80, timeout: float = DEFAULT_TIMEOUT, *,
              family: int | None = None) -> dict[tuple[str, str], bool]:
        return probe(self, pairs, protocol, port, timeout, family=family)

    def exec(self, key: str, argv: Sequence[str], *, timeout: float | None = 30,
             check: bool = False, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` in ``key``'s namespace, like ``kubectl exec``."""
        return run_in(self.netns(key), argv, timeout=timeout, check=check, input=input)

    def hold(self, src: str, dst: str, port: int = 80, **kwargs: float) -> HeldConnection:
        return hold_connection(self, src, dst, port, **kwargs)  # type: ignore[arg-type]

    def enforce(self, cluster: Cluster, enforcer: Enforcer | None = None) -> None:
        """Apply ``cluster``'s policies on every node (default: ``netwarden.dataplane``)."""
        if enforcer is None:
            if shutil.which("nft") is None:
                raise LabError("enforcing policy needs nft (nftables) on PATH")
            enforcer = _dataplane_enforcer
        for node in self.topology.nodes:
            enforcer(cluster, node.name, node.netns, self.interfaces(node.name))

    def __repr__(self) -> str:
        pods = sum(1 for a in self.topology.attachments if a.kind not in IN_NODE)
        return f"Lab({self.id!r}, nodes={len(self.topology.nodes)}, namespaced={pods})"


def run_in(netns: str, argv: Sequence[str], *, timeout: float | None = 30, check: bool = False,
           input: str | None = None) -> subprocess.CompletedProcess[str]:
    """``ip netns exec netns argv...`` with text output captured."""
    if not _ns.LAB_NETNS_RE.match(netns):
        raise LabError(f"{netns} is not a lab namespace")
    proc = subprocess.run(["ip", "netns", "exec", netns, *argv], capture_output=True, text=True,
                          timeout=timeout, input=input, check=False)
    if check and proc.returncode != 0:
        raise LabError(f"{' '.join(argv)} in {netns} exited {proc.returncode}: "
                       f"{proc.stderr.strip()}")
    return proc


def exec(lab: Lab, key: str, argv: Sequence[str],
         **kwargs: object) -> subprocess.CompletedProcess[str]:
    """Module-level form of ``Lab.exec``."""
    return lab.exec(key, argv, **kwargs)  # type: ignore[arg-type]
