"""Settings: a YAML file (config/sheetsync.yaml has every key, commented), then environment
variables on top, so a deployment can change the workbook or time zone without a file.

Email: SHEETSYNC_EMAIL_<KEY> (enabled, transport, outbox, sender, fallback,
manager_summary) and
SHEETSYNC_SMTP_<KEY> (host, port, security, username, password_file, timeout, deadline); the SMTP password
itself only from $SHEETSYNC_SMTP_PASSWORD (or the variable email.smtp.password_env names) or
a file.

Chat bots: SHEETSYNC_CHANNELS_ENABLED and SHEETSYNC_CHANNELS_TEAM; each bot's webhook address
and signing secret only from the variable (`url_env`, `secret_env`) or file it names.

Environment: SHEETSYNC_BACKEND, SHEETSYNC_WORKBOOK, SHEETSYNC_TIMEZONE, SHEETSYNC_HOLIDAYS,
SHEETSYNC_WEEKEND_REMINDERS, SHEETSYNC_LOCALE, SHEETSYNC_TASK_LOG_KEEP_DAYS,
SHEETSYNC_MAX_PART_MB, SHEETSYNC_MAX_RATIO, SHEETSYNC_MAX_ALERTS, SHEETSYNC_TAB_<TAB> (e.g. SHEETSYNC_TAB_FOLLOWUPS), SHEETSYNC_CONFIG (the file).
Any other SHEETSYNC_* variable is warned about, with the closest known name.

Relative paths: one written in a settings file is taken from that file's folder, so a
scheduled `cd / && sheetsync sync` finds what the file names; one given on the command line
or in an environment variable is taken from the current directory, as a shell user expects,
and so is one in the packaged defaults (nobody's file). No `email.outbox`: `outbox/` beside
the workbook.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from sheetsync.errors import ConfigError
from sheetsync.locations import online
from sheetsync.resources import config_dir
from sheetsync.settings_sections import (
    ArchiveSettings,
    ChannelSettings,
    EmailSettings,
    FeishuSettings,
    GSheetsSettings,
    SmtpSettings,
    _archive_settings,
    _as_bool,
    _channel_settings,
    _email_settings,
    _feishu_settings,
    _gsheets_settings,
)
from sheetsync.workbook.schema import FOLLOWUPS, LOCALES, TABS_BY_KEY, normalise_header

LOGGER = "sheetsync"  # the logger the command line sets up (ops.logs)
DEFAULT_CONFIG = config_dir() / "sheetsync.yaml"  # the packaged defaults (sheetsync.resources)
BACKENDS = ("xlsx", "gsheets", "feishu")
DEFAULT_ZONE = "Asia/Shanghai"  # for `timezone: auto` when the workbook has no zone of its own
ENV_PREFIX = "SHEETSYNC_"
COMPLETION_LOOKBACK_DAYS = 30  # the summary's completion rate reads the task log this far back
log = logging.getLogger(LOGGER)
# Settings that name a file or folder: relative ones in a settings file are rebased.
PATH_SETTINGS = (
    ("workbook",),
    ("email", "outbox"),
    ("email", "smtp", "password_file"),
    ("gsheets", "credentials"),
    ("feishu", "credentials"),
    ("archive", "workbook"),
)


class Written(str):
    """A path setting that remembers where it was written (`origin`), so "workbook ... not
    found" can name the file, variable or option to fix; `base` is the folder a relative
    value is taken from (None: the current directory). Everywhere else it is a plain str."""

    origin: str
    base: Path | None

    def __new__(cls, value: str, origin: str, base: Path | None = None) -> Written:
        text = super().__new__(cls, value)
        text.origin, text.base = origin, base
        return text

    def located(self) -> str:
        """The path to open: rebased on `base` when relative (absolute stays as it is)."""
        if self.base is None:
            return self
        return Written(os.path.normpath(self.base / self), self.origin)


@dataclass
class Settings:
    backend: str = "xlsx"
    workbook: str = "demo/sheetsync-demo.xlsx"
    timezone: str = "auto"
    holidays: bool = True
    weekend_reminders: bool = False  # digests and escalations on days off too (alerts always)
    locale: str = "auto"
    task_log_keep_days: int = 90
    # An .xlsx part inflating past this, or past this many times its packed size, is refused
    # before anything is read (a zip bomb: 0.26 MB of whitespace took 116 s and 1.3 GB).
    max_part_mb: float = 1024
    max_ratio: float = 100
    # Complaint alerts to one person in one run, at most: the rest wait for the next run (an
    # hour later with `serve`), said in one line. A pasted column of 200 complaints must not
    # bury a manager's inbox or group in one go.
    max_alerts: int = 10
    # A change to a member's 邮箱, 通知渠道, 飞书ID, 手机 or 上级 in 团队 is held until a run on
    # a later day confirms it (rules/recipients.py); a member's name or a change's code
    # listed here lets it take effect at once.
    accept_recipient_changes: list[str] = field(default_factory=list)
    tabs: dict[str, str | None] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)  # contract column -> the team's header
    email: EmailSettings = field(default_factory=EmailSettings)
    channels: ChannelSettings = field(default_factory=ChannelSettings)
    gsheets: GSheetsSettings = field(default_factory=GSheetsSettings)
    feishu: FeishuSettings = field(default_factory=FeishuSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)  # issue 25: bounded logs
    name: str = ""  # how logs and reports call this workbook
    run_at: str = "08:30"  # `serve`: the daily time, in `timezone`
    retry_locked_minutes: int = 30  # `serve`: retry an open workbook this often (0: don't)
    workbooks: list = field(default_factory=list)  # several workbooks: one entry each

    @property
    def label(self) -> str:
        return self.name or self.workbook

    @property
    def zone(self) -> ZoneInfo:
        return self.zone_for(None)

    def zone_for(self, workbook_zone: str | None) -> ZoneInfo:
        """`timezone: auto` follows the workbook (a Google spreadsheet has its own zone)."""
        if self.timezone != "auto":
            return ZoneInfo(self.timezone)
        try:
            return ZoneInfo(workbook_zone or DEFAULT_ZONE)
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo(DEFAULT_ZONE)


# Settings read from SHEETSYNC_<NAME>; tabs and email have variables of their own.
ENV_SETTINGS = tuple(
    f.name for f in fields(Settings) if f.name not in ("tabs", "email", "channels", "archive")
)
CHANNELS_ENV = ("enabled", "team")


def load_yaml(text: str) -> object:
    """YAML through libyaml when PyYAML has it (several times faster), the same safe loader."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _read_file(path: Path) -> dict:
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected key: value settings at the top level")
    where = path.absolute()
    # The packaged defaults are nobody's file (an installed copy's sit in site-packages): their
    # relative paths are taken from the current directory, where `demo` makes its workbook.
    base = None if where == DEFAULT_CONFIG.absolute() else where.parent
    _tag_paths(data, base, f"in {where}")
    for i, entry in enumerate(data.get("workbooks") or []):
        if isinstance(entry, dict):
            _tag_paths(entry, base, f"in {where}, workbooks[{i}]")
    for part in [data, *(e for e in data.get("workbooks") or [] if isinstance(e, dict))]:
        _tag_bot_files(part, base)
    return data


