"""What a run tells people: its one-line report (CLI, log), its sync-log row, and for a dry
run the list of what it would write and send. In the workbook's language."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from sheetsync.loading import Loaded
from sheetsync.result import Result
from sheetsync.workbook.changes import Changeset, LogNote, describe
from sheetsync.workbook.messages import say
from sheetsync.workbook.schema import (
    SYNC_LOG,
)


class Phases(dict):
    """Seconds each step of a run took (read, compute, plan, mail, write), and the process's
    peak memory when it ended (`peak_mb`): the benchmark reports both, so a slow or large run
    says where its time and memory went.

    A run calls the hooks below and nothing else about memory; here they do nothing, so a
    library call changes nothing process-wide (the collector, the allocator). The command
    line's processes pass ops/memory_care.py's `CaredPhases`, which gives back what each
    step freed and keeps the read's grids out of the collector's passes."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.peak_mb: dict[str, float] = {}
        self._highest = 0.0  # the run's peak, across steps that reset it (CaredPhases)

    @contextlib.contextmanager
    def timing(self, name: str) -> Iterator[None]:
        """Times the step `name` (its times add up when it comes back), and notes its peak."""
        self.starting()
        start = time.perf_counter()
        try:
            yield
        finally:
            self.ending()
            self[name] = self.get(name, 0.0) + time.perf_counter() - start
            self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), peak_mb())

    def highest_mb(self) -> float:
        """The run's peak memory so far, whatever the steps reset."""
        return max(self._highest, peak_mb())

    def run(self) -> contextlib.AbstractContextManager[None]:
        """Around the whole run."""
        return contextlib.nullcontext()

    def lasting(self) -> contextlib.AbstractContextManager[None]:
        """Around making what lives until the run ends (the read's grids)."""
        return contextlib.nullcontext()

    def starting(self) -> None:
        """As a step starts."""

    def ending(self) -> None:
        """As a step ends, before its time and peak are taken."""


def peak_mb() -> float:
    """The process's peak resident memory so far, in MB (0 where the system does not say).
    Linux's VmHWM first: ru_maxrss of a process started by a larger one counts the larger
    one's memory from before the start."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass
class SyncReport:
    location: str
    today: dt.date
    rows: int = 0
    invalid: int = 0
    warned: int = 0
    due_today: int = 0
    overdue: int = 0
    cells: int = 0
    dry_run: bool = False
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mail_previews: list[str] = field(default_factory=list)
    locale: str = "zh"
    phases: Phases = field(default_factory=Phases)

    def lines(self) -> list[str]:
        """The run in one line, then its notes: in the workbook's language."""
        verb = say("would_write" if self.dry_run else "wrote", self.locale)
        counts = {
            k: getattr(self, k)
            for k in ("rows", "invalid", "warned", "due_today", "overdue", "cells")
        }
        return [
            say(
                "report",
                self.locale,
                location=self.location,
                today=f"{self.today:%Y-%m-%d}",
                verb=verb,
                **counts,
            ),
            *(say("note", self.locale, text=n) for n in self.notes),
        ]


def report_for(location: str, today: dt.date, result: Result, locale: str = "zh") -> SyncReport:
    status_keys = result.board["status"]
    problems = result.validation.problems
    return SyncReport(
        location,
        today,
        rows=len(result.board),
        invalid=int(result.validation.invalid.sum()),
        warned=int(problems.loc[problems["severity"] == "warning", "row"].nunique()),
        due_today=int((status_keys == "due_today").sum()),
        overdue=int((status_keys == "overdue").sum()),
        notes=list(result.notes),
        locale=locale,
    )


def log_run(changes: Changeset, loaded: Loaded, report: SyncReport, run_at: dt.datetime) -> None:
    """One sync-log row, with every note (mail redirects and failures included)."""
    notes = "; ".join(report.notes)
    row: list[object] = [
        run_at.strftime("%Y-%m-%d %H:%M:%S"),
        report.today,
        report.rows,
        report.invalid,
        report.due_today,
        report.overdue,
        report.cells,
        say("sync_done", loaded.locale),
        notes,
    ]
    title = loaded.titles["sync_log"]
    column: int | None = len(row)  # the notes: last, in the schema's order
    if loaded.sync_log is not None and loaded.sync_log.header_row:
        changes.add_rows(loaded.sync_log, [row])  # under its headers, wherever they are
        column = loaded.sync_log.columns.get("message")
    else:
        header = [] if title in loaded.existing else [SYNC_LOG.headers(loaded.locale)]
        changes.append[title] = [*header, row]
    if column:  # where what the write finds is added (a column people deleted: not)
        where = len(changes.append[title]) - 1
        changes.log_note = LogNote(title, where, column, notes, loaded.locale)


def dry_run_lines(changes: Changeset, mails: list, locale: str) -> list[str]:
    """Every cell that would change, every tab rewritten or appended to, every mail."""
    lines = [describe(c) for c in changes.cells]
    lines += [say("rewritten", locale, tab=t, rows=len(r)) for t, r in changes.replace.items()]
    lines += [say("appended", locale, tab=t, rows=len(r)) for t, r in changes.append.items()]
    lines += [
        say(
            "mail_preview",
            locale,
            recipient=m.recipient,
            to=m.to,
            kind=m.kind,
            tasks=len(m.context["tasks"]),
        )
        for m in mails
    ]
    return lines
