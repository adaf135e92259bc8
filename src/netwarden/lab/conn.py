"""A long-lived TCP connection that notices when it stops working.

Revocation tests open one, change policy, and ask when (or whether) it broke.
A dropped packet does not make TCP fail for minutes, so "broken" means: the
peer's echo did not come back within ``stall`` seconds, or the socket errored
(a reset from a reject rule) or was closed.
"""

from __future__ import annotations

import select
import socket
import threading
import time

from .._errors import LabError
from ..netns import inside
from .probe import resolve, topology_of

__all__ = ["HeldConnection", "hold_connection"]


class HeldConnection:
    """Sends a line every ``interval`` and expects it echoed; see ``broken_at``."""

    def __init__(self, sock: socket.socket, interval: float, stall: float) -> None:
        self._sock = sock
        self._interval = interval
        self._stall = stall
        self._stop = threading.Event()
        self._broken = threading.Event()
        self.broken_at: float | None = None  # time.monotonic() when it was seen broken
        self.reason: str | None = None
        self.exchanges = 0  # round trips that completed
        self._thread = threading.Thread(target=self._run, daemon=True, name="nw-held-conn")
        self._thread.start()

    @property
    def alive(self) -> bool:
        return not self._broken.is_set()

    def _fail(self, reason: str) -> None:
        self.reason = reason
        self.broken_at = time.monotonic()
        self._broken.set()

    def _run(self) -> None:
        sock = self._sock
        n = 0
        while not self._stop.is_set():
            n += 1
            line = f"keepalive {n}\n".encode()
            try:
                sock.sendall(line)
                got = b""
                end = time.monotonic() + self._stall
                while len(got) < len(line):
                    left = end - time.monotonic()
                    if left <= 0 or self._stop.is_set():
                        if not self._stop.is_set():
                            self._fail(f"no echo within {self._stall}s")
                        return
                    ready, _, _ = select.select([sock], [], [], min(left, 0.1))
                    if ready:
                        chunk = sock.recv(4096)
                        if not chunk:
                            self._fail("closed by peer")
                            return
                        got += chunk
            except OSError as e:
                if not self._stop.is_set():
                    self._fail(e.strerror or str(e))
                return
            self.exchanges += 1
            self._stop.wait(self._interval)

    def wait_broken(self, timeout: float) -> bool:
        """True as soon as the connection is seen broken, False if it held for ``timeout``."""
        return self._broken.wait(timeout)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=self._stall + 1)
        self._sock.close()

    def __enter__(self) -> HeldConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def hold_connection(lab: object, src: str, dst: str, port: int = 80, *,
                    family: int | None = None, interval: float = 0.1, stall: float = 1.0,
                    timeout: float = 1.5) -> HeldConnection:
    """Open a TCP connection from ``src`` to ``dst`` (keys) and keep it exchanging data.

    Raises ``LabError`` if it cannot be established in the first place.

    >>> with hold_connection(lab, "prod/web", "prod/db", 5432) as conn:  # doctest: +SKIP
    ...     apply_deny_policy()
    ...     cut = conn.wait_broken(5.0)
    """
    (target,) = resolve(topology_of(lab), [(src, dst)], family)
    fam = socket.AF_INET6 if target.dst_ip.version == 6 else socket.AF_INET
    with inside(target.netns):
        sock = socket.socket(fam, socket.SOCK_STREAM)
    try:
        if target.src_ip is not None:
            sock.bind((str(target.src_ip), 0))
        sock.settimeout(timeout)
        sock.connect((str(target.dst_ip), port))
        greeting = b""
        while not greeting.endswith(b"\n"):
            chunk = sock.recv(256)
            if not chunk:
                raise LabError(f"{dst} closed the connection before greeting")
            greeting += chunk
        if target.expect is not None and greeting.decode().strip() != f"nw {target.expect}":
            raise LabError(f"{dst}:{port} answered {greeting!r}")
        sock.settimeout(stall)  # a full send buffer must not hang the watcher
    except OSError as e:
        sock.close()
        raise LabError(f"cannot connect {src} -> {dst}:{port}: {e}") from None
    except BaseException:
        sock.close()
        raise
    return HeldConnection(sock, interval, stall)
