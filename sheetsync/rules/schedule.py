"""When each customer is next due, what state that leaves them in, and the task line.

Pure: `today` and the calendar are passed in, so a run for any date is reproducible.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sheetsync.rules.grading import GradeRule
from sheetsync.rules.history import contacts
from sheetsync.rules.plans import Step, schedule_steps
from sheetsync.rules.tasks import by_id
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.workbook.parsing import is_blank, map_unique
from sheetsync.workbook.schema import STATUSES, term_text


def follow_up_plan(grades: pd.Series, rules: list[GradeRule], upkeep: pd.Series) -> pd.DataFrame:
    """Each customer's plan (`steps`, rules/plans.py) with its shortest interval, method and
    core action: the grade's, or where `upkeep` has a plan (won, existing, nurture:
    `value.upkeep_for`), that plan's (价值分级 tab). `schedule_plan` then picks the step due."""
    by_grade = {r.grade: r for r in rules}
    steps = {g: r.steps or (Step(r.interval, r.method, r.action),) for g, r in by_grade.items()}
    plan = pd.DataFrame(
        {
            "interval": grades.map({g: r.interval for g, r in by_grade.items()}).astype(float),
            "method": grades.map({g: r.method for g, r in by_grade.items()}).astype(object),
            "action": grades.map({g: r.action for g, r in by_grade.items()}).astype(object),
            "steps": grades.map(steps).astype(object),
        }
    )
    won = upkeep.notna()
    for key in ("interval", "method", "action"):
        plan.loc[won, key] = [getattr(u, key) for u in upkeep[won]]
    plan.loc[won, "steps"] = pd.Series(
        [u.steps or (Step(u.interval, u.method, u.action),) for u in upkeep[won]],
        index=upkeep.index[won],
        dtype=object,
    )
    return plan


def after_sale(
    plan: pd.DataFrame,
    rows: pd.DataFrame,
    stage_since: pd.Series,
    first_seen: pd.Series,
    revisits: tuple[Step, ...],
) -> tuple[pd.Series, pd.Series]:
    """A deal the sync saw reach 成交 (赢单) starts with the revisits (成交回访: a week, a month
    and a quarter after, each once), then its class's maintenance plan: `plan["steps"]`
    prefixed where so, and the start each plan counts from (NaT: from the first contact).
    Only a deal seen moving into 成交: one already there when the sync first saw it has no
    known deal day, and is owed no revisit a year late."""
    start = pd.to_datetime(stage_since)
    watched = (rows["stage_key"] == "won") & (pd.to_datetime(first_seen) < start)
    watched &= plan["steps"].notna() & bool(revisits)
    steps = plan["steps"].copy()
    steps[watched] = pd.Series(
        [(*revisits, *s) for s in steps[watched]], index=steps.index[watched], dtype=object
    )
    return steps, start.where(watched)


def task_step(rows: pd.DataFrame, plan: pd.DataFrame, kind: pd.Series) -> pd.Series:
    """The step a task is for, as the plan writes it (任务记录's 计划步骤), where the due date
    is the plan's: not a new lead's first contact, an agreed date, a churned customer's
    wake-up or an occasion (any contact completes those)."""
    last, agreed = rows["last_contact"], rows["agreed_date"]
    agreed_due = agreed.notna() & (last.isna() | (agreed > last))
    by_plan = last.notna() & ~agreed_due & (kind == "followup") & ~rows["churned"]
    phrases = plan["step"].map(lambda s: s.phrase if isinstance(s, Step) and s.phrase else None)
    return phrases.where(by_plan, None).astype(object)


def schedule_plan(
    plan: pd.DataFrame,
    rows: pd.DataFrame,
    history: pd.DataFrame,
    starts: pd.Series,
    today: dt.date,
) -> pd.DataFrame:
    """The plan with `planned` (the due date, before workdays), the step due (`step`, whose
    method and action the task names) and when each step was last done (`done`): every
    contact of 跟进历史 up to the sheet's 上次跟进日期 replayed over the steps (a contact dated
    after it was a date since corrected)."""
    seen = contacts(history)[["customer_id", "date", "method"]]
    last = by_id(
        rows.set_index("customer_id")["last_contact"].groupby(level=0).max(), seen["customer_id"]
    )
    seen = seen[~(seen["date"] > last)]
    steps = plan["steps"].where(plan["steps"].notna(), None)
    fallback = (Step(1, "", ""),)
    steps = steps.map(lambda s: s if isinstance(s, tuple) and s else fallback)
    found = schedule_steps(steps, seen, starts, rows["customer_id"], today)
    plan = plan.assign(planned=found["planned"], step=found["step"], done=found["done"])
    due_step = found["step"].notna()
    plan.loc[due_step, "method"] = [s.method for s in found["step"][due_step]]
    plan.loc[due_step, "action"] = [s.action for s in found["step"][due_step]]
    return plan


