"""Checking every follow-up row and turning what people typed into values the rules can use.

Every problem of every row is collected into one table (never stopping at the first), so a
person sees all that is wrong with a row in its 校验提示 cell at once. Errors make a row
资料不全; warnings are shown but the row is still graded and scheduled.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from collections.abc import Callable, Container, Hashable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from sheetsync.workbook.messages import say
from sheetsync.workbook.parsing import (
    Unreadable,
    cell_text,
    is_blank,
    map_unique,
    map_unique_pairs,
    parse_amount,
    parse_count,
    parse_cycle,
    parse_date,
    parse_deal_amount,
    parse_percent,
)
from sheetsync.workbook.schema import (
    BUDGET_LEVELS,
    CUSTOMER_STATES,
    INTENT_LEVELS,
    PAUSE_FOREVER,
    STAGES,
    Term,
    normalise_header,
    term_lookup,
)
from sheetsync.workbook.tables import ROW, Sheet

ERROR, WARNING = "error", "warning"
PROBLEM_COLUMNS = ["row", "customer_id", "column", "severity", "message"]
FOREVER = "forever"


@dataclass
class Validation:
    """The parsed rows (one per input row, same index) and every problem found."""

    rows: pd.DataFrame
    problems: pd.DataFrame
    locale: str = "zh"

    @property
    def invalid(self) -> pd.Series:
        return self.rows["has_error"]

    def lines(self) -> list[str]:
        """What `validate` prints: every problem, then the count, in the workbook's language."""
        lines = [
            say(
                "problem",
                self.locale,
                row=p.row,
                customer_id=p.customer_id or "-",
                severity=say(str(p.severity), self.locale),
                message=p.message,
            )
            for p in self.problems.itertuples()
        ]
        errors = int(self.invalid.sum())
        warned = self.problems["row"].nunique() - errors if len(self.problems) else 0
        return [
            *lines,
            say("checked", self.locale, rows=len(self.rows), errors=errors, warned=warned),
        ]


def normalise_id(value: object) -> str:
    """Ids compare as text: 1001, 1001.0 and "１００１ " are the same customer."""
    if type(value) is str and value.isascii():  # most ids: NFKC leaves ASCII as it is
        return value.strip()
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFKC", str(value)).strip()


QUOTE_LIMIT = 60  # a cell quoted in 校验提示 is shortened: a 40,000-character name fits no cell


def _shown(value: object) -> str:
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    text = str(value).replace("\n", " ").strip()
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…"


def parse_pause(value: object) -> object:
    if isinstance(value, str) and normalise_header(value) in PAUSE_FOREVER:
        return FOREVER
    try:
        return parse_date(value)
    except Unreadable as exc:
        raise exc if exc.key in KEEP_REASON else Unreadable("not_a_pause") from None


def parse_birthday(value: object) -> dt.date | None:
    """A birthday may be written without a year ("5月10日", "05-10"); kept on year 2000."""
    try:
        return parse_date(value)
    except ValueError:
        text = str(value).strip()
        for form in ("%m月%d日", "%m-%d", "%m/%d"):
            try:
                return dt.datetime.strptime(f"2000 {text}", f"%Y {form}").date()
            except ValueError:
                continue
        raise


# Reasons worth more than "not a date or 是": the cell is a date, just not a usable one.
KEEP_REASON = ("excel_error", "date_out_of_range", "no_such_date")


_E = TypeVar("_E", bound=Exception)
# A cell's value and why it cannot be read (None when it can), as `_cached` gives them.
Parser = Callable[[object], tuple[object, Unreadable | None]]


def _bare(exc: _E) -> _E:
    """The exception without the frames it was raised through (and the ones it replaced)."""
    exc.__traceback__ = exc.__context__ = exc.__cause__ = None
    return exc


