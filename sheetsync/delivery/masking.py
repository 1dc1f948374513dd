"""Secrets kept out of logs and chat failure messages: apprise and requests put webhook URLs
(token and all) into their messages. Its own module so the chat bots and the Feishu app
(delivery/channels.py, delivery/feishu_im.py) both take it without importing each other."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

SHORTEST_SECRET = 6  # characters: a shorter value is no secret (and would mask common words)


class Masker(logging.Filter):
    """Replaces every secret it was told of, and anything shaped like a webhook token, with
    ***: apprise and requests put URLs (token and all) into their messages."""

    SHAPES = re.compile(
        r"((?:access_token|key|sign|secret|token)=|/hook/|(?:dingtalk|wecombot|feishu|lark)://)"
        r"([^&\s/\"'?]+)",
        re.I,
    )

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def add(self, *values: str) -> None:
        for value in (v for v in values if v and len(v) >= SHORTEST_SECRET):
            self.secrets |= {value, quote(value, safe="")}

    def __call__(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return self.SHAPES.sub(r"\1***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self(record.getMessage()), ()
        return True


MASK = Masker()
for _name in ("apprise", "urllib3.connectionpool"):  # the latter logs request paths (debug)
    logging.getLogger(_name).addFilter(MASK)
