"""Bounded logs (issue 25): which rows of 跟进历史, 阶段记录, 同步日志 and 预测记录 are old enough
to move to the archive, and the 历史汇总 block that keeps what the rules still need of them.

A year at 10 000 customers adds ~60 000 history rows (7 M cells against Google's 10 M a
spreadsheet): rows older than `keep_months` whole months move out. The summary and the mail
must show the same figures afterwards, so before rows leave, what the rules read of them is
kept in the hidden, sync-owned tab 历史汇总, and the rules read (that block + the rows left):

- 跟进历史: per customer the rows the rules look back to: its last RETAINED_CONTACTS contacts
  (the digest's 再上次, the no-response streak), its last contact of each 跟进方式 (the plan's
  steps), the rows where its 负责人 changes (who held a deal when it closed, the handover
  check, reps who left), each owner's last row naming a 上级, and the earliest row (the day
  the history was seeded); plus contacts per owner and month (each period of the summary is
  whole months up to today; by day for a contact dated on or after the first day kept) and
  every archived contact's key, so a contact typed in again is not recorded twice
  (rules/history.py).
- 阶段记录: per customer the records that decide its path's figures whatever comes after
  (`reduced_stages`): conversion, cycles and win/loss follow each customer's path, which
  counts cannot stand for (a median is no sum; a return to a stage depends on its days).
- 同步日志: the first run (the day the sync started: cycles before it are counted apart).
- 预测记录: nothing: "last month" is always within the months kept (at least 3).

Counted by whole months (before the first of the month `keep_months` back), so a tab is
rewritten at most once a month, not every day. Pure: sheets and frames in, rows out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from sheetsync.rules.forecast import _month
from sheetsync.rules.history import CONTACTS, contact_keys, contacts, history_rows, read_history
from sheetsync.rules.stages import read_stage_log, stage_log_rows
from sheetsync.workbook.parsing import cell_text, date_or_none, is_blank, map_unique
from sheetsync.workbook.schema import (
    ARCHIVED_ACTIVITIES,
    ARCHIVED_KEYS,
    FORECAST_LOG,
    FUNNEL_STAGES,
    HISTORY,
    STAGE_LOG,
    SYNC_LOG,
    Tab,
    normalise_header,
)
from sheetsync.workbook.tables import ROW, Grid, Sheet, load_sheet

LOGS = {
    "history": HISTORY,
    "stage_log": STAGE_LOG,
    "sync_log": SYNC_LOG,
    "forecast_log": FORECAST_LOG,
}
# The columns that date a row, first found first: when the sync recorded it, else its own date.
AGE = {
    "history": ("recorded", "date"),
    "stage_log": ("since",),
    "sync_log": ("run_date", "run_at"),
    "forecast_log": ("recorded", "month"),
}
RETAINED_CONTACTS = 10  # per customer: more than the no-response streak and 再上次 look back
KEY_SEPARATOR = ";"


def cutoff(today: dt.date, keep_months: int) -> dt.date:
    """The first day kept: the first of the month `keep_months` months before this one."""
    months = today.year * 12 + today.month - 1 - keep_months
    return dt.date(months // 12, months % 12 + 1, 1)


def _day(value: object) -> dt.date | None:
    found = date_or_none(value)
    if isinstance(found, dt.datetime):
        return found.date()
    if isinstance(found, dt.date):
        return found
    month = _month(value)  # 预测记录's 月份 ("2026-11")
    return dt.date(int(month[:4]), int(month[5:]), 1) if month else None


def old_rows(sheet: Sheet | None, key: str, before: dt.date) -> list[int]:
    """The sheet rows (1-based, as read) of `sheet`'s records dated before `before`. A row
    with no date in its dating columns stays: its age is not known."""
    if sheet is None or not sheet.header_row or sheet.frame is None or sheet.frame.empty:
        return []
    frame = sheet.frame
    day = pd.Series(None, index=frame.index, dtype=object)
    for column in AGE[key]:
        if column in sheet.columns:
            found = map_unique(frame[column], _day)
            day = day.where(day.notna(), found)
    old = day.map(lambda d: d is not None and d < before).astype(bool)
    return [int(r) for r in frame.loc[old, ROW]]


@dataclass
class Digest:
    """What 历史汇总 keeps of the archived rows, as the rules read the logs."""

    history: pd.DataFrame = field(default_factory=lambda: read_history(None))
    stages: pd.DataFrame = field(default_factory=lambda: read_stage_log(None))
    runs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=_keys(SYNC_LOG)))
    activities: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            {"owner": [], "day": pd.Series(dtype="datetime64[ns]"), "count": []}
        )
    )
    keys: dict[str, set[str]] = field(default_factory=dict)  # customer id -> contact keys

    def filed(self) -> set[tuple[str, str]]:
        """(customer id, contact key) of every archived contact."""
        return {(c, k) for c, keys in self.keys.items() for k in keys}

    def contacts(self) -> pd.DataFrame:
        """The archived contacts as (owner, date) rows, one per contact, dated as counted
        (the first of its month when before the rows kept): what `performance.activities`
        counts, so every period of whole months counts them as before they moved."""
        counts = self.activities
        if counts.empty:
            return pd.DataFrame(
                {"owner": pd.Series(dtype=object), "date": pd.Series(dtype="datetime64[ns]")}
            )
        times = counts["count"].astype(int).to_numpy()
        owners = counts["owner"].astype(object).to_numpy().repeat(times)
        days = pd.to_datetime(counts["day"]).to_numpy().repeat(times)
        return pd.DataFrame({"owner": owners, "date": days})


def _keys(tab: Tab) -> list[str]:
    return [c.key for c in tab.columns]


# --- reading and writing 历史汇总 --------------------------------------------------------------
BLOCKS = (HISTORY, STAGE_LOG, SYNC_LOG, ARCHIVED_ACTIVITIES, ARCHIVED_KEYS)


def _blocks(grid: Grid) -> dict[str, Grid]:
    """Block key -> its header row and data rows: each block is a title row (the tab's title
    in either language), a header row, data rows, and a blank row."""
    titles = {normalise_header(t): b.key for b in BLOCKS for t in b.titles()}
    found: dict[str, Grid] = {}
    rows = list(grid or [])
    i = 0
    while i < len(rows):
        first = rows[i][0] if rows[i] else None
        key = titles.get(normalise_header(first)) if not is_blank(first) else None
        if key is None or i + 1 >= len(rows):
            i += 1
            continue
        end = i + 2
        while end < len(rows) and any(not is_blank(v) for v in rows[end]):
            end += 1
        found[key] = rows[i + 1 : end]
        i = end
    return found


def _sheet(block: Grid | None, tab: Tab) -> Sheet | None:
    return None if not block else load_sheet(block, tab, tab.zh)


def read_digest(grid: Grid | None) -> Digest | None:
    """历史汇总 as written by `digest_rows`; None when the workbook has none."""
    if not grid:
        return None
    blocks = _blocks(grid)
    digest = Digest(
        history=read_history(_sheet(blocks.get("history"), HISTORY)),
        stages=read_stage_log(_sheet(blocks.get("stage_log"), STAGE_LOG)),
    )
    runs = _sheet(blocks.get("sync_log"), SYNC_LOG)
    if runs is not None and not runs.frame.empty:
        digest.runs = runs.frame[_keys(SYNC_LOG)].reset_index(drop=True)
    counted = _sheet(blocks.get("archived_activities"), ARCHIVED_ACTIVITIES)
    if counted is not None and not counted.frame.empty:
        frame = counted.frame
        digest.activities = pd.DataFrame(
            {
                "owner": map_unique(frame["owner"], cell_text),
                "day": pd.to_datetime(map_unique(frame["day"], _day)),
                "count": pd.to_numeric(frame["count"], errors="coerce"),
            }
        ).dropna(subset=["day", "count"])
    filed = _sheet(blocks.get("archived_keys"), ARCHIVED_KEYS)
    if filed is not None and not filed.frame.empty:
        for cid, text in zip(filed.frame["customer_id"], filed.frame["keys"], strict=True):
            keys = {k.strip() for k in cell_text(text).split(KEY_SEPARATOR) if k.strip()}
            if cell_text(cid):
                digest.keys.setdefault(cell_text(cid), set()).update(keys)
    return digest


def digest_rows(digest: Digest, locale: str) -> list[list[object]]:
    """The 历史汇总 tab's rows: each block under its title, a blank row between."""
    runs = [[_plain(r.get(k)) for k in _keys(SYNC_LOG)] for r in digest.runs.to_dict("records")]
    counts = digest.activities.sort_values(["day", "owner"], kind="stable")
    blocks = [
        (HISTORY, history_rows(digest.history, locale, header=False)),
        (STAGE_LOG, stage_log_rows(digest.stages, locale)[1:]),
        (SYNC_LOG, runs),
        (
            ARCHIVED_ACTIVITIES,
            [[o or None, d.date(), int(c)] for o, d, c in counts.itertuples(index=False)],
        ),
        (
            ARCHIVED_KEYS,
            [[c, KEY_SEPARATOR.join(sorted(k))] for c, k in sorted(digest.keys.items())],
        ),
    ]
    rows: list[list[object]] = []
    for tab, data in blocks:
        rows += [[tab.title(locale)], [*tab.headers(locale)], *data, []]
    return rows[:-1]


