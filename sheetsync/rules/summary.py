"""The summary tab managers read: rebuilt from scratch every run, so it is never stale.

It holds counts and the longest-overdue list by id, name and owner: no contact details, so
it can be shared more widely than the follow-up tab. Three charts sit beside the tables
(grade mix, funnel, overdue by owner), drawn from the tables' own cells.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sheetsync.rules import conversion, forecast
from sheetsync.rules.handover import orphan_section
from sheetsync.rules.value import ValueRules
from sheetsync.workbook.changes import Chart, Heading, Share
from sheetsync.workbook.parsing import is_blank, map_unique
from sheetsync.workbook.schema import (
    FUNNEL_STAGES,
    HEALTH,
    OFF_FUNNEL,
    STAGES,
    STATUSES,
    SUMMARY_LABELS,
    normalise_header,
    term_lookup,
)

LONGEST_OVERDUE = 10
CHART_COLUMN = 10  # J: right of the widest table (the stalled deals' 8 columns)
CHART_ROWS = 18  # rows between the charts' top edges


@dataclass
class Summary:
    rows: list[list]
    charts: list[Chart] = field(default_factory=list)


def _percent(part: float, whole: float) -> Share | str:
    """part / whole as a percentage; "—" when there is no whole or the figures are no numbers."""
    share = part / whole if whole else math.nan
    return Share(round(share, 6)) if math.isfinite(share) else "—"


def _total(values: pd.Series) -> float:
    """A sum, or nan when it is no number: two amounts of 1e308 overflow to inf, and 120万 of
    a 1e306 typo is inf already. Shown as "—", never as a number Excel cannot open."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(values.sum())
    return total if math.isfinite(total) else math.nan


class _Labels:
    def __init__(self, locale: str) -> None:
        self.words = {t.key: t.text(locale) for t in SUMMARY_LABELS}

    def __call__(self, *keys: str) -> list[str]:
        return [self.words[k] for k in keys]


def summarise(
    board: pd.DataFrame,
    log: pd.DataFrame,
    grades: list[str],
    owners: list[str],
    today: dt.date,
    locale: str,
    value_rules: ValueRules | None = None,
    stage_log: pd.DataFrame | None = None,
    forecasts: pd.DataFrame | None = None,
) -> Summary:
    """`board`: one row per customer (see pipeline.compute). The tab's rows, sections
    separated by a blank row, and its charts."""
    label = _Labels(locale)
    names = _owner_names(board, owners)
    rates = value_rules.success_rates if value_rules else None  # the forecast's weights
    sections = {
        "title": [[*label("title"), *label("as_of"), today]],
        "grades": _by_grade(board, grades, label),
        "status": _by_status(board, locale, label),
        "owners": _by_owner(board, log, names, today, label),
        "funnel": _funnel(board, locale, label),
        "value": _by_value(board, value_rules, label) if value_rules else [],
        "health": _by_health(board, locale, label),
        "stalled": _stalled(board, names, value_rules, locale, label) if value_rules else [],
        "overdue": _longest_overdue(board, today, label),
        "orphans": orphan_section(board, owners, label),  # rules/handover.py
        "conversion": conversion.stage_conversion(stage_log, locale),
        **{
            f"outcomes_{k}": conversion.outcomes_by(stage_log, board, k, locale, names[1])
            for k in conversion.GROUPS
        },
        "forecast_month": forecast.by_month(board, rates, today, locale),
        "forecast_owner": forecast.by_owner(board, rates, forecasts, today, locale, names[1]),
    }
    rows: list[list] = []
    starts = {}
    for key, section in sections.items():
        if section:
            starts[key] = len(rows) + 1
            titles = [[Heading(v) if isinstance(v, str) else v for v in r] for r in section[:2]]
            rows += [*titles, *section[2:], []]
    return Summary(rows[:-1], _charts(sections, starts, label))


