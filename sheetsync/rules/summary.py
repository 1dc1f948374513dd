"""The summary tab managers read: rebuilt from scratch every run, so it is never stale.

It holds counts and the longest-overdue list by id, name and owner: no contact details, so
it can be shared more widely than the follow-up tab. Charts sit beside the tables (grade mix,
funnel, overdue by owner, the overdue trend, the pipeline by month when there is one), drawn
from the tables' own cells.

Every section is a title row, a header row and data rows, and is laid out the same way
whoever adds it: bordered, its header filled, numbers right-aligned, columns as wide as the
longest name, and printed pages that break between sections (never through one), each page's
charts stacked beside its tables.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeGuard

import numpy as np
import pandas as pd

from sheetsync.config import COMPLETION_LOOKBACK_DAYS
from sheetsync.rules import conversion, forecast, performance
from sheetsync.rules.handover import orphan_section
from sheetsync.rules.value import ValueRules
from sheetsync.workbook.changes import (
    Chart,
    Heading,
    Share,
    SheetLayout,
    Table,
    in_wan,
    share_of,
    text_units,
)
from sheetsync.workbook.messages import say
from sheetsync.workbook.parsing import date_or_none, is_blank, map_unique
from sheetsync.workbook.schema import (
    FUNNEL_STAGES,
    HEALTH,
    OFF_FUNNEL,
    STAGES,
    STATUSES,
    normalise_header,
    summary_words,
    term_lookup,
)
from sheetsync.workbook.tables import Section

LONGEST_OVERDUE = 10
HEAD_ROWS = 2  # a section's title row and header row, above its data
CHART_ROWS = 17  # rows between the charts' top edges (a chart is 8.5 cm: 16 rows of 15 pt)
PAGE_ROWS = 48  # rows a landscape page shows, printed one page wide beside its charts
TREND_DAYS = 14  # days of the sync log the trend chart shows
NARROWEST, WIDEST = 8, 40  # a summary column's width, in characters
GAP_WIDTH = 2  # the column between the widest table and the charts
# Which column of a section a chart draws (None: its last column of numbers), its kind and
# title, and how many last rows it leaves out. A section added later gets its chart by key.
CHARTS = {
    "grades": ("pie", "chart_grades", 2, 0),
    # "entered", as the stage table counts it; the last rows are 输单, 培育池 and "blank/other"
    "funnel": ("bar", "chart_funnel", 3, 1 + len(OFF_FUNNEL)),
    "owners": ("column", "chart_overdue", 4, 1),  # not the team's total row
    "daily": ("line", "chart_trend", 3, 0),
    "forecast_month": ("column", "chart_pipeline", None, 1),  # not the total row
    "pipeline_stage": ("column", "chart_pipeline_stage", 3, 1),  # 预计金额, not the total
    "new_by_week": ("column", "chart_new_deals", 2, 0),
}


# A section's chart: (kind, title's key, the column of its values, how many data rows).
ChartSpec = tuple[str, str, int, int]
OwnerNames = tuple[pd.Series, list[str]]  # each customer's owner; the owners, as listed


@dataclass
class Summary:
    rows: list[list[object]]
    charts: list[Chart] = field(default_factory=list)
    layout: SheetLayout = field(default_factory=SheetLayout)


def _total(values: pd.Series) -> float:
    """A sum, or nan when it is no number: two amounts of 1e308 overflow to inf, and 120万 of
    a 1e306 typo is inf already. Shown as "—", never as a number Excel cannot open."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(values.sum())
    return total if math.isfinite(total) else math.nan


