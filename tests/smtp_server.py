"""A real SMTP server on 127.0.0.1 (aiosmtpd) for the mail tests, and how to read what it
received: every mail test talks SMTP to it, none reaches beyond this machine."""

import email
import email.policy
import socket

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Inbox:
    def __init__(self):
        self.messages = []
        self.refuse = set()  # addresses the server answers 550

    async def handle_RCPT(self, server, session, envelope, address, options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"

    def to(self, address):
        return [m for rcpt, m in self.messages if address in rcpt]


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Smtp:
    """A local SMTP server; `password` set means AUTH is required."""

    def __init__(self, password=None):
        self.inbox, self.port, self.password = Inbox(), _free_port(), password
        kwargs = {"auth_require_tls": False}
        if password:
            kwargs.update(auth_required=True, authenticator=self._check)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **kwargs)

    def _check(self, server, session, envelope, mechanism, data):
        ok = (
            isinstance(data, LoginPassword)
            and data.login == b"sheetsync"
            and data.password == self.password.encode()
        )
        return AuthResult(success=ok, handled=False)  # handled=False: the server answers 535

    def env(self, **extra):
        return {
            "SHEETSYNC_EMAIL_TRANSPORT": "smtp",
            "SHEETSYNC_SMTP_HOST": "127.0.0.1",
            "SHEETSYNC_SMTP_PORT": str(self.port),
            "SHEETSYNC_SMTP_SECURITY": "none",
            "SHEETSYNC_SMTP_TIMEOUT": "5",
            **extra,
        }


def parts(message):
    """The plain-text and HTML bodies, also when the HTML comes with its inline pictures."""
    bodies = (message.get_body((kind,)) for kind in ("plain", "html"))
    return {b.get_content_type(): b.get_content() for b in bodies if b is not None}