def _charts(sections: dict[str, list[list]], starts: dict[str, int], label: _Labels) -> list[Chart]:
    """Each chart reads a table's first column (names) and one column of numbers; a table
    has a title row and a header row above its data."""
    wanted = [
        ("pie", "chart_grades", "grades", 2, 0),
        # "reached"; the last rows are 输单, 培育池 and "blank/other", off the ladder
        ("bar", "chart_funnel", "funnel", 3, 1 + len(OFF_FUNNEL)),
        ("column", "chart_overdue", "owners", 4, 0),
    ]
    charts = []
    for kind, title, key, column, skip_last in wanted:
        first, count = starts[key] + 2, len(sections[key]) - 2 - skip_last
        if count < 1:
            continue
        last = first + count - 1
        anchor = (1 + len(charts) * CHART_ROWS, CHART_COLUMN)
        charts.append(Chart(kind, label(title)[0], (1, first, last), (column, first, last), anchor))
    return charts


def _owner_names(board: pd.DataFrame, owners: list[str]) -> tuple[pd.Series, list[str]]:
    """Each customer's owner as trimmed text, and every owner: the team's first."""
    owner = map_unique(board["owner"], lambda v: "" if is_blank(v) else str(v).strip())
    return owner, list(dict.fromkeys([*owners, *sorted(set(owner) - {""})]))


def _number(value: float) -> float | int | str:
    if not math.isfinite(value):
        return "—"
    return int(value) if float(value).is_integer() else round(float(value), 2)


def _by_grade(board: pd.DataFrame, grades: list[str], label: _Labels) -> list[list]:
    counts = board["grade"].value_counts()
    total = len(board)
    rows = [[g, int(counts.get(g, 0)), _percent(counts.get(g, 0), total)] for g in grades]
    return [label("by_grade"), label("grade", "customers", "share"), *rows]


def _by_status(board: pd.DataFrame, locale: str, label: _Labels) -> list[list]:
    counts = board["status"].value_counts()
    rows = [[t.text(locale), int(counts.get(t.key, 0))] for t in STATUSES]
    return [label("by_status"), label("status", "customers"), *rows]


def _by_owner(
    board: pd.DataFrame, log: pd.DataFrame, owner_names: tuple, today: dt.date, label: _Labels
) -> list[list]:
    now = pd.Timestamp(today)
    owner, names = owner_names
    done = log[log["state"] == "done"]
    recent = done[done["done_on"] > now - pd.Timedelta(days=7)]
    window = log[(log["due_date"] > now - pd.Timedelta(days=30)) & (log["due_date"] < now)]
    judged = window[(window["state"] == "done") | (window["state"] == "open")]
    on_time = judged[(judged["state"] == "done") & (judged["done_on"] <= judged["due_date"])]
    rows = []
    for name in names:
        mine = board["status"][owner == name]
        rows.append(
            [
                name,
                len(mine),
                int((mine == "due_today").sum()),
                int((mine == "overdue").sum()),
                int((recent["owner"] == name).sum()),
                _percent((on_time["owner"] == name).sum(), (judged["owner"] == name).sum()),
            ]
        )
    header = label("owner", "customers", "due_today", "overdue", "done_7d", "on_time_30d")
    return [label("by_owner"), header, *rows]


