"""Settings: a YAML file (config/sheetsync.yaml has every key, commented), then environment
variables on top, so a deployment can change the workbook or time zone without a file.

Environment: SHEETSYNC_BACKEND, SHEETSYNC_WORKBOOK, SHEETSYNC_TIMEZONE, SHEETSYNC_HOLIDAYS,
SHEETSYNC_LOCALE, SHEETSYNC_TASK_LOG_KEEP_DAYS, SHEETSYNC_TAB_<TAB> (e.g. SHEETSYNC_TAB_FOLLOWUPS), SHEETSYNC_CONFIG (the file).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from sheetsync.errors import ConfigError
from sheetsync.schema import LOCALES, TABS_BY_KEY

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "config" / "sheetsync.yaml"
BACKENDS = ("xlsx",)
ENV_PREFIX = "SHEETSYNC_"
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


@dataclass
class Settings:
    backend: str = "xlsx"
    workbook: str = "demo/sheetsync-demo.xlsx"
    timezone: str = "Asia/Shanghai"
    holidays: bool = True
    locale: str = "auto"
    task_log_keep_days: int = 90
    tabs: dict[str, str | None] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().casefold()
    if word in TRUE_WORDS | FALSE_WORDS:
        return word in TRUE_WORDS
    raise ConfigError(f'{name}: "{value}" is not true/false')


def _read_file(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path}: expected key: value settings at the top level")
    return data


def _from_env(environ: dict) -> dict:
    data: dict = {}
    for f in fields(Settings):
        if f.name != "tabs" and ENV_PREFIX + f.name.upper() in environ:
            data[f.name] = environ[ENV_PREFIX + f.name.upper()]
    tabs = {k: environ[f"{ENV_PREFIX}TAB_{k.upper()}"] for k in TABS_BY_KEY
            if f"{ENV_PREFIX}TAB_{k.upper()}" in environ}  # fmt: skip
    return {**data, "tabs": tabs} if tabs else data


def _check(data: dict, source: str) -> Settings:
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    settings = Settings(**data)
    settings.holidays = _as_bool("holidays", settings.holidays)
    settings.workbook = str(settings.workbook or "")
    try:
        settings.task_log_keep_days = int(settings.task_log_keep_days)
    except (TypeError, ValueError):
        raise ConfigError(
            f'task_log_keep_days: "{settings.task_log_keep_days}" is not a number of days'
        ) from None
    if settings.task_log_keep_days < 30:
        raise ConfigError(
            "task_log_keep_days: at least 30, the summary's completion rate looks back 30 days"
        )
    if settings.backend not in BACKENDS:
        raise ConfigError(f'backend: "{settings.backend}" is not one of {", ".join(BACKENDS)}')
    if settings.locale not in (*LOCALES, "auto"):
        raise ConfigError(f'locale: "{settings.locale}" is not one of auto, zh, en')
    try:
        ZoneInfo(settings.timezone)
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
    return settings


def load_settings(path: str | Path | None = None, environ: dict | None = None,
                  **overrides: object) -> Settings:  # fmt: skip
    """File, then environment, then explicit overrides (command-line options) win."""
    environ = os.environ if environ is None else environ
    path = Path(path or environ.get(ENV_PREFIX + "CONFIG") or DEFAULT_CONFIG)
    data = _read_file(path)
    env = _from_env(environ)
    tabs = {**(data.get("tabs") or {}), **env.pop("tabs", {})}
    merged = {**data, **env, **{k: v for k, v in overrides.items() if v is not None}}
    if tabs:
        merged["tabs"] = tabs
    return _check(merged, str(path))
