"""Private messages from the Feishu app (`channels.feishu_app: true`): each person's digest,
escalation and complaint alert, sent by the same app the `feishu:` section names, instead of
one webhook bot per person.

Each message is a `Message` of the chat step (delivery/channels.py) on the bot `feishu_app`:
planned, journalled and recorded in 邮件记录 under the mail's key plus `@feishu_app`, so it
goes once, like the mail, and one that failed goes out on the next run. What it says is
what the person's mail says (its subject and plain text), in the sheet's language.

Who: the 团队 tab's 飞书ID (an open_id `ou_…`, a union_id `on_…`, a user_id, or an email
typed there), else the person's 邮箱. The IM API (open.feishu.cn/document/uAjLw4CM/
ukTMukTMukTM/reference/im-v1/message/create) takes that id with its `receive_id_type`,
`msg_type` "post" (title and paragraphs; 30 KB at most) or "text" (150 KB), and a `uuid`
that makes the same request succeed at most once within an hour: a retry after a lost
answer does not deliver twice.

Refusals are said in Feishu's own terms, with its code and what to do in the developer
console: a person outside the app's availability range (230013) or an id it does not know
(99992351) fails that person's message only; the bot capability off (230006), a missing
scope (99991672) or wrong credentials stop the app for the rest of the run. The app may
send 5 messages a second to one person and 50 a second in all: sends are paced, and the
rate-limit code (230020, or the gateway's 99991400) is waited out within `feishu.max_wait`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from typing import TYPE_CHECKING

from sheetsync.delivery.masking import MASK
from sheetsync.errors import ConfigError
from sheetsync.workbook.messages import lang, say

if TYPE_CHECKING:  # loaded with requests when the first message goes, not on every run
    from sheetsync.feishu_api import FeishuClient, FeishuError

APP = "feishu_app"  # the chat step's name for the app (keys end in `@feishu_app`)
KINDS = ("digest", "escalation", "backlog", "alert")  # what goes to a person privately
MESSAGES_PATH = "/open-apis/im/v1/messages"
POST_LIMIT = 30 * 1024 - 512  # bytes of `content`: Feishu's 30 KB for post, with room
TEXT_LIMIT = 150 * 1024 - 1024  # and 150 KB for text
PER_PERSON = 0.25  # seconds between two messages to one person (Feishu: 5 a second)
PER_APP = 1 / 16  # seconds between two messages of the app (Feishu: 50 a second, 1000 a minute)
TOO_FAST = 230020  # "This operation triggers the frequency limit."
RATE_LIMITED = 99991400  # the gateway's (feishu_api.RATE_LIMITED)
# What a refusal means, by Feishu's code: the person cannot be reached, this message was
# refused, or the app cannot send at all (the rest of the run is not tried).
UNAVAILABLE = {230013}
UNKNOWN_ID = {99992351, 99992352, 99992361}  # 230001 (a bad request) is said as it is
DENIED = {230035, 230038}
NO_BOT = {230006}
NO_SCOPE = {99991672, 230027}
CREDENTIALS = {10003, 10014, 99991661, 99991663, 99991668, 99991677}
URL = re.compile(r"https?://[^\s<>\"']+")


def receiver(chat_id: str, email: str) -> tuple[str, str] | None:
    """(receive_id_type, receive_id) of a person: their 飞书ID by its shape, else their
    邮箱; None when they have neither."""
    if chat_id:
        if "@" in chat_id:
            return "email", chat_id
        if chat_id.startswith("ou_"):
            return "open_id", chat_id
        if chat_id.startswith("on_"):
            return "union_id", chat_id
        return "user_id", chat_id
    return ("email", email) if email else None


def post_content(title: str, text: str, locale: str) -> str:
    """A "post" message: the title, then one paragraph a line, addresses as links."""
    lines = []
    for line in text.split("\n"):
        parts, at = [], 0
        for found in URL.finditer(line):
            if found.start() > at:
                parts.append({"tag": "text", "text": line[at : found.start()]})
            parts.append({"tag": "a", "text": found.group(), "href": found.group()})
            at = found.end()
        if at < len(line) or not parts:
            parts.append({"tag": "text", "text": line[at:]})
        lines.append(parts)
    language = "en_us" if lang(locale) == "en" else "zh_cn"
    return json.dumps({language: {"title": title, "content": lines}}, ensure_ascii=False)


def text_content(title: str, text: str, locale: str) -> str:
    """A "text" message, for what is too long for a post; cut (and said so) past 150 KB."""
    whole = f"{title}\n\n{text}" if title else text
    content = json.dumps({"text": whole}, ensure_ascii=False)
    while len(content.encode()) > TEXT_LIMIT:
        whole = whole[: int(len(whole) * 0.9)].rsplit("\n", 1)[0]
        content = json.dumps({"text": whole + "\n" + say("im_clipped", locale)}, ensure_ascii=False)
    return content


def body(receive_id: str, title: str, text: str, key: str, locale: str) -> dict:
    """The request body: a post when it fits, else text; `uuid` from the message's key."""
    content, kind = post_content(title, text, locale), "post"
    if len(content.encode()) > POST_LIMIT:
        content, kind = text_content(title, text, locale), "text"
    uuid = hashlib.sha256(key.encode()).hexdigest()[:40]  # at most 50 characters
    return {"receive_id": receive_id, "msg_type": kind, "content": content, "uuid": uuid}