def _cached(parser: Callable[[Any], object]) -> Parser:
    @lru_cache(maxsize=65536)
    def run(value: object) -> tuple[object, Unreadable | None]:
        try:
            return parser(value), None
        except Unreadable as exc:  # kept without its traceback: the frames it holds would
            return None, _bare(exc)  # keep the whole run's data alive as long as the cache

    def safe(value: object) -> tuple[object, Unreadable | None]:
        try:
            return run(value)
        except TypeError:  # unhashable: never cached
            return run.__wrapped__(value)

    return safe


_PARSERS = {
    "last_contact": _cached(parse_date),
    "agreed_date": _cached(parse_date),
    "contract_end": _cached(parse_date),
    "birthday": _cached(parse_birthday),
    "paused_until": _cached(parse_pause),
    "decision_cycle": _cached(parse_cycle),
}
# Optional value data: a bad cell is a warning and counts as empty (it grades nothing).
_VALUE_PARSERS = {
    "annual_amount": _cached(parse_amount),
    "margin": _cached(parse_percent),
    "renewal_rate": _cached(parse_percent),
    "since": _cached(parse_date),
    "product_lines": _cached(parse_count),
    "purchase_current": _cached(parse_amount),
    "purchase_previous": _cached(parse_amount),
    "expected_amount": _cached(parse_deal_amount),
    "expected_close": _cached(parse_date),
    "first_contact": _cached(parse_date),
}
DATE_VALUES = ("since", "expected_close", "first_contact")
NO_WORDS = ("否", "no", "n", "false")


class _Collector:
    """Gathers problems as (row index, column key, severity, message) records, each message
    in the workbook's language."""

    def __init__(self, sheet: Sheet, ids: pd.Series) -> None:
        self.sheet, self.ids = sheet, ids
        self.records: list[tuple[Hashable, str, str, str]] = []  # index, key, severity, message
        self.locale = sheet.locale

    def say(self, key: str, **fields: object) -> str:
        return say(key, self.locale, **fields)

    def add(
        self, mask: pd.Series | np.ndarray, key: str, severity: str, message: str, **fields: object
    ) -> None:
        """Flag the rows in `mask` with the catalogue's `message`; {value} is the cell."""
        values = self.sheet.frame[key][mask]
        self.add_reasons(
            key, severity, values.map(lambda v: self.say(message, value=_shown(v), **fields))
        )

    def add_reasons(self, key: str, severity: str, reasons: pd.Series) -> None:
        label = self.sheet.label(key)
        self.records += [(i, key, severity, f"{label}: {r}") for i, r in reasons.items()]

    def frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.records, columns=["index", "key", "severity", "message"])
        rows = self.sheet.frame[ROW]
        frame["row"] = frame["index"].map(rows)
        frame["customer_id"] = frame["index"].map(self.ids)
        frame["column"] = frame["key"].map(self.sheet.label)
        order = frame["severity"].map({ERROR: 0, WARNING: 1})
        return frame.assign(_o=order).sort_values(["row", "_o"], kind="stable").drop(columns="_o")


def _parse_column(
    sheet: Sheet,
    key: str,
    found: _Collector,
    severity: str,
    parser: Parser | None = None,
    then: str = "bad_value",
) -> pd.Series:
    raw = sheet.frame[key]
    values, errors = map_unique_pairs(raw, parser or _PARSERS[key])
    bad = errors.notna()
    reasons = [
        found.say(then, value=_shown(v), reason=e.text(found.locale))
        for v, e in zip(raw[bad], errors[bad], strict=True)
    ]
    found.add_reasons(key, severity, pd.Series(reasons, index=raw[bad].index, dtype=object))
    return values


