"""Conversion from the stage history (阶段记录): of the customers that entered a stage, how
many moved on, how many were won, and how long moving on took; the win rate and the sales
cycle, by owner, lead source and industry.

The funnel in the summary counts where deals are today; this counts what happened to them,
so a deal that was lost at 方案展示 still counts as having entered 方案展示 (and as not won).
Only what the sync saw is known: a customer first seen at 商务谈判 entered 商务谈判, not the
stages before it, and a deal that skipped a stage did not enter that one.

Pure: the stage-log frame (customer_id, stage key, since) and the board in, table rows out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sheetsync.workbook.changes import share_of
from sheetsync.workbook.parsing import cell_text, map_unique
from sheetsync.workbook.schema import FUNNEL_STAGES, summary_words

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


def entries(log: pd.DataFrame) -> pd.DataFrame:
    """Customer id x funnel stage: the first day the customer was seen in that stage."""
    keys = [t.key for t in FUNNEL_STAGES]
    if log.empty:
        return pd.DataFrame({k: pd.Series(dtype="datetime64[ns]") for k in keys})
    frame, ids = _coded(log)
    on_ladder = frame[frame["stage"].isin(keys)]
    first = on_ladder.groupby(["c", "stage"])["since"].min().unstack()
    first.index = ids[first.index]
    return first.reindex(columns=keys).astype("datetime64[ns]")


def stage_cohorts(log: pd.DataFrame) -> pd.DataFrame:
    """Per funnel stage: entered, advanced (reached any later stage, won included, on or
    after entering this one), won, the days each advancing customer took, and `waiting`:
    those still in the stage (their latest record), for whom nothing is decided yet.
    Counted on the days as integers (NaT: never entered), all customers at once per stage."""
    first = entries(log)
    keys = list(first.columns)
    latest = log.sort_values("since", kind="stable").drop_duplicates("customer_id", keep="last")
    latest = latest.set_index("customer_id")["stage"].reindex(first.index).to_numpy()
    days = first.to_numpy(dtype="datetime64[ns]").view("i8")  # NaT: the smallest int64
    never, won = np.iinfo(np.int64).min, keys.index("won")
    out = []
    for i, key in enumerate(keys):
        entered = days[:, i] != never
        on = days[entered, i][:, None]
        later = days[entered, i + 1 :]
        after = np.where((later != never) & (later >= on), later, np.iinfo(np.int64).max)
        moved = after.min(axis=1, initial=np.iinfo(np.int64).max)
        advanced = moved != np.iinfo(np.int64).max
        reached = days[entered, won]
        out.append(
            {
                "stage": key,
                "entered": int(entered.sum()),
                "advanced": int(advanced.sum()),
                "won": int(((reached != never) & (reached >= on[:, 0])).sum()),
                "days": pd.Series((moved[advanced] - on[advanced, 0]) // DAY, dtype=float),
                "waiting": int((latest[entered] == key).sum()),
            }
        )
    return pd.DataFrame(out)


DAY = 86_400 * 10**9  # nanoseconds


def stage_conversion(log: pd.DataFrame | None, locale: str) -> list[list]:
    """The summary's 阶段转化 table: one row per stage a deal climbs; won has no next.
    No table without a stage history."""
    if log is None:
        return []
    words = summary_words(locale)
    names = {t.key: t.text(locale) for t in FUNNEL_STAGES}
    rows = []
    for c in stage_cohorts(log).itertuples():
        if c.stage == "won":
            rows.append([names[c.stage], c.entered, "", "", "", "", "", ""])
            continue
        if c.entered and c.waiting == c.entered:  # day one: nobody has left it, no rate yet
            rows.append([names[c.stage], c.entered, 0, "—", 0, "—", "—", "—"])
            continue
        rows.append(
            [
                names[c.stage],
                c.entered,
                c.advanced,
                share_of(c.advanced, c.entered),
                c.won,
                share_of(c.won, c.entered),
                _days(c.days, "median"),
                _days(c.days, "mean"),
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


def outcomes(log: pd.DataFrame) -> pd.DataFrame:
    """Per customer in the history: where they are now (their latest record), the day the
    sync first saw them and the day they were first won; `cycle`: days from first seen to
    won, for the customers won now that the sync saw in an earlier stage first."""
    frame, ids = _coded(log)
    every = range(len(ids))
    latest = frame.sort_values("since", kind="stable").drop_duplicates("c", keep="last")
    latest = latest.set_index("c")
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
    per["cycle"] = (per["won_on"] - per["first_seen"]).dt.days.astype(float)
    # A customer first seen already won has no cycle the sync saw: not a 0-day one.
    per.loc[(per["latest"] != "won") | (per["won_on"] <= per["first_seen"]), "cycle"] = math.nan
    return per


def outcome_counts(per: pd.DataFrame) -> dict[str, object]:
    """Customers, won, lost, win rate (won / (won + lost): only deals that have closed) and
    the average cycle of the won."""
    won = int((per["latest"] == "won").sum())
    lost = int((per["latest"] == "lost").sum())
    cycles = per["cycle"].dropna()
    return {
        "customers": len(per),
        "won": won,
        "lost": lost,
        "win_rate": share_of(won, won + lost),
        "cycle": _days(cycles, "mean"),
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
    first: list[str] = (),
    history: pd.DataFrame | None = None,
    per: pd.DataFrame | None = None,
) -> list[list]:
    """Won and lost per owner, 线索来源 or 行业 (the column `key` of the board, as the sheet
    says it now): `first` (the team) in its order, then the largest groups; every owner
    (nobody's results hidden in 其他), but at most MOST_GROUPS 线索来源 / 行业 (the rest on one
    其他 row, so a free-text column with hundreds of spellings still makes a compact table),
    blanks last; a total row with the overall win rate and cycle. By owner, a closed deal
    counts for the owner who held it when it closed (`owner_at_close`, from `history`). No
    table without a stage history. `per`: the log's `outcomes`, when the caller has them
    (the summary's three tables share them)."""
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
    where = per.groupby("group").indices  # group -> row positions, without copying frames
    named = [g for g in dict.fromkeys(first) if g in where]
    rest = [g for g in where if g not in set(named) and g != ""]
    limit = None if key == "owner" else MOST_GROUPS  # every salesperson; free text capped
    shown = [*named, *sorted(rest, key=lambda g: (-len(where[g]), g))][:limit]
    others = [i for g in where if g not in set(shown) and g != "" for i in where[g]]
    parts = [(name, per.iloc[where[name]]) for name in shown]
    parts += [(words["other_group"], per.iloc[sorted(others)])] if others else []
    parts += [(words["blank"], per.iloc[where[""]])] if "" in where else []
    rows = [[name, *_counts(part)] for name, part in [*parts, (words["total"], per)]]
    header = [words[key], *(words[k] for k in ("customers", "won", "lost", "win_rate"))]
    return [[words[GROUPS[key]]], [*header, words["cycle_days"]], *rows]


def _counts(per: pd.DataFrame) -> list:
    found = outcome_counts(per)
    return [found[k] for k in COUNTS]


MOST_GROUPS = 12
COUNTS = ("customers", "won", "lost", "win_rate", "cycle")
