"""The Kubernetes source: list, then watch, through the official ``kubernetes`` client.

Per kind, one thread follows the API's list/watch protocol: list (remembering
the list's ``resourceVersion``), then watch from it with
``allowWatchBookmarks``, updating the version from every event, BOOKMARKs
included. A watch that ends normally is resumed from the last version; ``410
Gone`` (as an HTTP status or an ``ERROR`` event) means that version is too old,
so the kind is listed again; other errors back off exponentially (0.5 s
doubling to 30 s, with jitter). Calico kinds (``crd.projectcalico.org/v1``)
and the network-policy-api kinds (AdminNetworkPolicy, BaselineAdminNetworkPolicy,
ClusterNetworkPolicy) are optional: 404 means the CRD is not installed, and it is checked again
every ``crd_recheck`` seconds.

The kinds, item names and normalization are the load stage's
(``netwarden.load.live``), which also reads a cluster once for the analysis
commands.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any

from .._errors import ResourceVersionExpired
from ..load.live import (
    KIND_SPECS,
    KindSpec,
    item_name,
    list_fn,
    list_kind,
    make_api_client,
    normalize,
)

__all__ = ["KubeSource"]

log = logging.getLogger("netwarden.agent.kube")

Items = list[tuple[str, str]]
Sink = Callable[[Items, float], None]


class KubeSource:
    """Follows every kind in ``kinds`` and hands the whole set to the sink on each change."""

    def __init__(self, api_client: Any, *, kinds: tuple[KindSpec, ...] = KIND_SPECS,
                 watch_timeout: int = 300, crd_recheck: float = 60.0,
                 backoff: tuple[float, float] = (0.5, 30.0)) -> None:
        self.api_client = api_client
        self.kinds = kinds
        self.name = "kubernetes"
        self.watch_timeout = watch_timeout
        self.crd_recheck = crd_recheck
        self.backoff = backoff
        self.ready = threading.Event()
        self.relists = 0
        self.errors = 0
        self._lock = threading.Lock()
        self._store: dict[str, tuple[str, str]] = {}  # item name -> (resourceVersion, text)
        self._synced: set[KindSpec] = set()
        self._responses: dict[KindSpec, Any] = {}
        self._sink: Sink | None = None
        self.resource_versions: dict[str, str] = {}

    @classmethod
    def from_kubeconfig(cls, kubeconfig: str | None, context: str | None) -> KubeSource:
        return cls(make_api_client(kubeconfig, context))

    # -- the store -------------------------------------------------------------
    item_name = staticmethod(item_name)

    def items(self) -> Items:
        with self._lock:
            return [(name, text) for name, (_, text) in sorted(self._store.items())]

    def _put(self, spec: KindSpec, obj: dict[str, Any]) -> bool:
        name = self.item_name(spec, obj)
        rv = str((obj.get("metadata") or {}).get("resourceVersion", ""))
        norm = normalize(spec, obj)
        with self._lock:
            if norm is None:
                return self._store.pop(name, None) is not None
            old = self._store.get(name)
            text = json.dumps(norm, sort_keys=True)
            if old is not None and old[1] == text:
                return False
            self._store[name] = (rv, text)
            return True

    def _replace(self, spec: KindSpec, objs: list[dict[str, Any]]) -> None:
        prefix = self.item_name(spec, {"metadata": {"name": ""}}).split("/")[0] + "/"
        with self._lock:
            for name in [n for n in self._store if n.startswith(prefix)]:
                del self._store[name]
        for obj in objs:
            self._put(spec, obj)

    def _emit(self, observed_at: float) -> None:
        if self._sink is not None and self.ready.is_set():
            self._sink(self.items(), observed_at)

    def _mark_synced(self, spec: KindSpec) -> None:
        with self._lock:
            self._synced.add(spec)
            done = len(self._synced) == len(self.kinds)
        if done and not self.ready.is_set():
            self.ready.set()
            log.info("initial list complete: %d objects", len(self._store))

    # -- list and watch ----------------------------------------------------------
    def run(self, sink: Sink, stop: threading.Event) -> None:
        self._sink = sink
        threads = [threading.Thread(target=self._follow, args=(spec, stop), daemon=True,
                                    name=f"nw-watch-{spec.plural}") for spec in self.kinds]
        for t in threads:
            t.start()
        stop.wait()
        for resp in list(self._responses.values()):
            _close(resp)
        for t in threads:
            t.join(timeout=2)

    def _follow(self, spec: KindSpec, stop: threading.Event) -> None:
        call = list_fn(self.api_client, spec)
        delay = self.backoff[0]
        rv: str | None = None
        while not stop.is_set():
            try:
                if rv is None:
                    rv = self._list(spec, call)
                    if rv == "":  # optional kind without its CRD
                        stop.wait(self.crd_recheck)
                        rv = None
                        continue
                rv = self._watch(spec, call, rv, stop)
                delay = self.backoff[0]
            except ResourceVersionExpired:
                log.info("%s: resourceVersion %s expired (410); relisting", spec.plural, rv)
                self.relists += 1
                rv = None
            except Exception as exc:
                if stop.is_set():
                    return
                self.errors += 1
                log.warning("%s: %s; retrying in %.1fs", spec.plural, _describe(exc), delay)
                stop.wait(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, self.backoff[1])

    def _list(self, spec: KindSpec, call: Callable[..., Any]) -> str:
        listed = list_kind(spec, call)
        observed = time.monotonic()
        if listed is None:  # optional kind without its CRD
            self._replace(spec, [])
            self._mark_synced(spec)
            self._emit(observed)
            return ""
        objs, rv = listed
        self._replace(spec, objs)
        self.resource_versions[spec.plural] = rv
        self._mark_synced(spec)
        self._emit(observed)
        return rv

    def _watch(self, spec: KindSpec, call: Callable[..., Any], rv: str,
               stop: threading.Event) -> str:
        """Follow one watch request; returns the version to resume from."""
        from kubernetes.client.exceptions import ApiException
        from kubernetes.watch.watch import iter_resp_lines

        try:
            resp = call(watch=True, resource_version=rv, allow_watch_bookmarks=True,
                        timeout_seconds=self.watch_timeout, _preload_content=False,
                        _request_timeout=(10, self.watch_timeout + 30))
        except ApiException as exc:
            if exc.status == 410:
                raise ResourceVersionExpired() from exc
            raise
        self._responses[spec] = resp
        try:
            for line in iter_resp_lines(resp):  # type: ignore[no-untyped-call]
                if stop.is_set():
                    break
                if not line.strip():
                    continue
                event = json.loads(line)
                observed = time.monotonic()
                kind, obj = event.get("type"), event.get("object") or {}
                if kind == "ERROR":
                    if obj.get("code") == 410:
                        raise ResourceVersionExpired()
                    raise RuntimeError(f"watch error: {obj.get('message') or obj}")
                new_rv = (obj.get("metadata") or {}).get("resourceVersion")
                if new_rv:
                    rv = str(new_rv)
                    self.resource_versions[spec.plural] = rv
                if kind == "BOOKMARK":
                    continue
                if kind == "DELETED":
                    with self._lock:
                        changed = self._store.pop(self.item_name(spec, obj), None) is not None
                else:
                    changed = self._put(spec, obj)
                if changed:
                    self._emit(observed)
        finally:
            self._responses.pop(spec, None)
            _close(resp)
        return rv


def _close(resp: Any) -> None:
    try:
        resp.close()
        resp.release_conn()
    except Exception:  # already closed by the other side
        pass


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    return f"HTTP {status} {getattr(exc, 'reason', '')}".strip() if status else repr(exc)