def _value_data(sheet: Sheet, rows: pd.DataFrame, found: _Collector) -> None:
    """The optional value columns: numbers as floats (NaN when empty or unreadable)."""
    for key, parser in _VALUE_PARSERS.items():
        values = _parse_column(sheet, key, found, WARNING, parser, "bad_value_ignored")
        rows[key] = _dates(values) if key in DATE_VALUES else pd.to_numeric(values).astype(float)
    lookup = {k: t.key for k, t in term_lookup(INTENT_LEVELS).items()}
    raw = sheet.frame["potential"]
    rows["potential"] = map_unique(raw, lambda v: lookup.get(normalise_header(v)))
    allowed = "/".join(t.text(sheet.locale) for t in reversed(INTENT_LEVELS))
    found.add(
        ~_blank(raw) & rows["potential"].isna(),
        "potential",
        WARNING,
        "not_one_of_ignored",
        allowed=allowed,
    )
    raw = sheet.frame["churned"]
    words = map_unique(raw, normalise_header)
    rows["churned"] = words.isin(PAUSE_FOREVER).astype(bool)
    found.add(
        ~_blank(raw) & ~words.isin(PAUSE_FOREVER + NO_WORDS), "churned", WARNING, "not_yes_no"
    )
    rows["churned"] |= (rows["customer_state"] == "lost").astype(bool)  # 合作状态 流失
    rows["class_label"] = map_unique(sheet.frame["class_label"], cell_text)  # value.typed_class


def _customer_state(sheet: Sheet, found: _Collector) -> pd.Series:
    """合作状态 / 当前状态 / 客户状态 as a key: active (合作中, 已合作, 成交), prospect (待转化,
    潜在), lost (流失); an unknown word is a warning and is not read (never guessed)."""
    lookup = {k: t.key for k, t in term_lookup(CUSTOMER_STATES).items()}
    raw = sheet.frame["customer_state"]
    states = map_unique(raw, lambda v: lookup.get(normalise_header(v)))
    allowed = "/".join(t.text(sheet.locale) for t in CUSTOMER_STATES)
    unknown = ~_blank(raw) & states.isna()
    found.add(unknown, "customer_state", WARNING, "customer_state_unknown", allowed=allowed)
    return states.astype(object)


def _levels(
    sheet: Sheet,
    key: str,
    terms: tuple[Term, ...],
    found: _Collector,
    graded: bool | np.ndarray = True,
) -> pd.Series:
    """The level of each row; `graded`: whether (or for which rows) an empty cell is worth a
    warning (False, or a mask: an existing customer's is not)."""
    lookup = {k: terms.index(t) for k, t in term_lookup(terms).items()}
    raw = sheet.frame[key]
    blank = map_unique(raw, is_blank).astype(bool)
    level = map_unique(raw, lambda v: lookup.get(normalise_header(v)))
    lowest = terms[0].text(sheet.locale)
    if graded is not False:  # an empty cell the rules read makes a lower grade: worth saying
        found.add(blank & graded, key, WARNING, "empty_counted_as", lowest=lowest)
    allowed = "/".join(t.text(sheet.locale) for t in reversed(terms))
    found.add(
        ~blank & level.isna(), key, WARNING, "not_one_of_counted", allowed=allowed, lowest=lowest
    )
    return level.fillna(0).astype(int)


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(map_unique(values, lambda v: v if isinstance(v, dt.date) else None))