def _plain(value: object) -> object:
    return None if is_blank(value) else value


# --- adding the rows that move ------------------------------------------------------------------
def moved_sheet(sheet: Sheet, grid: Grid, rows: list[int]) -> Sheet:
    """The rows that move (sheet rows, 1-based) read as their tab: the header and them."""
    header = grid[sheet.header_row - 1]
    return load_sheet([header, *(grid[r - 1] for r in rows)], sheet.tab, sheet.title)


def updated(
    digest: Digest | None,
    history: Sheet | None = None,
    stages: Sheet | None = None,
    runs: Sheet | None = None,
    before: dt.date | None = None,
) -> Digest:
    """The digest with the rows moving now (each log's moved rows as a Sheet) summed in;
    `before`: the first day kept (`cutoff`)."""
    digest = digest or Digest()
    out = Digest(keys={c: set(k) for c, k in digest.keys.items()})
    moved = read_history(history)
    every = pd.concat([digest.history, moved], ignore_index=True)
    every = every.sort_values("recorded", kind="stable", na_position="first")
    out.history = retained(every.reset_index(drop=True))
    told = moved[moved["kind"].isin(CONTACTS)]
    keys = contact_keys(told["date"], told["summary"], told["feedback"])
    for cid, key in zip(told["customer_id"], keys, strict=True):
        if key:
            out.keys.setdefault(cid, set()).add(key)
    out.activities = _counted(digest.activities, moved, before)
    out.stages = reduced_stages(pd.concat([digest.stages, read_stage_log(stages)]))
    out.runs = _first_run(digest.runs, runs)
    return out


