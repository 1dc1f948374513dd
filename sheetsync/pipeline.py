"""The sync, step by step: read -> validate -> grade -> schedule -> tasks -> summarise -> write.

Everything between the read and the write is pure (`compute`), so the same workbook and the
same `today` always give the same changes, whichever backend holds the workbook.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from sheetsync.archiving import archive, moving
from sheetsync.config import Settings
from sheetsync.delivery.alerts import send_alerts
from sheetsync.delivery.notices import on_record, preview_notices, send_notices
from sheetsync.errors import BackendError, LockedError
from sheetsync.loading import Loaded, Logs, appended_to, load, read_logs, validated
from sheetsync.report import Phases, SyncReport, dry_run_lines, log_run, report_for
from sheetsync.result import Result
from sheetsync.rules.archive import with_runs
from sheetsync.rules.attention import remembered
from sheetsync.rules.classes import (
    class_log_rows,
    class_sections,
    now_classes,
    read_class_log,
    update_class_log,
)
from sheetsync.rules.events import (
    checks,
    complaints,
    fold,
    fresh_notes,
    markers,
    occasions,
    said,
)
from sheetsync.rules.forecast import (
    forecast_log_rows,
    read_forecast_log,
    record_month,
    weighted_by_owner,
)
from sheetsync.rules.grading import grade
from sheetsync.rules.handover import all_managers, orphan_notes, orphans, team_managers
from sheetsync.rules.health import allowed_lateness, health, response, wake_up
from sheetsync.rules.history import (
    REMEMBERED,
    earlier_contact,
    empty_history,
    former_managers,
    history_rows,
    kept_as_before,
    update_history,
)
from sheetsync.rules.late_records import late_by_owner, late_section
from sheetsync.rules.owner_fit import owner_fit
from sheetsync.rules.performance import team_goals
from sheetsync.rules.recipients import Recipients, hold
from sheetsync.rules.schedule import (
    after_sale,
    follow_up_plan,
    next_followup,
    off_the_list,
    schedule_plan,
    status,
    status_text,
    task_step,
    task_text,
)
from sheetsync.rules.stages import (
    days_since,
    first_seen,
    stage_log_rows,
    stage_start,
    stalled,
    update_stage_log,
)
from sheetsync.rules.summary import summarise
from sheetsync.rules.tasks import (
    close_contacted,
    first_due_of_new_leads,
    hand_over,
    log_rows,
    update_log,
)
from sheetsync.rules.value import (
    classify,
    missing_blocks,
    read_value_rules,
    relationship,
    retired_health_rows,
    upkeep_for,
    with_typed_class,
)
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.run_mode import SYNC, RunMode
from sheetsync.workbook.changes import Changeset, plan_cells, retired
from sheetsync.workbook.edits import find_edits, keep_edits, memory_rows
from sheetsync.workbook.messages import lang, listed, prose_in_script, say
from sheetsync.workbook.schema import (
    CLASS_LOG,
    FOLLOWUPS,
    FORECAST_LOG,
    HEALTH,
    HEALTH_SETTINGS,
    HISTORY,
    MEMORY,
    RECIPIENT_MEMORY_KEYS,
    STAGE_LOG,
    STAGES,
    TASK_LOG,
    term_text,
)
from sheetsync.workbook.template import default_rows, log_layout
from sheetsync.workbook.validate import Validation

if TYPE_CHECKING:
    from sheetsync.delivery.channels import Chats
    from sheetsync.delivery.mailer import Mailer


MARKERS = {
    # A date, not a day count: the task text stays the same from day to day while stalled.
    "zh": {"wake_up": "【流失唤醒】", "stalled": " 【停滞:{since}起在{stage},超过{limit}天】"},
    "en": {
        "wake_up": "[Wake-up] ",
        "stalled": " [Stalled: in {stage} since {since}, over {limit} days]",
    },
}


def compute(
    loaded: Loaded,
    today: dt.date,
    calendar: WorkCalendar,
    keep_days: int = 90,
    logs: Callable[[], Logs] | None = None,
) -> Result:
    """All of the sync's decisions, as the playbook's steps and pure functions of the tabs,
    `today` and the calendar: nothing read is changed, each step returns what the next
    ones read. `logs`: how to take the logs (`loaded.take_logs`, which lets go of their rows
    as read); by default `read_logs(loaded)`. Either way each log is handed to the one step
    that uses it and let go of when that step returns (_Once)."""
    taken = _Once(logs() if logs is not None else read_logs(loaded))
    rules, owners, validation = validated(loaded)  # every row checked, every problem said
    value_rules = read_value_rules(loaded.value_blocks, loaded.value_defaults)
    people = loaded.followups.frame
    rows = validation.rows.assign(lost=validation.rows["stage_key"] == "lost")  # 输单: one mask
    # typed next dates and grades count; what 同步快照 remembers of notes and history keys
    rows, edits, read_before, kept = _honour_hand_edits(loaded, taken.pop("memory"), rows, rules)
    rows = rows.assign(grade=grade(rows, rules))  # 客户分级
    value = classify(rows, value_rules, today, loaded.locale)  # 价值分级 of existing customers
    value, class_lines = with_typed_class(value, rows["class_label"], value_rules, loaded.locale)
    rows = rows.assign(check=_joined(rows["check"], class_lines))  # a typed class disagreeing
    existing = rows["customer_state"] == "active"  # 合作中: kept by its class, not its grade
    upkeep = upkeep_for(value["value_class"], rows["stage_key"], value_rules, existing)
    follow = follow_up_plan(rows["grade"], rules, upkeep)  # the steps: how often, how, what
    digest = taken.pop("digest")  # 历史汇总: what the archived rows leave (rules/archive.py)
    history, history_known, kept = _history(
        loaded, taken.pop("history"), kept, rows, people, today, digest
    )  # 跟进历史
    ids = rows[["customer_id", "has_error"]].assign(owner=people["owner"])
    log = hand_over(taken.pop("tasks"), ids, today)  # open tasks follow 负责人
    stage_log, stages_known = _stage_log(loaded, taken.pop("stages"), rows, people, today)
    stage_since = stage_start(stage_log, rows)  # 阶段开始日期
    stage_days = days_since(stage_since, today)  # counted each run, never written
    new_leads = first_due_of_new_leads(log, rows["customer_id"])
    seen = first_seen(stage_log, rows["customer_id"])
    steps, starts = after_sale(follow, rows, stage_since, seen, value_rules.revisits)  # 成交回访
    follow = schedule_plan(follow.assign(steps=steps), rows, history, starts, today)  # step due
    interval = pd.to_timedelta(follow["interval"], "D")
    planned = follow["planned"].fillna(rows["last_contact"] + interval)
    due = next_followup(rows, planned, today, calendar, new_leads)  # 下次跟进日期
    rows = rows.assign(response=response(people["summary"], people["feedback"]))
    log = close_contacted(log, rows.assign(done=follow["done"]))  # before health reads it
    late = calendar.days_overdue(due, today)  # workdays past the follow-up date (健康度)
    allowed = allowed_lateness(rows["grade"], rules, value_rules.health)
    health_keys = health(rows, late, allowed, log, value_rules.health, today, history)
    health_keys = health_keys.where(~rows["lost"])  # a lost prospect is no churned customer
    rows = rows.assign(churned=(health_keys == "churned").astype(bool))
    due = _wake_up_churned(rows, due, stage_log, value_rules, today, calendar)
    occasion, note_read, rows = _occasions(
        rows, people, log, value_rules, today, calendar, loaded, read_before
    )
    due, kind = fold(due, occasion)
    due, kind = off_the_list(rows["stage_key"], due, kind)  # 输单
    rows = rows.assign(task_kind=kind)
    rows = rows.assign(step=task_step(rows, follow, kind))  # 任务记录's 计划步骤
    keys = status(rows, due, today)  # 状态
    stuck = stalled(rows, stage_days, value_rules.stage_limits, today)
    tasks = _task_lines(rows, people, due, follow, stuck, stage_since, value_rules, loaded.locale)
    tasks = tasks.where(tasks == "", markers(occasion, kind, loaded.locale) + tasks)
    computed = _sync_columns(loaded, rows, value, health_keys, stage_since, due, tasks, keys)
    computed = keep_edits(computed, people, edits, _labels(loaded), loaded.locale)
    board = _board(rows, people, keys, due, follow, value, health_keys, stage_days, stuck)
    board["days_overdue"] = calendar.days_overdue(due, today)  # workdays: mail and summary
    board = board.join(earlier_contact(history, rows["customer_id"]))  # the digest's 上次/再上次
    orphaned = orphans(board, owners, former_managers(history), all_managers(loaded.team))
    log = update_log(log, board, today, keep_days)  # 任务记录
    forecasts = read_forecast_log(loaded.forecast_log)  # last months' forecasts, then today's
    forecasts = record_month(forecasts, weighted_by_owner(board, value_rules.success_rates), today)
    class_log, classes_known, lifecycle, fit_notes = _lifecycle(
        loaded, taken.pop("classes"), rows, board, history, owners, value_rules, today, calendar
    )
    summary = summarise(  # 汇总
        board,
        log,
        [r.grade for r in rules],
        owners,
        today,
        loaded.locale,
        value_rules,
        stage_log=stage_log,
        forecasts=forecasts,
        runs=with_runs(_runs(loaded), digest),  # trends: the archived first run included
        orphaned=orphaned,
        history=history,
        extra=lifecycle,
        managers=all_managers(loaded.team),  # listed only when they own customers
        goals=team_goals(loaded.team),  # 团队's optional 目标
        archived_contacts=digest.contacts() if digest is not None else None,
    )
    added = missing_blocks(loaded.value_blocks) if loaded.value_rules else []
    notes = _notes(loaded, owners, orphaned, added) + _retired_notes(loaded) + fit_notes
    return Result(
        validation,
        rules,
        computed,
        board,
        log,
        summary,
        notes,
        stage_log,
        value_rules,
        edits,
        history=history,
        history_known=history_known,
        history_kept=kept,
        stages_known=stages_known,
        orphans=orphaned,
        forecast_log=forecasts,
        added_blocks=added,
        note_read=note_read,
        class_log=class_log,
        classes_known=classes_known,
    )


class _Once:
    """The logs, each handed to the one step that reads it and forgotten here, so it is let go
    of when that step returns (at 100 k customers the typed memory and task log are ~100 MB
    that the summary's step would otherwise hold); a second take fails loudly."""

    def __init__(self, logs: Logs) -> None:
        self._logs = {f.name: getattr(logs, f.name) for f in dataclasses.fields(logs)}

    def pop(self, name: str):
        return self._logs.pop(name)


def _runs(loaded: Loaded) -> pd.DataFrame | None:
    """同步日志's rows as read: each run's counts, for the summary's trends."""
    return loaded.sync_log.frame if loaded.sync_log is not None else None


def _stage_log(loaded: Loaded, before, rows, people, today: dt.date):
    """阶段记录 (`before`: as read) with today's stage changes, and how many rows it held (the
    rest are this run's, appended)."""
    typed_start = None if retired(loaded.followups, "stage_since") else people["stage_since"]
    return update_stage_log(before, rows, today, typed_start), len(before)


def _lifecycle(loaded, before, rows, board, history, owners, value_rules, today, calendar):
    """Issue 24's manager checks: the class log (分类记录, `before` as read) with today's
    rows and how many it held, the summary's owner fit, class movement, churn and
    late-record sections, and notes naming unknown 职级."""
    before = before if before is not None else read_class_log(None)
    tiers = relationship(rows, value_rules, today)
    now = now_classes(board, tiers, value_rules)
    class_log = update_class_log(before, now, rows["customer_id"], today)
    fit, notes = owner_fit(
        board,
        loaded.team,
        loaded.grading,
        loaded.value_blocks,
        loaded.titles["value_rules"],
        loaded.locale,
    )
    late = late_by_owner(history, owners, calendar, today)
    sections = {
        "owner_fit": fit,
        **class_sections(class_log, now, board["amount"], value_rules, today, loaded.locale),
        "late_records": late_section(late, loaded.locale),
    }
    return class_log, len(before), sections, notes


def _notes(loaded: Loaded, owners: list[str], orphaned: pd.DataFrame, added: list) -> list[str]:
    """What people should know about the workbook itself, for the sync log: tabs, owners who
    are not in the team, rule blocks added to 价值分级."""
    notes = [*loaded.notes, *([] if owners else [say("no_owners", loaded.locale)])]
    notes += [loaded.history_unread] if loaded.history_unread else []  # 跟进历史 left alone
    notes += orphan_notes(orphaned, loaded.locale)
    if added:
        names = listed((b.title(loaded.locale) for b in added), loaded.locale)
        tab = loaded.titles["value_rules"]
        notes.append(say("value_blocks_added", loaded.locale, tab=tab, blocks=names))
    return notes


def _retired_notes(loaded: Loaded) -> list[str]:
    """A 价值分级 tab from before 健康度 counted workdays still has its calendar-days row:
    ignored, and said so, with what replaced it."""
    tab = loaded.titles["value_rules"]
    found = retired_health_rows(loaded.value_blocks)
    if not found:
        return []
    new = term_text(HEALTH_SETTINGS, "overdue_workdays", loaded.locale)
    rows = listed(found, loaded.locale)  # "a, b" in English, 甲、乙 in Chinese
    return [say("health_setting_retired", loaded.locale, tab=tab, rows=rows, new=new)]


def _history(loaded: Loaded, before, kept, rows, people, today: dt.date, digest=None):
    """跟进历史 (`before`) with this run's contacts and handovers appended, how many rows it
    held, and the keys 同步快照 keeps (`kept`: as the snapshot had them). A tab the sync
    cannot read with confidence (`Loaded.history_unread`) is neither read nor added to: the
    rules see no history and the snapshot keeps its keys, so nothing is lost meanwhile."""
    if loaded.history_unread:
        return empty_history(), 0, kept_as_before(kept, rows["customer_id"])
    customers = rows[["customer_id", "has_error", "last_contact", "grade"]].assign(
        **{k: people[k] for k in ("customer", "owner", "method", "summary", "feedback", "stage")}
    )
    managers = team_managers(loaded.team)
    new_tab = not appended_to(loaded.history)  # seeded from the sheet
    filed = digest.filed() if digest is not None else None  # archived contacts' keys
    history, kept = update_history(
        before, customers, managers, today, loaded.locale, None if new_tab else kept, filed
    )
    return history, len(before), kept


def _occasions(rows, people, log, value_rules, today, calendar, loaded, read_before):
    """续约跟进, 客户关怀 and, before them, a complaint (投诉处理, due today; 需重点关注 and
    暂缓 suggestions in 校验提示); what was read of each note, for 同步快照; and `rows` with
    校验提示 and the alert word each row's task is for."""
    words = value_rules.event_words
    alert, note_read, read = remembered(
        people["summary"],
        people["feedback"],
        words.get("alert", ()),
        words.get("exclude", ()),
        rows["customer_id"],
        read_before,
    )
    hold = said(people["summary"], people["feedback"], words.get("hold", ()))
    column = loaded.followups.label("paused_until")
    alert = alert.where(~rows["lost"], "")  # a lost deal: no complaint task to handle today
    new = fresh_notes(read, rows["last_contact"], log, rows["customer_id"], today)
    complaint = complaints(rows, alert, log, today, new)
    # 校验提示 says 需重点关注 beside the complaint's task, or where there can be none (paused,
    # or an error in the row): never beside an ordinary task once the complaint was handled
    untasked = (
        rows["has_error"] | rows["paused_forever"] | (rows["paused_until"] >= pd.Timestamp(today))
    )
    alert = alert.where((complaint["kind"] == "complaint") | untasked, "")
    checked = checks(rows, alert, hold, today, loaded.locale, column)
    rows = rows.assign(check=checked, alert_word=alert)
    occasion = occasions(rows, log, today, calendar)
    return complaint.combine_first(occasion), note_read, rows


def _honour_hand_edits(loaded: Loaded, memory: pd.DataFrame, rows: pd.DataFrame, rules: list):
    """A date typed into 下次跟进日期 is the agreed date, a grade typed into 客户等级 an
    override (see workbook/edits.py): `rows` with both, the edits found, and what 同步快照
    (`memory`) remembers of each note read and of each customer's history keys."""
    edits = find_edits(
        loaded.followups.frame,
        rows["customer_id"],
        memory,
        [r.grade for r in rules],
        rows["last_contact"],
        tuple(t.key for t in FOLLOWUPS.columns if retired(loaded.followups, t.key)),
    )
    rows = rows.assign(
        agreed_date=edits.pinned_next.where(edits.pinned_next.notna(), rows["agreed_date"]),
        override=rows["override"].where(rows["override"].notna(), edits.pinned_grade),
    )
    read_before = memory["note_read"] if "note_read" in memory else pd.Series(dtype=object)
    kept = memory[[k for k in REMEMBERED if k in memory.columns]]  # the history's keys
    return rows, edits, read_before, kept


def _wake_up_churned(rows, due, stage_log, value_rules, today, calendar) -> pd.Series:
    """流失 customers leave the daily list: a wake-up touch every so many days instead."""
    seen = first_seen(stage_log, rows["customer_id"])
    every = value_rules.health["wake_up_days"]
    wake = calendar.roll_forward(wake_up(rows["last_contact"], seen, every, today))
    return due.where(~rows["churned"] | due.isna(), wake)


def _task_lines(rows, people, due, plan, stuck, stage_since, value_rules, locale) -> pd.Series:
    before, after = _markers(rows, stuck, stage_since, value_rules.stage_limits, locale)
    return task_text(people, due, plan, before, after)


def _joined(checks: pd.Series, lines: pd.Series) -> pd.Series:
    """校验提示 with more lines, "; " between."""
    both = (checks != "") & (lines != "")
    return (checks + pd.Series("; ", index=checks.index).where(both, "") + lines).astype(object)


def _labels(loaded: Loaded) -> dict[str, str]:
    return {t.key: loaded.followups.label(t.key) for t in FOLLOWUPS.columns}


def _sync_columns(loaded, rows, value, health_keys, stage_since, due, tasks, keys) -> pd.DataFrame:
    """The eight sync-owned columns, by key, one row per follow-up row."""
    health_words = {t.key: t.text(loaded.locale) for t in HEALTH}
    return pd.DataFrame(
        {
            "grade": rows["grade"],
            "classification": value["classification"],
            "health": health_keys.map(health_words, na_action="ignore").astype(object),
            "stage_since": stage_since,
            "next_date": due,
            "task": tasks,
            "status": status_text(keys, loaded.locale),
            "check": rows["check"],
        },
        index=rows.index,
    )


def _board(rows, people, keys, due, plan, value, health_keys, stage_days, stuck) -> pd.DataFrame:
    """One row per customer with status keys: what the task log, summary and mail count."""
    return pd.DataFrame(
        {
            **{
                k: people[k]
                for k in ("customer", "owner", "stage", "contact", "phone", "summary", "feedback")
            },
            **{k: people[k] for k in ("lead_source", "industry")},  # conversion's breakdowns
            **{k: rows[k] for k in ("expected_amount", "expected_close")},  # the forecast
            "first_contact": rows["first_contact"],  # the sales cycle's start, where typed
            "lost_reason": people["lost_reason"],  # 汇总's lost reasons
            **{
                k: rows[k]
                for k in (
                    "customer_id",
                    "grade",
                    "last_contact",
                    "has_error",
                    "contract_end",
                    "birthday",
                    "response",
                    "stage_key",
                    "task_kind",
                    "alert_word",
                    "lost",
                    "step",
                )
            },
            "done": plan["done"],  # each step's last contact: closes a step's task
            "status": keys,
            "due": due,
            "action": plan["action"],
            "value_class": value["value_class"],
            "classification": value["classification"],
            "amount": rows["annual_amount"],
            "health": health_keys,
            "stage_days": stage_days,
            "stalled": stuck,
        },
        copy=False,  # the columns as they are (copy-on-write), not one more copy of them all
    )


def _markers(
    rows: pd.DataFrame, stuck: pd.Series, since: pd.Series, limits: dict[str, int], locale: str
) -> tuple[pd.Series, pd.Series]:
    """Text before a churned customer's task and after a stalled deal's."""
    markers = {k: prose_in_script(v, locale) for k, v in MARKERS[lang(locale)].items()}
    words = {t.key: t.text(locale) for t in STAGES}
    texts = [
        markers["stalled"].format(stage=words[k], since=d.date().isoformat(), limit=limits[k])
        for k, d in zip(rows.loc[stuck, "stage_key"], since[stuck], strict=True)
    ]
    after = pd.Series(texts, index=stuck.index[stuck.to_numpy()], dtype=object)
    after = after.reindex(rows.index, fill_value="")
    return rows["churned"].map({True: markers["wake_up"], False: ""}), after


def plan(loaded: Loaded, result: Result, report: SyncReport, run_at: dt.datetime) -> Changeset:
    """The changeset: changed sync-owned cells, the summary, the task log (`result.log`: a
    run that mails plans after sending, with the log as the mail stamped it) and the logs."""
    changes = plan_cells(loaded.followups, result.computed, result.validation.rows["customer_id"])
    titles = loaded.titles
    changes.replace[titles["summary"]] = result.summary.rows
    changes.charts[titles["summary"]] = result.summary.charts
    changes.layout[titles["summary"]] = result.summary.layout
    changes.replace[titles["task_log"]] = log_rows(result.log, loaded.locale)
    if appended_to(loaded.stage_log):  # append-only: new rows
        new = result.stage_log.iloc[result.stages_known :]
        changes.add_rows(loaded.stage_log, stage_log_rows(new, loaded.locale)[1:])
    else:  # 历史汇总's rows stay there (rules/archive.py): the tab gets the workbook's own
        stages = result.stage_log.iloc[_digest_rows(loaded, "stages") :]
        changes.replace[titles["stage_log"]] = stage_log_rows(stages, loaded.locale)
    if loaded.history_unread:  # not read with confidence: left as people have it
        pass
    elif appended_to(loaded.history):  # append-only: new rows
        new = result.history.iloc[result.history_known :]
        changes.add_rows(loaded.history, history_rows(new, loaded.locale, header=False))
    else:  # the first sync: the tab, with one row per customer who has a contact (the seed)
        history = result.history.iloc[_digest_rows(loaded, "history") :]
        changes.replace[titles["history"]] = history_rows(history, loaded.locale)
    _plan_forecast_log(loaded, result, changes)
    if appended_to(loaded.class_log):  # append-only: new rows
        new = result.class_log.iloc[result.classes_known :]
        changes.add_rows(loaded.class_log, class_log_rows(new, loaded.locale, header=False))
    elif result.class_log is not None:  # the first sync: every customer's class today
        changes.replace[titles["class_log"]] = class_log_rows(result.class_log, loaded.locale)
    ids = result.validation.rows["customer_id"]
    changes.replace[titles["memory"]] = memory_rows(
        ids, result.computed, result.edits, loaded.locale, result.note_read, result.history_kept
    ) + _member_rows(result.recipients)
    changes.hidden.add(titles["memory"])
    # created now: laid out like init's
    for tab in (HISTORY, FORECAST_LOG, STAGE_LOG, TASK_LOG, CLASS_LOG):
        if titles[tab.key] not in loaded.existing:
            changes.layout[titles[tab.key]] = log_layout(tab)
    if loaded.value_rules is None:  # a workbook from before the value rules: show the defaults
        changes.replace[titles["value_rules"]] = default_rows(loaded.locale)
    elif result.added_blocks:  # blocks newer than the tab: added below, what is there untouched
        rows = default_rows(loaded.locale, tuple(result.added_blocks))
        changes.append[titles["value_rules"]] = [[], *rows]
    report.cells = len(changes.cells)
    return changes


def _digest_rows(loaded: Loaded, log: str) -> int:
    """How many rows of a log's frame come from 历史汇总 (first): not the tab's to hold."""
    if loaded.digest is None or (log == "history" and loaded.history_unread):
        return 0
    return len(getattr(loaded.digest, log))


def _member_rows(recipients: Recipients | None) -> list[list]:
    """The team members' rows of 同步快照, under its last columns (customer id blank)."""
    if recipients is None:
        return []
    before = [None] * (len(MEMORY.columns) - len(RECIPIENT_MEMORY_KEYS))
    return [[*before, *row] for row in recipients.rows]


def _plan_forecast_log(loaded: Loaded, result: Result, changes: Changeset) -> None:
    """预测记录 is append-only like 阶段记录: this month's rows when the month has none."""
    title = loaded.titles["forecast_log"]
    if appended_to(loaded.forecast_log):
        new = result.forecast_log.iloc[len(read_forecast_log(loaded.forecast_log)) :]
        changes.add_rows(loaded.forecast_log, forecast_log_rows(new, loaded.locale)[1:])
    else:
        changes.replace[title] = forecast_log_rows(result.forecast_log, loaded.locale)


def sync(
    backend,
    settings: Settings,
    today: dt.date | None = None,
    run_at: dt.datetime | None = None,
    mode: RunMode = SYNC,
    mailer: Mailer | None = None,
    chats: Chats | None = None,
    phases: Phases | None = None,
) -> SyncReport:
    """One run on an open backend: compute, send reminders, then one atomic write of the
    changed cells, summary, task log (with what was sent) and sync log. A mail failure never
    holds the sheet back; a crash before the write loses no mail record (the journal keeps
    it). What the run is (a dry run, `remind`, `serve`'s events check, an adoption's first
    sync) is `mode` (run_mode.py). A workbook someone has open stops the run before anything
    is sent, unless `mode.force`. `chats` delivers the same reminders to chat bots, after
    the mail (see delivery/channels). A change in 团队 to who receives a member's mail is
    held, and announced before anything else goes (rules/recipients.py,
    delivery/notices.py). `phases` times the steps (the report's `phases`); the command
    line passes ops/memory_care.py's, which also looks after a large run's memory."""
    phases = phases if phases is not None else Phases()
    with phases.run():
        return _sync(backend, settings, today, run_at, mode, _Steps(mailer, chats), phases)


@dataclass(frozen=True)
class _Steps:
    """Where reminders go: mail, chat bots, either or neither."""

    mailer: Mailer | None = None
    chats: Chats | None = None

    def __bool__(self) -> bool:
        return bool(self.mailer or self.chats)


def _sync(backend, settings, today, run_at, mode: RunMode, steps: _Steps, phases: Phases):
    # The holiday calendar is made while the workbook is read (the `holidays` package loads
    # every country's rules: ~0.05 s), on a thread of its own: the read waits on calamine's
    # thread part of the time.
    ahead = _in_background(WorkCalendar, settings.holidays)
    grids, loaded, settings = _read(backend, settings, mode, phases)
    holder = backend.held_by() if mode.checks_holder else None
    if holder:  # their next save would overwrite ours: nothing mailed, nothing written
        raise LockedError(say("workbook_open", loaded.locale, path=backend.location, holder=holder))
    zone = settings.zone_for(backend.timezone)  # a Google sheet's own zone
    run_at = run_at or dt.datetime.now(zone).replace(tzinfo=None)
    today = today or run_at.date()
    archived: list[str] = []
    if mode.archives and moving(loaded, today, settings.archive.keep_months):
        grids, loaded, archived = _archive(backend, grids, loaded, settings, today, phases)
    with phases.timing("read"):
        backend.keep_rows(set(grids) - loaded.never_replaced())  # for the write to compare
        for tab in loaded.framed():  # the rest of the run reads them as frames
            grids.pop(tab.title, None)
    url = backend.tab_url(loaded.followups.title)
    for step in (steps.mailer, steps.chats):
        if step:  # the zone, and where a message can point at a customer's row
            step.where(backend.location, url, zone)
    run = _Run(settings, mode, steps, phases, today, run_at, ahead.result())
    decided = _decide(run, backend, grids, loaded, archived)
    if decided.changes is None:  # a dry run: said, not done
        return decided.report
    # Past here only the changeset: what was computed went with `_decide`'s frame, so the
    # write reuses its memory rather than adds to it (~250 MB at 100 k).
    return _write(backend, decided, decided.changes, mode, phases)


@dataclass(frozen=True)
class _Run:
    """What every step of one run reads: the settings, the mode and the moment."""

    settings: Settings
    mode: RunMode
    steps: _Steps
    phases: Phases
    today: dt.date
    run_at: dt.datetime
    calendar: WorkCalendar


@dataclass(frozen=True)
class _Decided:
    """What the run will write (None: a dry run), and its report."""

    report: SyncReport
    changes: Changeset | None
    writing: bool
    locale: str


def _read(backend, settings: Settings, mode: RunMode, phases: Phases):
    """The workbook as read (as adopted, with the adoption's settings) and its tabs found."""
    with phases.timing("read"):
        with phases.lasting():  # the grids: a million and more rows and values at 100 k
            try:
                grids = backend.read()
            except BackendError as exc:  # the sheet's language is not known yet
                raise resaid(exc, settings.locale) from None
        if mode.adoption is not None:  # the grids as they read once adopted, and its settings
            grids, settings = mode.adoption.adopt(grids, settings)
        return grids, load(grids, settings), settings


def _archive(backend, grids, loaded: Loaded, settings: Settings, today, phases: Phases):
    """Old log rows out, once a month (archiving.py); the workbook as it is then."""
    with phases.timing("archive"):
        moved, archived = archive(backend, grids, loaded, settings, today)
        if moved:  # the workbook as it is now: the rows left and 历史汇总
            with phases.lasting():
                grids = backend.read()
            loaded = load(grids, settings)
    return grids, loaded, archived


def _decide(run: _Run, backend, grids, loaded: Loaded, archived: list[str]) -> _Decided:
    """Compute, plan the reminders and, unless it is a dry run, send them; the changeset
    with what was sent. Everything computed lives in this frame only."""
    settings, mode, steps = run.settings, run.mode, run.steps
    # Who receives each member's mail: a change in 团队 is held a day and announced by a sync
    # (rules/recipients.py); every step below reads the team tab as held.
    accepted = frozenset(settings.accept_recipient_changes)
    told = on_record(grids, settings.tabs.get("mail_log"), steps.mailer, steps.chats)
    recipients = hold(loaded.team, loaded.memory, run.today, accepted, told, mode.full)
    loaded = dataclasses.replace(loaded, team=recipients.team)
    with run.phases.timing("compute"):
        # compute takes the logs as typed frames, their rows as read let go, and lets go
        # of each once it is used.
        result = compute(
            loaded, run.today, run.calendar, settings.task_log_keep_days, loaded.take_logs
        )
    report = report_for(backend.location, run.today, result, loaded.locale)
    report.notes += [*archived, *recipients.notes(loaded.locale)]
    report.notes += [say(k, loaded.locale, **f) for k, f in backend.found()]  # its repairs
    report.phases, report.dry_run = run.phases, mode.dry_run
    reminding = mode.reminds and _reminder_day(run.calendar, run.today, settings)
    if mode.reminds and not reminding and steps:
        after = run.calendar.next_workday(run.today)
        wait = {"today": run.today.isoformat(), "next": after.isoformat()}
        report.notes.append(say("reminders_wait", loaded.locale, **wait))
    with run.phases.timing("mail"):  # the log as mailed: a crashed run's mail counts
        log = result.log
        for step in (steps.mailer, steps.chats):
            log = step.recorded(log, grids) if step else log  # and the workbook's mail record
        result = dataclasses.replace(result, log=log, recipients=recipients)
        mailer, chats = (steps.mailer, steps.chats) if reminding else (None, None)
        mails = mailer.plan(loaded, result, run.today, run.calendar) if mailer else []
        chat = chats.plan(loaded, result, run.today, run.calendar) if chats else []
    if mode.dry_run:
        said = _dry_run(run, loaded, result, report, recipients, mails, chat)
        return _Decided(said, None, False, "")
    sent = _send(run, loaded, result, recipients, mails, chat)
    report.notes += sent.notes
    result = _appended_only(loaded, result)  # the logs' old rows, let go before the plan
    with run.phases.timing("plan"):
        changes = _planned(run, backend, loaded, result, report, sent)
    writing = bool(mode.sheet or sent.messages or sent.tabs)  # a notice's 邮件记录 too
    return _Decided(report, changes, writing, loaded.locale)


def _appended_only(loaded: Loaded, result: Result) -> Result:
    """`result` with the logs the write only appends to (阶段记录, 跟进历史, 分类记录 as
    read with their header) cut to the rows it appends: past the mail nothing reads their
    old rows, and at 100 k customers they are some 300 k rows the plan would hold for
    nothing. Copies, so the old rows' memory goes (a slice keeps its frame's)."""
    cut: dict[str, Any] = {}
    if appended_to(loaded.stage_log):
        cut.update(stage_log=result.stage_log.iloc[result.stages_known :].copy(), stages_known=0)
    if not loaded.history_unread and appended_to(loaded.history):
        cut.update(history=result.history.iloc[result.history_known :].copy(), history_known=0)
    if appended_to(loaded.class_log):
        cut.update(class_log=result.class_log.iloc[result.classes_known :].copy(), classes_known=0)
    return dataclasses.replace(result, **cut)


def _dry_run(
    run: _Run, loaded: Loaded, result: Result, report, recipients: Recipients, mails, chat
) -> SyncReport:
    """What the run would write and send, said in the report; nothing written or sent."""
    mailer, chats = run.steps.mailer, run.steps.chats
    with run.phases.timing("plan"):
        changes = plan(loaded, result, report, run.run_at) if run.mode.sheet else Changeset()
    report.mail_previews = mailer.preview(mails, run.run_at) if mailer else []
    report.mail_previews += chats.preview(chat, run.run_at) if chats else []
    if run.steps and recipients.to_tell():
        told = preview_notices(recipients, loaded.locale, mailer, run.run_at)
        report.mail_previews += told
    if run.mode.sheet:
        log_run(changes, loaded, report, run.run_at)
    report.changes = dry_run_lines(changes, mails, loaded.locale)
    return report


@dataclass(frozen=True)
class _Sent:
    """What the reminders' delivery did: the task log stamped with it, notes for the sync
    log, the 邮件记录 tab to write, and whether any digest or message went."""

    log: pd.DataFrame
    notes: list[str]
    tabs: dict[str, list[list]]
    messages: bool


def _send(
    run: _Run, loaded: Loaded, result: Result, recipients: Recipients, mails: list, chat: list
) -> _Sent:
    """Notices of held recipients first, then the mail, then the bots, then complaints to
    the managers (delivery/alerts.py). Failures are caught inside each: the sheet is
    written whatever happens."""
    mailer, chats, locale, at = run.steps.mailer, run.steps.chats, loaded.locale, run.run_at
    log, notes, tabs = result.log, [], {}
    with run.phases.timing("mail"):
        if run.steps and recipients.to_tell():  # first: before the digests go
            told, noticed = send_notices(recipients, locale, mailer, chats, at)
            notes += told
            tabs.update(noticed)
        if mails and mailer:
            log, said_ = mailer.send(mails, log, at)
            notes += said_
            tabs.update(mailer.sent_tab())
        if chat and chats:  # after the mail, so its record tab holds both
            log, said_ = chats.send(chat, log, at)
            notes += said_
            tabs.update(chats.sent_tab())
        if run.steps:  # complaints: to the manager now, once each
            said_, alerted = send_alerts(
                loaded, result.board, mailer, chats, at, result.orphans, run.settings.max_alerts
            )
            notes += said_
            tabs.update(alerted)
    return _Sent(log, notes, tabs, bool(mails or chat))


def _planned(run: _Run, backend, loaded: Loaded, result: Result, report, sent: _Sent) -> Changeset:
    """The changeset: the sheet's (with the task log as stamped by what was sent), the
    邮件记录 tab and, for a full run, the sync log's row."""
    if run.mode.sheet:
        changes = plan(loaded, dataclasses.replace(result, log=sent.log), report, run.run_at)
    else:  # `remind`: the mail record, and the task log when something went
        changes = Changeset()
    changes.replace.update(sent.tabs)
    if sent.messages and not run.mode.sheet:
        changes.replace[loaded.titles["task_log"]] = log_rows(sent.log, loaded.locale)
    if run.mode.full:
        if hasattr(backend, "expected_calls"):  # Feishu: a plan's quota counts every call
            trial = dataclasses.replace(
                changes, append={t: list(r) for t, r in changes.append.items()}
            )
            log_run(trial, loaded, report, run.run_at)  # the calls with the log's row written
            calls = backend.expected_calls(trial)
            report.notes.append(say("feishu_calls", loaded.locale, calls=calls))
        log_run(changes, loaded, report, run.run_at)
    return changes


def _write(
    backend, decided: _Decided, changes: Changeset, mode: RunMode, phases: Phases
) -> SyncReport:
    """The run's one write; what the write found or had to do, in the report."""
    report, locale = decided.report, decided.locale
    if mode.adoption is not None:
        changes = mode.adoption.changes(changes)
    if decided.writing:
        with phases.timing("write"):
            try:
                backend.write(changes)
            except BackendError as exc:  # a save meanwhile, a protected range: in its language
                raise resaid(exc, locale) from None
        # what the write found or had to do: people's edits kept and rows moved under it
        # (Google, Feishu), a stopped write finished (Feishu)
        report.notes += [say(k, locale, **f) for k, f in backend.found()]
    return report


def resaid(exc: BackendError, locale: str) -> BackendError:
    """A backend's error (said in English) in the sheet's language; before the sheet is read,
    with `locale: auto`, in both Chinese and English."""
    if not exc.key:
        return exc
    if locale == "auto":
        both = [say(exc.key, lc, **exc.fields) for lc in ("zh", "en")]
        return type(exc)("\n".join(both), exc.key, **exc.fields)
    return type(exc).said(exc.key, locale, **exc.fields)


def _reminder_day(calendar: WorkCalendar, today: dt.date, settings: Settings) -> bool:
    """Digests, escalations and summaries go out on working days (调休 Saturdays included),
    unless `weekend_reminders`: a team's weekend is not a to-do list. Nothing is lost by
    waiting: an open task is still due or overdue on the next working day, and listed then."""
    return settings.weekend_reminders or calendar.is_workday(today)


def _in_background(make: Callable, *args: object) -> concurrent.futures.Future:
    """`make(*args)` on a thread of its own; its result (or error) when asked for."""
    thread = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="ahead")
    made = thread.submit(make, *args)
    thread.shutdown(wait=False)  # the thread ends once `make` returns
    return made


def check(backend, settings: Settings) -> Validation:
    """Validation only, for `validate`: the row checks without scheduling anything."""
    return validated(load(backend.read(), settings))[2]