def validate(
    sheet: Sheet, team: set[str] | None, grades: list[str], criteria: set[str] | None = None
) -> Validation:
    """Parse and check every row. `team` None means no team tab to check owners against;
    `criteria`: the columns the grade rules read (an empty one is worth a warning), all by
    default."""
    frame = sheet.frame
    ids = map_unique(frame["customer_id"], normalise_id)
    found = _Collector(sheet, ids)
    for key in sheet.tab.required:
        found.add(_blank(frame[key]), key, ERROR, "required")
    _flag_duplicates(ids, frame[ROW], found)
    rows = pd.DataFrame({"customer_id": ids, ROW: frame[ROW]}, index=frame.index)
    for key in _PARSERS:
        severity = WARNING if key == "decision_cycle" else ERROR
        rows[key] = _parse_column(sheet, key, found, severity)
    for key in ("last_contact", "agreed_date", "contract_end", "birthday"):
        rows[key] = _dates(rows[key])
    rows["paused_forever"] = (rows["paused_until"] == FOREVER).astype(bool)
    rows["paused_until"] = _dates(rows["paused_until"])
    cycle_blank = _blank(frame["decision_cycle"])
    criteria = {"budget", "intent", "decision_cycle"} if criteria is None else criteria
    rows["customer_state"] = _customer_state(sheet, found)
    # An existing customer is kept by its class's plan, not graded as a lead: an empty
    # 意向度 / 预算情况 / 决策周期 is no gap in its row (the checklist has no such columns).
    existing = (rows["customer_state"] == "active").to_numpy()
    if "decision_cycle" in criteria:
        found.add(cycle_blank & ~existing, "decision_cycle", WARNING, "empty_cycle")
    rows["cycle_days"] = rows.pop("decision_cycle").astype(float).fillna(math.inf)
    graded = {k: k in criteria and ~existing for k in ("budget", "intent")}
    rows["budget_level"] = _levels(sheet, "budget", BUDGET_LEVELS, found, graded["budget"])
    rows["intent_level"] = _levels(sheet, "intent", INTENT_LEVELS, found, graded["intent"])
    rows["override"] = _override(sheet, grades, found)
    _check_allowed(sheet, "stage", STAGES, found)
    stage_keys = {k: t.key for k, t in term_lookup(STAGES).items()}
    rows["stage_key"] = map_unique(frame["stage"], lambda v: stage_keys.get(normalise_header(v)))
    _value_data(sheet, rows, found)
    lost = (rows["stage_key"] == "lost") & _blank(frame["lost_reason"])
    found.add(lost, "lost_reason", WARNING, "lost_reason_missing")
    if team is not None:
        _check_owner(sheet, team, found)
    problems = found.frame()
    errors = problems.loc[problems["severity"] == ERROR, "index"]
    rows["has_error"] = rows.index.isin(errors)
    rows["check"] = problems.groupby("index")["message"].agg("; ".join).reindex(rows.index)
    rows["check"] = rows["check"].fillna("").astype(object)
    return Validation(rows, problems[PROBLEM_COLUMNS].reset_index(drop=True), sheet.locale)


def _blank(values: pd.Series) -> pd.Series:
    return map_unique(values, is_blank).astype(bool)


def _known(values: pd.Series, words: Container[str]) -> pd.Series:
    return map_unique(values, lambda v: normalise_header(v) in words).astype(bool)


def _flag_duplicates(ids: pd.Series, row_numbers: pd.Series, found: _Collector) -> None:
    duplicated = ids.ne("") & ids.duplicated(keep=False)
    rows_of = row_numbers[duplicated].groupby(ids[duplicated]).agg(list)
    for index in duplicated[duplicated].index:
        others = [str(r) for r in rows_of[ids[index]] if r != row_numbers[index]]
        reason = found.say("duplicate_id", value=ids[index], rows=", ".join(others))
        found.add_reasons("customer_id", ERROR, pd.Series({index: reason}))


def _override(sheet: Sheet, grades: list[str], found: _Collector) -> pd.Series:
    lookup = {normalise_header(g): g for g in grades}
    raw = sheet.frame["grade_override"]
    override = map_unique(raw, lambda v: lookup.get(normalise_header(v)))
    bad = ~_blank(raw) & override.isna()
    found.add(bad, "grade_override", WARNING, "not_one_of_ignored", allowed="/".join(grades))
    return override.astype(object)


def _check_allowed(sheet: Sheet, key: str, terms: tuple[Term, ...], found: _Collector) -> None:
    lookup = term_lookup(terms)
    raw = sheet.frame[key]
    bad = ~_blank(raw) & ~_known(raw, lookup)
    allowed = "/".join(t.text(sheet.locale) for t in terms)
    found.add(bad, key, WARNING, "not_one_of", allowed=allowed)


def _check_owner(sheet: Sheet, team: set[str], found: _Collector) -> None:
    raw = sheet.frame["owner"]
    known = {normalise_header(name) for name in team}
    bad = ~_blank(raw) & ~_known(raw, known)
    found.add(bad, "owner", WARNING, "not_in_team")
