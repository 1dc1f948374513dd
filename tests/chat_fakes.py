"""Local fakes of the three vendors' group-bot webhooks, on 127.0.0.1, speaking their
documented requests and answers, so the real apprise (and our plugins) are tested over HTTP.

- DingTalk custom robot: POST /robot/send?access_token=T[&timestamp=ms&sign=S], where
  S = urlencode(base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}"))), decoded once
  by the server; answers {"errcode":0,"errmsg":"ok"}, 310000 for a bad signature, keyword or
  IP, 300001 for an unknown token, 130101 for too many messages.
- WeCom group bot: POST /cgi-bin/webhook/send?key=K; answers {"errcode":0,"errmsg":"ok"},
  93000 for an unknown key, 45009 for too many messages, 40058 for text over 2,048 bytes.
- Feishu / Lark custom bot: POST /open-apis/bot/v2/hook/T with "timestamp" (seconds) and
  "sign" = base64(HMAC-SHA256(key=f"{timestamp}\\n{secret}", msg=b"")) in the body; answers
  {"code":0,"msg":"success"}, 19021 for a bad signature or a stale timestamp, 19001 for an
  unknown token, 11232 for too many messages.

All of them answer a refusal with HTTP 200 and the code in the body, as the vendors do.
`rate_limit(n)` makes the next n requests a rate-limit answer (a streak of them); `delay`
(seconds) makes every answer come that late, the message taken all the same (a vendor
that delivers but answers after the client gave up).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from local_server import LocalServer

HOUR = 3600


class VendorFake(LocalServer):
    code_field, message_field = "errcode", "errmsg"
    ok_message = "ok"
    rate_limited: tuple[int, str] = (0, "")

    def __init__(self) -> None:
        self.bots: dict[str, str | None] = {}  # token -> signing secret (None: unsigned)
        self.keywords: dict[str, str] = {}  # token -> a word every message must hold
        self.received: list[dict] = []  # accepted messages: {"token", "body", "query"}
        self.requests = 0  # every request, accepted or not
        self.streak = 0
        self.delay = 0.0
        self.lock = threading.Lock()
        self._serve_locally()

    def add_bot(self, token: str, secret: str | None = None, keyword: str = "") -> None:
        self.bots[token] = secret
        if keyword:
            self.keywords[token] = keyword

    def rate_limit(self, count: int) -> None:
        self.streak = count

    def texts(self, token: str | None = None) -> list[str]:
        return [self.text(r["body"]) for r in self.received if token in (None, r["token"])]

    def answer(self, code: int = 0, message: str = "") -> dict:
        return {self.code_field: code, self.message_field: message or self.ok_message}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                parts = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake.lock:
                    fake.requests += 1
                    status, answer = fake.handle(parts.path, parse_qs(parts.query), raw)
                data = json.dumps(answer, ensure_ascii=False).encode()
                if fake.delay:
                    time.sleep(fake.delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up waiting (`delay`)
                    pass

            def log_message(self, *args):
                pass

        return Handler

    def handle(self, path: str, query: dict, raw: bytes) -> tuple[int, dict]:
        token = self.token(path, query)
        if token is None:
            return 404, {"error": "not found"}
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, self.answer(*self.bad_request)
        if token not in self.bots:
            return 200, self.answer(*self.unknown)
        if self.streak:
            self.streak -= 1
            return 200, self.answer(*self.rate_limited)
        refused = self.check(token, query, body)
        if refused:
            return 200, self.answer(*refused)
        self.received.append({"token": token, "body": body, "query": query})
        return 200, self.answer()


class DingTalkFake(VendorFake):
    unknown = (300001, "token is not exist")
    rate_limited = (130101, "send too fast, exceed 20 times per minute")
    bad_request = (40035, "缺少参数 json")

    def token(self, path, query):
        return query.get("access_token", [None])[0] if path == "/robot/send" else None

    @staticmethod
    def sign(secret: str, timestamp: str) -> str:
        digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256)
        return base64.b64encode(digest.digest()).decode()

    def check(self, token, query, body):
        secret = self.bots[token]
        if secret:
            timestamp = query.get("timestamp", [""])[0]
            fresh = timestamp.isdigit() and abs(int(timestamp) / 1000 - time.time()) < HOUR
            if not fresh or query.get("sign", [""])[0] != self.sign(secret, timestamp):
                return (
                    310000,
                    "sign not match, more: [https://ding-doc.dingtalk.com/doc#/serverapi2/qf2nxq]",
                )
        if body.get("msgtype") not in ("text", "markdown"):
            return 40035, "缺少参数 msgtype"
        keyword = self.keywords.get(token)
        if keyword and keyword not in self.text(body):
            return 310000, "keywords not in content"
        return None

    @staticmethod
    def text(body: dict) -> str:
        return body.get("text", {}).get("content") or body.get("markdown", {}).get("text", "")


class WeComFake(VendorFake):
    unknown = (93000, "invalid webhook url, hint: [1700000000_1_abc]")
    rate_limited = (45009, "api freq out of limit")
    bad_request = (40051, "invalid json")

    def token(self, path, query):
        return query.get("key", [None])[0] if path == "/cgi-bin/webhook/send" else None

    def check(self, token, query, body):
        if body.get("msgtype") != "text" or "content" not in body.get("text", {}):
            return 40008, "invalid message type"
        if len(body["text"]["content"].encode()) > 2048:
            return 40058, "content exceed max length 2048"
        return None

    @staticmethod
    def text(body: dict) -> str:
        return body["text"]["content"]


class FeishuFake(VendorFake):
    code_field, message_field = "code", "msg"
    ok_message = "success"
    unknown = (19001, "param invalid: incoming webhook access token invalid")
    rate_limited = (11232, "frequency limited psm[lark.oapi.app_platform_runtime]")
    bad_request = (9499, "Bad Request")
    PREFIX = "/open-apis/bot/v2/hook/"

    def token(self, path, query):
        return path.removeprefix(self.PREFIX) if path.startswith(self.PREFIX) else None

    @staticmethod
    def sign(secret: str, timestamp: str) -> str:
        key = f"{timestamp}\n{secret}".encode()
        return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()

    def check(self, token, query, body):
        secret = self.bots[token]
        if secret:
            timestamp = str(body.get("timestamp", ""))
            fresh = timestamp.isdigit() and abs(int(timestamp) - time.time()) < HOUR
            if not fresh or body.get("sign") != self.sign(secret, timestamp):
                return (
                    19021,
                    "sign match fail or timestamp is not within one hour from current time",
                )
        if body.get("msg_type") != "text" or "text" not in body.get("content", {}):
            return 9499, "Bad Request"
        return None

    @staticmethod
    def text(body: dict) -> str:
        return body["content"]["text"]
