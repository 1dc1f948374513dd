"""The sync, step by step: read -> validate -> grade -> schedule -> tasks -> summarise -> write.

Everything between the read and the write is pure (`compute`), so the same workbook and the
same `today` always give the same changes, whichever backend holds the workbook.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from sheetsync.config import Settings
from sheetsync.errors import LockedError, WorkbookError
from sheetsync.rules.grading import GradeRule, grade, read_rules
from sheetsync.rules.health import health, response, wake_up
from sheetsync.rules.schedule import follow_up_plan, next_followup, status, status_text, task_text
from sheetsync.rules.stages import (
    days_in_stage,
    first_seen,
    read_stage_log,
    stage_log_rows,
    stalled,
    update_stage_log,
)
from sheetsync.rules.summary import Summary, summarise
from sheetsync.rules.tasks import (
    close_contacted,
    first_due_of_new_leads,
    log_rows,
    read_log,
    update_log,
)  # fmt: skip
from sheetsync.rules.value import ValueRules, classify, read_value_rules, upkeep_for
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.workbook.changes import Changeset, describe, plan_cells
from sheetsync.workbook.edits import Edits, find_edits, keep_edits, memory_rows, read_memory
from sheetsync.workbook.messages import in_script, lang, say
from sheetsync.workbook.parsing import is_blank
from sheetsync.workbook.schema import (
    FOLLOWUPS,
    GRADING,
    HEALTH,
    MEMORY,
    PEOPLE_COLUMNS,
    STAGE_LOG,
    STAGES,
    SUMMARY,
    SYNC_LOG,
    TASK_LOG,
    TEAM,
    VALUE_RULES,
    Tab,
)  # fmt: skip
from sheetsync.workbook.tables import (
    Sheet,
    closest,
    find_title,
    guess_locale,
    load_sheet,
    missing_columns,
    unmapped,
)
from sheetsync.workbook.template import default_rows
from sheetsync.workbook.validate import Validation, validate

if TYPE_CHECKING:
    from sheetsync.delivery.mailer import Mailer

PEOPLE_KEYS = tuple(c.key for c in PEOPLE_COLUMNS)


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
    notes: list[str] = field(default_factory=list)  # what people should know about the tabs
    memory: Sheet | None = None  # the hidden 同步快照: what the sync last wrote


def load(grids: dict[str, list[list]], settings: Settings) -> Loaded:
    """Find the tabs and their columns; a missing follow-up or grading tab stops the run."""
    titles = list(grids)
    locale = settings.locale if settings.locale != "auto" else guess_locale(titles)

    def sheet(tab: Tab, required: bool, **kwargs: object) -> Sheet | None:
        title = find_title(titles, tab, settings.tabs.get(tab.key))
        if title is None and required:
            wanted = settings.tabs.get(tab.key) or f"{in_script(tab.zh, locale)} / {tab.en}"
            raise WorkbookError(say("no_tab", locale, wanted=wanted, titles=", ".join(titles)))
        return None if title is None else load_sheet(grids[title], tab, title, **kwargs)

    renames = {theirs: key for key, theirs in settings.columns.items()}
    followups = sheet(FOLLOWUPS, True, content=PEOPLE_KEYS, renames=renames)
    locale = settings.locale if settings.locale != "auto" else followups.locale
    loaded = Loaded(
        followups, sheet(GRADING, True), sheet(TEAM, False), sheet(TASK_LOG, False), {},
        set(titles), locale,
    )  # fmt: skip
    loaded.stage_log = sheet(STAGE_LOG, False)
    loaded.memory = sheet(MEMORY, False)
    for tab in (SUMMARY, TASK_LOG, STAGE_LOG, SYNC_LOG, VALUE_RULES, MEMORY):
        found = find_title(titles, tab, settings.tabs.get(tab.key))
        loaded.titles[tab.key] = found or settings.tabs.get(tab.key) or tab.title(locale)
    if loaded.titles["value_rules"] in grids:
        loaded.value_rules = grids[loaded.titles["value_rules"]]
    return loaded


@dataclass
class Result:
    """What one run computed; nothing written yet."""

    validation: Validation
    rules: list[GradeRule]
    computed: pd.DataFrame  # the sync-owned columns, by key; one row per follow-up row
    board: pd.DataFrame  # one row per customer, status as keys, for counting
    log: pd.DataFrame
    summary: Summary
    notes: list[str] = field(default_factory=list)
    stage_log: pd.DataFrame | None = None
    value_rules: ValueRules | None = None
    edits: Edits | None = None


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
        raise WorkbookError(missing_columns(
            sheet.tab, sheet.title, missing, sheet.header, sheet.header_row, sheet.locale,
            sheet.columns,
        ))  # fmt: skip
    free = unmapped(sheet.header, sheet.columns)
    notes = []
    for term in PEOPLE_COLUMNS:
        if term.key not in sheet.columns and free:
            near = next((c for s in term.spellings() if (c := closest(s, free, 0.6))), None)
            if near:
                notes.append(say("not_read_like", sheet.locale, near=near,
                                 header=term.text(sheet.locale)))  # fmt: skip
    return notes


def validated(loaded: Loaded) -> tuple[list[GradeRule], list[str], Validation]:
    """Rules, team and row checks: the part `validate` and `sync` share."""
    rules = read_rules(loaded.grading)
    needed = read_columns(rules)
    loaded.notes = check_columns(loaded.followups, needed)
    owners = team_owners(loaded.team)
    grades = [r.grade for r in rules]
    team = set(owners) if owners else None
    return rules, owners, validate(loaded.followups, team, grades, set(needed))


MARKERS = {
    "zh": {"wake_up": "【流失唤醒】", "stalled": " 【停滞:{stage}已{days}天,超过{limit}天】"},
    "en": {"wake_up": "[Wake-up] ", "stalled": " [Stalled: {stage} for {days} days, over {limit}]"},
}


def compute(loaded: Loaded, today: dt.date, calendar: WorkCalendar, keep_days: int = 90) -> Result:
    """All of the sync's decisions, as pure functions of the tabs, `today` and the calendar."""
    rules, owners, validation = validated(loaded)
    value_rules = read_value_rules(loaded.value_rules, loaded.titles["value_rules"], loaded.locale)
    notes = [*loaded.notes, *([] if owners else [say("no_owners", loaded.locale)])]
    rows = validation.rows
    people = loaded.followups.frame
    edits = find_edits(people, rows["customer_id"], read_memory(loaded.memory),
                       [r.grade for r in rules], rows["last_contact"])  # fmt: skip
    rows["agreed_date"] = edits.pinned_next.where(edits.pinned_next.notna(), rows["agreed_date"])
    rows["override"] = rows["override"].where(rows["override"].notna(), edits.pinned_grade)
    rows["grade"] = grade(rows, rules)
    value = classify(rows, value_rules, today, loaded.locale)
    plan = follow_up_plan(
        rows["grade"], rules, upkeep_for(value["value_class"], rows["stage_key"], value_rules)
    )
    log = read_log(loaded.task_log)
    stage_log = update_stage_log(read_stage_log(loaded.stage_log), rows, today)
    stage_days = days_in_stage(stage_log, rows, today)
    due = next_followup(rows, plan["interval"], today, calendar,
                        first_due_of_new_leads(log, rows["customer_id"]))  # fmt: skip
    rows["response"] = response(people["summary"], people["feedback"])
    log = close_contacted(log, rows)  # before health: the contact just recorded counts
    health_keys = health(rows, plan["interval"], log, value_rules.health, today)
    rows["churned"] = (health_keys == "churned").astype(bool)
    seen = first_seen(stage_log, rows["customer_id"])
    wake = calendar.roll_forward(
        wake_up(rows["last_contact"], seen, value_rules.health["wake_up_days"], today)
    )
    due = due.where(~rows["churned"] | due.isna(), wake)
    keys = status(rows, due, today)
    stuck = stalled(rows, stage_days, value_rules.stage_limits, today)
    before, after = _markers(rows, stuck, stage_days, value_rules.stage_limits, loaded.locale)
    health_words = {t.key: t.text(loaded.locale) for t in HEALTH}
    computed = pd.DataFrame({
        "grade": rows["grade"], "classification": value["classification"],
        "health": health_keys.map(health_words, na_action="ignore").astype(object),
        "stage_days": [None if pd.isna(d) else int(d) for d in stage_days],
        "next_date": due, "task": task_text(people, due, plan, before, after),
        "status": status_text(keys, loaded.locale), "check": rows["check"],
    }, index=rows.index)  # fmt: skip
    labels = {t.key: loaded.followups.label(t.key) for t in FOLLOWUPS.columns}
    computed = keep_edits(computed, people, edits, labels, loaded.locale)
    board = pd.DataFrame({
        "customer_id": rows["customer_id"], "customer": people["customer"], "owner": people["owner"],
        "stage": people["stage"], "grade": rows["grade"], "status": keys, "due": due,
        "last_contact": rows["last_contact"], "has_error": rows["has_error"],
        "contact": people["contact"], "phone": people["phone"], "summary": people["summary"],
        "feedback": people["feedback"], "contract_end": rows["contract_end"],
        "birthday": rows["birthday"], "action": plan["action"], "response": rows["response"],
        "value_class": value["value_class"], "classification": value["classification"],
        "amount": rows["annual_amount"], "health": health_keys, "stage_key": rows["stage_key"],
        "stage_days": stage_days, "stalled": stuck,
    })  # fmt: skip
    log = update_log(log, board, today, keep_days)
    summary = summarise(board, log, [r.grade for r in rules], owners, today, loaded.locale,
                        value_rules)  # fmt: skip
    return Result(validation, rules, computed, board, log, summary, notes, stage_log, value_rules,
                  edits)  # fmt: skip


