"""A small webhook receiver for tests: http.server in a thread on loopback, answering each POST with
the next status of a script (then 200), and keeping what it received.

On a shared stack other tests' events can reach the same webhook; ``scripted`` names the bytes a
request's body must hold for the script to apply to it (the others get 200), so they cannot use
up the failures a test scripted for its own event."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    script: list[int] = field(default_factory=list)
    scripted: bytes = b""
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_status(self, body: bytes) -> int:
        with self.lock:
            return self.script.pop(0) if self.script and self.scripted in body else 200


@contextmanager
def receiver(script: list[int] | None = None, scripted: bytes = b"") -> Iterator[Receiver]:
    state = Receiver(url="", script=list(script or []), scripted=scripted)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers.items()), body))
            status = state.next_status(body)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("Location", "http://169.254.169.254/latest/meta-data")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # quiet
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/loyalty"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