def next_followup(
    rows: pd.DataFrame,
    planned: pd.Series,
    today: dt.date,
    calendar: WorkCalendar,
    first_due: pd.Series | None = None,
) -> pd.Series:
    """约定跟进日期 when it is still ahead of the last contact; a new lead on the first working
    day from the day the sync first saw it (`first_due`: the day it was first due; else
    today), so one first seen on a Saturday is due Monday, or that Saturday when it is a 调休
    workday; otherwise the plan's date (`schedule_plan`: the step due next) on a working day;
    never inside a dated pause."""
    last = rows["last_contact"]
    planned = pd.to_datetime(planned)
    due = calendar.roll_forward(planned)
    first_day = pd.Timestamp(calendar.next_workday(today))
    new_lead_due = pd.Series(first_day, index=rows.index)
    if first_due is not None:
        seen = pd.to_datetime(first_due).fillna(pd.Timestamp(today))
        # pandas-stubs' `clip` takes no Timestamp; a column of dates clips to one all the same.
        new_lead_due = calendar.roll_forward(seen).clip(upper=first_day)  # type: ignore[call-overload]
    due = due.where(planned.notna() | last.notna(), new_lead_due)
    agreed = rows["agreed_date"]
    use_agreed = agreed.notna() & (last.isna() | (agreed > last))
    due = due.where(~use_agreed, agreed)
    pause_end = rows["paused_until"]
    inside_pause = pause_end.notna() & (pause_end >= pd.Timestamp(today)) & (due <= pause_end)
    resume = calendar.roll_forward(pause_end + pd.Timedelta(days=1))
    due = due.where(~inside_pause, resume)
    return due.where(~rows["paused_forever"] & ~rows["has_error"])


def status(rows: pd.DataFrame, due: pd.Series, today: dt.date) -> pd.Series:
    """Status keys, in the contract's order of precedence (资料不全 first, then 已输单)."""
    now = pd.Timestamp(today)
    paused = rows["paused_forever"] | (rows["paused_until"] >= now)
    result = pd.Series("pending", index=rows.index, dtype=object)
    result[due == now] = "due_today"
    result[due < now] = "overdue"
    result[paused] = "paused"
    result[rows["stage_key"] == "lost"] = "lost"
    result[rows["has_error"]] = "incomplete"
    return result


def off_the_list(
    stage_keys: pd.Series, due: pd.Series, kind: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """输单 leaves the daily list: no next date, so no task, never overdue, in no digest and
    never escalated, whatever a contract end, a birthday, a complaint or a wake-up would have
    pulled in. (培育池 stays on it, at its light interval: see value.upkeep_for.)"""
    lost = stage_keys == "lost"
    return due.where(~lost), kind.where(~lost, "followup")


def _one_line(value: object) -> str:
    return "" if is_blank(value) else " ".join(str(value).split())


def task_text(
    people: pd.DataFrame,
    due: pd.Series,
    plan: pd.DataFrame,
    before: pd.Series | None = None,
    after: pd.Series | None = None,
) -> pd.Series:
    """`2024-05-15 电话/面谈 张经理(某某科技有限公司): 核心动作`: one line an owner can act on;
    `before`/`after`: markers such as a wake-up touch or a stalled deal."""
    customer = map_unique(people["customer"], _one_line)
    contact = map_unique(people["contact"], _one_line)
    who = customer.where(contact == "", contact + "(" + customer + ")")
    method = map_unique(plan["method"], lambda m: "" if is_blank(m) else f"{m} ")
    action = map_unique(plan["action"], lambda a: "" if is_blank(a) else f": {a}")
    lines = due.dt.strftime("%Y-%m-%d") + " " + method + who + action
    if before is not None:
        lines = before + lines
    if after is not None:
        lines = lines + after
    shown: pd.Series = lines.where(due.notna(), "").astype(object)
    return shown


def status_text(keys: pd.Series, locale: str) -> pd.Series:
    words = {t.key: term_text(STATUSES, t.key, locale) for t in STATUSES}
    return keys.map(words)
