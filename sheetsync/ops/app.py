"""The library calls behind each command: open the backend, run one step, return a report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sheetsync.backends import (
    feishu_backend,
    google_backend,
    looks_like_feishu,
    open_backend,
    shared_sheet,
    sheet_key,
)
from sheetsync.config import Settings
from sheetsync.delivery.channels import Chats
from sheetsync.delivery.mailer import Mailer
from sheetsync.errors import BackendError, SheetSyncError
from sheetsync.ops.demo import demo_content
from sheetsync.ops.memory_care import CaredPhases
from sheetsync.pipeline import check, sync
from sheetsync.report import SyncReport
from sheetsync.run_mode import RunMode
from sheetsync.workbook.parsing import date_or_none
from sheetsync.workbook.schema import MEMORY, SYNC_LOG, TEAM
from sheetsync.workbook.tables import find_title, load_sheet
from sheetsync.workbook.template import new_workbook
from sheetsync.workbook.validate import Validation

if TYPE_CHECKING:  # the Feishu client is imported only by a run that has the Feishu app
    from sheetsync.feishu_api import FeishuClient


def now_in(settings: Settings) -> dt.datetime:
    """The wall-clock time in the configured zone: "today" is the team's today, not UTC's."""
    return dt.datetime.now(settings.zone).replace(tzinfo=None)


def init_workbook(
    path: str | Path, locale: str = "zh", demo_for: dt.date | None = None, force: bool = False
) -> Path:
    """A new workbook with every tab; with `demo_for`, the demo team and customers.
    Only an .xlsx name: Excel and WPS refuse an .xlsx body under another extension."""
    if Path(path).suffix.casefold() != ".xlsx":
        suggestion = Path(path).with_suffix(".xlsx") if Path(path).name else "team.xlsx"
        raise BackendError(
            f"cannot create {path}: a workbook must end in .xlsx (e.g. {suggestion})"
        )
    from sheetsync.backends.xlsx import XlsxBackend  # the backends: imported when chosen

    content = new_workbook(locale, *demo_content(demo_for)) if demo_for else new_workbook(locale)
    XlsxBackend(path).create(content, force=force)
    Path(path).with_name(f".{Path(path).name}.sent.jsonl").unlink(
        missing_ok=True
    )  # a new file's mail
    return Path(path)


def journal_path(settings: Settings) -> Path:
    """The mail journal lives beside the workbook it belongs to (for a Google sheet: in the
    directory the command runs in, named after its key)."""
    if shared_sheet(settings):
        return Path(f".sheetsync-{sheet_key(settings)}.sent.jsonl")
    book = Path(settings.workbook)
    return book.with_name(f".{book.name}.sent.jsonl")


def init_spreadsheet(
    settings: Settings, key: str, locale: str = "zh", demo_for: dt.date | None = None
) -> int:
    """Set up an existing (empty or partly filled) Google or Feishu spreadsheet; existing
    data stays."""
    feishu = settings.backend == "feishu" or looks_like_feishu(key)
    backend = feishu_backend(settings, key) if feishu else google_backend(settings, key)
    content = new_workbook(locale, *demo_content(demo_for)) if demo_for else new_workbook(locale)
    return backend.set_up(content)


def run_sync(
    settings: Settings,
    today: dt.date | None = None,
    dry_run: bool = False,
    email: bool = True,
    transport=None,
    sheet: bool = True,
    force: bool = False,
    events_only: bool = False,
) -> SyncReport:
    """One sync; with `email` (and email enabled in the settings) reminders go out after it.
    `sheet=False` sends and records reminders only (the `remind` command). `force` writes a
    workbook someone has open in Excel, WPS or LibreOffice. `events_only`: complaint alerts
    and the sheet, no digests (`serve`'s hourly check)."""
    mailer = None
    if email and (settings.email.enabled or not sheet):
        mailer = Mailer(
            settings.email,
            journal_path(settings),
            transport,
            settings.zone,
            settings.tabs.get("mail_log"),
        )
    channels = settings.channels
    with_chats = email and channels.enabled and (channels.bots or channels.feishu_app)
    with open_backend(settings, for_write=not dry_run) as backend:
        chats = None
        if with_chats:
            chats = Chats(
                channels,
                settings.email,
                journal_path(settings),
                settings.zone,
                settings.tabs.get("mail_log"),
                stamps=mailer is None,  # next to mail, the task log's stamps are the mail's
                feishu=settings.feishu,
                feishu_client=_feishu_client(backend) if channels.feishu_app else None,
            )
        mode = RunMode(dry_run=dry_run, sheet=sheet, force=force, events_only=events_only)
        report = sync(backend, settings, today, None, mode, mailer, chats, CaredPhases())
        resumed = getattr(backend, "resumed", None)  # a Google write a stopped run left
        note = resumed(report.locale) if resumed else None
        report.notes += [note] if note else []
        return report


def _feishu_client(backend: object) -> FeishuClient | None:
    """A Feishu sheet's client, for the Feishu app's messages too: one app, one count of calls
    against the plan's quota."""
    from sheetsync.feishu_api import FeishuClient

    client = getattr(backend, "client", None)
    return client if isinstance(client, FeishuClient) else None


@dataclass
class TeamProtection:
    """`--protect-team` on a Google sheet: the tabs (团队, and 同步快照 where the sync keeps who
    receives what), the managers' addresses that may edit them, the managers left out (no
    valid email), and who could edit them before (None: anyone with edit rights)."""

    tabs: list[str]
    editors: list[str]
    missing: list[str]
    before: list[str] | None
    done: bool = False


def protect_team(settings: Settings, key: str | None = None, apply: bool = True) -> TeamProtection:
    """Protect the team tab so only its managers (everyone named as 上级 or whose 角色 is a
    manager's) can edit it: anyone else could send a colleague's reminders to themselves.
    Without `apply`, only what it would do. Nothing is done when no manager has an email:
    the tab would be locked to the sync alone."""
    from sheetsync.delivery.remind import read_team, valid_email
    from sheetsync.rules.handover import all_managers

    backend = google_backend(settings, key or settings.workbook)
    grids = backend.read()
    title = find_title(list(grids), TEAM, settings.tabs.get(TEAM.key))
    if title is None:  # adopt's plan adds it: nobody to let edit it yet
        return TeamProtection([], [], [], None)
    team = load_sheet(grids[title], TEAM, title)
    members, managers = read_team(team), all_managers(team)
    address = {m: members[m].email if m in members else "" for m in managers}
    editors = [a for a in address.values() if valid_email(a)]
    missing = [m for m, a in address.items() if not valid_email(a)]
    memory = find_title(list(grids), MEMORY, settings.tabs.get(MEMORY.key))
    tabs = [title, *([memory] if memory else [])]
    found = TeamProtection(tabs, editors, missing, backend.editors(title))
    if apply and editors:
        backend.protect(tabs, editors)
        found.done = True
    return found


def run_adopt(settings: Settings, apply: bool = False, today: dt.date | None = None):
    """Plan taking over a sheet a team already uses; with `apply`, the first sync (no mail),
    computed on the sheet as adopted and written with the renamed headers and the missing
    tabs in one write (see ops/adopt.py). Returns the plan and the first sync's report (None
    without `apply`)."""
    from sheetsync.ops.adopt import Adoption, plan_adoption

    today = today or now_in(settings).date()
    with open_backend(settings, for_write=apply) as backend:
        if not apply:
            return plan_adoption(backend.read(), settings, today), None
        adoption = Adoption(today)
        mode = RunMode(adoption=adoption)
        report = sync(backend, settings, today, mode=mode, phases=CaredPhases())
        return adoption.plan, report


def run_validate(settings: Settings) -> Validation:
    with open_backend(settings) as backend:
        return check(backend, settings)


log = logging.getLogger("sheetsync")


@dataclass
class Outcome:
    """One workbook's run: its report, or why it failed."""

    settings: Settings
    report: SyncReport | None = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.report is not None


def run_logged(
    settings: Settings, today: dt.date | None = None, email: bool = True, events_only: bool = False
) -> Outcome:
    """One run that never raises: it ends with one summary line in the log, ok or not."""
    try:
        report = run_sync(settings, today, email=email, events_only=events_only)
    except SheetSyncError as exc:
        log.error(
            "sync failed for %s: %s",
            settings.label,
            exc,
            extra={"workbook": settings.label, "ok": False},
        )
        return Outcome(settings, error=str(exc))
    except Exception as exc:  # a bug must not stop the other workbooks or tomorrow's run
        log.exception(
            "sync crashed for %s", settings.label, extra={"workbook": settings.label, "ok": False}
        )
        return Outcome(settings, error=f"unexpected {type(exc).__name__}: {exc}")
    log_summary(settings, report)
    return Outcome(settings, report)


def log_summary(settings: Settings, report: SyncReport) -> None:
    """The one line every successful run ends with (structured fields for JSON logs)."""
    fields = {k: getattr(report, k) for k in ("rows", "invalid", "due_today", "overdue", "cells")}
    english = dataclasses.replace(report, locale="en").lines()[0]  # logs are for operators' tools
    log.info(
        "sync ok for %s: %s",
        settings.label,
        english.split(": ", 1)[1],
        extra={"workbook": settings.label, "ok": True, **fields, "notes": report.notes},
    )


def run_each(
    all_settings: list[Settings], today: dt.date | None = None, email: bool = True
) -> list[Outcome]:
    """Every workbook on its own: one that fails does not stop the rest."""
    return [run_logged(s, today, email) for s in all_settings]


def last_run_date(settings: Settings) -> dt.date | None:
    """The latest date in the workbook's sync log: has today's run happened?"""
    with open_backend(settings) as backend:
        grids = backend.read()
    title = find_title(list(grids), SYNC_LOG, settings.tabs.get(SYNC_LOG.key))
    if title is None:
        return None
    dates = [date_or_none(v) for v in load_sheet(grids[title], SYNC_LOG, title).frame["run_date"]]
    return max((d for d in dates if d), default=None)
