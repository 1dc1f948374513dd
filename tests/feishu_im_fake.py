"""Feishu's messages API on the local open-platform fake (tests/feishu_fake.py): the app's
private messages to a tenant's people, as the published reference describes them.

- Send message, POST /open-apis/im/v1/messages?receive_id_type=open_id|user_id|union_id|
  email|chat_id (open.larkoffice.com/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/
  create): body {"receive_id", "msg_type", "content": <a JSON string>, "uuid"}; answer
  {"code":0,"msg":"success","data":{"message_id":"om_…","msg_type",…}}. Prerequisites: the
  app has the bot capability and the user is in its availability range. Scopes, any one of:
  im:message, im:message:send_as_bot, im:message:send. Limits: 5 messages a second to one
  user; 1000 a minute and 50 a second for the app. `uuid` (at most 50 characters): requests
  with the same one succeed at most once within an hour (the field as the reply page,
  …/reference/im-v1/message/reply, words it).
- Content (…/im-v1/message/create_json): text {"text": "…"}; post {"zh_cn": {"title", "content":
  [[{"tag": "text"|"a"|"at", …}], …]}}. A text message's content at most 150 KB, a post's or
  a card's 30 KB.
- Error codes (HTTP 400), as the message pages list them (the same table on create, reply and
  update, e.g. …/reference/im-v1/message/update): 230001 invalid request parameter, 230006
  "Bot ability is not activated.", 230013 "Bot has NO availability to this user." (also a
  user who left), 230020 "This operation triggers the frequency limit.", 230025 "The length
  of the message content reaches its limit.", 230035 "Send Message Permission deny."
  A scope the app lacks is 99991672 "Access denied. One of the following scopes is required:
  […]" (…/trouble-shooting/how-to-fix-the-99991672-error); an id the tenant does not know is
  99992351 "not a valid {open_id} or not exists" (the generic not-exist code, as it is reported
  for ids; the reference does not list it on this page).

`received[open_id]`: the messages each person got, as {"msg_type", "title", "text", "uuid",
"by": the receive_id_type that reached them}.
`outside`: open_ids outside the app's availability range; `bot`, `scopes`: the app's set-up;
`too_fast(n)`: the next n sends answer 230020. The token and the gateway's rate limit
(99991400) are the base fake's.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from feishu_fake import FeishuFake

MESSAGES = "/open-apis/im/v1/messages"
SEND_SCOPES = {"im:message", "im:message:send_as_bot", "im:message:send"}
TEXT_LIMIT, POST_LIMIT = 150 * 1024, 30 * 1024
ID_TYPES = ("open_id", "user_id", "union_id", "email", "chat_id")


@dataclass(frozen=True)
class User:
    name: str
    open_id: str
    user_id: str
    union_id: str
    email: str

    def ids(self) -> dict[str, str]:
        return {
            "open_id": self.open_id,
            "user_id": self.user_id,
            "union_id": self.union_id,
            "email": self.email,
        }


def user(name: str, key: str, email: str) -> User:
    """A tenant member whose ids are made from `key` (ou_<key>, u_<key>, on_<key>)."""
    return User(name, f"ou_{key}", f"u_{key}", f"on_{key}", email)


def _error(code: int, msg: str, status: int = 400) -> tuple[int, dict]:
    return status, {"code": code, "msg": msg}


class FeishuIM:
    """The IM routes, added to a running `FeishuFake`."""

    def __init__(self, fake: FeishuFake, users: list[User]) -> None:
        self.fake, self.users = fake, list(users)
        self.received: dict[str, list[dict]] = {}
        self.outside: set[str] = set()
        self.bot = True
        self.scopes = {"im:message:send_as_bot"}
        self.streak = 0
        self.refusals: list[tuple[str, str, int]] = []  # (id type, id, code)
        self.uuids: dict[str, tuple[float, str]] = {}  # uuid -> (when, message_id)
        self.sends: dict[str, list[float]] = {}  # open_id -> when each message was accepted
        self.count = 0
        fake.route("POST", MESSAGES, self._send)

    def too_fast(self, n: int) -> None:
        self.streak = n

    def find(self, kind: str, ident: str) -> User | None:
        return next((u for u in self.users if u.ids().get(kind) == ident), None)

    def texts(self, open_id: str) -> list[str]:
        return [f"{m['title']}\n{m['text']}" for m in self.received.get(open_id, [])]

    def _send(self, fake, path, query, body, app) -> tuple[int, dict]:
        status, answer = self._answer(query, body or {})
        if answer["code"]:
            kind = query.get("receive_id_type", "")
            self.refusals.append((kind, str((body or {}).get("receive_id", "")), answer["code"]))
        return status, answer

    def _answer(self, query: dict, body: dict) -> tuple[int, dict]:
        if not SEND_SCOPES & self.scopes:
            wanted = ", ".join(sorted(SEND_SCOPES))
            return _error(
                99991672, f"Access denied. One of the following scopes is required: [{wanted}]"
            )
        if not self.bot:
            return _error(230006, "Bot ability is not activated.")
        kind = query.get("receive_id_type", "")
        if kind not in ID_TYPES:
            return _error(
                230001, "Your request contains an invalid request parameter, ext=receive_id_type"
            )
        ident, msg_type, content = (body.get(k) for k in ("receive_id", "msg_type", "content"))
        if not isinstance(ident, str) or not ident or not isinstance(content, str):
            return _error(230001, "Your request contains an invalid request parameter.")
        uuid = str(body.get("uuid") or "")
        if len(uuid) > 50:
            return _error(230001, "Your request contains an invalid request parameter, ext=uuid")
        title, text = self._content(msg_type, content)
        if text is None:
            return _error(
                230001, f"Your request contains an invalid request parameter, ext=content ({title})"
            )
        limit = TEXT_LIMIT if msg_type == "text" else POST_LIMIT
        if len(content.encode()) > limit:
            return _error(230025, "The length of the message content reaches its limit.")
        person = self.find(kind, ident)
        if person is None:
            return _error(99992351, f"not a valid {{{kind}}} or not exists")
        if person.open_id in self.outside:
            return _error(230013, "Bot has NO availability to this user.")
        now = time.monotonic()
        with self.fake.lock:
            if self.streak > 0:
                self.streak -= 1
                return _error(230020, "This operation triggers the frequency limit.")
            recent = [t for t in self.sends.get(person.open_id, []) if now - t < 1.0]
            if len(recent) >= 5:  # 5 a second to one user
                return _error(230020, "This operation triggers the frequency limit.")
            if uuid and uuid in self.uuids and now - self.uuids[uuid][0] < 3600:
                return 200, self._ok(self.uuids[uuid][1], msg_type)  # at most once an hour
            self.count += 1
            message_id = f"om_{self.count:08d}"
            if uuid:
                self.uuids[uuid] = (now, message_id)
            self.sends.setdefault(person.open_id, []).append(now)
            entry = {"msg_type": msg_type, "title": title, "text": text, "uuid": uuid, "by": kind}
            self.received.setdefault(person.open_id, []).append(entry)
        return 200, self._ok(message_id, msg_type)

    @staticmethod
    def _ok(message_id: str, msg_type: str) -> dict:
        data = {"message_id": message_id, "msg_type": msg_type, "deleted": False, "updated": False}
        return {"code": 0, "msg": "success", "data": data}

    @staticmethod
    def _content(msg_type, content: str) -> tuple[str, str | None]:
        """(title, text) of a text or post message; (why, None) when it is not one."""
        try:
            data = json.loads(content)
        except ValueError:
            return "content is not JSON", None
        if msg_type == "text":
            text = data.get("text") if isinstance(data, dict) else None
            return ("", text) if isinstance(text, str) else ("no text", None)
        if msg_type != "post":
            return f"msg_type {msg_type!r} is not sent by this fake", None
        if not isinstance(data, dict) or not data:
            return "post without a language", None
        post = next(iter(data.values()))
        lines = post.get("content") if isinstance(post, dict) else None
        if not isinstance(lines, list) or not all(isinstance(line, list) for line in lines):
            return "post content is not a list of paragraphs", None
        text = []
        for line in lines:
            if not all(isinstance(e, dict) and e.get("tag") in ("text", "a", "at") for e in line):
                return "post element without a known tag", None
            text.append("".join(str(e.get("text", "")) for e in line))
        return str(post.get("title", "")), "\n".join(text)