class _Labels:
    def __init__(self, locale: str) -> None:
        self.words = summary_words(locale)

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
    runs: pd.DataFrame | None = None,
    orphaned: pd.DataFrame | None = None,
    history: pd.DataFrame | None = None,
    extra: dict[str, Section] | None = None,
    managers: Sequence[str] = (),
    goals: dict[str, float] | None = None,
    archived_contacts: pd.DataFrame | None = None,
) -> Summary:
    """`board`: one row per customer (see pipeline.compute); `owners`: the team tab's
    people, `managers` those of them who manage (listed only when they own customers),
    `goals` their 目标; `archived_contacts`: contacts of archived history rows (owner, date:
    rules/archive.py); `runs`: the sync log's rows (run_date, due_today, overdue), for the
    trends; `extra`: sections computed elsewhere (issue 24's owner fit, class movement,
    churn, late records), shown after the rest. The tab's rows, sections separated by a
    blank row (more where a printed page ends), its charts and its layout. What someone has
    to act on comes first: the customers to reassign, then the period and per-rep results."""
    label = _Labels(locale)
    owner = _owner_texts(board)
    recorded = [log["owner"]] + ([history["owner"]] if history is not None else [])
    people = performance.roster(owner, owners, list(managers), recorded, goals or {}, locale)
    names = (owner, people.names)
    rates = value_rules.success_rates if value_rules else None  # the forecast's weights
    daily = _daily_counts(runs, board, today)
    per = (  # shared by the three tables; cycles from a known start (rules/conversion.py)
        conversion.outcomes(stage_log, conversion.first_sync_day(runs, stage_log), board)
        if stage_log is not None
        else None
    )
    stages = conversion.stage_conversion(stage_log, locale)
    deals = performance.closed_deals(board, stage_log, history)
    new = performance.new_deals(stage_log)
    contacts = performance.activities(history, archived_contacts)
    sections: dict[str, Section] = {
        "title": [[*label("title"), *label("as_of"), today]],
        "orphans": orphan_section(orphaned, label),  # rules/handover.py: act on these first
        "period": performance.by_period(deals, new, contacts, today, locale),
        "reps": performance.by_rep(deals, contacts, people, today, locale),
        "grades": _by_grade(board, grades, label),
        "status": _by_status(board, locale, label),
        "owners": _by_owner(board, log, names, people.shown, today, label),
        "trend": _trend(daily, log, today, locale, label),
        "daily": _daily(daily, label),
        "funnel": _funnel(board, stages, performance.lost_at(stage_log), locale, label),
        "pipeline_stage": performance.pipeline_by_stage(board, rates, locale),
        "lost_reasons": performance.lost_reasons(board, locale),
        "new_by_week": performance.new_by_week(new, today, locale),
        "value": _by_value(board, value_rules, label) if value_rules else [],
        "health": _by_health(board, locale, label),
        "stalled": _stalled(board, names, value_rules, locale, label) if value_rules else [],
        "overdue": _longest_overdue(board, label),
        "conversion": stages,
        **{
            f"outcomes_{k}": conversion.outcomes_by(
                stage_log,
                board,
                k,
                locale,
                names[1],
                history,
                per,
                people.shown if k == "owner" else None,
            )
            for k in conversion.GROUPS
        },
        "forecast_month": forecast.by_month(board, rates, today, locale),
        "forecast_owner": forecast.by_owner(board, rates, forecasts, today, locale, names[1]),
        **(extra or {}),
    }
    return _laid_out(_paged({k: v for k, v in sections.items() if v}, label), label)


def _paged(sections: dict[str, Section], label: _Labels) -> dict[str, Section]:
    """A section longer than a printed page (a team of 60) in page-sized parts, each with
    its title (续) and header again, so no page starts with figures under no header. A split
    section draws no chart: one over a page of its rows would leave the others out."""
    room = PAGE_ROWS - 3  # its title, its header and the blank row above it
    paged: dict[str, Section] = {}
    for key, section in sections.items():
        title, header, data = section[0], section[1:2], section[2:]
        if len(data) <= room:
            paged[key] = section
            continue
        for part, first in enumerate(range(0, len(data), room), start=1):
            named = title if part == 1 else [f"{title[0]}{label('continued')[0]}", *title[1:]]
            paged[f"{key}#{part}"] = [named, *header, *data[first : first + room]]
    return paged


