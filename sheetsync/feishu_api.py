"""One Feishu (Lark) open-platform app, as the sheet backend and the private messages share it.

Both speak to the same app with the same credentials: app_id + app_secret give a
tenant_access_token (auth/v3/tenant_access_token/internal) that lasts two hours ("expire",
seconds). It is fetched once and reused until a few minutes before it runs out, never per
request: a free plan's quota counts every call, the token's included.

Every answer carries `code` (0: done) and `msg`. A refusal keeps that code in `FeishuError`, so
a message can name it and say what to do in the admin console. Rate limits come back as HTTP
429 (or 400 on older APIs) with code 99991400 and an `x-ogw-ratelimit-reset` header giving the
seconds to wait (open.feishu.cn/document/server-docs/api-call-guide/frequency-control): those,
5xx answers and dropped or unanswered connections are retried within a time budget. A token
the server calls invalid or expired (99991663, 99991668, 99991677) is fetched again once.

`calls` counts the requests this client made, token fetches included: the quota check
(`doctor`) estimates a month of runs from it. Bodies go as UTF-8 JSON, not escaped ASCII: a
Chinese character is 3 bytes, not 6, so a large write needs half the batches.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import requests

from sheetsync.errors import BackendError, ConfigError

log = logging.getLogger("sheetsync")

FEISHU_BASE = "https://open.feishu.cn"
LARK_BASE = "https://open.larksuite.com"
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
RATE_LIMITED = 99991400
TOKEN_REFUSED = {99991663, 99991668, 99991677, 99991661}
RETRY_STATUSES = {429, 500, 502, 503, 504}
TOKEN_MARGIN = 300  # seconds before its expiry a token is replaced
MAX_TRIES = 10  # of one call, however short the waits
NO_TIME = 1e-6  # seconds: what is left of the budget counts as none below this
APP_ID_ENV, APP_SECRET_ENV = "SHEETSYNC_FEISHU_APP_ID", "SHEETSYNC_FEISHU_APP_SECRET"


class FeishuError(BackendError):
    """A refusal in Feishu's own terms: `code` and `msg` as the server said them."""

    def __init__(self, message: str, code: int = 0, msg: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.code, self.msg, self.status = code, msg, status


@dataclass
class FeishuCredentials:
    app_id: str
    app_secret: str = field(repr=False)  # never printed, not even in a traceback's repr


def feishu_credentials(path: str, environ: dict) -> FeishuCredentials:
    """From the environment ($SHEETSYNC_FEISHU_APP_ID / _APP_SECRET) or a JSON file
    {"app_id": ..., "app_secret": ...}: never from the settings file people share."""
    app_id, secret = environ.get(APP_ID_ENV, ""), environ.get(APP_SECRET_ENV, "")
    if path and not (app_id and secret):
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            app_id, secret = str(data["app_id"]), str(data["app_secret"])
        except FileNotFoundError:
            raise ConfigError(f"feishu.credentials: {path} not found") from None
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f'feishu.credentials: {path} is not JSON with "app_id" and "app_secret"'
            ) from None
    if not (app_id and secret):
        raise ConfigError(
            f"Feishu needs the app's credentials: set {APP_ID_ENV} and {APP_SECRET_ENV}, "
            "or feishu.credentials to a JSON file holding app_id and app_secret"
        )
    return FeishuCredentials(app_id.strip(), secret.strip())


def pause_for(seconds: float) -> None:
    """The backoff wait (tests replace it, so a minute of rate limits takes no time)."""
    time.sleep(seconds)