def _tag_paths(data: dict, base: Path | None, where: str) -> None:
    """Mark each path setting of a file's part with its folder and its line's origin."""
    for keys in PATH_SETTINGS:
        part = _dig(data, keys[:-1])
        value = part.get(keys[-1]) if isinstance(part, dict) else None
        if isinstance(part, dict) and isinstance(value, str) and value:
            part[keys[-1]] = Written(value, f"{'.'.join(keys)}: {value} {where}", base)


def _tag_bot_files(data: dict, base: Path | None) -> None:
    """A bot's url_file / secret_file written in a file is taken from that file's folder."""
    bots = _dig(data, ("channels", "bots"))
    for bot in bots.values() if isinstance(bots, dict) else []:
        for key in ("url_file", "secret_file"):
            if isinstance(bot, dict) and isinstance(bot.get(key), str) and bot[key]:
                bot[key] = Written(bot[key], f"{key}: {bot[key]}", base)


def _dig(data: object, keys: tuple[str, ...]) -> object:
    """data[k1][k2]... of a settings part, or None where a level is missing or not a map."""
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


EMAIL_ENV = ("enabled", "transport", "outbox", "sender", "fallback", "manager_summary")
SMTP_ENV = ("host", "port", "security", "username", "password_file", "timeout", "deadline")


