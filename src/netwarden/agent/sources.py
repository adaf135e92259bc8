"""Where the agent's view of the cluster comes from: a directory, or the API server.

A source runs in its own thread and calls ``sink(items, observed_at)`` with
*every* manifest it currently knows, as (name, text) pairs, whenever that set
changes; ``observed_at`` is the ``time.monotonic()`` at which it saw the
change (the start of the enforcement-latency clock). Handing over the whole
set keeps the reconciler stateless about sources; ``ManifestCache`` makes
that cheap. ``ready`` is set once the first complete set was delivered: the
agent never writes rules from a partial view.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import select
import struct
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from ..load.sources import MANIFEST_SUFFIXES, read_sources
from .kube import KubeSource

__all__ = ["DirectorySource", "Items", "Sink", "Source", "parse_source"]

log = logging.getLogger("netwarden.agent.source")

Items = list[tuple[str, str]]
Sink = Callable[[Items, float], None]


class Source(Protocol):
    """Feeds the reconciler; ``run`` returns when ``stop`` is set."""

    name: str
    ready: threading.Event

    def run(self, sink: Sink, stop: threading.Event) -> None: ...


# inotify(7) event bits that mean "the set of manifests may have changed"
_IN_MODIFY, _IN_CLOSE_WRITE, _IN_MOVED_FROM, _IN_MOVED_TO = 0x2, 0x8, 0x40, 0x80
_IN_CREATE, _IN_DELETE, _IN_DELETE_SELF, _IN_MOVE_SELF = 0x100, 0x200, 0x400, 0x800
_IN_ONLYDIR, _IN_NONBLOCK, _IN_CLOEXEC = 0x01000000, 0o4000, 0o2000000
_MASK = (_IN_MODIFY | _IN_CLOSE_WRITE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_CREATE | _IN_DELETE
         | _IN_DELETE_SELF | _IN_MOVE_SELF | _IN_ONLYDIR)
_EVENT = struct.Struct("iIII")


class _Inotify:
    """Just enough of inotify(7) through ctypes: watch directories, wait for events."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        self._add = libc.inotify_add_watch
        self._add.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1 failed")
        self.fd: int = fd
        self._watched: set[str] = set()

    def watch_tree(self, root: Path) -> None:
        """Watch ``root`` and every directory under it (inotify is not recursive)."""
        dirs = [root, *(p for p in root.rglob("*") if p.is_dir())] if root.is_dir() else []
        for d in dirs:
            key = str(d)
            if key not in self._watched and self._add(self.fd, key.encode(), _MASK) >= 0:
                self._watched.add(key)

    def forget(self) -> None:
        self._watched.clear()  # the kernel drops watches of deleted directories itself

    def wait(self, timeout: float) -> bool:
        """True if events arrived within ``timeout`` (they are drained and discarded)."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return True
            if not data:
                return True
            offset = 0
            while offset < len(data):  # walk records only to keep the read aligned
                _, mask, _, length = _EVENT.unpack_from(data, offset)
                if mask & (_IN_DELETE_SELF | _IN_MOVE_SELF):
                    self.forget()
                offset += _EVENT.size + length

    def close(self) -> None:
        os.close(self.fd)


def _signature(root: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime_ns, size) of every manifest file: cheap change detection for polling."""
    if not root.exists():
        return ()
    files = [root] if root.is_file() else [
        f for f in root.rglob("*") if f.is_file() and f.suffix.lower() in MANIFEST_SUFFIXES
    ]
    out = []
    for f in sorted(files):
        try:
            st = f.stat()
        except OSError:
            continue
        out.append((str(f), st.st_mtime_ns, st.st_size))
    return tuple(out)


class DirectorySource:
    """Manifests under a directory (or one file), re-read when anything changes.

    Uses inotify when the kernel offers it and falls back to polling every
    ``poll`` seconds; either way a change is seen well within a second and
    the thread sleeps in ``select`` in between. A rescan every ``rescan``
    seconds covers events that inotify cannot report (e.g. NFS).
    """

    def __init__(self, path: str | os.PathLike[str], *, poll: float = 0.25,
                 rescan: float = 5.0, use_inotify: bool = True) -> None:
        self.path = Path(path)
        self.name = f"dir:{self.path}"
        self.poll = poll
        self.rescan = rescan
        self.use_inotify = use_inotify
        self.ready = threading.Event()
        self.errors = 0

    def read(self) -> Items:
        texts, errors = read_sources([self.path])
        if errors:
            # a file deleted between listing and reading: the next event re-reads
            log.debug("unreadable manifests: %s", "; ".join(str(e) for e in errors))
        return texts

    def run(self, sink: Sink, stop: threading.Event) -> None:
        notify: _Inotify | None = None
        if self.use_inotify:
            try:
                notify = _Inotify()
            except (OSError, AttributeError) as exc:
                log.warning("inotify unavailable (%s); polling every %.2fs", exc, self.poll)
        last_items: Items | None = None
        last_sig: tuple[tuple[str, int, int], ...] | None = None
        last_scan = 0.0
        fired = True
        try:
            while not stop.is_set():
                now = time.monotonic()
                if notify is not None:
                    notify.watch_tree(self.path)
                sig = _signature(self.path)
                # mtimes can be coarse: an inotify event always means "read again"
                if fired or sig != last_sig or now - last_scan >= self.rescan:
                    items = self.read()
                    last_sig, last_scan = sig, now
                    if items != last_items:
                        last_items = items
                        sink(items, now)
                    self.ready.set()
                if notify is not None:
                    fired = notify.wait(min(self.rescan, 1.0))
                    if fired:
                        time.sleep(0.005)  # let a burst (write + rename) land in one read
                else:
                    stop.wait(self.poll)
        finally:
            if notify is not None:
                notify.close()


def parse_source(spec: str, *, kubeconfig: str | None = None,
                 context: str | None = None) -> Source:
    """``dir:PATH`` or ``kubernetes`` (alias ``kube``) → a source."""
    kind, _, arg = spec.partition(":")
    if kind == "dir" and arg:
        return DirectorySource(arg)
    if kind in ("kubernetes", "kube"):
        return KubeSource.from_kubeconfig(kubeconfig, context)
    raise ValueError(f"unknown source {spec!r} (use dir:PATH or kubernetes)")
