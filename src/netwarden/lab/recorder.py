"""The lab's flow recorder: a detached process from ``lab up`` to ``lab down``.

``start`` subscribes to every node's flow-log group itself (so every
connection after it returns is kept, whatever the recorder's start-up costs)
and hands the sockets to a new interpreter, which forks once (nobody has to
reap it), reports its pid, and runs ``main``: one record per new connection
(``flows.record``) written to ``flows.flow_log_path(ID)``, a ``FlowLogFile``
capped at ``MAX_BYTES`` (rotated to ``PATH.1``) whose token bucket keeps
``RATE`` records a second after a burst of ``BURST`` and counts the rest.
Every second it writes ``flows.status_path(ID)``: its pid, what it wrote,
sampled out and rotated, the socket overruns, and its error if it failed. It
stops on SIGTERM (``stop``), and by itself when the lab's state file
disappears (a lab removed by ``Lab.down``/``down --all``), removing its files
then.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

from .._errors import LabError
from ..analysis.flows import FlowVerdict, dump_flow
from ..analysis.flows.record import Flow
from ..dataplane.flowlog import FlowLogFile, FlowLogReader
from ..netns import inside
from . import Lab
from .enforcement import FLOW_LOG_GROUP
from .flows import flow_log_path, record, recorder_status, status_path
from .topology import STATE_DIR, state_path

__all__ = ["BURST", "MAX_BYTES", "RATE", "forget", "main", "recorded_lab_ids", "running",
           "start", "stop"]

MAX_BYTES = 64 << 20  # per file: the log keeps at most twice this (PATH and PATH.1)
RATE = 200.0  # records a second kept once a burst is spent, as the agent's --flow-log-rate
BURST = 1000
STATUS_SECONDS = 1.0
_MODULE = "netwarden.lab.recorder"


def _alive(pid: int, lab_id: str) -> bool:
    """``pid`` is still this lab's recorder (not a recycled pid)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")
    except OSError:
        return False
    return _MODULE.encode() in argv and lab_id.encode() in argv


# Runs in the new interpreter: fork at once (``start`` waits only for this), report the
# recorder's pid, and only then import netwarden (a second or so) while the sockets that
# ``start`` subscribed already collect the lab's messages.
_BOOT = """import os, sys
pid = os.fork()
if pid:
    os.write(int(sys.argv[1]), b"%d\\n" % pid)
    os._exit(0)
os.close(int(sys.argv[1]))
from netwarden.lab.recorder import main
sys.exit(main(sys.argv[3:]))
"""


def start(lab: Lab) -> int:
    """Subscribe to every node's flow-log group and hand the sockets to a new recorder
    process; its pid. From the return on, every new connection of the lab is kept.

    Raises ``LabError`` (or ``OSError``) when a node cannot be subscribed; a recorder
    that fails later says so in its status (``lab flows`` prints it).
    """
    readers: dict[str, FlowLogReader] = {}
    read_fd, write_fd = os.pipe()
    try:
        for node in lab.nodes:
            with inside(lab.node_netns(node)):
                readers[node] = FlowLogReader(FLOW_LOG_GROUP)
        specs = [f"{node}={r.fileno()}:{int(r.conntrack)}" for node, r in readers.items()]
        with open(os.path.join(STATE_DIR, f"{lab.id}.log"), "ab") as log:
            proc = subprocess.Popen(
                [sys.executable, "-c", _BOOT, str(write_fd), _MODULE, lab.id, *specs],
                pass_fds=(write_fd, *(r.fileno() for r in readers.values())),
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                cwd="/")
        os.close(write_fd)
        write_fd = -1
        with os.fdopen(read_fd) as reply:
            read_fd = -1
            line = reply.readline().strip()
        proc.wait(timeout=30)
    finally:
        for fd in (read_fd, write_fd):
            if fd >= 0:
                os.close(fd)
        for reader in readers.values():
            reader.close()  # the recorder holds its own copies
    if not line.isdigit():
        raise LabError(f"lab {lab.id}: the flow recorder did not start (see {lab.id}.log)")
    pid = int(line)
    _write_status(lab.id, {"pid": pid, "running": True, "written": 0, "sampled_out": 0,
                           "rotations": 0, "staged_denied": 0, "overruns": 0, "error": None})
    return pid


