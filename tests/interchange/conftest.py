"""A real local web site that serves what a test puts on it (pages, feeds, redirects)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Page:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    drip: float = 0.0  # seconds between chunks of 16 bytes: a server that sends slowly


class Site:
    def __init__(self) -> None:
        self.pages: dict[str, Page] = {}
        self.requests: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append(self.path)
                page = site.pages.get(self.path, Page(404, b"not here"))
                self.send_response(page.status)
                for name, value in {"Content-Type": "application/json", **page.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                if not page.drip:
                    self.wfile.write(page.body)
                    return
                for start in range(0, len(page.body), 16):
                    try:
                        self.wfile.write(page.body[start : start + 16])
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return
                    time.sleep(page.drip)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def put(self, path: str, body: bytes | str, **kwargs: object) -> str:
        """Serve ``body`` at ``path``; its URL."""
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = Page(body=data, **kwargs)  # type: ignore[arg-type]
        return self.base + path


@pytest.fixture
def site() -> Iterator[Site]:
    running = Site()
    thread = threading.Thread(target=running.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.server.shutdown()
        running.server.server_close()