def _markers(rows: pd.DataFrame, stuck: pd.Series, days: pd.Series, limits: dict[str, int],
             locale: str) -> tuple[pd.Series, pd.Series]:  # fmt: skip
    """Text before a churned customer's task and after a stalled deal's."""
    markers = {k: in_script(v, locale) for k, v in MARKERS[lang(locale)].items()}
    words = {t.key: t.text(locale) for t in STAGES}
    after = pd.Series("", index=rows.index, dtype=object)
    after[stuck] = [
        markers["stalled"].format(stage=words[k], days=int(d), limit=limits[k])
        for k, d in zip(rows.loc[stuck, "stage_key"], days[stuck], strict=True)
    ]
    return rows["churned"].map({True: markers["wake_up"], False: ""}), after


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

    def lines(self) -> list[str]:
        """The run in one line, then its notes: in the workbook's language."""
        verb = say("would_write" if self.dry_run else "wrote", self.locale)
        counts = {k: getattr(self, k) for k in ("rows", "invalid", "warned", "due_today",
                                                 "overdue", "cells")}  # fmt: skip
        return [
            say("report", self.locale, location=self.location, today=f"{self.today:%Y-%m-%d}",
                verb=verb, **counts),
            *(say("note", self.locale, text=n) for n in self.notes),
        ]  # fmt: skip


