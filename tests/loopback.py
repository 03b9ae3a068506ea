"""What every loopback fake AWS endpoint in tests/ shares: a threaded HTTP server on 127.0.0.1, its
lifecycle (start, stop, context manager), the request log, the lock and the stop event that wakes
handlers sleeping in an injected delay. Standard library only."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackHTTPServer(ThreadingHTTPServer):
    """One thread per connection; a listen backlog deep enough that bursts of concurrent clients are not
    reset by the kernel (socketserver's default of 5 is not)."""

    request_queue_size = 128
    daemon_threads = True

    def get_request(self):
        """Accept with TCP_NODELAY: a small response is never held back waiting for the client's delayed ACK."""
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address


class LoopbackEndpoint:
    """Base of the fakes. Subclasses pass a handler factory and a thread name; ``url`` is set once started."""

    def __init__(self, page_size: int, make_handler: Callable[["LoopbackEndpoint"], type[BaseHTTPRequestHandler]], name: str):
        if page_size < 1:
            raise ValueError("page_size must be >= 1")
        self.page_size = page_size
        self.requests: list[dict] = []          # log of every request, appended under the lock
        self.url = ""
        self._lock = threading.Lock()
        self._stopping = threading.Event()      # wakes delayed handlers when stop() is called
        self._make_handler = make_handler
        self._name = name
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self):
        """Listen on an ephemeral port of 127.0.0.1 (idempotent)."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = LoopbackHTTPServer(("127.0.0.1", 0), self._make_handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self._name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Wake delayed handlers, stop serving and close the port (idempotent)."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