def _email_from_env(environ: Mapping[str, str]) -> dict:
    email = {
        k: environ[f"{ENV_PREFIX}EMAIL_{k.upper()}"]
        for k in EMAIL_ENV
        if f"{ENV_PREFIX}EMAIL_{k.upper()}" in environ
    }
    smtp = {
        k: environ[f"{ENV_PREFIX}SMTP_{k.upper()}"]
        for k in SMTP_ENV
        if f"{ENV_PREFIX}SMTP_{k.upper()}" in environ
    }
    return {**email, "smtp": smtp} if smtp else email


def _channels_from_env(environ: Mapping[str, str]) -> dict:
    return {
        k: environ[f"{ENV_PREFIX}CHANNELS_{k.upper()}"]
        for k in CHANNELS_ENV
        if f"{ENV_PREFIX}CHANNELS_{k.upper()}" in environ
    }


def _from_env(environ: Mapping[str, str]) -> dict:
    data: dict = {}
    for name in ENV_SETTINGS:
        if ENV_PREFIX + name.upper() in environ:
            data[name] = environ[ENV_PREFIX + name.upper()]
    if "workbook" in data:
        data["workbook"] = Written(data["workbook"], f"{ENV_PREFIX}WORKBOOK={data['workbook']}")
    tabs = {
        k: environ[f"{ENV_PREFIX}TAB_{k.upper()}"]
        for k in TABS_BY_KEY
        if f"{ENV_PREFIX}TAB_{k.upper()}" in environ
    }
    return {**data, "tabs": tabs} if tabs else data


def known_variables(password_envs: tuple[str, ...] = ()) -> set[str]:
    """Every variable a setting is read from, with the password variable(s) the settings
    name (`email.smtp.password_env`, shared or per workbook)."""
    names = {ENV_PREFIX + "CONFIG", SmtpSettings.password_env, *password_envs}
    names |= {ENV_PREFIX + "FEISHU_APP_ID", ENV_PREFIX + "FEISHU_APP_SECRET"}  # feishu_api
    names |= {ENV_PREFIX + name.upper() for name in ENV_SETTINGS}
    names |= {f"{ENV_PREFIX}TAB_{k.upper()}" for k in TABS_BY_KEY}
    names |= {f"{ENV_PREFIX}EMAIL_{k.upper()}" for k in EMAIL_ENV}
    names |= {f"{ENV_PREFIX}CHANNELS_{k.upper()}" for k in CHANNELS_ENV}
    return names | {f"{ENV_PREFIX}SMTP_{k.upper()}" for k in SMTP_ENV}


def unknown_variables(
    environ: Mapping[str, str], password_envs: tuple[str, ...] = ()
) -> dict[str, str | None]:
    """SHEETSYNC_* variables no setting reads, each with the closest known name: a misspelt
    variable is otherwise ignored without a word and the run uses the file's value."""
    known = known_variables(password_envs)
    return {
        name: _closest(name, known)
        for name in sorted(environ)
        if name.startswith(ENV_PREFIX) and name not in known
    }


def _closest(name: str, known: set[str]) -> str | None:
    """Compared without the shared SHEETSYNC_ prefix, which would make every name look close."""
    ours = [k.removeprefix(ENV_PREFIX) for k in sorted(known) if k.startswith(ENV_PREFIX)]
    match = difflib.get_close_matches(name.removeprefix(ENV_PREFIX), ours, n=1)
    return ENV_PREFIX + match[0] if match else None


def unknown_message(name: str, closest: str | None) -> str:
    hint = f"did you mean {closest}?" if closest else "no setting reads it"
    return f"{name}: unknown setting, {hint}"


def _password_envs(data: dict) -> tuple[str, ...]:
    listed = data.get("workbooks")
    entries: list[object] = listed if isinstance(listed, list) else []
    names = [_dig(part, ("email", "smtp", "password_env")) for part in [data, *entries]]
    for part in [data, *entries]:  # the chat bots' variables
        bots = _dig(part, ("channels", "bots"))
        for bot in bots.values() if isinstance(bots, dict) else []:
            names += [bot.get(k) for k in ("url_env", "secret_env") if isinstance(bot, dict)]
    return tuple(n for n in names if isinstance(n, str))


