"""What a sales manager acts on, next to the counts of 汇总: won revenue against each rep's
goal, why and where deals were lost, the pipeline's value by stage, new deals per week,
activities per rep, and the same figures for this month, this quarter and last quarter.

A spreadsheet has no period picker, so each period is a block of its own (a column of the
period table) rather than a setting someone has to change and change back.

Where the figures come from:
- a deal is won or lost as the board says now (销售阶段), on the day 阶段记录 last recorded
  that stage; deals already won or lost when the sync first ran (the log's first day) count
  in 累计 (to date) but in no period: the sync does not know when they closed;
- its amount is 预计金额, or 年合作金额 when 预计金额 is blank (a customer typed in won);
- a new deal is a customer 阶段记录 first saw after its first day (the customers already in
  the sheet on the first sync are not new that week);
- an activity is a contact 跟进历史 recorded (a handover is none), on its 跟进日期, for the
  owner the row names;
- a rep's won deals are counted for whoever held the deal when it closed (as the history
  says, `conversion.owner_at_close`), so reassigning a departed rep's customers moves none.

Pure: frames in, table rows out; `today` is passed in.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import pandas as pd

from sheetsync.rules import conversion
from sheetsync.rules.history import CONTACTS
from sheetsync.workbook.changes import Amount, in_wan, share_of
from sheetsync.workbook.messages import say
from sheetsync.workbook.parsing import cell_text, is_blank, map_unique, parse_amount
from sheetsync.workbook.schema import FUNNEL_STAGES, summary_words
from sheetsync.workbook.tables import Section, Sheet

WEEKS = 8  # weeks of new deals shown
MOST_REASONS = 12  # 输单原因 rows before the rest go on one 其他 row


@dataclass(frozen=True)
class Roster:
    """Who the summary lists per owner, in order, and how each is shown: the team's reps
    (a manager only when they own customers), then owners not in the team tab, then reps
    who left (in the task log or the history, no longer in 团队), marked as departed."""

    names: list[str]
    shown: dict[str, str] = field(default_factory=dict)  # name -> name as printed
    goals: dict[str, float] = field(default_factory=dict)  # yuan, from 团队's 目标


def roster(
    owner: pd.Series,
    team: list[str],
    managers: list[str],
    recorded: list[pd.Series],
    goals: dict[str, float],
    locale: str,
) -> Roster:
    """`owner`: each customer's owner as trimmed text; `recorded`: the owners the task log
    and the history name. Without a team tab nobody is marked (nobody is "in" it)."""
    owning = set(owner) - {""}
    bosses = set(managers)
    listed = [n for n in dict.fromkeys(team) if n not in bosses or n in owning]
    known = set(team)
    outside = sorted(owning - known)
    seen = set().union(*(set(map_unique(r, cell_text)) for r in recorded)) if recorded else set()
    gone = sorted(seen - known - owning - {""}) if team else []
    names = [*listed, *outside, *gone]
    marked = set(outside) | set(gone) if team else set()
    shown = {n: say("departed_owner", locale, name=n) if n in marked else n for n in names}
    return Roster(names, shown, {n: g for n, g in goals.items() if n in set(names)})


def team_goals(team: Sheet | None) -> dict[str, float]:
    """Each rep's 目标 (a quarter's won revenue, in yuan as amounts are typed: 300万 reads as
    3,000,000); blank or unreadable: no goal."""
    if team is None or team.frame.empty or "goal" not in team.frame:
        return {}
    goals = {}
    for name, value in zip(team.frame["owner"], team.frame["goal"], strict=True):
        amount = None if is_blank(value) else _amount(value)
        if not is_blank(name) and amount:
            goals[cell_text(name)] = amount
    return goals


def _amount(value: object) -> float | None:
    try:
        found = parse_amount(value)
    except (ValueError, TypeError):
        return None
    return found if found is not None and math.isfinite(found) and found > 0 else None


# --- periods ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    key: str  # this_month | this_quarter | last_quarter
    first: dt.date
    last: dt.date


def periods(today: dt.date) -> list[Period]:
    """This month and this quarter up to today, and the whole of last quarter."""
    month = today.replace(day=1)
    quarter = month.replace(month=(today.month - 1) // 3 * 3 + 1)
    before = quarter - dt.timedelta(days=1)
    previous = before.replace(day=1, month=(before.month - 1) // 3 * 3 + 1)
    return [
        Period("this_month", month, today),
        Period("this_quarter", quarter, today),
        Period("last_quarter", previous, before),
    ]


def _within(days: pd.Series, period: Period) -> pd.Series:
    return (days >= pd.Timestamp(period.first)) & (days <= pd.Timestamp(period.last))


# --- deals -------------------------------------------------------------------------------------
def deal_amount(board: pd.DataFrame) -> pd.Series:
    """预计金额, or 年合作金额 where it is blank; nan where neither is a number."""
    expected = pd.to_numeric(board["expected_amount"], errors="coerce").astype(float)
    annual = pd.to_numeric(board["amount"], errors="coerce").astype(float)
    return expected.where(expected.notna(), annual)


def closed_deals(
    board: pd.DataFrame, stage_log: pd.DataFrame | None, history: pd.DataFrame | None
) -> pd.DataFrame:
    """One row per deal won or lost now: outcome, amount, the day it closed (NaT when the
    sync does not know: closed before its first run) and the owner it counts for."""
    closed = board[board["stage_key"].isin(conversion.CLOSED)]
    ids = closed["customer_id"].astype(str).to_numpy()
    deals = pd.DataFrame(
        {
            "outcome": list(closed["stage_key"]),
            "amount": deal_amount(closed).to_numpy(dtype=float, copy=True),
            "owner": list(map_unique(closed["owner"], cell_text)),
            "on": pd.NaT,
        },
        index=pd.Index(ids, name="customer_id"),
    )
    deals = deals[~deals.index.duplicated(keep=False)]  # a duplicated id is no deal to count
    if stage_log is None or stage_log.empty:
        return deals
    log = stage_log.assign(customer_id=stage_log["customer_id"].astype(str))
    per = conversion.outcomes(log)
    start = log["since"].min()
    agree = per.reindex(deals.index)
    known = (agree["latest"] == deals["outcome"]) & (agree["latest_on"] > start)
    deals["on"] = agree["latest_on"].where(known)
    held = conversion.owner_at_close(per[per.index.isin(deals.index)], history)
    found = held.index.intersection(deals.index)
    deals["owner"] = deals["owner"].where(~deals.index.isin(found), held.reindex(deals.index))
    return deals


def new_deals(stage_log: pd.DataFrame | None) -> pd.Series:
    """The day each new deal was first seen: customers the stage history first saw after
    its first day."""
    if stage_log is None or stage_log.empty:
        return pd.Series(dtype="datetime64[ns]")
    first = stage_log.groupby(stage_log["customer_id"].astype(str))["since"].min()
    later: pd.Series = first[first > first.min()]
    return later


def activities(history: pd.DataFrame | None, archived: pd.DataFrame | None = None) -> pd.DataFrame:
    """Contacts recorded in 跟进历史 (owner, date), each contact once; `archived`: those of
    rows moved to the archive, as 历史汇总 counts them (rules/archive.py), in place of the
    archived rows it keeps in the history (marked `archived`)."""
    found = pd.DataFrame({"owner": pd.Series(dtype=object), "date": pd.Series(dtype=object)})
    if history is not None and "archived" in history:
        history = history[history["archived"].ne(True)]
    if history is not None and not history.empty:
        rows = history[history["kind"].isin(CONTACTS) & history["date"].notna()]
        rows = rows.drop_duplicates(["customer_id", "date", "summary"])
        found = pd.DataFrame(
            {"owner": map_unique(rows["owner"], cell_text), "date": pd.to_datetime(rows["date"])}
        )
    if archived is None or archived.empty:
        return found
    return pd.concat([archived, found], ignore_index=True)


# --- the summary's sections ----------------------------------------------------------------
def _money(value: float) -> Amount | str:
    return in_wan(value) if math.isfinite(value) else "—"


def _sum(values: pd.Series) -> float:
    total = float(values.fillna(0.0).sum())
    return total if math.isfinite(total) else math.nan


def by_period(
    deals: pd.DataFrame, new: pd.Series, contacts: pd.DataFrame, today: dt.date, locale: str
) -> Section:
    """The period blocks: won, lost, win rate, new deals and activities for this month, this
    quarter and last quarter, and won to date (累计, deals won before the first sync too)."""
    words = summary_words(locale)
    blocks = periods(today)
    columns = []
    for p in blocks:
        mine = deals[_within(deals["on"], p)]
        columns.append(_period_figures(mine, int(_within(new, p).sum()), contacts, p))
    every = _period_figures(deals, "", None, None)
    measures = ("won", "won_amount", "lost", "win_rate", "new_deals", "activities")
    rows = [[words[m], *(c[i] for c in columns), every[i]] for i, m in enumerate(measures)]
    header = [words["measure"], *(_period_head(p, locale) for p in blocks), words["to_date"]]
    return [[words["by_period"]], header, *rows]


def _period_figures(
    deals: pd.DataFrame, new: int | str, contacts: pd.DataFrame | None, period: Period | None
) -> list[object]:
    """One period's column (`period` None: to date, where the activities are not counted)."""
    won, lost = deals[deals["outcome"] == "won"], deals[deals["outcome"] == "lost"]
    if contacts is None or period is None:
        done: int | str = ""
    else:
        done = int(_within(contacts["date"], period).sum())
    rate = share_of(len(won), len(won) + len(lost))
    return [len(won), _money(_sum(won["amount"])), len(lost), rate, new, done]