def report_for(location: str, today: dt.date, result: Result, locale: str = "zh") -> SyncReport:
    status_keys = result.board["status"]
    problems = result.validation.problems
    return SyncReport(
        location, today, rows=len(result.board),
        invalid=int(result.validation.invalid.sum()),
        warned=int(problems.loc[problems["severity"] == "warning", "row"].nunique()),
        due_today=int((status_keys == "due_today").sum()),
        overdue=int((status_keys == "overdue").sum()), notes=list(result.notes), locale=locale,
    )  # fmt: skip


def plan(loaded: Loaded, result: Result, report: SyncReport, run_at: dt.datetime) -> Changeset:
    """The changeset: changed sync-owned cells, the summary and the task log."""
    changes = plan_cells(loaded.followups, result.computed, result.validation.rows["customer_id"])
    titles = loaded.titles
    changes.replace[titles["summary"]] = result.summary.rows
    changes.charts[titles["summary"]] = result.summary.charts
    changes.replace[titles["task_log"]] = log_rows(result.log, loaded.locale)
    if loaded.stage_log is not None and loaded.stage_log.header_row:  # append-only: new rows
        new = result.stage_log.iloc[len(read_stage_log(loaded.stage_log)) :]
        if len(new):
            changes.append[titles["stage_log"]] = stage_log_rows(new, loaded.locale)[1:]
    else:
        changes.replace[titles["stage_log"]] = stage_log_rows(result.stage_log, loaded.locale)
    ids = result.validation.rows["customer_id"]
    changes.replace[titles["memory"]] = memory_rows(
        ids, result.computed, result.edits, loaded.locale
    )
    changes.hidden.add(titles["memory"])
    if loaded.value_rules is None:  # a workbook from before the value rules: show the defaults
        changes.replace[titles["value_rules"]] = default_rows(loaded.locale)
    report.cells = len(changes.cells)
    return changes


