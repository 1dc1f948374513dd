"""Conversion from the stage history (阶段记录): of the customers that entered a stage, how
many moved on, how many were won, and how long moving on took; the win rate and the sales
cycle, by owner, lead source and industry.

The funnel in the summary counts where deals are today; this counts what happened to them,
so a deal that was lost at 方案展示 still counts as having entered 方案展示 (and as not won).
Only what the sync saw is known: a customer first seen at 商务谈判 entered 商务谈判, not the
stages before it, and a deal that skipped a stage did not enter that one. A deal that went
back a stage and on again moved on from the stage it went back to (商务谈判 → 方案展示 →
商务谈判: 方案展示 moved on). A win that a later record undoes (赢单 typed by mistake, then
商务谈判 again) is a correction, not an outcome: it counts neither as moving on nor as won
(`standing`), so the cohorts agree with the won/lost tables, which go by the latest record.

The cycle runs from the deal's start to its win: a typed 首次接触日期, else the day the sync
first saw it, unless that was the sync's first day (the deal was open before, its start
unknown): such wins are counted apart ("开始于同步之前"), not given a cycle that starts at
the first sync.

Pure: the stage-log frame (customer_id, stage key, since) and the board in, table rows out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sheetsync.workbook.changes import share_of
from sheetsync.workbook.messages import say
from sheetsync.workbook.parsing import cell_text, date_or_none, map_unique
from sheetsync.workbook.schema import FUNNEL_STAGES, summary_words
from sheetsync.workbook.tables import Section

CLOSED = ("won", "lost")
GROUPS = {
    "owner": "outcomes_owner",
    "lead_source": "outcomes_source",
    "industry": "outcomes_industry",
}


def _days(values: pd.Series, how: str) -> float | str:
    if values.empty:
        return "—"
    value = float(values.median() if how == "median" else values.mean())
    return round(value, 1) if math.isfinite(value) else "—"


def standing(log: pd.DataFrame) -> pd.DataFrame:
    """The log in the order recorded, without the wins a later record undid: a 赢单 followed
    by any other stage was a mistake corrected, not a deal won and reopened. The wins left
    are the customer's latest records, so "reached won" and the won/lost tables agree."""
    ordered = log.sort_values("since", kind="stable").reset_index(drop=True)
    if ordered.empty:
        return ordered
    codes = pd.factorize(ordered["customer_id"])[0]
    won = (ordered["stage"] == "won").to_numpy()
    position = np.arange(len(ordered))
    other = pd.Series(np.where(won, -1, position)).groupby(codes).transform("max").to_numpy()
    return ordered[~won | (position > other)].reset_index(drop=True)


def entries(log: pd.DataFrame) -> pd.DataFrame:
    """Customer id x funnel stage: the first day the customer was seen in that stage (a
    corrected win is no entry into won)."""
    keys = [t.key for t in FUNNEL_STAGES]
    if log.empty:
        return pd.DataFrame({k: pd.Series(dtype="datetime64[ns]") for k in keys})
    frame, ids = _coded(standing(log))
    on_ladder = frame[frame["stage"].isin(keys)]
    first = on_ladder.groupby(["c", "stage"])["since"].min().unstack()
    first.index = ids[first.index]
    return first.reindex(columns=keys).astype("datetime64[ns]")


NEVER, LAST = np.iinfo(np.int64).min, np.iinfo(np.int64).max  # NaT as int64; "no day yet"