def _period_head(period: Period, locale: str) -> str:
    return say(
        "period_head",
        locale,
        name=summary_words(locale)[period.key],
        first=period.first.strftime("%m-%d"),
        last=period.last.strftime("%m-%d"),
    )


def by_rep(
    deals: pd.DataFrame, contacts: pd.DataFrame, people: Roster, today: dt.date, locale: str
) -> Section:
    """Per rep: this quarter's won deals and revenue against their 目标 (when the team tab
    gives goals), deals won to date, and activities this month and this quarter; the team's
    total last."""
    words = summary_words(locale)
    month, quarter, _ = periods(today)
    won = deals[deals["outcome"] == "won"]
    in_quarter = won[_within(won["on"], quarter)]
    goals = people.goals
    rows = []
    for name, shown in [*((n, people.shown[n]) for n in people.names), (None, words["total"])]:

        def mine(frame: pd.DataFrame, owner: str | None = name) -> pd.DataFrame:
            return frame if owner is None else frame[frame["owner"] == owner]

        revenue = _sum(mine(in_quarter)["amount"])
        goal = sum(goals.values()) if name is None else goals.get(name, math.nan)
        row = [shown, len(mine(in_quarter)), _money(revenue)]
        if goals:
            row += [_money(goal) if goal else "—", share_of(revenue, goal) if goal else "—"]
        row += [len(mine(won)), _money(_sum(mine(won)["amount"]))]
        row += [int(_within(mine(contacts)["date"], p).sum()) for p in (month, quarter)]
        rows.append(row)
    header = ["owner", "won_quarter", "won_amount_quarter"]
    header += ["goal", "goal_progress"] if goals else []
    header += ["won_to_date", "won_amount_to_date", "activities_month", "activities_quarter"]
    return [[words["by_rep"]], [words[k] for k in header], *rows]