def _check(data: dict, source: str, environ: Mapping[str, str] | None = None) -> Settings:
    environ = os.environ if environ is None else environ
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    settings = Settings(
        **{
            **data,
            "email": _email_settings(data.get("email")),
            "channels": _channel_settings(data.get("channels")),
            "gsheets": _gsheets_settings(data.get("gsheets"), environ),
            "feishu": _feishu_settings(data.get("feishu")),
            "archive": _archive_settings(data.get("archive")),
        }
    )
    settings.holidays = _as_bool("holidays", settings.holidays)
    settings.weekend_reminders = _as_bool("weekend_reminders", settings.weekend_reminders)
    _locate_paths(settings)
    _check_numbers(settings)
    settings.accept_recipient_changes = _names(
        "accept_recipient_changes", settings.accept_recipient_changes
    )
    if settings.backend not in BACKENDS:
        raise ConfigError(f'backend: "{settings.backend}" is not one of {", ".join(BACKENDS)}')
    if settings.locale not in (*LOCALES, "auto"):
        raise ConfigError(f'locale: "{settings.locale}" is not one of auto, zh, en')
    try:
        settings.zone_for(None)  # an unknown zone fails here, at load time
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f'timezone: "{settings.timezone}" is not a time zone such as Asia/Shanghai'
        ) from None
    bad_tabs = sorted(set(settings.tabs or {}) - set(TABS_BY_KEY))
    if bad_tabs:
        raise ConfigError(
            f"tabs: unknown tab {', '.join(bad_tabs)} (known: {', '.join(TABS_BY_KEY)})"
        )
    settings.tabs = {k: v for k, v in (settings.tabs or {}).items() if v}
    settings.columns = _column_map(settings.columns)
    try:
        dt.datetime.strptime(str(settings.run_at), "%H:%M")
    except ValueError:
        raise ConfigError(f'run_at: "{settings.run_at}" is not a time of day like 08:30') from None
    settings.retry_locked_minutes = _minutes("retry_locked_minutes", settings.retry_locked_minutes)
    if not isinstance(settings.workbooks, list) or not all(
        isinstance(w, dict) for w in settings.workbooks
    ):
        raise ConfigError(
            "workbooks: expected a list of settings, one per workbook (workbook: ..., name: ...)"
        )
    return settings


def _check_numbers(settings: Settings) -> None:
    """The numeric settings, as numbers, each within what the steps reading it need."""
    try:
        settings.task_log_keep_days = int(settings.task_log_keep_days)
    except (TypeError, ValueError):
        raise ConfigError(
            f'task_log_keep_days: "{settings.task_log_keep_days}" is not a number of days'
        ) from None
    for name in ("max_part_mb", "max_ratio"):
        try:
            setattr(settings, name, float(getattr(settings, name)))
        except (TypeError, ValueError):
            raise ConfigError(f'{name}: "{getattr(settings, name)}" is not a number') from None
        if getattr(settings, name) <= 1:
            raise ConfigError(f"{name}: more than 1, or no workbook could be read")
    try:
        settings.max_alerts = int(settings.max_alerts)
    except (TypeError, ValueError):
        raise ConfigError(f'max_alerts: "{settings.max_alerts}" is not a number') from None
    if settings.max_alerts < 1:
        raise ConfigError("max_alerts: at least 1")
    if settings.task_log_keep_days < COMPLETION_LOOKBACK_DAYS:
        raise ConfigError(
            "task_log_keep_days: at least 30, the summary's completion rate looks back 30 days"
        )


