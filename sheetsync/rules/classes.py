"""Class movement and churn (客户关系分类及管理维护清单, 步骤六): which customers moved between
value classes each quarter (B→A up, A→B down, 新接触→B converted), how many of each class and
relationship tier were lost (流失), and each class's share of customers and of 年合作金额.

A sheet row holds only today's class, and people edit it, so the sync keeps the class over
time itself, in the 分类记录 tab (append-only, like 阶段记录): one row per customer the day
the sync first sees it, and another whenever its class, relationship tier or 流失 changes (a
blank 分类 when the customer left the sheet). Everything here is counted from that tab:

    log = update_class_log(read_class_log(sheet), now_classes(board, tiers, rules), ids, today)
    sections = class_sections(log, now, amounts, rules, today, locale)

A customer without a value class (no 年合作金额 / 利润率 / 续约率 yet) is in the entry class,
the 客户关系 block's last tier (新接触): the checklist counts 新接触→B as a conversion.

Per quarter: a customer's class at the start is its last record before the quarter began
(one first seen during the quarter: its first record); at the end, its last record by the
quarter's last day (today for this quarter). A move is the start class against the end class
(B→A→B within a quarter is no move). Churn of a class or tier: customers not 流失 at the start
of the quarter who are 流失 at its end, over those customers (a customer already 流失 is not
lost again); a customer who left the sheet keeps its last record.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from sheetsync.rules.value import ValueRules
from sheetsync.workbook.changes import in_wan, share_of
from sheetsync.workbook.messages import listed, say
from sheetsync.workbook.parsing import cell_text, date_or_none, is_blank, map_unique
from sheetsync.workbook.schema import (
    CLASS_LOG,
    HEALTH,
    YES_WORDS,
    normalise_header,
    summary_words,
    term_lookup,
)
from sheetsync.workbook.tables import Section, Sheet
from sheetsync.workbook.validate import normalise_id

COLUMNS = [c.key for c in CLASS_LOG.columns]
STATE = ("value_class", "relationship", "churned")  # a change in any of them is a new row
QUARTERS_SHOWN = 4  # the latest quarters the log covers, newest first
NAMES_SHOWN = 3  # customers named per move (a cell stays readable); the rest counted


def empty_class_log() -> pd.DataFrame:
    frame = pd.DataFrame({k: pd.Series(dtype=object) for k in COLUMNS})
    frame["churned"] = frame["churned"].astype(bool)
    frame["since"] = pd.to_datetime(frame["since"])
    return frame


def _churned_word(value: object) -> bool:
    words = normalise_header(value)
    churned = {k for k, t in term_lookup(HEALTH).items() if t.key == "churned"}
    return bool(words) and (words in churned or words in {normalise_header(w) for w in YES_WORDS})


def read_class_log(sheet: Sheet | None) -> pd.DataFrame:
    """The tab as typed values, in the order recorded (whatever order people sorted it into);
    rows without a customer id or a readable date are dropped rather than stop a run."""
    if sheet is None or sheet.frame is None or sheet.frame.empty:
        return empty_class_log()
    frame = sheet.frame
    log = pd.DataFrame(
        {
            "customer_id": map_unique(frame["customer_id"], normalise_id),
            "customer": map_unique(frame["customer"], cell_text),
            "value_class": map_unique(frame["value_class"], cell_text),
            "relationship": map_unique(frame["relationship"], cell_text),
            "churned": map_unique(frame["churned"], _churned_word).astype(bool),
            "since": pd.to_datetime(map_unique(frame["since"], _date)),
        }
    )
    log = log[(log["customer_id"] != "") & log["since"].notna()]
    return log.sort_values("since", kind="stable").reset_index(drop=True)


def _date(value: object) -> dt.date | None:
    found = date_or_none(value)
    return found if isinstance(found, dt.date) else None


def entry_class(rules: ValueRules) -> str:
    """The class of a customer with no value class yet: the catch-all relationship tier
    (新接触), as the checklist's 步骤六 counts it."""
    return rules.relationships[-1].name if rules.relationships else ""


def now_classes(board: pd.DataFrame, tiers: pd.Series, rules: ValueRules) -> pd.DataFrame:
    """Each customer's class, relationship tier and 流失 today (board order), for the log and
    the mix. The tier is the one named in 客户分类 (a typed "A类+高潜力+战略伙伴" says it)
    where it names one, else `tiers` (computed from 合作开始日期 and 产品线数)."""
    names = [r.name for r in rules.relationships]

    def named(text: object) -> str | None:
        words = normalise_header(text)
        return next(
            (n for n in names if normalise_header(n) and normalise_header(n) in words), None
        )

    typed = map_unique(board["classification"], named)
    value = map_unique(board["value_class"], lambda v: "" if is_blank(v) else cell_text(v))
    return pd.DataFrame(
        {
            "customer_id": board["customer_id"],
            "customer": map_unique(board["customer"], cell_text),
            "value_class": value.where(value != "", entry_class(rules)),
            "relationship": typed.where(typed.notna(), tiers).fillna("").astype(object),
            "churned": (board["health"] == "churned").astype(bool),
            "valid": ~board["has_error"].astype(bool),  # a row with errors: state unknown
        },
        index=board.index,
    )


