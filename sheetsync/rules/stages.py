"""How long each deal has been in its 销售阶段, and which deals have stalled there.

The sheet only says where a deal is now, so the sync remembers when it first saw each customer
in each stage, in the 阶段记录 tab: a re-run keeps the date, a stage change starts a new one.
A customer first seen by the sync counts from that day (nothing older is known), unless
people give the day: a date typed in its 阶段开始日期 (an existing sheet's own column, or a new
row) starts its first record, so the stage timer and the sales cycle count from it rather
than from the sync's first run.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sheetsync.rules.tasks import by_id
from sheetsync.workbook.parsing import date_or_none, map_unique
from sheetsync.workbook.schema import STAGE_LOG, STAGES, normalise_header, term_lookup
from sheetsync.workbook.tables import Sheet
from sheetsync.workbook.validate import normalise_id

COLUMNS = ["customer_id", "stage", "since"]


def read_stage_log(sheet: Sheet | None) -> pd.DataFrame:
    """(customer_id, stage key, since); unreadable rows are dropped rather than stop a run."""
    if sheet is None or sheet.frame.empty:
        return pd.DataFrame({"customer_id": [], "stage": [], "since": pd.to_datetime([])})
    keys = {k: t.key for k, t in term_lookup(STAGES).items()}
    log = pd.DataFrame(
        {
            "customer_id": map_unique(sheet.frame["customer_id"], normalise_id),
            "stage": map_unique(sheet.frame["stage"], lambda v: keys.get(normalise_header(v))),
            "since": pd.to_datetime(map_unique(sheet.frame["since"], date_or_none)),
        }
    )
    keep = (log["customer_id"] != "") & log["stage"].notna() & log["since"].notna()
    return log[keep].reset_index(drop=True)


def update_stage_log(
    log: pd.DataFrame, customers: pd.DataFrame, today: dt.date, typed: pd.Series | None = None
) -> pd.DataFrame:
    """A new record for every customer whose stage differs from its latest record, dated
    today, or, for a customer the log has no record of, the date typed in its 阶段开始日期
    (`typed`: the cells as people left them, by follow-up row), when it is one not after
    today.

    `customers`: customer_id and stage_key, one row per customer (ids used twice or blank,
    and unknown stages, are left out: which row is "the" customer is not known)."""
    known = customers[(customers["customer_id"] != "") & customers["stage_key"].notna()]
    known = known.drop_duplicates("customer_id", keep=False)
    latest = _latest(log)
    current = latest.reindex(known["customer_id"].to_numpy())["stage"].to_numpy()
    moved = known[current != known["stage_key"].to_numpy()]
    since = pd.Series(pd.Timestamp(today), index=moved.index)
    if typed is not None and len(moved):
        given = pd.to_datetime(map_unique(typed.reindex(moved.index), _typed_day))
        first = ~moved["customer_id"].isin(set(log["customer_id"]))
        since = since.where(~(first & (given <= pd.Timestamp(today))), given)
    new = pd.DataFrame(
        {
            "customer_id": moved["customer_id"],
            "stage": moved["stage_key"],
            "since": since,
        }
    )
    if new.empty:
        return log
    return pd.concat([log, new], ignore_index=True)


def _typed_day(value: object) -> dt.date | None:
    """A date people typed (a date cell or date text); a number is no date here: Excel's day
    serials and an older version's day counts look alike."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None
    found = date_or_none(value)
    return found if isinstance(found, dt.date) else None


def _latest(log: pd.DataFrame) -> pd.DataFrame:
    ordered = log.sort_values("since", kind="stable")
    return ordered.drop_duplicates("customer_id", keep="last").set_index("customer_id")


def stage_start(log: pd.DataFrame, customers: pd.DataFrame) -> pd.Series:
    """The day the customer entered its current stage (阶段开始日期); NaT where not tracked.
    This, not a day count, is what the sheet shows: it stays the same from day to day."""
    latest = _latest(log)
    found = latest.reindex(customers["customer_id"].to_numpy())
    same = found["stage"].to_numpy() == customers["stage_key"].to_numpy()
    return pd.Series(found["since"].to_numpy(), index=customers.index).where(same)


def days_since(start: pd.Series, today: dt.date) -> pd.Series:
    """Whole days from `start` to today; NaN where there is no start."""
    return (pd.Timestamp(today) - pd.to_datetime(start)).dt.days.astype(float)


def first_seen(log: pd.DataFrame, ids: pd.Series) -> pd.Series:
    """The day the sync first saw each customer, in any stage (NaT if never)."""
    return by_id(log.groupby("customer_id")["since"].min(), ids)


def stalled(
    customers: pd.DataFrame, days: pd.Series, limits: dict[str, int], today: dt.date
) -> pd.Series:
    """Past the stage's expected days and nothing planned: a future agreed date or a pause
    is a plan, so an old deal with a meeting booked is not stalled. Churned ones and 输单
    are lost, not stalled."""
    limit = customers["stage_key"].map(limits).astype(float)
    now = pd.Timestamp(today)
    planned = (
        (customers["agreed_date"] >= now)
        | customers["paused_forever"]
        | (customers["paused_until"] >= now)
    )
    lost = customers["stage_key"] == "lost"  # closed: nothing left to stall
    return (days > limit) & ~planned & ~customers["churned"] & ~customers["has_error"] & ~lost


def stage_log_rows(log: pd.DataFrame, locale: str) -> list[list[object]]:
    words = {t.key: t.text(locale) for t in STAGES}
    rows: list[list[object]] = [[*STAGE_LOG.headers(locale)]]
    for customer_id, stage, since in zip(
        log["customer_id"], log["stage"], log["since"], strict=True
    ):
        rows.append([customer_id, words[stage], since.date()])
    return rows