def log_run(changes: Changeset, loaded: Loaded, report: SyncReport, run_at: dt.datetime) -> None:
    """One sync-log row, with every note (mail redirects and failures included)."""
    row = [
        run_at.strftime("%Y-%m-%d %H:%M:%S"), report.today, report.rows, report.invalid,
        report.due_today, report.overdue, report.cells, "ok", "; ".join(report.notes),
    ]  # fmt: skip
    title = loaded.titles["sync_log"]
    header = [] if title in loaded.existing else [SYNC_LOG.headers(loaded.locale)]
    changes.append[title] = [*header, row]


def sync(backend, settings: Settings, today: dt.date | None = None, run_at: dt.datetime | None = None,
         dry_run: bool = False, mailer: Mailer | None = None, sheet: bool = True,
         force: bool = False) -> SyncReport:  # fmt: skip
    """One run on an open backend: compute, send reminders, then one atomic write of the
    changed cells, summary, task log (with what was sent) and sync log. A mail failure never
    holds the sheet back; a crash before the write loses no mail record (the journal keeps
    it). A dry run writes and sends nothing. `sheet=False` (`remind`) only mails and records.
    A workbook someone has open stops the run before anything is sent, unless `force`."""
    grids = backend.read()
    loaded = load(grids, settings)
    holder = None if dry_run or force else backend.held_by()
    if holder:  # their next save would overwrite ours: nothing mailed, nothing written
        raise LockedError(say("workbook_open", loaded.locale, path=backend.location, holder=holder))
    zone = settings.zone_for(backend.timezone)  # a Google sheet's own zone
    run_at = run_at or dt.datetime.now(zone).replace(tzinfo=None)
    today = today or run_at.date()
    if mailer:
        mailer.zone = zone
    result = compute(loaded, today, WorkCalendar(settings.holidays), settings.task_log_keep_days)
    report = report_for(backend.location, today, result, loaded.locale)
    if mailer:  # before planning the task log's write: what a crashed run sent counts as sent
        result.log = mailer.recorded(result.log, grids)  # and the workbook's mail record
    mails = mailer.plan(loaded, result, today) if mailer else []
    changes = plan(loaded, result, report, run_at) if sheet else Changeset()
    report.dry_run = dry_run
    if dry_run and mailer:
        report.mail_previews = mailer.preview(mails, run_at)
    if dry_run:
        if sheet:
            log_run(changes, loaded, report, run_at)
        report.changes = [describe(c) for c in changes.cells]
        locale = loaded.locale
        report.changes += [say("rewritten", locale, tab=t, rows=len(r))
                           for t, r in changes.replace.items()]  # fmt: skip
        report.changes += [say("appended", locale, tab=t, rows=len(r))
                           for t, r in changes.append.items()]  # fmt: skip
        report.changes += [
            say("mail_preview", locale, recipient=m.recipient, to=m.to, kind=m.kind,
                tasks=len(m.context["tasks"]))
            for m in mails
        ]  # fmt: skip
        return report
    if mails:  # mail failures are caught inside; the sheet is written whatever happens
        log, notes = mailer.send(mails, result.log, run_at)
        report.notes += notes
        changes.replace[loaded.titles["task_log"]] = log_rows(log, loaded.locale)
        changes.replace.update(mailer.sent_tab())
    if sheet:
        log_run(changes, loaded, report, run_at)
    if sheet or mails:
        backend.write(changes)
    return report


def check(backend, settings: Settings) -> Validation:
    """Validation only, for `validate`: the row checks without scheduling anything."""
    return validated(load(backend.read(), settings))[2]
