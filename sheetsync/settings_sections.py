"""The settings' sections for mail (email, email.smtp), chat bots (channels) and Google Sheets
(gsheets), each checked when read; the SMTP password and the bots' webhook addresses and
signing secrets only from a file or the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sheetsync.errors import ConfigError

# `data`: a section as the settings file's YAML gives it (checked here, so of any type).

TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass
class GSheetsSettings:
    credentials: str = ""  # service-account key file; else $GOOGLE_APPLICATION_CREDENTIALS
    endpoint: str = "https://sheets.googleapis.com"
    # On 429/5xx a request is retried with waits of 1-2 s growing to 15-30 s, until `max_wait`
    # seconds have been waited (90: outlasts a per-minute quota) or `retries` tries were made.
    retries: int = 10  # tries per request at most
    max_wait: float = 90  # seconds of waiting per request, then the run stops cleanly
    # Every request gives up (and is retried as above) when Google does not connect within
    # `connect_timeout` seconds or does not answer within `read_timeout` (a first sync's
    # 2 MB write takes seconds; a minute and more is a hung connection).
    connect_timeout: float = 10
    read_timeout: float = 120


# Issue 25 item 4 (bounded logs): the logs' rows older than `keep_months` move to an archive.
@dataclass
class ArchiveSettings:
    enabled: bool = True
    # Months of 跟进历史, 阶段记录, 同步日志 and 预测记录 kept in the workbook (whole months,
    # counted back from the first of this month); older rows move to the archive. At least 3:
    # the summary's "last month" forecast and last quarter read the rows of those months.
    keep_months: int = 13
    # The archive: an .xlsx path (default: beside the workbook, "<name>-归档.xlsx"), or on
    # Google the key or URL of a spreadsheet the service account may edit (none: no archiving,
    # said in the sync log; the sync never creates a spreadsheet people cannot see).
    workbook: str = ""


MIN_KEEP_MONTHS = 3  # the summary reads last month's and last quarter's archived rows


def _archive_settings(data: Any) -> ArchiveSettings:
    try:
        settings = ArchiveSettings(**dict(data or {}))
        settings.keep_months = int(settings.keep_months)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"archive: {exc}") from None
    settings.enabled = _as_bool("archive.enabled", settings.enabled)
    if settings.keep_months < MIN_KEEP_MONTHS:
        raise ConfigError(
            "archive.keep_months: at least 3, the summary reads last month's and last quarter's rows"
        )
    if not isinstance(settings.workbook, str):  # a path from a settings file stays `Written`
        settings.workbook = str(settings.workbook or "")
    return settings


@dataclass
class FeishuSettings:
    """One Feishu / Lark app, shared by the sheet backend and the private messages
    (sheetsync/feishu_api.py). The app id and secret come from $SHEETSYNC_FEISHU_APP_ID /
    $SHEETSYNC_FEISHU_APP_SECRET or the JSON file `credentials`, never from this file."""

    credentials: str = ""  # a JSON file {"app_id": ..., "app_secret": ...}
    base_url: str = "https://open.feishu.cn"  # Lark: https://open.larksuite.com; or private
    connect_timeout: float = 10
    read_timeout: float = 120
    max_wait: float = 90  # seconds of waiting out rate limits per request
    monthly_quota: int = 10000  # API calls a month the plan allows (free plan: 10,000)


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
    outbox: str = ""  # none: outbox/ beside the workbook (config._beside)
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


def _secret(name: str, env: str, file: str, required: bool) -> str:
    """A secret from a file (wins) or a variable; errors name where, never what."""
    if file:
        try:
            return Path(file).read_text(encoding="utf-8").strip()
        except OSError:
            raise ConfigError(f"{name}_file: cannot read {file}") from None
    value = os.environ.get(env, "").strip() if env else ""
    if not value and required:
        raise ConfigError(
            f"{name}: set ${env}" if env else f"{name}: set {name}_env or {name}_file"
        )
    return value


@dataclass
class BotSettings:
    """One chat bot: its webhook address (an apprise URL such as `dingtalk://TOKEN`, or the
    address the vendor shows) and its 加签 signing secret, both from a variable or a file so
    that neither sits in the settings file or the workbook. `private`: a chat only the person
    who names it reads, which gets what their mail gets (contacts, amounts); otherwise it is a
    group and gets the digest without them."""

    name: str
    url_env: str = ""
    url_file: str = ""
    secret_env: str = ""
    secret_file: str = ""
    private: bool = False

    def url(self) -> str:
        return _secret(f"channels.bots.{self.name}.url", self.url_env, self.url_file, True)

    def secret(self) -> str:
        return _secret(
            f"channels.bots.{self.name}.secret", self.secret_env, self.secret_file, False
        )


@dataclass
class ChannelSettings:
    """Chat bots next to (or, with email.enabled: false, instead of) mail. `team`: the bots
    that get every owner's digest; each person's own bots are named in the team tab."""

    enabled: bool = True
    team: list[str] = field(default_factory=list)
    bots: dict[str, BotSettings] = field(default_factory=dict)
    # Each vendor's base URL: its public host, or a private deployment's (钉钉专属版,
    # 私有化企业微信) or a test double's. Webhook addresses shown on that host work too.
    hosts: dict[str, str] = field(default_factory=lambda: dict(VENDOR_HOSTS))
    # Seconds the whole chat step may take in a run: a vendor answering a byte at a time
    # held a run for 420 s, and its sheet was never written. Past it, what is unsent goes
    # out on the next run.
    deadline: float = 120
    # Private messages from the Feishu app (the `feishu:` section's): each person's digest,
    # escalation and complaint alert, to their 飞书ID or 邮箱 in 团队 (delivery/feishu_im.py).
    feishu_app: bool = False


VENDOR_HOSTS: dict[str, str] = {
    "dingtalk": "https://oapi.dingtalk.com",
    "wecom": "https://qyapi.weixin.qq.com",
    "feishu": "https://open.feishu.cn",
    "lark": "https://open.larksuite.com",
}


def _channel_settings(data: Any) -> ChannelSettings:
    data = dict(data or {})
    bots = data.pop("bots", None) or {}
    if not isinstance(bots, dict) or not all(isinstance(b, dict) for b in bots.values()):
        raise ConfigError("channels.bots: expected a name: {url_env: ...} entry per bot")
    try:
        settings = ChannelSettings(
            **data, bots={str(n): BotSettings(str(n), **b) for n, b in bots.items()}
        )
    except TypeError as exc:
        raise ConfigError(f"channels: {exc}") from None
    settings.enabled = _as_bool("channels.enabled", settings.enabled)
    settings.feishu_app = _as_bool("channels.feishu_app", settings.feishu_app)
    if "feishu_app" in settings.bots:  # the app's messages are journalled as `@feishu_app`
        raise ConfigError("channels.bots: feishu_app is the Feishu app's name; rename the bot")
    team = settings.team
    settings.team = [team] if isinstance(team, str) else [str(t) for t in team or []]
    settings.team = [t.strip() for name in settings.team for t in name.split(",") if t.strip()]
    for bot in settings.bots.values():
        bot.private = _as_bool(f"channels.bots.{bot.name}.private", bot.private)
        if not (bot.url_env or bot.url_file):
            raise ConfigError(f"channels.bots.{bot.name}: set url_env or url_file")
    settings.hosts = _hosts(settings.hosts)
    try:
        settings.deadline = float(settings.deadline)
    except (TypeError, ValueError):
        raise ConfigError(f'channels.deadline: "{settings.deadline}" is not seconds') from None
    if settings.deadline <= 0:
        raise ConfigError("channels.deadline: more than 0 seconds")
    unknown = [t for t in settings.team if t not in settings.bots]
    if unknown:
        raise ConfigError(f"channels.team: no bot named {', '.join(unknown)} in channels.bots")
    return settings


def _hosts(data: object) -> dict[str, str]:
    """`channels.hosts` over the public ones: http(s) addresses, no trailing slash."""
    data = {} if data is None else data
    if not isinstance(data, dict):
        raise ConfigError("channels.hosts: expected vendor: https://host entries")
    hosts = dict(VENDOR_HOSTS)
    for vendor, value in data.items():
        if vendor not in VENDOR_HOSTS:
            known = ", ".join(VENDOR_HOSTS)
            raise ConfigError(f"channels.hosts.{vendor}: not a vendor (known: {known})")
        url = str(value or "").strip().rstrip("/")
        if not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", url):
            raise ConfigError(f'channels.hosts.{vendor}: "{value}" is not an http(s) address')
        hosts[vendor] = url
    return hosts


def _positive_timeouts(section: str, settings: GSheetsSettings | FeishuSettings) -> None:
    """A timeout of 0 or less would give up on every request before it is sent."""
    for name in ("connect_timeout", "read_timeout"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{section}.{name}: more than 0 seconds")


def _gsheets_settings(data: Any, environ: Mapping[str, str]) -> GSheetsSettings:
    try:
        settings = GSheetsSettings(**dict(data or {}))
        settings.retries, settings.max_wait = int(settings.retries), float(settings.max_wait)
        settings.connect_timeout = float(settings.connect_timeout)
        settings.read_timeout = float(settings.read_timeout)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"gsheets: {exc}") from None
    _positive_timeouts("gsheets", settings)
    settings.credentials = settings.credentials or environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    return settings


def _feishu_settings(data: Any) -> FeishuSettings:
    try:
        settings = FeishuSettings(**dict(data or {}))
        for name in ("connect_timeout", "read_timeout", "max_wait"):
            setattr(settings, name, float(getattr(settings, name)))
        settings.monthly_quota = int(settings.monthly_quota)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"feishu: {exc}") from None
    _positive_timeouts("feishu", settings)
    url = str(settings.base_url or "").strip().rstrip("/")
    if not re.fullmatch(r"https?://[^\s/?#]+", url):
        raise ConfigError(f'feishu.base_url: "{settings.base_url}" is not an http(s) address')
    settings.base_url = url
    return settings


def _email_settings(data: Any) -> EmailSettings:
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