def _funnel(board: pd.DataFrame, locale: str, label: _Labels) -> list[list]:
    """The stages a deal climbs, counted where deals are today; 输单 and 培育池 are off the
    ladder (their own rows, in neither "reached" nor the conversion), not 其他."""
    lookup = {k: FUNNEL_STAGES.index(t) for k, t in term_lookup(FUNNEL_STAGES).items()}
    position = map_unique(board["stage"], lambda v: lookup.get(normalise_header(v), -1))
    position = position.where(~board["stage_key"].isin(OFF_FUNNEL), -2)
    counts = position.value_counts()
    at_stage = [int(counts.get(i, 0)) for i in range(len(FUNNEL_STAGES))]
    reached = [sum(at_stage[i:]) for i in range(len(FUNNEL_STAGES))]
    # How long deals have sat in each stage: the day count the follow-up tab no longer
    # carries (it shows 阶段开始日期, which does not change from day to day).
    days = board["stage_days"].groupby(board["stage_key"]).median()
    rows = []
    for i, term in enumerate(FUNNEL_STAGES):
        conversion = _percent(reached[i + 1], reached[i]) if i + 1 < len(FUNNEL_STAGES) else ""
        median = days.get(term.key, math.nan)
        shown = int(round(median)) if math.isfinite(median) else "—"
        rows.append([term.text(locale), at_stage[i], reached[i], conversion, shown])
    for key, word in zip(OFF_FUNNEL, ("lost_stage", "nurture_stage"), strict=True):
        rows.append([*label(word), int((board["stage_key"] == key).sum()), "", "", ""])
    rows.append([*label("other_stage"), int(counts.get(-1, 0)), "", "", ""])
    header = label("stage", "at_stage", "reached", "conversion", "median_days")
    return [label("funnel"), header, *rows]


def _longest_overdue(board: pd.DataFrame, today: dt.date, label: _Labels) -> list[list]:
    late = board[board["status"] == "overdue"]
    days = (pd.Timestamp(today) - late["due"]).dt.days
    top = late.assign(days=days).sort_values("days", ascending=False, kind="stable")
    rows = [
        [r.customer_id, r.customer, r.owner, int(r.days)]
        for r in top.head(LONGEST_OVERDUE).itertuples()
    ]
    header = label("customer_id", "customer", "owner", "days_overdue")
    return [label("longest_overdue"), header, *rows]


def _by_value(board: pd.DataFrame, rules: ValueRules, label: _Labels) -> list[list]:
    """Customers and annual amount per value class: where the revenue sits."""
    total_count = len(board)
    amount = board["amount"].fillna(0.0)
    total_amount = _total(amount[board["value_class"].notna()])
    rows = []
    for name, _ in rules.bands:
        mine = board["value_class"] == name
        part = _total(amount[mine])
        rows.append(
            [
                name,
                int(mine.sum()),
                _percent(mine.sum(), total_count),
                _number(part),
                _percent(part, total_amount),
            ]
        )
    unclassified = int(board["value_class"].isna().sum())
    rows.append([*label("unclassified"), unclassified, _percent(unclassified, total_count), "", ""])
    header = label("value_class", "customers", "share", "amount", "amount_share")
    return [label("by_value"), header, *rows]


def _by_health(board: pd.DataFrame, locale: str, label: _Labels) -> list[list]:
    counts = board["health"].value_counts()
    total = len(board)
    rows = [
        [t.text(locale), int(counts.get(t.key, 0)), _percent(counts.get(t.key, 0), total)]
        for t in HEALTH
    ]
    unrated = int(board["health"].isna().sum())
    rows.append([*label("not_rated"), unrated, _percent(unrated, total)])
    return [label("by_health"), label("health", "customers", "share"), *rows]


def _stalled(
    board: pd.DataFrame, owner_names: tuple, rules: ValueRules, locale: str, label: _Labels
) -> list[list]:
    """Stalled deals per owner (rows) and stage (columns), for stages that have a limit."""
    owner, names = owner_names
    stages = [t for t in STAGES if t.key in rules.stage_limits]
    stuck = board["stalled"].astype(bool)
    rows = []
    for name in names:
        mine = stuck & (owner == name)
        counts = [int((mine & (board["stage_key"] == t.key)).sum()) for t in stages]
        rows.append([name, *counts, sum(counts)])
    totals = [int((stuck & (board["stage_key"] == t.key)).sum()) for t in stages]
    rows.append([*label("total"), *totals, sum(totals)])
    header = [*label("owner"), *(t.text(locale) for t in stages), *label("total")]
    return [label("stalled"), header, *rows]