def update_class_log(
    log: pd.DataFrame, now: pd.DataFrame, present: pd.Series, today: dt.date
) -> pd.DataFrame:
    """The log with a row for every customer whose class, tier or 流失 differs from its last
    record (or who has none), and a blank-class row for each one recorded that is no longer in
    the sheet (`present`: every id the follow-up tab holds, rows with errors included).

    Ids used twice or blank are left out of `now`: which row is "the" customer is not known;
    so are rows with errors (their health is not rated): their last record stands."""
    known = now[now["customer_id"] != ""].drop_duplicates("customer_id", keep=False)
    known = known[known["valid"]]
    last = log.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    before = last.reindex(known["customer_id"].to_numpy())
    same = pd.Series(True, index=known.index)
    for key in STATE:
        same &= before[key].to_numpy() == known[key].to_numpy()
    changed = known[~same].assign(since=pd.Timestamp(today))
    ids = {normalise_id(v) for v in present}
    gone = last[(last["value_class"] != "") & ~last.index.isin(ids)].reset_index()
    gone = gone.assign(value_class="", relationship="", churned=False, since=pd.Timestamp(today))
    new = pd.concat([changed[COLUMNS], gone[COLUMNS]], ignore_index=True)
    if new.empty:
        return log
    new["churned"] = new["churned"].astype(bool)
    return pd.concat([log, new], ignore_index=True)


def class_log_rows(log: pd.DataFrame, locale: str, header: bool = True) -> list[list[object]]:
    """Sheet rows (header first unless `header` is False): 流失 as the health word."""
    churned = next(t for t in HEALTH if t.key == "churned").text(locale)
    rows: list[list[object]] = [[*CLASS_LOG.headers(locale)]] if header else []
    keys = ("customer_id", "customer", "value_class", "relationship", "churned", "since")
    for customer_id, customer, value_class, relationship, gone, since in zip(
        *(log[k] for k in keys), strict=True
    ):
        rows.append(
            [
                customer_id,
                customer or None,
                value_class or None,
                relationship or None,
                churned if gone else None,
                since.date(),
            ]
        )
    return rows


# --- quarters --------------------------------------------------------------------------
LAST_QUARTER = 10  # the month the year's last quarter starts in: the next starts a new year


def quarter_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the quarter `day` is in."""
    first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    after = dt.date(first.year + (first.month == LAST_QUARTER), (first.month + 3 - 1) % 12 + 1, 1)
    return first, after - dt.timedelta(days=1)


def quarters(log: pd.DataFrame, today: dt.date) -> list[tuple[str, dt.date, dt.date]]:
    """(label, first day, last day counted) of the latest QUARTERS_SHOWN quarters from the
    log's first record to today, newest first; this quarter ends today."""
    if log.empty:
        return []
    first = log["since"].min().date()
    found: list[tuple[str, dt.date, dt.date]] = []
    start, end = quarter_of(today)
    while end >= first and len(found) < QUARTERS_SHOWN:
        found.append((f"{start.year}Q{(start.month - 1) // 3 + 1}", start, min(end, today)))
        start, end = quarter_of(start - dt.timedelta(days=1))
    return found


def states(log: pd.DataFrame, first: dt.date, last: dt.date) -> pd.DataFrame:
    """Each customer's state at the start and at the end of a period, by customer id:
    columns start_<key> and end_<key> for each of STATE, plus customer (the latest name).
    Only customers in the sheet at some point of the period (not blank-class at its start
    and never seen again)."""
    since = log["since"]
    before = log[since < pd.Timestamp(first)].drop_duplicates("customer_id", keep="last")
    before = before[before["value_class"] != ""].set_index("customer_id")
    during = log[(since >= pd.Timestamp(first)) & (since <= pd.Timestamp(last))]
    during = during[during["value_class"] != ""]
    first_seen = during.drop_duplicates("customer_id", keep="first").set_index("customer_id")
    start = pd.concat([before, first_seen[~first_seen.index.isin(before.index)]])
    upto = log[(since <= pd.Timestamp(last)) & (log["value_class"] != "")]
    end = upto.drop_duplicates("customer_id", keep="last").set_index("customer_id")
    end = end.reindex(start.index)
    frame = pd.DataFrame(index=start.index)
    frame["customer"] = end["customer"].fillna(start["customer"])
    for key in STATE:
        frame[f"start_{key}"] = start[key]
        frame[f"end_{key}"] = end[key]
    return frame


def _order(seen: Iterable[str], known: list[str]) -> list[str]:
    """`known` first, in its order, then anything else seen, as found."""
    extra = [v for v in dict.fromkeys(seen) if v and v not in known]
    return [*known, *extra]


def class_order(rules: ValueRules) -> list[str]:
    """Classes best first: the score bands, then the entry class."""
    return list(dict.fromkeys([*(name for name, _ in rules.bands), entry_class(rules)]))


Periods = list[tuple[str, pd.DataFrame]]  # (quarter, `states` of it), newest first