def _laid_out(sections: dict[str, Section], label: _Labels) -> Summary:
    """Sections packed into printed pages of at most PAGE_ROWS rows (a longer section gets a
    page of its own), charts stacked beside their page's tables, a page break after each."""
    specs = {k: _chart_spec(k, v) for k, v in sections.items()}
    rows: list[list[object]] = []
    tables: list[Table] = []
    breaks: list[int] = []
    anchors: dict[str, tuple[int, int]] = {}
    page, used, charted = 1, 0, 0
    for key, section in sections.items():
        has_chart = specs[key] is not None
        if rows and (
            used + 1 + len(section) > PAGE_ROWS or (charted + has_chart) * CHART_ROWS > PAGE_ROWS
        ):  # the page ends on a blank row, below its tables and its charts
            end = max(len(rows) + 1, page - 1 + charted * CHART_ROWS + 1)
            rows += [[] for _ in range(end - len(rows))]
            breaks.append(end)
            page, used, charted = end + 1, 0, 0
        elif rows:
            rows.append([])
            used += 1
        start = len(rows) + 1
        titles = [[Heading(v) if isinstance(v, str) else v for v in r] for r in section[:2]]
        rows += [*titles, *(list(r) for r in section[2:])]
        used += len(section)
        if key != "title":
            tables.append(
                Table(start, start + len(section) - 1, _width(section), _numeric(section))
            )
        if has_chart:
            anchors[key] = (page + 1 + charted * CHART_ROWS, start)  # clear of the break
            charted += 1
    column = max([t.width for t in tables], default=1) + 2  # a narrow gap, then charts
    charts = [_chart(s, anchors[k], column, label) for k, s in specs.items() if s is not None]
    widths = {**_widths(sections), column - 1: GAP_WIDTH}
    layout = SheetLayout(tables, widths, landscape=True, breaks=breaks)
    return Summary(rows, charts, layout)


def _chart_spec(key: str, section: Section) -> ChartSpec | None:
    """(kind, title, value column, data rows) of the section's chart; None when it has none
    (or too little to draw: a line needs two points)."""
    if key not in CHARTS:
        return None
    kind, title, column, skip_last = CHARTS[key]
    count = len(section) - 2 - skip_last
    numbers = sorted(_numeric(section))
    column = column or (numbers[-1] if numbers and numbers[-1] > 1 else None)
    if count < (2 if kind == "line" else 1) or column is None:
        return None
    return kind, title, column, count


def _chart(spec: ChartSpec, anchor: tuple[int, int], column: int, label: _Labels) -> Chart:
    kind, title, value_column, count = spec
    row, start = anchor
    first, last = start + 2, start + 1 + count
    return Chart(
        kind, label(title)[0], (1, first, last), (value_column, first, last), (row, column)
    )


def _width(section: Section) -> int:
    return max(len(r) for r in section[1:]) if len(section) > 1 else len(section[0])


def _numeric(section: Section) -> frozenset[int]:
    """The columns whose data are numbers, or "—" standing for one: aligned right, header
    too (a rate column that is all "—" on day one is still a column of numbers)."""
    found = set()
    for column in range(1, _width(section) + 1):
        cells = [r[column - 1] for r in section[2:] if len(r) >= column]
        cells = [v for v in cells if not is_blank(v)]
        if cells and all(_is_number(v) or v == "—" or isinstance(v, Points) for v in cells):
            found.add(column)
    return frozenset(found)


def _is_number(value: object) -> TypeGuard[float | np.number]:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _widths(sections: dict[str, Section]) -> dict[int, float]:
    """Each column as wide as its longest value (a 汉字 counts two) and 70 % of its longest
    header (headers wrap onto two lines), so a whole page of tables and charts prints large
    enough to read; titles run on into the empty cells beside them."""
    widths: dict[int, float] = {}
    for key, section in sections.items():
        for number, row in enumerate(section if key == "title" else section[1:]):
            for column, value in enumerate(row, start=1):
                if key == "title" and column == 1:
                    continue
                units = 0 if is_blank(value) else text_units(value)
                units = math.ceil(units * 0.7) if number == 0 and key != "title" else units
                widths[column] = max(widths.get(column, NARROWEST), min(WIDEST, units + 3))
    return widths


def _owner_texts(board: pd.DataFrame) -> pd.Series:
    """Each customer's owner as trimmed text."""
    return map_unique(board["owner"], lambda v: "" if is_blank(v) else str(v).strip())


def _number(value: float) -> float | int | str:
    if not math.isfinite(value):
        return "—"
    return int(value) if float(value).is_integer() else round(float(value), 2)