class AppBot:
    """The Feishu app as the chat step's bot: opened when its first message goes (the
    credentials are read then), a client shared with the Feishu sheet when there is one
    (its `calls` count both), and closed for the run when the app itself cannot send."""

    def __init__(self, feishu, locale: str, client: FeishuClient | None = None, sleep=None):
        self.name, self.locale, self.settings = APP, locale, feishu
        self.vendor = say("im_vendor", locale)
        self.sleep = sleep or time.sleep
        self.failure = ""
        self.last: float | None = None  # time.monotonic() of the last send
        self.uncertain = self.posted = False
        self.deadline: float | None = None
        self.client = client
        self.sent_to: dict[str, float] = {}  # receive_id -> time.monotonic() of the last send
        if client is None:
            self.client = self._open()

    def _open(self) -> FeishuClient | None:
        from sheetsync.feishu_api import FeishuClient, feishu_credentials

        try:
            credentials = feishu_credentials(self.settings.credentials, dict(os.environ))
        except ConfigError as exc:
            self.failure = say("im_unusable", self.locale, why=exc)
            return None
        MASK.add(credentials.app_secret)
        timeouts = (self.settings.connect_timeout, self.settings.read_timeout)
        return FeishuClient(credentials, self.settings.base_url, timeouts, self.settings.max_wait)

    def label(self, person) -> str:
        """Where it went, as the journal and 邮件记录 say it: 飞书私信 ou_…"""
        found = receiver(person.chat_id, person.email) if person else None
        return f"{self.vendor} {found[1] if found else '?'}"

    def send_to(self, person, title: str, text: str, key: str) -> str:
        """Empty when Feishu accepted it, else why not (in Feishu's terms, with its code)."""
        self.uncertain = self.posted = False
        if self.failure:
            return say("chat_not_tried", self.locale) if self.last else self.failure
        found = receiver(person.chat_id, person.email)
        if found is None:  # planning leaves them out; said there
            return say("im_no_id", self.locale, name=person.name)
        from sheetsync import feishu_api

        assert self.client is not None  # without one, `failure` says why (above)
        kind, ident = found
        request = body(ident, title, text, key, self.locale)
        waited, tries = 0.0, 0
        while True:
            self._pace(ident)
            try:
                self.client.call("POST", MESSAGES_PATH, request, {"receive_id_type": kind})
                return ""
            except feishu_api.FeishuError as exc:
                tries += 1
                pause = min(2.0**tries, 10.0)
                if exc.code == TOO_FAST and waited + pause <= self.settings.max_wait:
                    feishu_api.pause_for(pause)
                    waited += pause
                    continue
                return self._refused(exc, person, kind, ident)
            finally:
                self.last = time.monotonic()
                self.sent_to[ident] = self.last

    def _pace(self, ident: str) -> None:
        """Within Feishu's limits: 5 a second to one person, 50 a second in all."""
        now, waits = time.monotonic(), []
        if self.last is not None:
            waits.append(PER_APP - (now - self.last))
        if ident in self.sent_to:
            waits.append(PER_PERSON - (now - self.sent_to[ident]))
        wait = max([0.0, *waits])
        if wait:
            self.sleep(wait)

    def _refused(self, exc: FeishuError, person, kind: str, ident: str) -> str:
        code, msg, fields = exc.code, exc.msg, {"name": person.name, "kind": kind, "id": ident}
        if code in UNAVAILABLE:
            return say("im_unavailable", self.locale, code=code, **fields)
        if code in UNKNOWN_ID:
            return say("im_unknown_id", self.locale, code=code, **fields)
        if code in DENIED:
            return say("im_denied", self.locale, code=code, msg=msg, **fields)
        if code in NO_BOT:
            return self._fail(say("im_no_bot", self.locale, code=code))
        if code in NO_SCOPE:
            return self._fail(say("im_no_scope", self.locale, code=code))
        if code in CREDENTIALS:
            return self._fail(say("im_credentials", self.locale, code=code))
        if code in (TOO_FAST, RATE_LIMITED):
            return self._fail(say("chat_rate_limited", self.locale, vendor=self.vendor, code=code))
        if not code and not exc.status:  # no answer, or 5xx, for the whole time allowed
            self.uncertain = self.posted = "no answer" in str(exc)
            return self._fail(say("im_failed", self.locale, why=exc))
        return say("im_refused", self.locale, code=code, msg=msg, **fields)

    def _fail(self, why: str) -> str:
        self.failure = why
        return why
