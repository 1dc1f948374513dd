"""Occasions that earn their own task: a contract about to end (续约跟进), a birthday or
anniversary (客户关怀), and a complaint recorded in the follow-up (投诉处理, due today).

An occasion does not add a second task beside the regular one: it pulls the customer's next
follow-up earlier, so the one task in 任务记录 (kind 续约跟进/客户关怀) is what the digest,
the summary and escalation already count, and a recorded contact closes it like any other.
Once done, the occasion stays quiet until the next one (the next contract end, next year's
birthday): the log remembers a done task of that kind created in the occasion's window.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pandas._libs.tslibs.nattype import NaTType

from sheetsync.rules.tasks import by_id
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.workbook.messages import lang, prose_in_script, say
from sheetsync.workbook.parsing import cell_text, map_unique
from sheetsync.workbook.schema import normalise_header

RENEWAL_DAYS = 30  # a renewal is prepared a month before the contract ends
CARE_DAYS = 7  # a greeting is planned a week ahead
FEBRUARY, LEAP_DAY = 2, 29  # 2月29日: greeted on 2月28日 in other years
FRESH_DAYS = 7  # a note read for the first time raises a complaint if its contact is this recent
HANDLED_DAYS = 30  # ... and no complaint of the customer was handled this recently

MARKERS = {
    "zh": {
        "renewal": "【续约跟进:合同{date}到期】",
        "complaint": "【需重点关注:客户投诉,今日处理】",
        "care": "【客户关怀:{date}生日/纪念日,建议问候“祝您生日/纪念日快乐,感谢一直以来的信任与支持!”】",
    },
    "en": {
        "complaint": "[Needs attention: complaint, handle today] ",
        "renewal": "[Renewal: contract ends {date}] ",
        "care": '[Care: birthday/anniversary on {date}; suggested greeting "Happy birthday/'
        'anniversary, and thank you for your trust and support!"] ',
    },
}


def next_birthday(birthday: pd.Series, today: dt.date) -> pd.Series:
    """The next occurrence (today or later) of each birthday; 2月29日 falls on 2月28日 in
    other years so it is never skipped. Worked out once per distinct date."""

    def upcoming(ts: pd.Timestamp) -> pd.Timestamp | NaTType:
        if pd.isna(ts):
            return pd.NaT
        for year in (today.year, today.year + 1):
            leap_day = ts.month == FEBRUARY and ts.day == LEAP_DAY and not calendar.isleap(year)
            day = (
                dt.date(year, FEBRUARY, LEAP_DAY - 1)
                if leap_day
                else dt.date(year, ts.month, ts.day)
            )
            if day >= today:
                return pd.Timestamp(day)
        return pd.NaT

    return map_unique(birthday, upcoming).astype("datetime64[ns]")


def occasions(
    rows: pd.DataFrame, log: pd.DataFrame, today: dt.date, calendar: WorkCalendar
) -> pd.DataFrame:
    """Per customer row: the occasion's `kind`, its `date` and the task's `due` (NaT for none).

    A renewal is due 30 days before the end (today if that has passed), a greeting on the day
    itself (the workday before when it falls on a weekend or holiday, never before today);
    both keep the due date of their open task, so it turns overdue rather than drifting.
    Renewal wins when both fall in the same run: it is the one that costs money to miss.
    """
    now = pd.Timestamp(today)
    ends = rows["contract_end"]
    renew = ends.notna() & (ends >= now) & (ends <= now + pd.Timedelta(days=RENEWAL_DAYS))
    # pandas-stubs' `clip` takes no Timestamp; a column of dates clips to one all the same.
    earliest = (ends - pd.Timedelta(days=RENEWAL_DAYS)).clip(lower=now)  # type: ignore[call-overload]
    renew_due = calendar.roll_forward(earliest)
    born = next_birthday(rows["birthday"], today)
    care = born.notna() & (born <= now + pd.Timedelta(days=CARE_DAYS))
    care_due = map_unique(born, lambda d: _workday_before(d, today, calendar))
    care_due = care_due.astype("datetime64[ns]")
    out = pd.DataFrame({"kind": None, "date": pd.NaT, "due": pd.NaT}, index=rows.index)
    for kind, wanted, date, due, days in (
        ("care", care, born, care_due, CARE_DAYS),
        ("renewal", renew, ends, renew_due, RENEWAL_DAYS),
    ):
        ids = rows["customer_id"]
        window = date - pd.Timedelta(days=days)
        done = _done_since(log, kind, ids, window)
        held = by_id(_open_due(log, kind), ids)
        take = wanted & ~done
        out.loc[take, "kind"] = kind
        out.loc[take, "date"] = date[take]
        out.loc[take, "due"] = held.where(held.notna(), due)[take]
    return out


def _workday_before(
    day: pd.Timestamp, today: dt.date, calendar: WorkCalendar
) -> pd.Timestamp | NaTType:
    if pd.isna(day):
        return pd.NaT
    date = day.date()
    while date > today and not calendar.is_workday(date):
        date -= dt.timedelta(days=1)
    return pd.Timestamp(calendar.next_workday(date))


def _done_since(log: pd.DataFrame, kind: str, ids: pd.Series, since: pd.Series) -> pd.Series:
    """Whether a task of `kind` created on/after `since` (the occasion's window) is done."""
    done = log[(log["kind"] == kind) & (log["state"] == "done")]
    latest = by_id(done.groupby("customer_id")["created"].max(), ids)
    return (latest.notna() & (latest >= since)).astype(bool)


def _open_due(log: pd.DataFrame, kind: str) -> pd.Series:
    return (
        log[(log["kind"] == kind) & (log["state"] == "open")]
        .groupby("customer_id")["due_date"]
        .min()
    )


def fold(due: pd.Series, occasion: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The next follow-up with occasions pulled in, and each row's task kind."""
    earlier = occasion["due"].notna() & (due.isna() | (occasion["due"] <= due))
    kind = occasion["kind"].where(earlier, "followup").astype(object)
    return due.where(~earlier, occasion["due"]), kind


def markers(occasion: pd.DataFrame, kind: pd.Series, locale: str) -> pd.Series:
    """Text put before the task of a row whose task is an occasion's."""
    texts = MARKERS[lang(locale)]
    return pd.Series(
        [
            prose_in_script(texts[k].format(date=d.date().isoformat()), locale)
            if k in texts
            else ""
            for k, d in zip(kind, occasion["date"], strict=True)
        ],
        index=kind.index,
        dtype=object,
    )


# --- words in 跟进内容摘要 / 客户反馈 ----------------------------------------------------------
# Complaints are read by rules/attention.py. The 建议暂缓 words are matched here: a word right
# after one of these, or right before one of the others, is not said (无需, 已处理).
NOT_BEFORE = ("无", "没有", "没", "未", "已处理", "已解决")
NOT_AFTER = ("已处理", "已解决", "已撤销", "已撤回")


def said(summary: pd.Series, feedback: pd.Series, words: tuple[str, ...]) -> pd.Series:
    """The first of `words` the follow-up record says (as typed in the rules tab), or ""."""
    text = map_unique(summary, cell_text) + " " + map_unique(feedback, cell_text)
    return map_unique(text, lambda t: _first_said(normalise_header(t), words))


def _first_said(text: str, words: tuple[str, ...]) -> str:
    for word in words:
        start = text.find(word)
        while start >= 0:
            before, after = text[:start], text[start + len(word) :]
            if not before.endswith(NOT_BEFORE) and not after.startswith(NOT_AFTER):
                return word
            start = text.find(word, start + 1)
    return ""


def complaints(
    rows: pd.DataFrame,
    alert: pd.Series,
    log: pd.DataFrame,
    today: dt.date,
    new: pd.Series | None = None,
) -> pd.DataFrame:
    """Occasions for the rows whose record says a complaint: a task due today (never moved to
    a workday: a complaint does not wait for Monday), kept while it is open, done by the next
    recorded contact. `date`: the contact that recorded it (today if none).

    `new`: whether the note can raise a complaint: written or changed since the last run read
    it, or never read before with a recent contact (`fresh_notes`). A complaint is raised by
    the note that says it, once: a rep who records the next call and leaves the note as it
    was has handled it, and is not alerted again every time a contact is recorded. A paused
    customer (暂缓至) gets no task and no alert (校验提示 still says it)."""
    now = pd.Timestamp(today)
    date = rows["last_contact"].where(rows["last_contact"].notna(), now)
    done = _done_since(log, "complaint", rows["customer_id"], date)
    held = by_id(_open_due(log, "complaint"), rows["customer_id"])
    paused = rows["paused_forever"] | (rows["paused_until"] >= now)
    raised = held.notna() if new is None else (new.astype(bool) | held.notna())
    take = (alert != "") & ~done & ~rows["has_error"] & ~paused & raised
    out = pd.DataFrame({"kind": None, "date": pd.NaT, "due": pd.NaT}, index=rows.index)
    out.loc[take, "kind"] = "complaint"
    out.loc[take, "date"] = date[take]
    out.loc[take, "due"] = held.where(held.notna(), now)[take]
    return out


def fresh_notes(
    state: pd.Series, last_contact: pd.Series, log: pd.DataFrame, ids: pd.Series, today: dt.date
) -> pd.Series:
    """Which notes can raise a complaint (`remembered`'s states). A note changed since the last
    run can. One no run read before (a first sync, a customer added since), or read again with
    new rules (a word the manager taught, a release), can only when its contact is recent
    (within FRESH_DAYS, or not yet dated) and no complaint of the customer was handled in the
    last HANDLED_DAYS: an old note's complaint is history, and a handled one stays handled,
    so neither day one nor a new rule brings a storm of alerts."""
    now = pd.Timestamp(today)
    recent = last_contact.isna() | (last_contact >= now - pd.Timedelta(days=FRESH_DAYS))
    handled = _done_since(
        log, "complaint", ids, pd.Series(now - pd.Timedelta(days=HANDLED_DAYS), index=ids.index)
    )
    again = state.isin(["unseen", "reread"]) & recent & ~handled
    return ((state == "changed") | again).astype(bool)


def checks(
    rows: pd.DataFrame, alert: pd.Series, hold: pd.Series, today: dt.date, locale: str, column: str
) -> pd.Series:
    """校验提示 with 需重点关注 for a complaint, and for 近期无需沟通 and the like a
    suggestion to fill 暂缓至 (a suggestion only: people's columns are theirs to change)."""
    paused = rows["paused_forever"] | (rows["paused_until"] >= pd.Timestamp(today))
    notes = pd.Series("", index=rows.index, dtype=object)
    for i in rows.index[alert != ""]:
        notes[i] = say("event_alert", locale, word=alert[i])
    for i in rows.index[(alert == "") & (hold != "") & ~paused]:
        notes[i] = say("event_hold", locale, word=hold[i], column=column)
    both = (rows["check"] != "") & (notes != "")
    return (rows["check"] + pd.Series("; ", index=rows.index).where(both, "") + notes).astype(
        object
    )
