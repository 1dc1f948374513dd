"""The forecast: each open deal's 预计金额 weighed by its stage's success rate (价值分级's
阶段成功率, the playbook's 80/60/45/35/25/20 %), by month of 预计成交日期 and by owner, and each
owner's figure set against last month's.

Open deals only: won (成交维护) and lost (输单) have closed, and a stage without a rate (培育池
by default, or an unknown stage) is not forecast; nor is a deal without 预计金额 (nothing to
weigh) or a row with errors (its figures cannot be trusted).

Last month's figure comes from the 预测记录 tab, append-only: a sync records every owner's
weighted pipeline (and the team's total) as it stands that day when the month has no record
yet or the figures changed since its latest one, so the last record of a month is what its
last sync saw: "last month" is where the month ended, not where it began (a first-of-month
figure is weeks old by the month's end). Append, not rewrite, because a forecast that is
edited afterwards is no record: what the team expected stays as it was, on either backend,
and people can chart it. At most one set of rows a day, only on days the pipeline moved.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import pandas as pd

from sheetsync.workbook.changes import Amount, Share, in_wan
from sheetsync.workbook.parsing import cell_text, date_or_none, map_unique
from sheetsync.workbook.schema import FORECAST_LOG, SUMMARY_LABELS, normalise_header, summary_words
from sheetsync.workbook.tables import Section, Sheet

CLOSED = ("won", "lost")
TOTAL = ""  # the team's total in the log: the owner cell reads 合计 / Total
PAST, NO_DATE = "past", "none"
LOG_COLUMNS = ["month", "owner", "weighted", "recorded"]


def open_deals(board: pd.DataFrame, rates: dict[str, float]) -> pd.DataFrame:
    """The deals the forecast counts, with owner (trimmed text), amount, close date, rate
    and weighted amount."""
    rate = board["stage_key"].map(rates).astype(float)
    amount = board["expected_amount"].astype(float)
    counted = (
        rate.notna()
        & amount.notna()
        & ~board["stage_key"].isin(CLOSED)
        & ~board["has_error"].astype(bool)
    )
    deals = board.loc[counted, ["owner", "expected_close"]]  # not the whole board's columns
    return pd.DataFrame(
        {
            "owner": map_unique(deals["owner"], cell_text),
            "amount": amount[counted],
            "close": pd.to_datetime(deals["expected_close"]),
            "rate": rate[counted],
            "weighted": amount[counted] * rate[counted],
        }
    )


def month_of(close: pd.Series, today: dt.date) -> pd.Series:
    """ "2026-11" for a date today or later (the last day of a month is in that month), PAST
    for a date already gone by (a deal that did not close when expected), NO_DATE for none."""
    now = pd.Timestamp(today)
    months: pd.Series = close.dt.strftime("%Y-%m").astype(object)
    months[close < now] = PAST
    months[close.isna()] = NO_DATE
    return months


def _money(value: float) -> Amount | str:
    """In 万元, like every amount in 汇总."""
    return in_wan(float(value)) if math.isfinite(value) else "—"


def by_month(
    board: pd.DataFrame, rates: dict[str, float] | None, today: dt.date, locale: str
) -> Section:
    """Past expected dates first (they need a new date), the months ahead in order, deals
    without a date last; a total row. No table without rates."""
    if rates is None:
        return []
    words = summary_words(locale)
    deals = open_deals(board, rates)
    if deals.empty:  # nobody fills 预计金额 (yet): no table of zeros, no empty chart
        return []
    deals["month"] = month_of(deals["close"], today)
    months = sorted(set(deals["month"]) - {PAST, NO_DATE})
    named = {PAST: words["past_close_date"], NO_DATE: words["no_close_date"]}
    rows = []
    for month in [PAST, *months, NO_DATE]:
        mine = deals[deals["month"] == month]
        if len(mine):
            rows.append([named.get(month, month), *_figures(mine)])
    rows.append([words["total"], *_figures(deals)])
    header = [words[k] for k in ("month", "deals", "expected", "weighted")]
    return [[words["forecast_month"]], header, *rows]


def _figures(deals: pd.DataFrame) -> list[object]:
    return [len(deals), _money(deals["amount"].sum()), _money(deals["weighted"].sum())]


def weighted_by_owner(board: pd.DataFrame, rates: dict[str, float]) -> dict[str, float]:
    """Each owner's weighted pipeline, and the team's under TOTAL."""
    deals = open_deals(board, rates)
    sums = deals.groupby("owner")["weighted"].sum()
    found = {str(owner): weighted for owner, weighted in sums.items()}  # owners are texts
    return {TOTAL: float(deals["weighted"].sum()), **found}


def last_month(today: dt.date) -> str:
    return (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")


def by_owner(
    board: pd.DataFrame,
    rates: dict[str, float] | None,
    log: pd.DataFrame | None,
    today: dt.date,
    locale: str,
    owners: Sequence[str] = (),
) -> Section:
    """Per owner: deals, expected and weighted amounts now, last month's weighted figure
    (from the log: "—" when no sync recorded last month; 0 for an owner it did not list)
    and the change. No table without rates and a log."""
    if rates is None or log is None:
        return []
    words = summary_words(locale)
    deals = open_deals(board, rates)
    before = latest_record(log, last_month(today)).groupby("owner")["weighted"].sum()
    known = not before.empty
    if deals.empty and not known:
        return []
    names = [o for o in owners if o in set(deals["owner"]) | set(before.index)]
    names += sorted((set(deals["owner"]) | set(before.index)) - set(names) - {TOTAL})
    rows = []
    for name, mine in [*((n, deals[deals["owner"] == n]) for n in names), (TOTAL, deals)]:
        then = float(before.get(name, 0.0)) if known else math.nan
        now = float(mine["weighted"].sum())
        change = _change(now, then)
        rows.append([name or words["total"], *_figures(mine), _money(then), change])
    header = ["owner", "deals", "expected", "weighted", "last_month", "change"]
    return [[words["forecast_owner"]], [words[k] for k in header], *rows]


def _change(now: float, then: float) -> Share | str:
    """Now against last month, as a percentage; "—" without a figure to compare with."""
    if not math.isfinite(then) or then == 0:
        return "—"
    return Share(round((now - then) / then, 6))


# --- the 预测记录 tab -----------------------------------------------------------------------
def read_forecast_log(sheet: Sheet | None) -> pd.DataFrame:
    """(month "YYYY-MM", owner, weighted, recorded); the total row's owner is TOTAL.
    Unreadable rows are dropped rather than stop a run."""
    if sheet is None or sheet.frame.empty:
        return pd.DataFrame({k: pd.Series(dtype=object) for k in LOG_COLUMNS})
    frame = sheet.frame
    totals = {
        normalise_header(t.text(loc))
        for t in SUMMARY_LABELS
        if t.key == "total"
        for loc in ("zh", "en")
    }
    owners = map_unique(frame["owner"], cell_text)
    log = pd.DataFrame(
        {
            "month": map_unique(frame["month"], _month),
            "owner": owners.where(~map_unique(owners, normalise_header).isin(totals), TOTAL),
            "weighted": pd.to_numeric(frame["weighted"], errors="coerce").astype(float),
            "recorded": map_unique(frame["recorded"], date_or_none),
        }
    )
    return log[log["month"].notna() & log["weighted"].notna()].reset_index(drop=True)


_MONTH_LEN = len("2026-11")  # a month as the log writes it


def _month(value: object) -> str | None:
    """A month as the log writes it ("2026-11"), or a date a spreadsheet made of it."""
    text = cell_text(value)
    if len(text) == _MONTH_LEN and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():
        return text
    day = date_or_none(value)
    return day.strftime("%Y-%m") if day else None


def latest_record(log: pd.DataFrame, month: str) -> pd.DataFrame:
    """The month's last recorded set of rows: from its last 合计 row on (a set starts with
    the team's total), or, when people deleted those, the rows of its latest 记录日期."""
    rows = log[log["month"] == month]
    totals = rows.index[rows["owner"] == TOTAL]
    if len(totals):
        return rows.loc[totals[-1] :]
    recorded = pd.to_datetime(rows["recorded"])
    return rows if recorded.isna().all() else rows[recorded == recorded.max()]


def record_month(log: pd.DataFrame, figures: dict[str, float], today: dt.date) -> pd.DataFrame:
    """The log with this month's rows added when the month has none yet or its latest
    record differs from `figures` (rounded as written): one more set of rows on each day the
    forecast moved, none while it stays as recorded."""
    month = today.strftime("%Y-%m")
    rounded = {k: round(v, 2) for k, v in figures.items()}
    last = latest_record(log, month)
    if len(last) and dict(zip(last["owner"], last["weighted"], strict=True)) == rounded:
        return log
    new = pd.DataFrame(
        {
            "month": month,
            "owner": list(figures),
            "weighted": [round(v, 2) for v in figures.values()],
            "recorded": today,
        }
    )
    return pd.concat([log, new], ignore_index=True) if len(log) else new


def forecast_log_rows(log: pd.DataFrame, locale: str) -> list[list[object]]:
    """Header and rows; the team's total named 合计 / Total."""
    total = summary_words(locale)["total"]
    rows: list[list[object]] = [[*FORECAST_LOG.headers(locale)]]
    columns = (log["month"], log["owner"], log["weighted"], log["recorded"])
    for month, owner, weighted, recorded in zip(*columns, strict=True):
        rows.append([month, owner or total, weighted, recorded])
    return rows