def _by_grade(board: pd.DataFrame, grades: list[str], label: _Labels) -> Section:
    counts = board["grade"].value_counts()
    total = len(board)
    rows = [[g, int(counts.get(g, 0)), share_of(counts.get(g, 0), total)] for g in grades]
    return [label("by_grade"), label("grade", "customers", "share"), *rows]


def _by_status(board: pd.DataFrame, locale: str, label: _Labels) -> Section:
    counts = board["status"].value_counts()
    rows = [[t.text(locale), int(counts.get(t.key, 0))] for t in STATUSES]
    return [label("by_status"), label("status", "customers"), *rows]


def _by_owner(
    board: pd.DataFrame,
    log: pd.DataFrame,
    owner_names: OwnerNames,
    shown: dict[str, str],
    today: dt.date,
    label: _Labels,
) -> Section:
    """Per owner (`shown`: a rep who left the team marked so, with their figures kept) and
    the team's own total: customers, due today, overdue, done in 7 days and the on-time
    rate of the tasks due in the last 30 days."""
    now = pd.Timestamp(today)
    owner, names = owner_names
    done = log[log["state"] == "done"]
    recent = done[done["done_on"] > now - pd.Timedelta(days=7)]
    judged = _judged(
        log, now - pd.Timedelta(days=COMPLETION_LOOKBACK_DAYS), now - pd.Timedelta(days=1)
    )
    on_time = judged[(judged["state"] == "done") & (judged["done_on"] <= judged["due_date"])]
    texts = {k: map_unique(f["owner"], _text) for k, f in (("r", recent), ("j", judged))}
    texts["o"] = map_unique(on_time["owner"], _text)
    rows = []
    for name in [*names, None]:
        mine = board["status"] if name is None else board["status"][owner == name]

        def count(owners: pd.Series, name: str | None = name) -> int:
            return len(owners) if name is None else int((owners == name).sum())

        rows.append(
            [
                shown.get(name, name) if name is not None else label("total")[0],
                len(mine),
                int((mine == "due_today").sum()),
                int((mine == "overdue").sum()),
                count(texts["r"]),
                share_of(count(texts["o"]), count(texts["j"])),
            ]
        )
    header = label("owner", "customers", "due_today", "overdue", "done_7d", "on_time_30d")
    return [label("by_owner"), header, *rows]


def _text(value: object) -> str:
    return "" if is_blank(value) else str(value).strip()


