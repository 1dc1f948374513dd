"""Apprise plugins for the three Chinese group bots, fixed where apprise's own fall short.

apprise (2.2) knows `dingtalk://`, `wecombot://`, `feishu://` and `lark://`, but for a sales
team's reminders each of them misses something:

- all four count HTTP 200 as delivered, while these vendors answer a refused message (bad
  signature, keyword, IP, rate limit, unknown key) with HTTP 200 and an error code in the
  body: a refused reminder would be journalled as sent and never retried;
- DingTalk: signs, but URL-quotes the signature and then passes it to `requests` as a query
  parameter, which quotes it again (`%2B` -> `%252B`): a server that decodes the query once
  sees a signature that cannot match. It @-mentions by mobile (`atMobiles`) but does not put
  the `@138...` text into the message, which DingTalk needs to show the mention;
- WeCom: no @-mentions at all (`mentioned_mobile_list`), and its 2,048 limit counts
  characters where WeCom counts bytes (a Chinese character is three);
- Feishu / Lark: no signing (`timestamp` + `sign`, required by a bot with 签名校验 on) and
  no @-mentions.

So each class below subclasses apprise's plugin, keeps its URL syntax (plus `secret` and
`to=` targets where it had none) and replaces `send()`; `register()` puts them in apprise's
registry under the same schemas, so `dingtalk://...` or the webhook address the vendor shows
(`https://oapi.dingtalk.com/robot/send?access_token=...`) gives the fixed plugin. A failed
send leaves `failure` (a sentence without the token) and `code` (the vendor's error code)
on the instance.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from apprise import NotifyFormat, NotifyType
from apprise.plugins import N_MGR
from apprise.plugins.dingtalk import NotifyDingTalk
from apprise.plugins.feishu import NotifyFeishu
from apprise.plugins.lark import NotifyLark
from apprise.plugins.wecombot import NotifyWeComBot

if TYPE_CHECKING:  # the mixins below are only ever mixed into an apprise plugin
    from apprise.plugins.base import NotifyBase as _Plugin
else:
    _Plugin = object

from sheetsync.settings_sections import VENDOR_HOSTS

# Error codes meaning "too many messages, try later": DingTalk, WeCom, Feishu/Lark. (Feishu
# also answers some floods with 9499, which is its plain "Bad Request" too: that one is
# reported with Feishu's own words.) Any failure stops the run's sending to that bot.
RATE_LIMITED = {130101, 45009, 11232}
DIGITS = re.compile(r"\d")
MOBILE_DIGITS = (11, 14)  # a mobile number's digits, with or without a country code


class _Posting:
    """One POST on a thread of its own, waited for until a deadline at most. requests' read
    timeout is per read: a vendor answering a byte every two seconds never trips it. Past the
    deadline the request is left to finish on its own (a daemon thread: it never holds the
    process) and counted as uncertain, as a timeout is."""

    def __init__(self, url: str, **kwargs) -> None:
        self.answer: requests.Response | None = None
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._post, args=(url,), kwargs=kwargs, daemon=True)
        self.thread.start()

    def _post(self, url: str, **kwargs) -> None:
        try:
            self.answer = requests.post(url, **kwargs)
        except requests.RequestException as exc:
            self.error = exc

    def wait(self, deadline: float | None) -> requests.Response | None:
        """The answer, or None: still waiting at the deadline, or no connection (`error`)."""
        left = None if deadline is None else max(0.0, deadline - time.monotonic())
        self.thread.join(left)
        return None if self.running() else self.answer

    def running(self) -> bool:
        return self.thread.is_alive()


class Answered(_Plugin):
    """POST a JSON body and read the vendor's answer: delivered only when it says code 0.

    `base_url` (channels.hosts): where the vendor is, in place of the public host its
    `notify_url` names (a private deployment, a test double). A request that went out but
    got no answer in time leaves `uncertain` set: the vendor may well have delivered it."""

    code_field, message_field = "errcode", "errmsg"
    failure, code, uncertain, unreachable = "", None, False, ""
    deadline: float | None = None  # time.monotonic() by which the chat step must be done
    public = ""  # the vendor's public host, as notify_url names it
    # each plugin's apprise schema (dingtalk, wecombot, feishu, lark); None in apprise's URLBase
    secure_protocol: str  # type: ignore[assignment]
    # apprise's throttle: seconds between two requests to one bot (pieces of a split message
    # here; between messages the caller waits as long). DingTalk and WeCom take 20 a minute,
    # Feishu and Lark 100 a minute and 5 a second.
    request_rate_per_sec = 3.1

    def __init__(self, *args, base_url=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = (base_url or self.public).rstrip("/")

    def _post(self, url: str, payload: dict) -> bool:
        self.failure, self.code, self.uncertain, self.unreachable = "", None, False, ""
        if self.public and url.startswith(self.public):
            url = self.base_url + url[len(self.public) :]
        self.throttle()
        posted = _Posting(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"User-Agent": self.app_id, "Content-Type": "application/json"},
            verify=self.verify_certificate,
            timeout=self.request_timeout,
            allow_redirects=self.redirects,
        )
        answer = posted.wait(self.deadline)
        if posted.running() or isinstance(posted.error, requests.ReadTimeout):
            self.uncertain = True  # sent, but no answer in time: perhaps delivered
            return self._failed(f"no answer within {self.socket_read_timeout} s")
        if answer is None:  # no connection; its text names the URL, token and all
            self.unreachable = type(posted.error).__name__
            return self._failed(f"no connection ({type(posted.error).__name__})")
        try:
            body = answer.json()
        except ValueError:
            body = {}
        body = body if isinstance(body, dict) else {}
        self.code = body.get(self.code_field, body.get("StatusCode"))
        if answer.status_code == HTTPStatus.OK and self.code == 0:
            self.logger.info("Sent %s notification.", self.service_name)
            return True
        message = body.get(self.message_field) or body.get("StatusMessage") or ""
        return self._failed(f"HTTP {answer.status_code}, {self.code_field} {self.code}: {message}")

    def _failed(self, why: str) -> bool:
        self.failure = why
        self.logger.warning("%s refused the message: %s", self.service_name, why)
        return False


if TYPE_CHECKING:  # Signed (below) is mixed in before Answered
    _Signing = Answered
else:
    _Signing = object


def _mobiles(targets) -> list[str]:
    """Mobile numbers as the vendors want them: digits only (a typed "138 0013 8000" too)."""
    found = ["".join(DIGITS.findall(t)) for t in NotifyDingTalk.parse_list(targets)]
    return [m for m in found if MOBILE_DIGITS[0] <= len(m) <= MOBILE_DIGITS[1]]


def _mentioned(body: str, names: Sequence[object]) -> str:
    """The "@..." text a mention needs, unless the body already holds it."""
    missing = [f"@{n}" for n in names if f"@{n}" not in body]
    return f"{body}\n{' '.join(missing)}" if missing else body


class DingTalkBot(Answered, NotifyDingTalk):
    """DingTalk custom robot: signed once-quoted, answer checked, mentions shown."""

    # Chinese text: DingTalk's 20,000 is bytes, apprise's count is characters.
    body_maxlen = 6000
    public = VENDOR_HOSTS["dingtalk"]

    def get_signature(self) -> tuple[str, str]:
        timestamp = str(round(time.time() * 1000))
        assert self.secret is not None  # send() signs only with a secret
        digest = hmac.new(
            self.secret.encode("utf-8"), f"{timestamp}\n{self.secret}".encode(), hashlib.sha256
        ).digest()
        return timestamp, base64.b64encode(digest).decode()

    def send(self, body, title="", notify_type=None, body_format=None, **kwargs) -> bool:
        text = _mentioned(f"{title}\n{body}" if title else body, self.targets)
        payload = {
            "msgtype": "text",
            "text": {"content": text},
            "at": {"atMobiles": self.targets, "isAtAll": False},
        }
        url = self.notify_url.format(token=self.token)
        if self.secret:
            timestamp, sign = self.get_signature()
            url += f"&timestamp={timestamp}&sign={quote(sign, safe='')}"
        return self._post(url, payload)

    @staticmethod
    def parse_native_url(url):
        """The address DingTalk shows: https://oapi.dingtalk.com/robot/send?access_token=..."""
        found = re.match(
            r"^https?://oapi\.dingtalk\.com/robot/send/?\?access_token=(?P<token>[a-z0-9]+)"
            r"&?(?P<params>.+)?$",
            url,
            re.I,
        )
        if not found:
            return None
        params = f"?{found['params']}" if found["params"] else ""
        return DingTalkBot.parse_url(f"dingtalk://{found['token']}/{params}")