class FeishuClient:
    """Calls to one Feishu deployment (`base`: open.feishu.cn, open.larksuite.com or a
    private one) as one app, with the token cached and refusals kept in Feishu's terms."""

    def __init__(
        self,
        credentials: FeishuCredentials,
        base: str = FEISHU_BASE,
        timeouts: tuple[float, float] = (10, 120),
        max_wait: float = 90,
        clock=time.monotonic,
    ) -> None:
        self.credentials, self.base = credentials, base.rstrip("/")
        self.timeouts, self.max_wait, self.clock = timeouts, max_wait, clock
        self.session = requests.Session()
        self.calls = 0
        self._token, self._expires = "", 0.0

    def token(self) -> str:
        """The tenant_access_token, fetched again only near its expiry."""
        if self._token and self.clock() < self._expires - TOKEN_MARGIN:
            return self._token
        body = {"app_id": self.credentials.app_id, "app_secret": self.credentials.app_secret}
        answer = self._send("POST", TOKEN_PATH, json_=body, token=None)
        self._token = str(answer.get("tenant_access_token", ""))
        self._expires = self.clock() + float(answer.get("expire", 7200))
        return self._token

    def call(self, method: str, path: str, json_=None, params=None) -> dict:
        """`data` of one API answer (the whole answer when it has none)."""
        try:
            answer = self._send(method, path, json_, params, self.token())
        except FeishuError as exc:
            if exc.code not in TOKEN_REFUSED:
                raise
            self._token = ""  # revoked or expired early: one fresh token, once
            answer = self._send(method, path, json_, params, self.token())
        return answer.get("data", answer)

    def _send(self, method, path, json_=None, params=None, token: str | None = "") -> dict:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # UTF-8 as it is (requests' json= escapes each Chinese character as 6 bytes): a
        # write's batches are sized by these bytes
        body = None if json_ is None else json.dumps(json_, ensure_ascii=False).encode()
        waited, tries = 0.0, 0
        while True:
            tries += 1
            self.calls += 1
            try:
                response = self.session.request(
                    method,
                    self.base + path,
                    data=body,
                    params=params,
                    headers=headers,
                    timeout=self.timeouts,
                )
                answer = _answer(response)
                code = int(answer.get("code", 0) or 0)
                if code == 0 and response.status_code < HTTPStatus.BAD_REQUEST:
                    return answer
                if response.status_code not in RETRY_STATUSES and code != RATE_LIMITED:
                    raise _refused(answer, response.status_code)
                failure = f"HTTP {response.status_code}, code {code}"
                reset = response.headers.get("x-ogw-ratelimit-reset", "")
            except requests.ConnectionError:
                failure, reset = "no connection", ""
            except requests.Timeout:
                failure, reset = f"no answer within {self.timeouts[1]:g} s", ""
            pause = _wait(tries, waited, reset, self.max_wait)
            if pause is None:
                raise FeishuError(
                    f"Feishu kept failing ({failure}) after {tries} tries and {waited:.0f} s",
                    code=RATE_LIMITED if "99991400" in failure else 0,
                )
            log.warning("Feishu try %d failed (%s); waiting %.1f s", tries, failure, pause)
            pause_for(pause)
            waited += pause


def _answer(response: requests.Response) -> dict:
    try:
        answer = response.json()
    except ValueError:
        return {"code": -1, "msg": response.text[:200]}
    return answer if isinstance(answer, dict) else {"code": -1, "msg": str(answer)[:200]}


def _refused(answer: dict, status: int) -> FeishuError:
    code, msg = int(answer.get("code", -1) or -1), str(answer.get("msg", ""))
    return FeishuError(f"Feishu refused (code {code}): {msg}", code=code, msg=msg, status=status)


def _wait(tries: int, waited: float, reset: str, budget: float) -> float | None:
    """Seconds to wait before the next try: what the server asked for, else 1-2 s doubling
    to 15-30 s; None when the budget is spent or the server asks for more than is left."""
    left = budget - waited
    if tries >= MAX_TRIES or left < NO_TIME:
        return None
    if reset.strip().isdigit():
        return float(reset) if float(reset) <= left else None
    ceiling = min(30.0, 2.0 * 2 ** (tries - 1))
    return min(random.uniform(ceiling / 2, ceiling), left)