def _judged(log: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """Tasks due from `first` to `last` that count towards a completion rate: done, still
    open or missed (a greeting or renewal whose day passed: not superseded, failed), and
    known to the sync before they were due. A customer already
    overdue when the sync first ran opens a task due in the past: counting it would show
    0.0% completion on day one, where there is nothing to rate yet ("—")."""
    due = log["due_date"]
    window = log[(due >= first) & (due <= last) & log["state"].isin(["done", "open", "missed"])]
    created = window["created"]
    return window[created.isna() | (created <= window["due_date"])]


def _daily_counts(runs: pd.DataFrame | None, board: pd.DataFrame, today: dt.date) -> pd.DataFrame:
    """Due-today and overdue counts by day: each earlier day's last run from the sync log,
    and today's from this run (the log gets today's row only when the run is written)."""
    columns = ["due_today", "overdue"]
    found = pd.DataFrame(columns=columns, dtype=float)
    if runs is not None and len(runs) and {"run_date", *columns} <= set(runs.columns):
        dates = runs["run_date"].map(date_or_none)
        numbers = runs[columns].apply(pd.to_numeric, errors="coerce")
        found = numbers[dates.notna() & numbers.notna().all(axis=1)].assign(day=dates)
        found = found[found["day"] < today].groupby("day")[columns].last()
    now = board["status"]
    found.loc[today] = [int((now == "due_today").sum()), int((now == "overdue").sum())]
    return found.sort_index()


def _week_starts(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday of this week and of last week."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday - dt.timedelta(days=7)


def _trend(
    daily: pd.DataFrame, log: pd.DataFrame, today: dt.date, locale: str, label: _Labels
) -> Section:
    """This week (Monday to today) against the same weekdays of last week (Monday to a week
    ago today): on a Monday, Monday against last Monday, never a day against a whole week.
    Overdue customers on an average day, tasks done, and the on-time rate of the tasks due
    (up to yesterday: today's are not late yet); a rate's change in percentage points."""
    this, last = _week_starts(today)
    week = dt.timedelta(days=7)
    weeks = [(this, today), (last, today - week)]
    done = log[log["state"] == "done"]
    overdue: list[float | str] = []  # this week, last week
    finished: list[int | str] = []
    rates: list[Share | str] = []
    for first, end in weeks:  # a week the sync did not run in has no figures ("—")
        days = daily.loc[[d for d in daily.index if first <= d <= end], "overdue"]
        overdue.append(round(float(days.mean()), 1) if len(days) else "—")
        on = done["done_on"]
        count = int(((on >= pd.Timestamp(first)) & (on <= pd.Timestamp(end))).sum())
        finished.append(count if len(days) else "—")
        upto = end - dt.timedelta(days=1)
        judged = _judged(log, pd.Timestamp(first), pd.Timestamp(upto))
        in_time = (judged["state"] == "done") & (judged["done_on"] <= judged["due_date"])
        rates.append(share_of(int(in_time.sum()), len(judged)))
    rows = [
        [*label("overdue_avg"), *overdue, _change(overdue[0], overdue[1], locale)],
        [*label("done_week"), *finished, _change(finished[0], finished[1], locale)],
        [*label("on_time_week"), *rates, _change(rates[0], rates[1], locale)],
    ]
    before = say("same_days_last_week", locale, day=(today - week).strftime("%m-%d"))
    header = [*label("measure", "this_week"), before, *label("change")]
    return [label("trend"), header, *rows]


class Points(str):
    """A change of a rate, in percentage points ("+5.0 个百分点"), never with a % sign: 50 %
    to 55 % is 5 points, not 5 %. Text, aligned right like the numbers beside it."""


def _change(now: object, before: object, locale: str) -> object:
    """now - before, "—" when either is not a number; a rate's change is in points."""
    if not _is_number(now) or not _is_number(before):
        return "—"
    if isinstance(now, Share):
        return Points(say("points_change", locale, value=round((now - before) * 100, 1)))
    return round(now - before, 1) if isinstance(now, float) else int(now - before)


def _daily(daily: pd.DataFrame, label: _Labels) -> Section:
    """The last TREND_DAYS days' counts: what the trend chart draws."""
    shown = daily.tail(TREND_DAYS)
    rows = [
        [d.strftime("%m-%d"), int(due), int(overdue)]
        for d, due, overdue in zip(shown.index, shown["due_today"], shown["overdue"], strict=True)
    ]
    return [label("daily"), label("date", "due_today", "overdue"), *rows]


def _funnel(
    board: pd.DataFrame, stages: Section, lost_at: pd.Series, locale: str, label: _Labels
) -> Section:
    """Where deals are today, and what happened to them: the deals that entered each stage
    and the rate that moved on are the stage table's own (`stages`, 阶段转化, lost deals
    included, since a deal lost at 方案展示 entered it), so the funnel chart and that table
    never disagree; `lost_at`: deals lost from each stage. 输单 and 培育池 are off the ladder
    (their own rows), not 其他."""
    lookup = {k: FUNNEL_STAGES.index(t) for k, t in term_lookup(FUNNEL_STAGES).items()}
    position = map_unique(board["stage"], lambda v: lookup.get(normalise_header(v), -1))
    position = position.where(~board["stage_key"].isin(OFF_FUNNEL), -2)
    counts = position.value_counts()
    at_stage = [int(counts.get(i, 0)) for i in range(len(FUNNEL_STAGES))]
    table = _columns(stages, label("entered", "advance_rate"))
    # How long deals have sat in each stage: the day count the follow-up tab no longer
    # carries (it shows 阶段开始日期, which does not change from day to day).
    days = board["stage_days"].groupby(board["stage_key"]).median()
    rows = []
    for i, term in enumerate(FUNNEL_STAGES):
        entered, rate = table.get(term.text(locale), ("—", "—"))
        last = i + 1 == len(FUNNEL_STAGES)
        median = days.get(term.key, math.nan)
        shown = int(round(median)) if math.isfinite(median) else "—"
        lost = "" if last else int(lost_at.get(term.key, 0))
        rows.append([term.text(locale), at_stage[i], entered, "" if last else rate, lost, shown])
    for key, word in zip(OFF_FUNNEL, ("lost_stage", "nurture_stage"), strict=True):
        rows.append([*label(word), int((board["stage_key"] == key).sum()), "", "", "", ""])
    rows.append([*label("other_stage"), int(counts.get(-1, 0)), "", "", "", ""])
    header = label("stage", "at_stage", "entered", "advance_rate", "lost_here", "median_days")
    return [label("funnel"), header, *rows]


def _columns(section: Section, headers: list[str]) -> dict[object, tuple[object, ...]]:
    """A table's rows by their first cell: the values under `headers` ("—" for a header
    the table does not have)."""
    if len(section) < HEAD_ROWS:
        return {}
    where = [section[1].index(h) if h in section[1] else None for h in headers]
    return {
        r[0]: tuple("—" if w is None or w >= len(r) else r[w] for w in where) for r in section[2:]
    }


def _longest_overdue(board: pd.DataFrame, label: _Labels) -> Section:
    """The customers longest overdue, in workdays (`WorkCalendar.days_overdue`, the board's
    `days_overdue`: a weekend or a holiday is no day late)."""
    late = board[board["status"] == "overdue"]
    top = late.assign(days=late["days_overdue"]).sort_values("days", ascending=False, kind="stable")
    top = top.head(LONGEST_OVERDUE)
    rows = [
        [customer_id, customer, owner, int(days)]
        for customer_id, customer, owner, days in zip(
            top["customer_id"], top["customer"], top["owner"], top["days"], strict=True
        )
    ]
    header = label("customer_id", "customer", "owner", "days_overdue")
    return [label("longest_overdue"), header, *rows]


def _by_value(board: pd.DataFrame, rules: ValueRules, label: _Labels) -> Section:
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
                share_of(mine.sum(), total_count),
                in_wan(part) if math.isfinite(part) else "—",
                share_of(part, total_amount),
            ]
        )
    unclassified = int(board["value_class"].isna().sum())
    rows.append([*label("unclassified"), unclassified, share_of(unclassified, total_count), "", ""])
    header = label("value_class", "customers", "share", "amount", "amount_share")
    return [label("by_value"), header, *rows]