def lost_reasons(board: pd.DataFrame, locale: str) -> Section:
    """输单原因 ranked: how many deals each reason lost and what they were worth; blanks
    (未填写) last. No table without lost deals."""
    lost = board[board["stage_key"] == "lost"]
    if lost.empty:
        return []
    words = summary_words(locale)
    reason = map_unique(lost["lost_reason"], cell_text) if "lost_reason" in lost else None
    reason = reason if reason is not None else pd.Series("", index=lost.index)
    frame = pd.DataFrame({"reason": reason, "amount": deal_amount(lost)})
    named = frame[frame["reason"] != ""]
    # pandas-stubs types a named aggregation of one column as a Series; it is a DataFrame.
    counts: pd.DataFrame = named.groupby("reason")["amount"].agg(deals="size", value=_sum)  # type: ignore[assignment]
    ranked = counts.sort_values(["deals", "value"], ascending=False, kind="stable")
    top = ranked.head(MOST_REASONS)
    rows = [[r, int(n), a] for r, n, a in zip(top.index, top["deals"], top["value"], strict=True)]
    rest = ranked.iloc[MOST_REASONS:]
    if len(rest):
        rows.append([words["other_group"], int(rest["deals"].sum()), _sum(rest["value"])])
    blank = frame[frame["reason"] == ""]
    if len(blank):
        rows.append([words["blank"], len(blank), _sum(blank["amount"])])
    total = len(frame)
    rows = [[r, n, share_of(n, total), _money(a)] for r, n, a in rows]
    rows.append([words["total"], total, share_of(total, total), _money(_sum(frame["amount"]))])
    header = [words[k] for k in ("lost_reason", "lost", "share", "lost_amount")]
    return [[words["lost_reasons"]], header, *rows]