def retained(history: pd.DataFrame) -> pd.DataFrame:
    """The archived history rows the rules still look back to (see the module's text), in
    the order recorded."""
    if history.empty:
        return history
    keep = pd.Series(False, index=history.index)
    recorded = history["recorded"]
    seed = recorded.idxmin() if recorded.notna().any() else history.index[0]
    keep[seed] = True  # type: ignore[index]  # pandas-stubs: any label sets its row
    told = contacts(history)
    keep[told.groupby("customer_id", sort=False).tail(RETAINED_CONTACTS).index] = True
    keep[told.drop_duplicates(["customer_id", "method"], keep="last").index] = True
    owner = history["owner"]
    group = history.groupby("customer_id", sort=False)["owner"]
    keep |= (owner != group.shift(1)) | (owner != group.shift(-1))  # where the 负责人 changes
    named = history[(history["owner"] != "") & (history["manager"] != "")]
    keep[named.drop_duplicates("owner", keep="last").index] = True
    return history[keep].reset_index(drop=True)


def reduced_stages(log: pd.DataFrame) -> pd.DataFrame:
    """The archived 阶段记录 rows that decide every figure the rules draw from a customer's
    path, whatever records come after them: its first and last records, the first of each
    stage other than won, its last record before any win that stands and the first such win,
    its last record on the ladder (where a lost deal was lost), and for each ladder stage the
    first later-stage record on or after entering it (moving on), with and without the wins
    (a later record may undo them: `conversion.standing`). A deal that went back and forth for
    years keeps a few rows, not every move. In the order recorded."""
    if log.empty:
        return log.reset_index(drop=True)
    ordered = log.sort_values("since", kind="stable").reset_index(drop=True)
    stages, days = ordered["stage"].tolist(), ordered["since"].tolist()
    keep: set[int] = set()
    for places in ordered.groupby("customer_id", sort=False).indices.values():
        keep |= _deciding(sorted(map(int, places)), stages, days)
    return ordered.iloc[sorted(keep)].reset_index(drop=True)


