"""A threaded HTTP server on 127.0.0.1 with a free port: what every local vendor fake
(chat webhooks, Feishu's open platform) stands on, so none of them reaches beyond this host."""

from __future__ import annotations

import threading
from http.server import ThreadingHTTPServer


class LocalServer:
    """Serves `self._handler()` (a request-handler class, made by the subclass) on
    127.0.0.1, on a port the system picks, in a daemon thread."""

    def _serve_locally(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        # shutdown() waits for the loop to look again: every 20 ms, not socketserver's 0.5 s
        # (a test with three chat fakes spent 1.5 s stopping them)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