def lost_at(stage_log: pd.DataFrame | None) -> pd.Series:
    """By funnel stage key: how many deals now lost were lost from that stage (their last
    stage on the ladder before 输单). A deal the sync first saw lost is at no stage."""
    keys = [t.key for t in FUNNEL_STAGES]
    if stage_log is None or stage_log.empty:
        return pd.Series(0, index=keys)
    log = stage_log.assign(customer_id=stage_log["customer_id"].astype(str))
    log = log.sort_values("since", kind="stable")
    latest = log.drop_duplicates("customer_id", keep="last")
    gone = set(latest.loc[latest["stage"] == "lost", "customer_id"])
    before = log[log["customer_id"].isin(gone) & log["stage"].isin(keys)]
    where = before.drop_duplicates("customer_id", keep="last")["stage"]
    return where.value_counts().reindex(keys, fill_value=0)


def pipeline_by_stage(board: pd.DataFrame, rates: dict[str, float] | None, locale: str) -> Section:
    """Open deals per stage of the ladder: how many, their 预计金额 and, with the stage
    success rates, its weighted value; a total row. No table when no deal has an amount."""
    words = summary_words(locale)
    amount = pd.to_numeric(board["expected_amount"], errors="coerce").astype(float)
    if "has_error" in board:
        amount = amount.where(~board["has_error"].astype(bool))
    if amount.notna().sum() == 0:
        return []
    rows, total = [], [0, 0.0, 0.0]
    for term in FUNNEL_STAGES:
        if term.key == "won":
            continue
        mine = amount[board["stage_key"] == term.key]
        value = _sum(mine)
        weighted = value * rates.get(term.key, math.nan) if rates else math.nan
        rows.append([term.text(locale), len(mine), _money(value), _money(weighted)])
        total = [total[0] + len(mine), total[1] + value, total[2] + _nan0(weighted)]
    rows.append([words["total"], total[0], _money(total[1]), _money(total[2])])
    header = [words[k] for k in ("stage", "deals", "expected", "weighted")]
    return [[words["pipeline_stage"]], header, *rows]


def _nan0(value: float) -> float:
    return 0.0 if math.isnan(value) else value


def new_by_week(new: pd.Series, today: dt.date, locale: str) -> Section:
    """New deals per week (Monday to Sunday), the last WEEKS weeks up to this one (so far),
    from the week the sync started. No table before a new deal was ever seen."""
    if new.empty:
        return []
    words = summary_words(locale)
    monday = today - dt.timedelta(days=today.weekday())
    start = new.min().date() - dt.timedelta(days=new.min().weekday())
    weeks = [monday - dt.timedelta(weeks=w) for w in range(WEEKS - 1, -1, -1)]
    weeks = [w for w in weeks if w >= start]
    days = pd.to_datetime(new).dt.date
    rows = []
    for first in weeks:
        count = int(((days >= first) & (days < first + dt.timedelta(days=7))).sum())
        rows.append([first.strftime("%m-%d"), count])
    return [[words["new_by_week"]], [words["week_of"], words["new_deals"]], *rows]
