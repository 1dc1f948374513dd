"""A local stand-in for Feishu's open platform on 127.0.0.1: the app token and a table of
routes, to which the sheet API (tests/feishu_sheets_fake.py) and the messages API
(tests/feishu_im_fake.py) add theirs.

It follows the published reference:
- auth/v3/tenant_access_token/internal
  (open.feishu.cn/document/ukTMukTMukTM/ukDNz4SO0MjL5QzM/auth-v3/auth/tenant_access_token_internal):
  {"app_id", "app_secret"} gives {"code":0,"msg":"ok","tenant_access_token":"t-…","expire":7200};
  a wrong secret is code 10014 ("app secret invalid"), an unknown app 10003.
- Every other call needs "Authorization: Bearer t-…"; none or a stale one is HTTP 400 with
  code 99991661 (missing) or 99991663 (invalid), as the generic error-code page lists them.
- Rate limits (open.feishu.cn/document/server-docs/api-call-guide/frequency-control): HTTP 429,
  code 99991400, msg "request trigger frequency limit", with x-ogw-ratelimit-limit and
  x-ogw-ratelimit-reset headers. `rate_limit(n, reset)` makes the next n calls that answer.

Answers are JSON {"code", "msg", "data"}. `calls` counts every request; `expire(token)` ends a
token early, as Feishu does when an app's secret is reset.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from local_server import LocalServer

TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"


class FeishuFake(LocalServer):
    def __init__(self, apps: dict[str, str] | None = None, expire: int = 7200) -> None:
        self.apps = dict(apps or {"cli_test": "s3cret"})  # app_id -> app_secret
        self.expire = expire
        self.tokens: dict[str, str] = {}  # token -> app_id
        self.routes: list[tuple[str, str, object]] = []  # (method, path prefix, handler)
        self.calls = 0
        self.token_calls = 0
        self.streak, self.reset = 0, 1
        self.log: list[tuple[str, str]] = []  # (method, path) of every request
        self.lock = threading.Lock()
        self._serve_locally()

    def route(self, method: str, prefix: str, handler) -> None:
        """`handler(fake, path, query, body, app_id) -> (status, answer[, headers])` for
        requests whose path starts with `prefix` (the longest prefix wins)."""
        self.routes.append((method, prefix, handler))
        self.routes.sort(key=lambda r: -len(r[1]))

    def rate_limit(self, n: int, reset: int = 1) -> None:
        self.streak, self.reset = n, reset

    def expire_token(self, token: str) -> None:
        self.tokens.pop(token, None)

    def _token(self, body: dict) -> tuple[int, dict]:
        self.token_calls += 1
        app, secret = str(body.get("app_id", "")), str(body.get("app_secret", ""))
        if app not in self.apps:
            return 400, {"code": 10003, "msg": "invalid param"}
        if self.apps[app] != secret:
            return 400, {"code": 10014, "msg": "app secret invalid"}
        token = "t-" + secrets.token_hex(20)
        self.tokens[token] = app
        answer = {"code": 0, "msg": "ok", "tenant_access_token": token, "expire": self.expire}
        return 200, answer

    def answer(self, method: str, path: str, query: dict, body, auth: str):
        with self.lock:
            self.calls += 1
            self.log.append((method, path))
            if self.streak > 0:
                self.streak -= 1
                headers = {"x-ogw-ratelimit-limit": "100", "x-ogw-ratelimit-reset": str(self.reset)}
                answer = {"code": 99991400, "msg": "request trigger frequency limit"}
                return 429, answer, headers
        if method == "POST" and path == TOKEN_PATH:
            return (*self._token(body or {}), {})
        token = auth.removeprefix("Bearer ").strip()
        if not token:
            return 400, {"code": 99991661, "msg": "Missing access token for authorization."}, {}
        if token not in self.tokens:
            msg = (
                "Invalid access token for authorization. Please make a request with token attached."
            )
            return 400, {"code": 99991663, "msg": msg}, {}
        for verb, prefix, handler in self.routes:
            if verb == method and path.startswith(prefix):
                status, answer, *headers = handler(self, path, query, body, self.tokens[token])
                return status, answer, (headers[0] if headers else {})
        return 404, {"code": 404, "msg": "404 page not found"}, {}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                query = {k: v if len(v) > 1 else v[0] for k, v in parse_qs(parts.query).items()}
                auth = self.headers.get("Authorization", "")
                status, answer, headers = fake.answer(method, parts.path, query, body, auth)
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):  # noqa: N802
                self._serve("GET")

            def do_POST(self):  # noqa: N802
                self._serve("POST")

            def do_PUT(self):  # noqa: N802
                self._serve("PUT")

            def do_DELETE(self):  # noqa: N802
                self._serve("DELETE")

            def log_message(self, *args):
                pass

        return Handler