class WeComBot(Answered, NotifyWeComBot):
    """WeCom group bot, with @-mentions by mobile (`to=` targets) and its answer checked."""

    # WeCom's 2,048 is bytes; a Chinese character is three of them.
    body_maxlen = 680
    public = VENDOR_HOSTS["wecom"]

    def __init__(self, key, targets=None, **kwargs) -> None:
        super().__init__(key, **kwargs)
        self.targets = _mobiles(targets)

    def send(self, body, title="", notify_type=None, **kwargs) -> bool:
        payload: dict[str, Any] = {"msgtype": "text", "text": {"content": body}}
        if self.targets:
            payload["text"]["mentioned_mobile_list"] = self.targets
        return self._post(self.notify_url.format(key=self.key), payload)

    @staticmethod
    def parse_url(url):  # type: ignore[override]  # apprise calls it with the URL only
        results = NotifyWeComBot.parse_url(url)
        if results:
            results["targets"] = WeComBot.split_path(results["fullpath"])
            results["targets"] += WeComBot.parse_list(results["qsd"].get("to", ""))
        return results

    @staticmethod
    def parse_native_url(url):
        results = NotifyWeComBot.parse_native_url(url)
        if results:
            results["targets"] = WeComBot.parse_list(results["qsd"].get("to", ""))
        return results


