"""The task log: one row per follow-up task (customer id, due date), the ledger reminders and
completion rates are built on.

A task is done when a contact is recorded after it was created (上次跟进日期 later than it was
then, or on/after the due date): a rep who calls a day early has done the task. A task whose
due date moved for another reason (new agreed date, new grade, pause, customer deleted) is
cancelled, so it never counts as overdue. A birthday greeting or a renewal whose day passed
undone is not cancelled but missed (已错过): it happened, and a completion rate counts it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from sheetsync.rules.plans import as_dates
from sheetsync.workbook.parsing import cell_text, date_or_none, is_blank, is_missing, map_unique
from sheetsync.workbook.schema import (
    RESPONSES,
    TASK_KINDS,
    TASK_LOG,
    TASK_STATES,
    normalise_header,
    term_lookup,
)
from sheetsync.workbook.tables import Sheet
from sheetsync.workbook.validate import normalise_id

LOG_COLUMNS = [c.key for c in TASK_LOG.columns]
DATE_KEYS = ("due_date", "created", "basis", "done_on")
ACTIVE_STATUSES = ("pending", "due_today", "overdue")


def read_log(sheet: Sheet | None) -> pd.DataFrame:
    """The ledger as typed values; unreadable cells become blanks rather than stopping a run."""
    if sheet is None or sheet.frame.empty:
        return pd.DataFrame({k: pd.Series(dtype=object) for k in LOG_COLUMNS}).pipe(_typed)
    log = sheet.frame[LOG_COLUMNS].copy()
    log["customer_id"] = map_unique(log["customer_id"], normalise_id)
    for key in DATE_KEYS:
        log[key] = map_unique(log[key], date_or_none)
    states = {k: t.key for k, t in term_lookup(TASK_STATES).items()}
    log["state"] = map_unique(log["state"], lambda v: states.get(normalise_header(v), "open"))
    for key in ("owner", "grade", "reminded_at", "escalated_at", "step"):
        log[key] = map_unique(log[key], lambda v: None if is_blank(v) else v)  # as they are
    responses = {k: t.key for k, t in term_lookup(RESPONSES).items()}
    log["response"] = map_unique(log["response"], lambda v: responses.get(normalise_header(v)))
    kinds = {k: t.key for k, t in term_lookup(TASK_KINDS).items()}  # older logs: follow-ups
    log["kind"] = map_unique(log["kind"], lambda v: kinds.get(normalise_header(v), "followup"))
    return _typed(log[log["customer_id"] != ""].reset_index(drop=True))


def _typed(log: pd.DataFrame) -> pd.DataFrame:
    for key in DATE_KEYS:
        log[key] = pd.to_datetime(
            map_unique(log[key], lambda v: v if isinstance(v, dt.date) else None)
        )
    return log


def first_due_of_new_leads(log: pd.DataFrame, ids: pd.Series) -> pd.Series:
    """For each id, the due date of its open never-contacted task, if any: a new lead stays
    due on the day the sync first scheduled it, so it turns overdue if nobody calls."""
    waiting = log[(log["state"] == "open") & log["basis"].isna()]
    return by_id(waiting.groupby("customer_id")["due_date"].min(), ids)


def update_log(
    log: pd.DataFrame, customers: pd.DataFrame, today: dt.date, keep_days: int = 90
) -> pd.DataFrame:
    """Close finished and superseded tasks, open today's new ones, and forget closed tasks
    older than `keep_days` (open ones are kept however old: they are still owed).

    `customers` has one row per customer: customer_id, last_contact, due, status, owner,
    grade, has_error. Rows with errors leave their tasks untouched: their data is unreliable.
    """
    opened = ["due", "status", "last_contact", "owner", "grade", "task_kind", "step"]
    valid = _valid(customers, [c for c in opened if c in customers])
    log = close_contacted(log, customers)
    is_open = log["state"] == "open"
    known = log["customer_id"].isin(valid.index)
    untouched = log["customer_id"].isin(customers.loc[customers["has_error"], "customer_id"])
    current = by_id(valid["due"], log["customer_id"])
    superseded = is_open & ~untouched & (~known | (current != log["due_date"]))
    missed = superseded & _occasion_passed(log, customers, today)
    log.loc[superseded & ~missed, "state"] = "cancelled"
    log.loc[missed, "state"] = "missed"
    log.loc[missed, "done_on"] = pd.Timestamp(today)  # closed on: the day it was seen missed
    closed_on = log["done_on"].fillna(log["due_date"])
    stale = (log["state"] != "open") & (
        closed_on < pd.Timestamp(today) - pd.Timedelta(days=keep_days)
    )
    return _open_new(log[~stale], valid.reset_index(), today)


OCCASIONS = ("care", "renewal")


def _occasion_passed(log: pd.DataFrame, customers: pd.DataFrame, today: dt.date) -> pd.Series:
    """Open 客户关怀 / 续约跟进 tasks whose occasion is over: a greeting due before today (the
    birthday has gone by: `events.occasions` keeps the task while it is ahead), a renewal
    whose contract has ended. Not a deleted or lost customer's, nor a renewal whose end date
    was moved on (renewed): those were not missed, their task is simply no longer wanted."""
    now = pd.Timestamp(today)
    kept = customers if "lost" not in customers else customers[~customers["lost"].astype(bool)]
    valid = _valid(kept, ["contract_end"] if "contract_end" in kept else [])
    ended = by_id(valid["contract_end"], log["customer_id"]) if "contract_end" in valid else None
    on_list = log["customer_id"].isin(valid.index)
    care = (log["kind"] == "care") & (log["due_date"] < now)
    renewal = (log["kind"] == "renewal") & (ended < now if ended is not None else False)
    return (on_list & (care | renewal)).astype(bool)


def _valid(customers: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """`columns` of the customers whose rows have no error, by id (an id on two rows is
    nobody's: which row counts cannot be told). Only the columns asked for: the board is
    dozens of columns of 100 k rows, and each whole copy of it was ~25 MB at its peak."""
    valid = customers.loc[~customers["has_error"], ["customer_id", *columns]]
    return valid.drop_duplicates("customer_id", keep=False).set_index("customer_id")


def close_contacted(log: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Mark done the open tasks a recorded contact has completed, with what that contact
    recorded (`response`, when given): health reads it in the same run.

    A task for a step of a plan (计划步骤) is done by a contact that completed that step
    (`done`: each customer's step -> the day it was last done, rules/plans.py): a call does
    not complete the material due the same week. A task without a step, or for a step the
    plan no longer has, is done by any contact after it was created."""
    wanted = [c for c in ("last_contact", "response", "done") if c in customers]
    valid = _valid(customers, wanted)
    log = log.copy()
    last = by_id(valid["last_contact"], log["customer_id"])
    known = (log["state"] == "open") & log["customer_id"].isin(valid.index)
    after = log["basis"].isna() | (last > log["basis"])
    done = known & last.notna() & ((last >= log["due_date"]) | after)
    if "done" in valid and "step" in log:
        step_done = _step_done(log, by_id(valid["done"], log["customer_id"]))
        by_step = _planned_step(log, valid)
        on_step = step_done.notna() & (
            log["basis"].isna() | (step_done > log["basis"]) | (step_done >= log["due_date"])
        )
        done = known & ((done & ~by_step) | (on_step & by_step))
        last = last.where(~by_step, step_done)
    log.loc[done, "state"] = "done"
    log.loc[done, "done_on"] = last[done]
    if "response" in valid:
        log.loc[done, "response"] = by_id(valid["response"], log["customer_id"])[done]
    return log


def _step_key(step: object) -> str:
    return "" if is_blank(step) else normalise_header(step)


def _step_done(log: pd.DataFrame, plans: pd.Series) -> pd.Series:
    """The day each task's step was last done, by its customer's plan (NaT: not done, or no
    such step); the plan keeps day numbers (rules/plans.py)."""
    days = [
        plan.get(_step_key(step)) if isinstance(plan, dict) and _step_key(step) else None
        for step, plan in zip(log["step"], plans, strict=True)
    ]
    return as_dates(days).set_axis(log.index)


def _planned_step(log: pd.DataFrame, valid: pd.DataFrame) -> pd.Series:
    """Tasks whose step is one of their customer's plan (done or not)."""
    plans = by_id(valid["done"], log["customer_id"])
    return pd.Series(
        [
            isinstance(plan, dict) and _step_key(step) in plan
            for step, plan in zip(log["step"], plans, strict=True)
        ],
        index=log.index,
        dtype=bool,
    )


def hand_over(log: pd.DataFrame, customers: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """A reassigned customer's open tasks not yet due go to the new 负责人: they are now
    theirs to do, and theirs to count. A task already due stays with the owner who held it
    when it was due (a completion rate counts them, not the colleague who inherits the
    customer), as do done and cancelled tasks. 张伟 and 張偉 are one person, as in 跟进历史.
    Rows with errors or without an owner move nothing (`customers`: customer_id, owner,
    has_error)."""
    valid = _valid(customers, ["owner"])
    owner = by_id(map_unique(valid["owner"], cell_text), log["customer_id"]).fillna("")
    held = map_unique(log["owner"], cell_text)
    same = map_unique(owner, normalise_header) == map_unique(held, normalise_header)
    ahead = log["due_date"] >= pd.Timestamp(today)
    moved = (log["state"] == "open") & (owner != "") & ~same & ahead
    if not moved.any():
        return log
    log = log.copy()
    log["owner"] = log["owner"].astype(object)
    log.loc[moved, "owner"] = owner[moved]
    return log


def by_id(values: pd.Series, ids: pd.Series) -> pd.Series:
    """`values[ids]` for values indexed by customer id, keeping the dates' dtype (Series.map
    turns empty lookups into floats)."""
    return pd.Series(values.reindex(ids.to_numpy()).to_numpy(), index=ids.index)


def _open_new(log: pd.DataFrame, valid: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    active = valid[valid["status"].isin(ACTIVE_STATUSES) & valid["due"].notna()]
    key = ["customer_id", "due_date"]
    wanted = active.rename(columns={"due": "due_date", "last_contact": "basis"})
    merged = wanted.merge(log[key].assign(_in_log=True), on=key, how="left")
    fresh = merged[merged["_in_log"].isna()]
    reopen = log.set_index(key).index.isin(wanted.set_index(key).index)
    log.loc[reopen & (log["state"] == "cancelled"), "state"] = "open"
    new = pd.DataFrame(
        {
            "customer_id": fresh["customer_id"],
            "due_date": fresh["due_date"],
            "owner": fresh["owner"],
            "grade": fresh["grade"],
            "state": "open",
            "created": pd.Timestamp(today),
            "basis": fresh["basis"],
            "done_on": pd.NaT,
            "reminded_at": None,
            "escalated_at": None,
            "response": None,
            "kind": fresh.get("task_kind", "followup"),
            "step": fresh.get("step", None),
        }
    )
    if new.empty:
        return log.reset_index(drop=True)
    new = new.astype(
        {"owner": object, "grade": object, "response": object, "kind": object, "step": object}
    )
    return pd.concat([log, new], ignore_index=True)


def log_rows(log: pd.DataFrame, locale: str) -> list[list[object]]:
    """The ledger as sheet rows (header first), dates as real dates. Built a column at a
    time (words looked up once a column, blanks by one `isna`), not a row at a time."""
    words = {t.key: t.text(locale) for t in TASK_STATES}
    said = {t.key: t.text(locale) for t in RESPONSES}
    kinds = {t.key: t.text(locale) for t in TASK_KINDS}
    columns: list[list[object]] = []
    for key in LOG_COLUMNS:
        column = log[key]
        if key in DATE_KEYS and pd.api.types.is_datetime64_dtype(column):
            column = column.dt.date.astype(object)  # dates made in one pass (NaT stays blank)
        values, blank = column.tolist(), column.isna().tolist()
        if key == "state":
            values = [words[v] for v in values]
        elif key == "response":
            values = [said.get(v) for v in values]  # a word, or None
        elif key == "kind":
            values = [kinds.get(v, kinds["followup"]) for v in values]
        else:  # dates as dates; any blank (None, NaN, NaT) as None
            dates = key in DATE_KEYS
            values = [
                None if b else v.date() if dates and isinstance(v, dt.datetime) else v
                for v, b in zip(values, blank, strict=True)
            ]
        columns.append(values)
    return [TASK_LOG.headers(locale), *(list(row) for row in zip(*columns, strict=True))]


def record_mail(log: pd.DataFrame, entries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Stamp reminded_at / escalated_at from the mail journal: the first send of a task
    stays. A stamp that moved with every day's digest would rewrite every overdue task's row
    of the log each morning; which day's digest went out is in the journal and 邮件记录."""
    log = log.copy(deep=False)  # copy-on-write: only the two stamped columns are new
    days = map_unique(log["due_date"], lambda d: "" if pd.isna(d) else d.strftime("%Y-%m-%d"))
    keys = list(zip(log["customer_id"], days, strict=True))  # one text per distinct day
    for column, field in (("reminded_at", "reminds"), ("escalated_at", "escalates")):
        stamps = {  # keyed by the journal's own (task, day) pairs: no key made per pair
            pair: entry["at"]
            for entry in sorted(entries, key=lambda e: e["at"], reverse=True)  # earliest last
            for pair in entry[field]
            if type(pair) is tuple  # a pair the journal could read (records._pair)
        }
        if stamps:
            new = pd.Series([stamps.get(k) for k in keys], index=log.index, dtype=object)
            unset = log[column].map(is_missing) | log[column].eq("")
            log[column] = new.where(new.notna() & unset, log[column]).astype(object)
    return log
