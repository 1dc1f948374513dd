"""Finding the tabs and their columns in what a backend read, and checking that the
columns the rules read are there: the first step of every run, and all of `validate`."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import TypeGuard

import pandas as pd

from sheetsync.config import Settings
from sheetsync.errors import WorkbookError
from sheetsync.rules.archive import Digest, read_digest, with_digest
from sheetsync.rules.classes import read_class_log
from sheetsync.rules.grading import GradeRule, read_rules
from sheetsync.rules.history import missing_keys, read_history
from sheetsync.rules.stages import read_stage_log
from sheetsync.rules.tasks import read_log
from sheetsync.rules.value import value_blocks
from sheetsync.workbook.edits import read_memory
from sheetsync.workbook.messages import in_script, lang, listed, say
from sheetsync.workbook.parsing import is_blank
from sheetsync.workbook.schema import (
    ARCHIVE_DIGEST,
    CLASS_LOG,
    FOLLOWUPS,
    FORECAST_LOG,
    GRADING,
    HISTORY,
    MEMORY,
    PEOPLE_COLUMNS,
    STAGE_LOG,
    SUMMARY,
    SYNC_LOG,
    TASK_LOG,
    TEAM,
    VALUE_BLOCKS,
    VALUE_RULES,
    Tab,
)
from sheetsync.workbook.tables import (
    Sheet,
    cells_named,
    closest,
    find_title,
    guess_locale,
    load_blocks,
    load_sheet,
    missing_columns,
    outside,
    unmapped,
)
from sheetsync.workbook.template import default_rows
from sheetsync.workbook.validate import Validation, validate

PEOPLE_KEYS = tuple(c.key for c in PEOPLE_COLUMNS)


def appended_to(log: Sheet | None) -> TypeGuard[Sheet]:
    """Whether the write appends this log's new rows under the header it found (else it
    writes the tab whole: made now, or no header found)."""
    return log is not None and bool(log.header_row)


@dataclass
class Loaded:
    """The tabs the sync reads, located by title and header."""

    followups: Sheet
    grading: Sheet
    team: Sheet | None
    task_log: Sheet | None
    titles: dict[str, str]  # tab key -> title to write to
    existing: set[str]  # titles present in the workbook
    locale: str
    stage_log: Sheet | None = None
    value_rules: list[list] | None = None  # the 价值分级 tab's grid, if there is one
    # 价值分级's shipped blocks: what a block missing from the tab falls back on
    value_defaults: dict[str, Sheet] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what people should know about the tabs
    memory: Sheet | None = None  # the hidden 同步快照: what the sync last wrote
    history: Sheet | None = None  # 跟进历史: the contacts and handovers seen so far
    history_unread: str = ""  # why 跟进历史 is not read with confidence this run ("" if it is)
    forecast_log: Sheet | None = None  # 预测记录: last months' forecasts
    sync_log: Sheet | None = None  # 同步日志: each run's counts, for the summary's trends
    outside: list[str] = field(default_factory=list)  # a line a tab with cells under no header
    class_log: Sheet | None = None  # 分类记录: each customer's class over time (classes.py)
    digest: Digest | None = None  # 历史汇总: what the rules need of archived rows (archive.py)

    @cached_property
    def value_blocks(self) -> dict[str, Sheet]:
        """价值分级's blocks as its tab has them ({} without a tab or in an empty one), found
        once: the value rules, the blocks it lacks, its retired rows and the owner fit all
        read them."""
        return value_blocks(self.value_rules, self.titles["value_rules"])

    def framed(self) -> list[Sheet]:
        """The tabs read into frames: past `load`, nothing reads their grids."""
        sheets = [self.followups, self.grading, self.team, self.task_log, self.stage_log]
        sheets += [self.memory, self.history, self.forecast_log, self.sync_log, self.class_log]
        return [s for s in sheets if s is not None]

    def never_replaced(self) -> set[str]:
        """The tabs the sync never writes whole (it sets cells in them, or appends rows under
        their headers): the write needs none of their rows as read (see `pipeline.plan`)."""
        logs = (self.stage_log, self.history, self.forecast_log, self.class_log)
        edited = [
            s for s in (self.followups, self.grading, self.team, self.sync_log) if s is not None
        ]
        return {s.title for s in edited} | {s.title for s in logs if appended_to(s)}

    def take_logs(self) -> Logs:
        """The logs as the rules read them (`read_logs`), their rows as read let go: past
        this, the run needs only where those tabs' columns are (to append under them). At
        100 k customers the rows are ~3.6 M cells, ~30 MB held through compute, mail and plan
        for nothing. Their frames become None, not empty: reading the rows again fails
        loudly rather than finding the logs empty."""
        logs = read_logs(self)
        for sheet in (self.task_log, self.stage_log, self.history, self.memory, self.class_log):
            if sheet is not None:  # None, not empty: a second read fails loudly
                sheet.frame = None  # type: ignore[assignment]
        return logs


@dataclass(frozen=True)
class Logs:
    """The tabs the sync keeps for itself, as the rules read them: typed values, unreadable
    rows dropped (see `Loaded.take_logs`)."""

    tasks: pd.DataFrame  # 任务记录
    stages: pd.DataFrame  # 阶段记录
    history: pd.DataFrame  # 跟进历史
    memory: pd.DataFrame  # 同步快照: what the sync last wrote, by customer id
    classes: pd.DataFrame | None = None  # 分类记录 (rules/classes.py)
    digest: Digest | None = None  # 历史汇总: its rows are already in `history` and `stages`


def read_logs(loaded: Loaded) -> Logs:
    """The logs as the rules read them; 跟进历史 and 阶段记录 with the archived rows 历史汇总
    keeps (rules/archive.py) before the workbook's own."""
    history = read_history(None if loaded.history_unread else loaded.history)
    digest = None if loaded.history_unread else loaded.digest
    history, stages = with_digest(history, read_stage_log(loaded.stage_log), digest)
    return Logs(
        read_log(loaded.task_log),
        stages,
        history,
        read_memory(loaded.memory),
        read_class_log(loaded.class_log),
        loaded.digest,
    )