def stage_cohorts(log: pd.DataFrame) -> pd.DataFrame:
    """Per funnel stage: entered, advanced (any record of a later stage, won included, on or
    after the day the customer first entered this one: a return to it and on again counts),
    won (a win that stands, on or after entering), the days each advancing customer took
    (to the first such record), and `waiting`: those still in the stage (their latest
    record), for whom nothing is decided yet. Counted on the days as integers, all customers
    at once per stage."""
    keys = [t.key for t in FUNNEL_STAGES]
    kept = standing(log)
    frame, ids = _coded(kept)
    step = frame["stage"].map({k: i for i, k in enumerate(keys)})
    on = step.notna().to_numpy()
    c, s = frame["c"].to_numpy()[on], step.to_numpy()[on].astype(int)
    t = frame["since"].to_numpy(dtype="datetime64[ns]").view("i8")[on]
    first = np.full((len(ids), len(keys)), NEVER, dtype=np.int64)
    firsts = pd.DataFrame({"c": c, "s": s, "t": t}).groupby(["c", "s"])["t"].min()
    first[firsts.index.get_level_values(0), firsts.index.get_level_values(1)] = firsts.to_numpy()
    stages_now = kept.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    latest = stages_now["stage"].reindex(ids).to_numpy()
    won = keys.index("won")
    out = []
    for i, key in enumerate(keys):
        entered = first[:, i] != NEVER
        start = first[c, i]
        later = (s > i) & (start != NEVER) & (t >= start)
        moved = np.full(len(ids), LAST, dtype=np.int64)
        np.minimum.at(moved, c[later], t[later])
        advanced = moved != LAST
        reached = entered & (first[:, won] != NEVER) & (first[:, won] >= first[:, i])
        out.append(
            {
                "stage": key,
                "entered": int(entered.sum()),
                "advanced": int(advanced.sum()),
                "won": int(reached.sum()),
                "days": pd.Series((moved[advanced] - first[advanced, i]) // DAY, dtype=float),
                "waiting": int((latest[entered] == key).sum()),
            }
        )
    return pd.DataFrame(out)


DAY = 86_400 * 10**9  # nanoseconds


def stage_conversion(log: pd.DataFrame | None, locale: str) -> Section:
    """The summary's 阶段转化 table: one row per stage a deal climbs; won has no next.
    No table without a stage history."""
    if log is None:
        return []
    words = summary_words(locale)
    names = {t.key: t.text(locale) for t in FUNNEL_STAGES}
    rows: Section = []
    cohorts = stage_cohorts(log)
    columns = (cohorts[k] for k in ("stage", "entered", "advanced", "won", "waiting", "days"))
    for stage, entered, advanced, won, waiting, days in zip(*columns, strict=True):
        if stage == "won":
            rows.append([names[stage], entered, "", "", "", "", "", ""])
            continue
        if entered and waiting == entered:  # day one: nobody has left it, no rate yet
            rows.append([names[stage], entered, 0, "—", 0, "—", "—", "—"])
            continue
        rows.append(
            [
                names[stage],
                entered,
                advanced,
                share_of(advanced, entered),
                won,
                share_of(won, entered),
                _days(days, "median"),
                _days(days, "mean"),
            ]
        )
    header = ["stage", "entered", "advanced", "advance_rate", "reached_won", "won_rate"]
    header += ["days_median", "days_mean"]
    return [[words["stage_conversion"]], [words[k] for k in header], *rows]


def _coded(log: pd.DataFrame) -> tuple[pd.DataFrame, pd.Index]:
    """The log with each customer id as a number: grouping 100 k text ids three times costs
    more than the rest of the sums together."""
    codes, ids = pd.factorize(log["customer_id"])
    frame = pd.DataFrame({"c": codes, "stage": log["stage"].to_numpy(), "since": log["since"]})
    return frame.reset_index(drop=True), pd.Index(ids, name="customer_id")


def first_sync_day(runs: pd.DataFrame | None, log: pd.DataFrame) -> pd.Timestamp | None:
    """The day the sync first ran on the workbook: the 同步日志's earliest run, else (no
    log, or this is the first run) the stage history's earliest day."""
    if runs is not None and len(runs) and "run_date" in runs.columns:
        days = pd.to_datetime(runs["run_date"].map(date_or_none)).dropna()
        if len(days):
            return days.min()
    return None if log.empty else pd.Timestamp(log["since"].min())


def outcomes(
    log: pd.DataFrame, first_day: pd.Timestamp | None = None, board: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per customer in the history: where they are now (their latest record), the day the
    sync first saw them and the day they were won (a win that stands); `cycle`: days from
    the deal's start to that win, for the customers the sync saw won; `before_sync`: won,
    but first seen on the sync's first day (`first_day`, default the log's first) without a
    typed 首次接触日期 (`board`'s `first_contact`): open before the sync, start unknown."""
    frame, ids = _coded(standing(log))
    every = range(len(ids))
    latest = frame.drop_duplicates("c", keep="last").set_index("c")
    per = pd.DataFrame(
        {
            "latest": latest["stage"].reindex(every).to_numpy(),
            "latest_on": latest["since"].reindex(every).to_numpy(),
            "first_seen": frame.groupby("c")["since"].min().reindex(every).to_numpy(),
            "won_on": frame[frame["stage"] == "won"]
            .groupby("c")["since"]
            .min()
            .reindex(every)
            .to_numpy(),
        },
        index=ids,
    )
    # A customer first seen already won has no cycle the sync saw: not a 0-day one.
    seen_won = (per["latest"] == "won") & (per["won_on"] > per["first_seen"])
    first_day = per["first_seen"].min() if first_day is None else first_day
    start = per["first_seen"].where(per["first_seen"] != first_day)
    typed = _typed_starts(board, per.index)
    start = typed.where(typed.notna() & (typed <= per["won_on"]), start)
    per["cycle"] = (per["won_on"] - start).dt.days.astype(float).where(seen_won)
    per["before_sync"] = seen_won & start.isna()
    return per


def _typed_starts(board: pd.DataFrame | None, ids: pd.Index) -> pd.Series:
    """首次接触日期 as typed on the board, by customer id (NaT where none, or the id is used
    twice: which row is the customer is not known)."""
    if board is None or "first_contact" not in board.columns:
        return pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]")
    rows = board[["customer_id", "first_contact"]].drop_duplicates("customer_id", keep=False)
    typed = pd.to_datetime(rows["first_contact"]).set_axis(rows["customer_id"].to_numpy())
    return typed.reindex(ids).astype("datetime64[ns]")


def outcome_counts(per: pd.DataFrame) -> dict[str, object]:
    """Customers, won, lost, win rate (won / (won + lost): only deals that have closed),
    the average cycle of the won whose start is known, and how many wins began before the
    sync (`before_sync`, counted apart)."""
    won = int((per["latest"] == "won").sum())
    lost = int((per["latest"] == "lost").sum())
    cycles = per["cycle"].dropna()
    return {
        "customers": len(per),
        "won": won,
        "lost": lost,
        "win_rate": share_of(won, won + lost),
        "cycle": _days(cycles, "mean"),
        "before_sync": int(per["before_sync"].sum()) if "before_sync" in per else 0,
    }


def owner_at_close(per: pd.DataFrame, history: pd.DataFrame | None) -> pd.Series:
    """By customer id, for deals won or lost: who held the deal up to the day it closed, as
    跟进历史 last recorded it before that day (a deal lost and handed over the same day stays
    the loser's). Reassigning a departed rep's customers must not move their wins and losses
    to whoever inherits them. Empty where the history knows nothing before the close."""
    closed = per[per["latest"].isin(CLOSED)]
    if history is None or history.empty or closed.empty:
        return pd.Series(dtype=object)
    seen = history[["customer_id", "recorded", "owner"]].dropna(subset=["recorded"])
    seen = seen.assign(
        customer_id=seen["customer_id"].astype(str), recorded=pd.to_datetime(seen["recorded"])
    ).sort_values("recorded")
    deals = pd.DataFrame({"customer_id": closed.index, "on": closed["latest_on"].to_numpy()})
    deals["customer_id"] = deals["customer_id"].astype(str)  # one key type on both sides
    deals = deals.dropna(subset=["on"]).sort_values("on")
    found = pd.merge_asof(
        deals,
        seen,
        left_on="on",
        right_on="recorded",
        by="customer_id",
        direction="backward",
        allow_exact_matches=False,
    )
    found = found.dropna(subset=["owner"])
    return pd.Series(found["owner"].map(cell_text).to_numpy(), index=found["customer_id"])


def outcomes_by(
    log: pd.DataFrame | None,
    board: pd.DataFrame,
    key: str,
    locale: str,
    first: Sequence[str] = (),
    history: pd.DataFrame | None = None,
    per: pd.DataFrame | None = None,
    labels: dict[str, str] | None = None,
) -> Section:
    """Won and lost per owner, 线索来源 or 行业 (the column `key` of the board, as the sheet
    says it now): `first` (the team) in its order, then the largest groups; every owner
    (nobody's results hidden in 其他), but at most MOST_GROUPS 线索来源 / 行业 (the rest on one
    其他 row, so a free-text column with hundreds of spellings still makes a compact table),
    blanks last; a total row with the overall win rate and cycle. By owner, a closed deal
    counts for the owner who held it when it closed (`owner_at_close`, from `history`). No
    table without a stage history. `per`: the log's `outcomes`, when the caller has them
    (the summary's three tables share them); `labels`: a group as printed, when not its
    name (a rep who left the team, marked as the other per-owner tables mark them)."""
    if log is None:
        return []
    words = summary_words(locale)
    per = outcomes(log) if per is None else per.copy()
    people = board[["customer_id", key]].drop_duplicates("customer_id", keep=False)
    group = map_unique(people[key], cell_text).set_axis(people["customer_id"].to_numpy())
    per["group"] = group.reindex(per.index).fillna("").to_numpy()
    if key == "owner":
        held = owner_at_close(per, history)
        per.loc[held.index.intersection(per.index), "group"] = held
    indices = per.groupby("group").indices  # group -> row positions, without copying frames
    where = {str(g): positions for g, positions in indices.items()}  # the groups are texts
    named = [g for g in dict.fromkeys(first) if g in where]
    rest = [g for g in where if g not in set(named) and g != ""]
    limit = None if key == "owner" else MOST_GROUPS  # every salesperson; free text capped
    shown = [*named, *sorted(rest, key=lambda g: (-len(where[g]), g))][:limit]
    others = [i for g in where if g not in set(shown) and g != "" for i in where[g]]
    parts = [((labels or {}).get(name, name), per.iloc[where[name]]) for name in shown]
    parts += [(words["other_group"], per.iloc[sorted(others)])] if others else []
    parts += [(words["blank"], per.iloc[where[""]])] if "" in where else []
    rows = [[name, *_counts(part)] for name, part in [*parts, (words["total"], per)]]
    header = [words[key], *(words[k] for k in ("customers", "won", "lost", "win_rate"))]
    apart = outcome_counts(per)["before_sync"]  # wins with no known start: said, not averaged
    rows += [[say("cycle_before_sync", locale, count=apart)]] if apart else []
    return [[words[GROUPS[key]]], [*header, words["cycle_days"]], *rows]


def _counts(per: pd.DataFrame) -> list[object]:
    found = outcome_counts(per)
    return [found[k] for k in COUNTS]


MOST_GROUPS = 12
COUNTS = ("customers", "won", "lost", "win_rate", "cycle")