def moves(periods: Periods, rules: ValueRules, locale: str) -> Section:
    """The 分类变动 section: per quarter, each class transition with its direction, count and
    customers, up before down, the largest first. Empty until a customer has moved."""
    words = summary_words(locale)
    order = class_order(rules)
    rows = []
    for label, found in periods:
        moved = found[found["start_value_class"] != found["end_value_class"]]
        moved = moved[moved["end_value_class"].notna()]
        pairs = []
        for (before, after), group in moved.groupby(
            ["start_value_class", "end_value_class"], sort=False
        ):
            start, end = str(before), str(after)  # class names
            way = _direction(start, end, order)
            pairs.append((way, -len(group), _rank(start, order), _rank(end, order), group))
        for way, _, _, _, group in sorted(pairs, key=lambda p: p[:4]):
            before, after = group["start_value_class"].iloc[0], group["end_value_class"].iloc[0]
            key = ("moved_up", "moved_down", "moved_across")[way]
            names = list(group["customer"].where(group["customer"] != "", group.index))
            rows.append([label, before, after, words[key], len(group), _names(names, locale)])
    if not rows:
        return []
    keys = ["quarter", "from_class", "to_class", "direction", "customers", "customers_moved"]
    return [[words["class_moves"]], [words[k] for k in keys], *rows]


def _direction(before: str, after: str, order: list[str]) -> int:
    """0 up (to a better class), 1 down, 2 a class the rules do not rank."""
    if before not in order or after not in order:
        return 2
    return 0 if order.index(after) < order.index(before) else 1


def _rank(name: str, order: list[str]) -> int:
    return order.index(name) if name in order else len(order)


def _names(names: list[str], locale: str) -> str:
    shown = listed(names[:NAMES_SHOWN], locale)
    if len(names) <= NAMES_SHOWN:
        return shown
    more = len(names) - NAMES_SHOWN
    return say("class_moves_more", locale, names=shown, count=len(names), more=more)


def churn(periods: Periods, key: str, known: list[str], locale: str) -> Section:
    """流失率 per class (`key` value_class) or tier (relationship), per quarter: customers
    not 流失 at the start who are at the end, over those customers; in the rules' order, only
    the classes and tiers someone was in."""
    words = summary_words(locale)
    rows = []
    for label, found in periods:
        held = found[~found["start_churned"].astype(bool)]
        lost = held["end_churned"].fillna(False).astype(bool)
        groups = held[f"start_{key}"]
        for name in _order(groups, known):
            mine = groups == name
            count, gone = int(mine.sum()), int((mine & lost).sum())
            if count:  # a class or tier nobody was in has no rate: no row
                rows.append([label, name or words["blank"], count, gone, share_of(gone, count)])
    if not rows:
        return []
    title = "churn_class" if key == "value_class" else "churn_tier"
    first_column = "value_class" if key == "value_class" else "relationship"
    keys = [first_column, "at_start", "churned_count", "churn_rate"]
    return [[words[title]], [words["quarter"], *(words[k] for k in keys)], *rows]


def mix(
    periods: Periods, now: pd.DataFrame, amounts: pd.Series, rules: ValueRules, locale: str
) -> Section:
    """Each class's customers at this quarter's start and now, its share of customers and
    of 年合作金额 now (customers 流失 included: they still hold their class)."""
    words = summary_words(locale)
    known = now[now["customer_id"] != ""].drop_duplicates("customer_id", keep=False)
    amount = amounts.reindex(known.index).astype(float).fillna(0.0)
    this = periods[0][1] if periods else pd.DataFrame({"start_value_class": []})
    at_start = this["start_value_class"].value_counts()
    total, total_amount = len(known), _sum(amount)
    rows = []
    for name in _order(known["value_class"], class_order(rules)):
        mine = known["value_class"] == name
        part = _sum(amount[mine])
        rows.append(
            [
                name,
                int(at_start.get(name, 0)),
                int(mine.sum()),
                share_of(int(mine.sum()), total),
                in_wan(part) if math.isfinite(part) else "—",
                share_of(part, total_amount),
            ]
        )
    keys = ["value_class", "at_start", "now_count", "customer_share", "amount", "amount_share"]
    return [[words["class_mix"]], [words[k] for k in keys], *rows]


def _sum(values: pd.Series) -> float:
    """A sum, nan when it is no number (two amounts of 1e308 overflow): shown as "—"."""
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(values.sum())
    return total if math.isfinite(total) else math.nan


def class_sections(
    log: pd.DataFrame,
    now: pd.DataFrame,
    amounts: pd.Series,
    rules: ValueRules,
    today: dt.date,
    locale: str,
) -> dict[str, Section]:
    """The summary's sections from the class log (this run's rows included): each quarter's
    states worked out once, for all of them."""
    periods = [(label, states(log, first, last)) for label, first, last in quarters(log, today)]
    tiers = [r.name for r in rules.relationships]
    return {
        "class_mix": mix(periods, now, amounts, rules, locale),
        "class_moves": moves(periods, rules, locale),
        "churn_class": churn(periods, "value_class", class_order(rules), locale),
        "churn_tier": churn(periods, "relationship", tiers, locale),
    }