def load(grids: dict[str, list[list]], settings: Settings) -> Loaded:
    """Find the tabs and their columns; a missing follow-up or grading tab stops the run."""
    titles = list(grids)
    locale = settings.locale if settings.locale != "auto" else guess_locale(titles)

    def sheet(tab: Tab, required: bool = False) -> Sheet | None:
        title = find_title(titles, tab, settings.tabs.get(tab.key))
        if title is None and required:
            wanted = settings.tabs.get(tab.key) or f"{in_script(tab.zh, locale)} / {tab.en}"
            raise WorkbookError(say("no_tab", locale, wanted=wanted, titles=", ".join(titles)))
        if title is None:
            return None
        if tab is FOLLOWUPS:
            renames = {theirs: key for key, theirs in settings.columns.items()}
            return load_sheet(grids[title], tab, title, content=PEOPLE_KEYS, renames=renames)
        return load_sheet(grids[title], tab, title)

    def needed(tab: Tab) -> Sheet:
        found = sheet(tab, required=True)
        assert found is not None  # a missing one raised
        return found

    followups = needed(FOLLOWUPS)
    locale = settings.locale if settings.locale != "auto" else followups.locale
    loaded = Loaded(
        followups,
        needed(GRADING),
        sheet(TEAM, False),
        sheet(TASK_LOG, False),
        {},
        set(titles),
        locale,
    )
    loaded.stage_log = sheet(STAGE_LOG, False)
    loaded.memory = sheet(MEMORY, False)
    loaded.sync_log = sheet(SYNC_LOG, False)
    history_title = find_title(titles, HISTORY, settings.tabs.get(HISTORY.key))
    loaded.history, loaded.history_unread = _history_tab(
        lambda: sheet(HISTORY, False), history_title, locale
    )
    loaded.forecast_log = sheet(FORECAST_LOG, False)
    loaded.class_log = sheet(CLASS_LOG, False)
    tabs: tuple[Tab, ...] = (SUMMARY, TASK_LOG, STAGE_LOG, HISTORY, SYNC_LOG, VALUE_RULES)
    tabs += (MEMORY, FORECAST_LOG, CLASS_LOG, ARCHIVE_DIGEST)
    for tab in tabs:
        found = find_title(titles, tab, settings.tabs.get(tab.key))
        loaded.titles[tab.key] = found or settings.tabs.get(tab.key) or tab.title(locale)
    _one_tab_each(loaded, tabs)
    if loaded.titles["value_rules"] in grids:
        loaded.value_rules = grids[loaded.titles["value_rules"]]
    loaded.value_defaults = value_defaults(locale, loaded.titles["value_rules"])
    loaded.digest = read_digest(grids.get(loaded.titles["archive_digest"]))
    loaded.outside = outside_notes(grids, loaded)
    return loaded


def outside_notes(grids: dict[str, list[list]], loaded: Loaded) -> list[str]:
    """One line for each tab holding values the sync does not read: right of its last header
    (a tab read by header), or far from its table (any tab). People typed them; they are
    left as they are, and said, so nobody waits for the sync to act on them."""
    sheets = {s.title: s for s in loaded.framed()}
    notes = []
    for title, grid in grids.items():
        if title == loaded.titles.get("archive_digest"):  # the sync's own blocks
            continue
        cells = sheets[title].beyond if title in sheets else outside(grid)
        if cells:
            named = cells_named(cells, loaded.locale)
            notes.append(
                say("beyond_headers", loaded.locale, tab=title, count=len(cells), cells=named)
            )
    return notes


