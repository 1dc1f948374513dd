"""健康度 (客户维护策略): which customers are fine, which need attention, which are lost.

流失 (churned): no contact for `churn_days`, or marked 已流失 by a person. 预警 (warning): the
next follow-up the sync scheduled (下次跟进日期: the agreed date, the computed one, a new
lead's first day) passed by more than `overdue_workdays` working days (blank: the grade's
逾期升级 days), purchases down by `purchase_drop` or more against the last period, or the last
`no_response` completed follow-ups (in 跟进历史, one per 跟进日期; else the task log) all
recorded no response. Otherwise 健康. Rows with errors get nothing: their dates can't be
trusted.

Lateness is counted in workdays from the scheduled date, never in calendar days since the
last contact: that made every A customer called on Friday a 预警 on Monday, and every one
due on the first day after a holiday, until the column was noise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from sheetsync.rules.grading import GradeRule
from sheetsync.rules.history import contacts
from sheetsync.workbook.parsing import cell_text, map_unique
from sheetsync.workbook.schema import NO_RESPONSE_WORDS, normalise_header

_NO_RESPONSE = tuple(normalise_header(w) for w in NO_RESPONSE_WORDS)


def response(summary: pd.Series, feedback: pd.Series) -> pd.Series:
    """What the latest contact recorded: "none" when 跟进内容摘要 or 客户反馈 says nobody
    answered, "responded" when they say anything else, None when both are empty."""
    text = map_unique(summary, cell_text) + " " + map_unique(feedback, cell_text)

    def said(value: str) -> str | None:
        words = normalise_header(value)
        if not words:
            return None
        return "none" if any(w in words for w in _NO_RESPONSE) else "responded"

    return map_unique(text, said)


def silent_streak(
    log: pd.DataFrame, ids: pd.Series, count: int, history: pd.DataFrame | None = None
) -> pd.Series:
    """True where the customer's last `count` follow-ups all recorded no response.

    The follow-ups are the contacts in 跟进历史 where it holds `count` of them (every contact,
    whether or not a task was due; a note refined on the same 跟进日期 is still one contact,
    `history.contacts`); else the completed tasks of the task log, whose 客户回应
    is what the contact that closed each one recorded."""
    if count < 1:
        return pd.Series(False, index=ids.index)
    from_log = _log_streak(log, ids, count)
    if history is None:
        return from_log
    told = contacts(history)
    last = told.assign(said=response(told["summary"], told["feedback"]))
    last = last.groupby("customer_id", sort=False).tail(int(count))
    found = _unanswered(last, "said", count).reindex(ids.to_numpy())
    use = found.notna().to_numpy()
    return from_log.where(~use, found.fillna(False).astype(bool).to_numpy())


def _log_streak(log: pd.DataFrame, ids: pd.Series, count: int) -> pd.Series:
    done = log[log["state"] == "done"].sort_values(["done_on", "due_date"], kind="stable")
    last = done.groupby("customer_id").tail(int(count))
    silent = _unanswered(last, "response", count)
    return pd.Series(
        silent.reindex(ids.to_numpy()).fillna(False).to_numpy(dtype=bool), index=ids.index
    )


def _unanswered(last: pd.DataFrame, column: str, count: int) -> pd.Series:
    """By customer id, for those with `count` follow-ups in `last`: whether none of them got
    a response. Whole columns at a time: a Python function per customer cost seconds at
    100 k customers."""
    groups = (last[column] == "none").groupby(last["customer_id"], sort=False)
    return groups.all()[groups.size() >= count]


def allowed_lateness(
    grades: pd.Series, rules: list[GradeRule], settings: Mapping[str, float]
) -> pd.Series:
    """How many workdays past its next follow-up date each customer may be before 预警: the
    价值分级 tab's `overdue_workdays`, else the grade's 逾期升级 days (when the manager hears
    of it, the customer is at risk); a grade without a rule takes the catch-all's."""
    if settings.get("overdue_workdays") is not None:
        return pd.Series(float(settings["overdue_workdays"]), index=grades.index)
    after = {r.grade: float(r.escalate_after) for r in rules}
    return grades.map(after).astype(float).fillna(float(rules[-1].escalate_after))


def health(
    customers: pd.DataFrame,
    overdue: pd.Series,
    allowed: pd.Series,
    log: pd.DataFrame,
    settings: dict[str, float],
    today: dt.date,
    history: pd.DataFrame | None = None,
) -> pd.Series:
    """Health keys (churned / warning / healthy), None for rows with errors.

    `customers`: customer_id, last_contact, churned, purchase_current, purchase_previous,
    has_error; `overdue`: workdays each customer's next follow-up date is past
    (`WorkCalendar.days_overdue`: 0 or less when not yet due, NaN without a date);
    `allowed`: the workdays each may be late (`allowed_lateness`)."""
    days = (pd.Timestamp(today) - customers["last_contact"]).dt.days
    churned = customers["churned"] | (days >= settings["churn_days"])
    current, previous = customers["purchase_current"], customers["purchase_previous"]
    dropped = (previous > 0) & (current <= previous * (1 - settings["purchase_drop"]))
    warning = (overdue > allowed).fillna(False).astype(bool) | dropped
    silent = silent_streak(log, customers["customer_id"], int(settings["no_response"]), history)
    warning |= silent
    result = pd.Series("healthy", index=customers.index, dtype=object)
    result[warning] = "warning"
    result[churned] = "churned"
    return result.where(~customers["has_error"], None)


def wake_up(
    last_contact: pd.Series, first_seen: pd.Series, every: float, today: dt.date
) -> pd.Series:
    """A churned customer's next touch: every `every` days from the last contact (or the day
    the sync first saw them), the first such day from today on. Never overdue: a missed
    wake-up simply waits for the next one."""
    anchor = last_contact.fillna(first_seen).fillna(pd.Timestamp(today))
    now = pd.Timestamp(today)
    periods = ((now - anchor).dt.days / every).apply(lambda p: max(1, -(-p // 1)))
    woken: pd.Series = anchor + pd.to_timedelta(periods * every, unit="D")
    return woken
