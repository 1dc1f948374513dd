"""The settings' sections for mail (email, email.smtp) and Google Sheets (gsheets), each
checked when read; the SMTP password only from a file or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from sheetsync.errors import ConfigError

TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass
class GSheetsSettings:
    credentials: str = ""  # service-account key file; else $GOOGLE_APPLICATION_CREDENTIALS
    endpoint: str = "https://sheets.googleapis.com"
    # On 429/5xx a request is retried with waits of 1-2 s growing to 15-30 s, until `max_wait`
    # seconds have been waited (90: outlasts a per-minute quota) or `retries` tries were made.
    retries: int = 10  # tries per request at most
    max_wait: float = 90  # seconds of waiting per request, then the run stops cleanly


@dataclass
class SmtpSettings:
    host: str = "localhost"
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    username: str = ""
    password_env: str = "SHEETSYNC_SMTP_PASSWORD"
    password_file: str = ""
    timeout: float = 30  # seconds per network operation
    deadline: float = 120  # seconds for the whole mail step, however the server behaves

    def __post_init__(self) -> None:
        self.deadline = float(self.deadline)
        if not self.deadline > 0:
            raise ValueError("smtp.deadline must be more than 0 seconds")


@dataclass
class EmailSettings:
    enabled: bool = True
    transport: str = "outbox"  # outbox | smtp
    outbox: str = "demo/outbox"
    sender: str = "sheetsync@localhost"
    fallback: str = ""
    manager_summary: bool = False
    smtp: SmtpSettings = field(default_factory=SmtpSettings)

    def password(self) -> str:
        """From a file or an environment variable only; never logged, never in an error."""
        if self.smtp.password_file:
            try:
                return Path(self.smtp.password_file).read_text(encoding="utf-8").strip()
            except OSError:
                raise ConfigError(
                    f"email.smtp.password_file: cannot read {self.smtp.password_file}"
                ) from None
        value = os.environ.get(self.smtp.password_env, "")
        if not value:
            raise ConfigError(
                f"email.smtp: set the password in ${self.smtp.password_env} or email.smtp.password_file"
            )
        return value


def _gsheets_settings(data: object, environ: dict) -> GSheetsSettings:
    try:
        settings = GSheetsSettings(**dict(data or {}))
        settings.retries, settings.max_wait = int(settings.retries), float(settings.max_wait)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"gsheets: {exc}") from None
    settings.credentials = settings.credentials or environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    return settings


def _email_settings(data: object) -> EmailSettings:
    data = dict(data or {})
    smtp = dict(data.pop("smtp", None) or {})
    try:
        settings = EmailSettings(**data, smtp=SmtpSettings(**smtp))
        settings.smtp.port = int(settings.smtp.port)
        settings.smtp.timeout = float(settings.smtp.timeout)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"email: {exc}") from None
    settings.enabled = _as_bool("email.enabled", settings.enabled)
    settings.manager_summary = _as_bool("email.manager_summary", settings.manager_summary)
    if settings.transport not in ("outbox", "smtp"):
        raise ConfigError(f'email.transport: "{settings.transport}" is not outbox or smtp')
    if settings.smtp.security not in ("starttls", "ssl", "none"):
        raise ConfigError(
            f'email.smtp.security: "{settings.smtp.security}" is not starttls, ssl or none'
        )
    return settings


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise ConfigError(f'{name}: "{value}" is not true/false')