class Signed(_Signing):
    """Feishu and Lark: `timestamp` (seconds) and `sign` in the body, @-mentions as <at> tags
    (by open_id or user_id: a custom bot cannot mention by mobile)."""

    code_field, message_field = "code", "msg"
    body_maxlen = 6000  # the 20 KB request limit, in Chinese characters
    request_rate_per_sec = 0.7
    host = ""  # where the vendor's own webhook addresses point
    notify_url: str  # the plugin's (NotifyFeishu's, NotifyLark's)
    token: str
    title_maxlen = 0  # a text message has no title: apprise puts it on the body's first line

    def __init__(self, token, secret=None, targets=None, **kwargs) -> None:
        super().__init__(token, **kwargs)
        self.secret = secret or None
        self.targets = [t for t in self.parse_list(targets) if re.fullmatch(r"[\w-]+", t)]

    def send(
        self,
        body: str,
        title: str = "",
        notify_type: NotifyType = NotifyType.INFO,
        body_format: NotifyFormat | None = None,
        **kwargs: Any,
    ) -> bool:
        """The body, its title already on the first line (title_maxlen 0)."""
        return self._post(self.notify_url.format(token=self.token), self._payload(body))

    @classmethod
    def _native(cls, url):
        """The address the vendor shows (https://<host>/open-apis/bot/v2/hook/<token>)."""
        hook = rf"^https://{re.escape(cls.host)}/open-apis/bot/v2/hook/([\w-]+)/?$"
        found = re.match(hook, url)
        return cls.parse_url(f"{cls.secure_protocol}://{found[1]}") if found else None

    def _payload(self, body: str) -> dict:
        """A customer named `<at user_id="all">` must not page the whole group: tags in the
        text itself are defused (full-width <), only ours are real."""
        body = re.sub(r"<(\s*/?\s*at\b)", "\uff1c\\1", body, flags=re.I)
        tags = " ".join(f'<at user_id="{t}"></at>' for t in self.targets)
        payload = {"msg_type": "text", "content": {"text": f"{tags}\n{body}" if tags else body}}
        if self.secret:
            timestamp = str(int(time.time()))
            key = f"{timestamp}\n{self.secret}".encode()
            sign = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            payload.update(timestamp=timestamp, sign=sign)
        return payload

    @classmethod
    def _with_extras(cls, results):
        """`secret@token` or `?secret=`, and the people to mention as path or `to=`."""
        if results:
            qsd = results["qsd"]
            results["secret"] = qsd.get("secret") or results.get("user")
            results["targets"] = cls.split_path(results["fullpath"])
            results["targets"] += cls.parse_list(qsd.get("to", ""))
        return results


class FeishuBot(Signed, Answered, NotifyFeishu):
    """Feishu custom bot, signed, with mentions and its answer checked."""

    notify_url = "https://open.feishu.cn/open-apis/bot/v2/hook/{token}"
    host = "open.feishu.cn"
    public = VENDOR_HOSTS["feishu"]

    @staticmethod
    def parse_url(url):  # type: ignore[override]  # apprise calls it with the URL only
        return FeishuBot._with_extras(NotifyFeishu.parse_url(url))

    @staticmethod
    def parse_native_url(url):
        """The address Feishu shows: https://open.feishu.cn/open-apis/bot/v2/hook/..."""
        return FeishuBot._native(url)


class LarkBot(Signed, Answered, NotifyLark):
    """Lark (Feishu's international edition): the same bot API on another host."""

    notify_url = "https://open.larksuite.com/open-apis/bot/v2/hook/{token}"
    host = "open.larksuite.com"
    public = VENDOR_HOSTS["lark"]

    @staticmethod
    def parse_url(url):  # type: ignore[override]  # apprise calls it with the URL only
        return LarkBot._with_extras(NotifyLark.parse_url(url))

    @staticmethod
    def parse_native_url(url):
        return LarkBot._native(url)


PLUGINS: tuple[type[Answered], ...] = (DingTalkBot, WeComBot, FeishuBot, LarkBot)
SCHEMAS = {p.secure_protocol: p for p in PLUGINS}
VENDORS: dict[str, type[Answered]] = {
    "dingtalk": DingTalkBot,
    "wecom": WeComBot,
    "feishu": FeishuBot,
    "lark": LarkBot,
}


def on_public_host(url: str, hosts: dict[str, str]) -> str:
    """A webhook address as shown on a configured host (a private deployment's
    `https://ding.example.com/robot/send?access_token=...`) as the public host's, which
    apprise recognises; the plugin then posts to the configured host again."""
    for vendor, plugin in VENDORS.items():
        base = hosts.get(vendor, "").rstrip("/")
        if base and base != plugin.public and url.startswith(base + "/"):
            return plugin.public + url[len(base) :]
    return url


def base_urls(hosts: dict[str, str]) -> dict[str, str]:
    """channels.hosts by apprise schema (`wecom` is `wecombot://`)."""
    return {VENDORS[v].secure_protocol: h for v, h in hosts.items() if v in VENDORS}


def register() -> None:
    """Our plugins in place of apprise's for their schemas (idempotent)."""
    for plugin in PLUGINS:
        if plugin.secure_protocol not in N_MGR or N_MGR[plugin.secure_protocol] is not plugin:
            N_MGR.add(plugin, force=True)
