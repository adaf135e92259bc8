"""The lab's flow recorder: a detached process from ``lab up`` to ``lab down``.

``start`` runs ``python -m netwarden.lab.recorder ID READY_FD``, which forks
once (nobody has to reap it), subscribes to every node's flow-log group
(``flows.record``), reports ``ok <pid>`` (or the error) on READY_FD and then
writes one record per new connection to ``flows.flow_log_path(ID)``: a
``FlowLogFile`` capped at ``MAX_BYTES`` (rotated to ``PATH.1``) whose token
bucket keeps ``RATE`` records a second after a burst of ``BURST`` and counts
the rest. Every second it writes ``flows.status_path(ID)``: its pid, what it
wrote, sampled out and rotated, and the socket overruns. It stops on SIGTERM
(``stop``), and by itself when the lab's state file disappears (a lab removed
by ``Lab.down``/``down --all``), removing its files then.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time

from .._errors import LabError
from ..analysis.flows import FlowVerdict, dump_flow
from ..analysis.flows.record import Flow
from ..dataplane.flowlog import FlowLogFile
from . import Lab
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


def start(lab: Lab, timeout: float = 60.0) -> int:
    """Start the lab's recorder and wait until every node is subscribed; its pid.

    Raises ``LabError`` with the recorder's own error when it cannot start.
    """
    read_fd, write_fd = os.pipe()
    log = open(os.path.join(STATE_DIR, f"{lab.id}.log"), "ab")  # noqa: SIM115
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", _MODULE, lab.id, str(write_fd)], pass_fds=(write_fd,),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, cwd="/")
    finally:
        os.close(write_fd)
        log.close()
    with os.fdopen(read_fd) as ready:
        line = ready.readline().strip() if select.select([ready], [], [], timeout)[0] else ""
    proc.wait(timeout=30)
    if not line.startswith("ok "):
        raise LabError(f"lab {lab.id}: flow recorder failed: {line or 'exited during setup'}")
    return int(line.split()[1])


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


def _run(lab: Lab, ready_fd: int) -> int:
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    log = FlowLogFile(flow_log_path(lab.id), max_bytes=MAX_BYTES, rate=RATE, burst=BURST)
    staged_denied = [0]

    def keep(flow: Flow) -> None:
        if flow.staged is not None and flow.staged.verdict is FlowVerdict.DENIED:
            staged_denied[0] += 1
        log.write(dump_flow(flow))

    subscribed = threading.Event()
    failure: list[BaseException] = []
    stats = {"overruns": 0}

    def run() -> None:
        try:
            record(lab, keep, done, subscribed, stats=stats)
        except BaseException as exc:  # reported on READY_FD, or in the status
            failure.append(exc)
            done.set()

    worker = threading.Thread(target=run, name="flow-recorder", daemon=True)
    worker.start()
    while not subscribed.is_set() and not done.is_set():
        subscribed.wait(0.1)
    if not subscribed.is_set():
        worker.join(5)
        os.write(ready_fd, f"error: {failure[0] if failure else 'stopped'}\n".encode())
        os.close(ready_fd)
        log.close()
        return 1

    def status(running: bool) -> dict[str, object]:
        return {"pid": os.getpid(), "running": running, "written": log.written,
                "sampled_out": log.sampled_out, "rotations": log.rotations,
                "staged_denied": staged_denied[0], "overruns": stats["overruns"],
                "error": str(failure[0]) if failure else None}

    _write_status(lab.id, status(True))
    os.write(ready_fd, f"ok {os.getpid()}\n".encode())
    os.close(ready_fd)
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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    lab_id, ready_fd = args[0], int(args[1])
    if os.fork() > 0:  # detach: `up` reaps this parent and never owns the recorder
        os._exit(0)
    try:
        lab = Lab.load(lab_id)
    except Exception as exc:  # reported to `up`, which tears the lab down
        os.write(ready_fd, f"error: {exc}\n".encode())
        os.close(ready_fd)
        return 1
    return _run(lab, ready_fd)


if __name__ == "__main__":
    sys.exit(main())
