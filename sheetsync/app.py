"""The library calls behind each command: open the backend, run one step, return a report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sheetsync.backends import open_backend
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import Settings
from sheetsync.demo import TEAM, demo_customers
from sheetsync.mailer import Mailer
from sheetsync.pipeline import SyncReport, check, sync
from sheetsync.template import new_workbook
from sheetsync.validate import Validation


def now_in(settings: Settings) -> dt.datetime:
    """The wall-clock time in the configured zone: "today" is the team's today, not UTC's."""
    return dt.datetime.now(settings.zone).replace(tzinfo=None)


def init_workbook(path: str | Path, locale: str = "zh", demo_for: dt.date | None = None,
                  force: bool = False) -> Path:  # fmt: skip
    """A new workbook with every tab; with `demo_for`, the demo team and customers."""
    content = new_workbook(locale, TEAM if demo_for else None,
                           demo_customers(demo_for) if demo_for else None)  # fmt: skip
    XlsxBackend(path).create(content, force=force)
    return Path(path)


def journal_path(settings: Settings) -> Path:
    """The mail journal lives beside the workbook it belongs to."""
    book = Path(settings.workbook)
    return book.with_name(f".{book.name}.sent.jsonl")


def run_sync(settings: Settings, today: dt.date | None = None, dry_run: bool = False,
             email: bool = True, transport=None, sheet: bool = True) -> SyncReport:  # fmt: skip
    """One sync; with `email` (and email enabled in the settings) reminders go out after it.
    `sheet=False` sends and records reminders only (the `remind` command)."""
    run_at = now_in(settings)
    mailer = None
    if email and (settings.email.enabled or not sheet):
        mailer = Mailer(settings.email, journal_path(settings), transport, settings.zone)
    with open_backend(settings, for_write=not dry_run) as backend:
        return sync(backend, settings, today or run_at.date(), run_at, dry_run, mailer, sheet)


def run_validate(settings: Settings) -> Validation:
    with open_backend(settings) as backend:
        return check(backend, settings)
