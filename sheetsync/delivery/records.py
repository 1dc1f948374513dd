"""What was sent, kept twice: the journal beside the workbook (appended and fsync'd the moment a
server accepts a mail: the crash record) and the 邮件记录 tab in the workbook itself (so a copy
of the workbook mails nothing twice)."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from sheetsync.delivery.remind import (
    RECORD_DAYS,
    Mail,
    one_line,
)
from sheetsync.errors import WorkbookError
from sheetsync.workbook.parsing import cell_text
from sheetsync.workbook.schema import MAIL_LOG
from sheetsync.workbook.tables import find_title, load_sheet

PAIR = 2  # a [task, day] entry of the journal

JOURNAL_DAYS = RECORD_DAYS  # what once-only planning relies on (remind.py)


class Journal:
    """Mail the servers accepted, one JSON line each, kept for two weeks. A run killed while
    appending leaves a cut-off last line: it is skipped (and dropped by `repair`), so one
    crash never stops every later run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._read: tuple[tuple | None, list[dict], int] | None = (
            None  # (file's stat, entries, torn)
        )
        self._pool: dict = {}  # one (task, due day) pair object for all the days that name it

    def read(self) -> tuple[list[dict], int]:
        """The entries, and how many lines could not be read. A run reads the journal several
        times (stamping the log, what is done, repair, prune, the record tab): it is parsed
        again only when the file changed (a big team's journal is megabytes of JSON)."""
        seen = self._seen()
        if seen is None:
            return [], 0
        if self._read is None or self._read[0] != seen:
            self._read = (seen, *self._parse())
        return list(self._read[1]), self._read[2]

    def _seen(self) -> tuple | None:
        """The file as it is now (inode, size, modified), None when there is none."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def _known(self, before: tuple | None, entries: list[dict]) -> None:
        """What this journal just wrote: `entries` are the file's now, if it was as last read
        (`before`) with nothing torn, so it is not parsed again."""
        if self._read is not None and self._read[0] == before and not self._read[2]:
            self._read = (self._seen(), entries, 0)

    def _parse(self) -> tuple[list[dict], int]:
        entries, torn, self._pool = [], 0, {}
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            entry = _entry(line, self._pool) if line.strip() else {}
            if entry:
                entries.append(entry)
            elif line.strip():
                torn += 1
        return entries, torn

    def entries(self) -> list[dict]:
        return self.read()[0]

    def record(self, mail: Mail, at: dt.datetime, **extra: object) -> None:
        """`extra`: fields only some entries have (a chat message's `chat_escalates`, the
        tasks it escalated on its bot; `state` "uncertain" for one that may not have landed)."""
        entry = {
            "key": mail.key,
            "at": at.strftime("%Y-%m-%d %H:%M:%S"),
            "recipient": one_line(mail.recipient),
            "to": mail.to,
            "reminds": _dated(mail.reminds),
            "escalates": _dated(mail.escalates),
            **extra,
        }
        line, before = json.dumps(entry, ensure_ascii=False), self._seen()
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
        if self._read is not None:  # the entry as a reader gets it back
            self._known(before, [*self._read[1], _entry(line, self._pool)])

    def repair(self) -> int:
        """Drop unreadable lines before appending (a new line must not be glued to a cut-off
        one); returns how many there were."""
        entries, torn = self.read()
        if torn:
            self._rewrite(entries)
        return torn

    def prune(self, today: dt.date) -> None:
        cutoff = (today - dt.timedelta(days=JOURNAL_DAYS)).isoformat()
        entries = self.entries()
        kept = [e for e in entries if e["at"] >= cutoff]
        if len(kept) != len(entries):
            self._rewrite(kept)

    def _rewrite(self, entries: list[dict]) -> None:
        """All or nothing: a crash while rewriting leaves the old journal, never half of it."""
        temp = self.path.with_name(self.path.name + ".tmp")
        with open(temp, "w", encoding="utf-8") as out:
            out.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)
        self._read = (self._seen(), list(entries), 0)  # as written: no need to parse it back


def _dated(tasks: list) -> list[list]:
    """(task, due) pairs as [task, "YYYY-MM-DD"]: the due day as the digest planned it, or
    a date made text once per day (a digest reminds of thousands of tasks, few days)."""
    days = {d: d if isinstance(d, str) else d.date().isoformat() for d in {d for _, d in tasks}}
    return [[task, days[day]] for task, day in tasks]


def _entry(line: str, pool: dict) -> dict:
    """One journal line, or {} when it is not a whole entry. Its (task, due day) pairs are
    taken from `pool`: each day's digest names most of yesterday's tasks again, and at 100 k
    customers two weeks of them parsed afresh were ~25 MB of lists and strings."""
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return {}
    whole = isinstance(entry, dict) and {"key", "at", "reminds", "escalates"} <= set(entry)
    if not whole:
        return {}
    keep = pool.setdefault
    for field in ("reminds", "escalates"):
        if isinstance(entry[field], list):
            entry[field] = [keep(p, p) if type(p) is tuple else p for p in map(_pair, entry[field])]
    return entry


def _pair(value: object) -> object:
    """A [task, day] pair as a tuple (which can be pooled); anything else as it is."""
    if isinstance(value, list) and len(value) == PAIR and all(type(v) is str for v in value):
        return tuple(value)
    return value


class SentRecord:
    """What was mailed, kept in the workbook itself (the 邮件记录 tab, two weeks of it): a
    copy of the workbook has no journal beside it, and must not mail the day again. The
    journal stays the crash record; this is written with the rest of the sheet."""

    def __init__(self, grids: dict[str, list[list]], configured: str | None = None) -> None:
        self.title = find_title(list(grids), MAIL_LOG, configured)
        self.configured = configured
        self.entries = _read_record(grids[self.title], self.title) if self.title else []

    def rows(self, journal: list[dict], locale: str, today: dt.date) -> dict[str, list[list]]:
        """The tab to write: what it held plus what the journal knows, the last two weeks."""
        by_key = {e["key"]: e for e in self.entries}
        more = [row for e in journal for row in (e, *task_rows(e))]
        by_key.update({e["key"]: e for e in more if e["key"] not in by_key})
        cutoff = (today - dt.timedelta(days=JOURNAL_DAYS)).isoformat()
        kept = sorted(
            (e for e in by_key.values() if e["at"] >= cutoff), key=lambda e: (e["at"], e["key"])
        )
        rows = [[e["at"], e["key"], e.get("recipient", ""), e.get("to", "")] for e in kept]
        title = self.title or self.configured or MAIL_LOG.title(locale)
        return {title: [MAIL_LOG.headers(locale), *rows]}


TASK_ROWS = (("chat_escalates", "escalated"), ("chat_owes", "owed"))


def task_key(kind: str, task: str, due: str, bot: str) -> str:
    """The 邮件记录 key of one task of a bot's escalation: `escalated/Z1/2026-11-11@陈静私聊`
    (the bot carried it), `owed/...` (it was to, and failed: a later day sends it)."""
    return f"{kind}/{task}/{due}@{bot}"


def task_rows(entry: dict) -> list[dict]:
    """A chat escalation's tasks, one 邮件记录 row each: the journal keeps them in the entry
    (`chat_escalates`, `chat_owes`), but a fresh runner (CI) has no journal, and the
    workbook alone must say what each bot carried and still owes, or it escalates the same
    task again every day."""
    bot = entry["key"].removesuffix("#owed").rpartition("@")[2]
    return [
        {**entry, "key": task_key(kind, p[0], p[1], bot)}
        for field, kind in TASK_ROWS
        for p in entry.get(field) or []
        if isinstance(p, list | tuple) and len(p) == PAIR
    ]


def _read_record(grid: list[list], title: str) -> list[dict]:
    """The tab's entries; a tab mangled by hand counts as empty (the journal still knows)."""
    try:
        frame = load_sheet(grid, MAIL_LOG, title).frame
    except WorkbookError:
        return []
    return [
        {
            "at": _stamp(r.sent_at),
            "key": cell_text(r.key),
            "recipient": cell_text(r.recipient),
            "to": cell_text(r.to),
        }
        for r in frame.itertuples()
        if cell_text(r.key)
    ]


def _stamp(value: object) -> str:
    """Sent-at as the journal writes it, also when a spreadsheet turned it into a date."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return cell_text(value)