def _names(name: str, value: object) -> list[str]:
    """A list of names or codes, or one text of them separated by commas (a variable)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = re.split(r"[,,、]", value)
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise ConfigError(f"{name}: expected a list of names or change codes")
    return [str(v).strip() for v in value if str(v).strip()]


def _locate_paths(settings: Settings) -> None:
    """Rebase the relative paths a settings file wrote on its folder (a Google sheet's key or
    URL is not a path and stays as written)."""
    if not isinstance(settings.workbook, str):
        settings.workbook = str(settings.workbook or "")
    shared = online(settings.backend, settings.workbook)
    settings.workbook = _located(settings.workbook, not shared)
    settings.email.outbox = _located(settings.email.outbox) or _beside(settings.workbook, shared)
    settings.email.smtp.password_file = _located(settings.email.smtp.password_file)
    settings.gsheets.credentials = _located(settings.gsheets.credentials)
    settings.feishu.credentials = _located(settings.feishu.credentials)
    archive = settings.archive.workbook
    settings.archive.workbook = _located(archive, not online("", str(archive)))
    for bot in settings.channels.bots.values():
        bot.url_file, bot.secret_file = _located(bot.url_file), _located(bot.secret_file)


def _beside(workbook: str, shared: bool) -> str:
    """No `email.outbox` named: the .eml files go to `outbox/` beside the workbook file (as
    the demo's do), so a team's mail stays with its sheet and never lands in the folder
    sheetsync is installed or checked out in. An online sheet has no folder: the current
    directory's `outbox/`."""
    return "outbox" if shared else os.path.join(os.path.dirname(workbook), "outbox")


def _located(value: object, is_path: bool = True) -> str:
    if isinstance(value, Written):
        return value.located() if is_path else value
    return str(value or "")


def _column_map(data: object) -> dict[str, str]:
    """`columns:` maps a follow-up column of the contract (its key, or its header in any
    language) to the header a team uses instead: {上次跟进日期: 最近跟进日期}."""
    if not data:
        return {}
    if not isinstance(data, dict):
        raise ConfigError("columns: expected contract header: your header pairs")
    keys = {normalise_header(s): c.key for c in FOLLOWUPS.columns for s in (c.key, *c.spellings())}
    mapped = {}
    for contract, theirs in data.items():
        key = keys.get(normalise_header(contract))
        if key is None:
            raise ConfigError(f'columns: "{contract}" is not a column of the follow-up tab')
        if theirs:
            mapped[key] = str(theirs)
    return mapped


def _minutes(name: str, value: object) -> int:
    try:
        minutes = int(str(value))
    except ValueError:
        minutes = -1
    if minutes < 0:
        raise ConfigError(f'{name}: "{value}" is not a number of minutes (0 for none)')
    return minutes


def _merged(
    path: str | Path | None,
    environ: Mapping[str, str] | None,
    overrides: dict,
    warn: bool = True,
) -> tuple[dict, str]:
    environ = os.environ if environ is None else environ
    path = Path(path or environ.get(ENV_PREFIX + "CONFIG") or DEFAULT_CONFIG)
    data = _read_file(path)
    if warn:
        for name, closest in unknown_variables(environ, _password_envs(data)).items():
            log.warning(unknown_message(name, closest))
    env = _from_env(environ)
    email_env = _email_from_env(environ)
    if email_env:
        data["email"] = _deep_merge(data.get("email") or {}, email_env)
    channels_env = _channels_from_env(environ)
    if channels_env:
        data["channels"] = _deep_merge(data.get("channels") or {}, channels_env)
    tabs = {**(data.get("tabs") or {}), **env.pop("tabs", {})}
    options = {k: v for k, v in overrides.items() if v is not None}
    if isinstance(options.get("workbook"), str):
        options["workbook"] = Written(options["workbook"], f"--workbook {options['workbook']}")
    merged = {**data, **env, **options}
    if tabs:
        merged["tabs"] = tabs
    return merged, str(path)


def _deep_merge(base: dict, extra: dict) -> dict:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _deep_merge(out.get(key) or {}, value) if isinstance(value, dict) else value
    return out


def load_settings(
    path: str | Path | None = None, environ: dict | None = None, **overrides: object
) -> Settings:
    """File, then environment, then explicit overrides (command-line options) win."""
    return _check(*_merged(path, environ, overrides), environ)


def load_all(
    path: str | Path | None = None, environ: dict | None = None, warn: bool = True
) -> list[Settings]:
    """One Settings per workbook: each `workbooks:` entry on top of the shared settings
    (so each team can have its own workbook, backend, tabs and mail), or just the one.
    `warn=False` when the caller reports unknown variables itself, or already has."""
    data, source = _merged(path, environ, {}, warn)
    entries = data.pop("workbooks", None) or []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ConfigError(f"{source}: workbooks: expected a list of settings, one per workbook")
    if not entries:
        return [_check(data, source)]
    return [
        _check(_deep_merge(data, entry), f"{source} workbooks[{i}]")
        for i, entry in enumerate(entries)
    ]