def _history_tab(read, title: str | None, locale: str) -> tuple[Sheet | None, str]:
    """跟进历史 and, when it cannot be read with confidence (no header row, a key column
    renamed or deleted), why: that part of the run stops, the rest goes on (see
    `pipeline._history`), rather than take every row for a new contact or stop the sync."""
    try:
        tab = read()
    except WorkbookError as exc:  # no 客户编号 header, or one header twice
        return None, f"{exc}; {say('history_skipped', locale, tab=title)}"
    missing = missing_keys(tab)
    if not missing:
        return tab, ""
    names = listed((tab.tab.column(k).text(tab.locale) for k in missing), locale)
    said = say("history_missing_columns", locale, tab=tab.title, columns=names)
    return tab, f"{said}; {say('history_skipped', locale, tab=tab.title)}"


def _one_tab_each(loaded: Loaded, tabs: tuple[Tab, ...]) -> None:
    """Stop when one tab is found for two parts (a follow-up tab titled 汇总, or settings
    naming one tab twice): the sync would write the summary, a log or its memory whole over
    the customers, or over each other."""
    found = [(FOLLOWUPS, loaded.followups), (GRADING, loaded.grading), (TEAM, loaded.team)]
    roles: dict[str, list[Tab]] = {}
    for tab, sheet in found:
        if sheet is not None:
            roles.setdefault(sheet.title, []).append(tab)
    for tab in tabs:
        roles.setdefault(loaded.titles[tab.key], []).append(tab)
    for title, taken in roles.items():
        if len(taken) > 1:
            joiner = "和" if lang(loaded.locale) == "zh" else " and "
            names = joiner.join(f'"{t.title(loaded.locale)}"' for t in taken)
            raise WorkbookError(say("tab_used_twice", loaded.locale, title=title, roles=names))


def team_owners(team: Sheet | None) -> list[str]:
    if team is None:
        return []
    return [str(v).strip() for v in team.frame["owner"] if not is_blank(v)]


ALWAYS_READ = ("customer_id", "customer", "owner", "last_contact")
CRITERIA_COLUMNS = {"min_budget": "budget", "min_intent": "intent", "max_cycle": "decision_cycle"}


def read_columns(rules: list[GradeRule]) -> list[str]:
    """The follow-up columns this run's decisions read: without one of them every customer
    would be rescheduled or regraded, so its absence stops the run."""
    used = [c for k, c in CRITERIA_COLUMNS.items() if any(getattr(r, k) is not None for r in rules)]
    return [*ALWAYS_READ, *used]


def check_columns(sheet: Sheet, needed: list[str]) -> list[str]:
    """Stop on a missing header the rules read; notes for headers that look like an optional
    one that is not read (约定日期 ~ 约定跟进日期)."""
    missing = [k for k in needed if k not in sheet.columns]
    if missing:
        raise WorkbookError(
            missing_columns(
                sheet.tab,
                sheet.title,
                missing,
                sheet.header,
                sheet.header_row,
                sheet.locale,
                sheet.columns,
            )
        )
    free = unmapped(sheet.header, sheet.columns)
    notes = []
    for term in PEOPLE_COLUMNS:
        if term.key not in sheet.columns and free:
            near = next((c for s in term.spellings() if (c := closest(s, free, 0.6))), None)
            if near:
                notes.append(
                    say("not_read_like", sheet.locale, near=near, header=term.text(sheet.locale))
                )
    return notes


def validated(loaded: Loaded) -> tuple[list[GradeRule], list[str], Validation]:
    """Rules, team and row checks: the part `validate` and `sync` share."""
    rules = read_rules(loaded.grading)
    needed = read_columns(rules)
    loaded.notes = [*check_columns(loaded.followups, needed), *loaded.outside]
    owners = team_owners(loaded.team)
    grades = [r.grade for r in rules]
    team = set(owners) if owners else None
    return rules, owners, validate(loaded.followups, team, grades, set(needed))


@lru_cache(maxsize=8)
def value_defaults(locale: str, title: str) -> dict[str, Sheet]:
    """价值分级's shipped blocks (config/value_rules.yaml), read and parsed once per process:
    every run falls back on them block by block. Read here, not by the rules (no I/O)."""
    return load_blocks(default_rows(locale), VALUE_BLOCKS, f"{title} (defaults)")