LADDER = [t.key for t in FUNNEL_STAGES]


def _deciding(places: list[int], stages: list[str], days: list[pd.Timestamp]) -> set[int]:
    """`reduced_stages` for one customer's rows (positions, in the order recorded)."""
    keep = {places[0], places[-1]}
    others = [p for p in places if stages[p] != "won"]
    last_other = others[-1] if others else -1
    wins = [p for p in places if stages[p] == "won" and p > last_other]
    keep |= {last_other} if others else set()
    keep |= {wins[0]} if wins else set()
    firsts: dict[str, int] = {}
    for p in others:  # the first row of each stage but won
        firsts.setdefault(stages[p], p)
    keep |= set(firsts.values())
    ladder = [p for p in places if stages[p] in LADDER]
    keep |= {ladder[-1]} if ladder else set()
    for standing in (sorted(others + wins), others):
        first: dict[str, pd.Timestamp] = {}
        for p in standing:
            first.setdefault(stages[p], days[p])
        for i, key in enumerate(LADDER):
            if key not in first:
                continue
            later = [
                p
                for p in standing
                if stages[p] in LADDER and LADDER.index(stages[p]) > i and days[p] >= first[key]
            ]
            if later:
                keep.add(min(later, key=lambda p: days[p]))
    return keep


def _counted(counts: pd.DataFrame, moved: pd.DataFrame, before: dt.date | None) -> pd.DataFrame:
    """Contacts per owner and month (per day from `before` on: a contact dated after the
    first day kept, typed long before), the moved rows' added, as `performance.activities`
    counts them (each contact once)."""
    rows = moved[moved["kind"].isin(CONTACTS) & moved["date"].notna()]
    rows = rows.drop_duplicates(["customer_id", "date", "summary"])
    days = pd.to_datetime(rows["date"])
    # pandas-stubs types `to_timestamp` of a column as an array; it is a Series.
    first: pd.Series = days.dt.to_period("M").dt.to_timestamp()  # type: ignore[assignment]
    if before is not None:
        first = first.where(days < pd.Timestamp(before), days)
    new = pd.DataFrame({"owner": map_unique(rows["owner"], cell_text), "day": first, "count": 1})
    both = pd.concat([counts, new], ignore_index=True) if len(counts) else new
    if both.empty:
        return counts
    # pandas-stubs types the sum as a Series; with as_index=False it is a DataFrame.
    summed: pd.DataFrame = both.groupby(["owner", "day"], as_index=False, sort=True)["count"].sum()  # type: ignore[assignment]
    return summed


def _first_run(before: pd.DataFrame, runs: Sheet | None) -> pd.DataFrame:
    """The earliest run of the sync log's archived rows: the day the sync started."""
    frames = [before] + (
        [runs.frame[_keys(SYNC_LOG)]] if runs is not None and not runs.frame.empty else []
    )
    every = pd.concat(frames, ignore_index=True)
    if every.empty:
        return before
    day = map_unique(every["run_date"], _day)
    day = day.where(day.notna(), map_unique(every["run_at"], _day))
    dated = every[day.notna()]
    if dated.empty:
        return before
    first = pd.to_datetime(day[day.notna()]).idxmin()
    return every.loc[[first]].reset_index(drop=True)


def with_digest(
    history: pd.DataFrame, stages: pd.DataFrame, digest: Digest | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The logs as the rules read them: the digest's rows first (the older), then the rows
    the workbook holds; history rows from the digest marked `archived` (not counted again
    as activities: the digest's counts stand for them)."""
    if digest is None:
        return history, stages
    old = digest.history.assign(archived=True)
    history = pd.concat([old, history.assign(archived=False)], ignore_index=True)
    stages = pd.concat([digest.stages, stages], ignore_index=True)
    return history, stages


def with_runs(runs: pd.DataFrame | None, digest: Digest | None) -> pd.DataFrame | None:
    """The sync log's rows with the archived first run before them."""
    if digest is None or digest.runs.empty:
        return runs
    if runs is None or runs.empty:
        return digest.runs
    return pd.concat(
        [digest.runs, runs[[c for c in runs.columns if c in _keys(SYNC_LOG)]]], ignore_index=True
    )