def _by_health(board: pd.DataFrame, locale: str, label: _Labels) -> Section:
    """Customers by 健康度; lost deals (输单) are not rated and not counted."""
    if "lost" in board:
        board = board[~board["lost"].astype(bool)]
    counts = board["health"].value_counts()
    total = len(board)
    rows = [
        [t.text(locale), int(counts.get(t.key, 0)), share_of(counts.get(t.key, 0), total)]
        for t in HEALTH
    ]
    unrated = int(board["health"].isna().sum())
    rows.append([*label("not_rated"), unrated, share_of(unrated, total)])
    return [label("by_health"), label("health", "customers", "share"), *rows]


def _stalled(
    board: pd.DataFrame, owner_names: OwnerNames, rules: ValueRules, locale: str, label: _Labels
) -> Section:
    """Stalled deals per owner (rows) and stage (columns), for stages that have a limit."""
    owner, names = owner_names
    stages = [t for t in STAGES if t.key in rules.stage_limits]
    stuck = board["stalled"].astype(bool).to_numpy()
    stage = board["stage_key"].to_numpy()[stuck]
    counted = Counter(zip(owner.to_numpy()[stuck], stage, strict=True))  # one pass, not per pair
    rows = []
    for name in names:
        counts = [counted[(name, t.key)] for t in stages]
        rows.append([name, *counts, sum(counts)])
    by_stage = Counter(stage)
    totals = [by_stage[t.key] for t in stages]
    rows.append([*label("total"), *totals, sum(totals)])
    header = [*label("owner"), *(t.text(locale) for t in stages), *label("total")]
    return [label("stalled"), header, *rows]