def _pid(lab_id: str) -> int | None:
    pid = (recorder_status(lab_id) or {}).get("pid")
    return pid if isinstance(pid, int) else None


def running(lab_id: str) -> bool:
    """Whether the lab's recorder process is alive."""
    pid = _pid(lab_id)
    return pid is not None and _alive(pid, lab_id)


def stop(lab_id: str) -> None:
    """Stop the lab's recorder (SIGTERM, then SIGKILL after 5 s); its files stay."""
    pid = _pid(lab_id)
    if pid is None or not _alive(pid, lab_id):
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + 5
    while time.monotonic() < end and _alive(pid, lab_id):
        time.sleep(0.02)
    if _alive(pid, lab_id):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def forget(lab_id: str) -> None:
    """Remove what the lab's recorder wrote (the log, its rotated file, the status)."""
    log = flow_log_path(lab_id)
    for path in (log, log + ".1", status_path(lab_id), status_path(lab_id) + ".tmp"):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def recorded_lab_ids() -> list[str]:
    """Ids of the labs a recorder wrote a status for (alive or not)."""
    if not os.path.isdir(STATE_DIR):
        return []
    return sorted(name[: -len(".flows.status")] for name in os.listdir(STATE_DIR)
                  if name.endswith(".flows.status"))


def _write_status(lab_id: str, status: dict[str, object]) -> None:
    tmp = status_path(lab_id) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(status, f)
    os.replace(tmp, status_path(lab_id))


def _run(lab: Lab, readers: dict[str, FlowLogReader]) -> int:
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    log = FlowLogFile(flow_log_path(lab.id), max_bytes=MAX_BYTES, rate=RATE, burst=BURST)
    staged_denied = [0]
    failure: list[BaseException] = []
    stats = {"overruns": 0}

    def keep(flow: Flow) -> None:
        if flow.staged is not None and flow.staged.verdict is FlowVerdict.DENIED:
            staged_denied[0] += 1
        log.write(dump_flow(flow))

    def run() -> None:
        try:
            record(lab, keep, done, stats=stats, readers=readers)
        except BaseException as exc:  # in the status, which `lab flows` prints
            failure.append(exc)
            done.set()

    def status(running: bool) -> dict[str, object]:
        return {"pid": os.getpid(), "running": running, "written": log.written,
                "sampled_out": log.sampled_out, "rotations": log.rotations,
                "staged_denied": staged_denied[0], "overruns": stats["overruns"],
                "error": str(failure[0]) if failure else None}

    worker = threading.Thread(target=run, name="flow-recorder", daemon=True)
    worker.start()
    lab_gone = False
    while not done.wait(STATUS_SECONDS):
        if not os.path.exists(state_path(lab.id)):
            lab_gone = True
            break
        _write_status(lab.id, status(True))
    done.set()
    worker.join(10)
    log.close()
    if lab_gone:
        forget(lab.id)
    else:
        _write_status(lab.id, status(False))
    return 1 if failure else 0


def _adopt(spec: str) -> tuple[str, FlowLogReader]:
    node, _, rest = spec.rpartition("=")
    fd, _, conntrack = rest.partition(":")
    return node, FlowLogReader.adopt(int(fd), FLOW_LOG_GROUP, conntrack == "1")


def main(argv: list[str] | None = None) -> int:
    """``ID NODE=FD:CT...``: record the lab from the subscribed sockets ``start`` passed."""
    args = sys.argv[1:] if argv is None else argv
    lab_id = args[0]
    readers = dict(_adopt(spec) for spec in args[1:])
    try:
        lab = Lab.load(lab_id)
    except Exception as exc:
        _write_status(lab_id, {"pid": os.getpid(), "running": False, "error": str(exc)})
        return 1
    return _run(lab, readers)


if __name__ == "__main__":
    sys.exit(main())
