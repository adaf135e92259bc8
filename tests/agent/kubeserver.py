"""A fake API server on 127.0.0.1 that replays recorded list/watch responses.

Each path has a script: a list of responses served in order (the last one
repeats). A response is ("list", rv, items), ("watch", events) sent as a
chunked stream with a pause between events, ("status", code), or ("hang",
seconds) for a watch that stays open without events.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

Script = list[tuple[Any, ...]]


class FakeApi:
    def __init__(self, scripts: dict[str, tuple[Script, Script]]) -> None:
        """``scripts[path] = (list responses, watch responses)``."""
        self.scripts = {p: (list(a), list(b)) for p, (a, b) in scripts.items()}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.lock = threading.Lock()

    def next(self, path: str, watch: bool) -> tuple[Any, ...]:
        with self.lock:
            if path not in self.scripts:
                return ("status", 404)
            queue = self.scripts[path][1 if watch else 0]
            return queue.pop(0) if len(queue) > 1 else queue[0]


def _handler(api: FakeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            with api.lock:
                api.requests.append((url.path, query))
            watch = query.get("watch") == "true"
            step = api.next(url.path, watch)
            if step[0] == "status":
                body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                                   "code": step[1], "reason": "Expired" if step[1] == 410
                                   else "NotFound", "message": f"status {step[1]}"}).encode()
                self.send_response(step[1])
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif step[0] == "list":
                _, rv, items = step
                body = json.dumps({"kind": "List", "apiVersion": "v1",
                                   "metadata": {"resourceVersion": rv}, "items": items}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                events = step[1] if step[0] == "watch" else []
                try:
                    for event in events:
                        line = json.dumps(event).encode() + b"\n"
                        # split each event over two chunks: the client must reassemble lines
                        half = len(line) // 2
                        for part in (line[:half], line[half:]):
                            self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                            self.wfile.flush()
                        time.sleep(0.02)
                    if step[0] == "hang":
                        time.sleep(step[1])
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass

    return Handler


@contextmanager
def serve(api: FakeApi) -> Iterator[str]:
    """Serve ``api`` on 127.0.0.1 (a free port); yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
