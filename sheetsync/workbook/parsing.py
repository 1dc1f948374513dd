"""Reading what people type: dates in the common forms, and decision cycles like "1-3个月".

Both are strict: a value that is not clearly one of the accepted forms raises ValueError
with the reason, because a guessed date silently schedules the wrong follow-up.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.workbook.messages import EN, say, simplified


class Unreadable(ValueError):
    """A cell that is not what its column expects. `key` names the catalogue's sentence, so
    the validator can say it in the workbook's language; str() is the English one."""

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(say(key, EN, **fields))
        self.key, self.fields = key, fields

    def text(self, locale: str) -> str:
        return say(self.key, locale, **self.fields)


# Spreadsheet error values: a broken formula, never a blank to skip quietly.
_ERROR_VALUE_RE = re.compile(r"#(?:N/A|REF!|VALUE!|DIV/0!|NAME\?|NUM!|NULL!|SPILL!|CALC!|ERROR!)")
# A date people can mean: later ones (9999-12-31 as "never") would overflow the schedule.
YEARS = (1900, 2200)
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers 1 .. 2958465 are 1900-01-01 .. 9999-12-31; outside that it is not a date.
SERIAL_RANGE = (1, 2958465)

_DATE_RE = re.compile(
    r"(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?)"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
)


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def is_missing(value: object) -> bool:
    """None, NaN, NaT or pd.NA: a value pandas holds as missing (a text never is)."""
    # pandas-stubs types `isna` for scalars it names, not `object`; a cell is one scalar.
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))  # type: ignore[call-overload]


def date_or_none(value: object) -> dt.date | None:
    """For sync-owned tabs: an unreadable cell there is a blank, not a reason to stop."""
    try:
        return parse_date(value)
    except (ValueError, TypeError):
        return None


def cell_text(value: object) -> str:
    """A cell as trimmed text; blank (None, NaN, spaces) as ""."""
    return "" if is_blank(value) else str(value).strip()


def map_unique(values: pd.Series, fn: Callable[[Any], object]) -> pd.Series:
    """`fn` once per distinct value: a column of 100 k rows holds a few hundred distinct
    words or dates, so this is the difference between seconds and milliseconds. (`fn` takes
    `Any`: a column holds whatever its cells do, and each caller knows its column.)"""
    if len(values) <= FEW and values.dtype == object:  # a team's sheet: a dict is cheaper
        done: dict[Any, object] = {}
        mapped = np.empty(len(values), dtype=object)
        cells = np.asarray(values, dtype=object)
        # as pd.factorize groups them: every missing value (None, NaN, NaT, NA) as NaN
        for i, value in enumerate(np.where(pd.isna(cells), np.nan, cells)):
            mapped[i] = done[value] if value in done else done.setdefault(value, fn(value))
        return pd.Series(mapped, index=values.index, dtype=object)
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    results = np.empty(len(uniques), dtype=object)
    results[:] = [fn(u) for u in uniques]
    return pd.Series(results[codes], index=values.index, dtype=object)


FEW = 64  # rows below which `map_unique` maps through a dict (pd.factorize's ~50 µs setup)


def map_unique_pairs(
    values: pd.Series, fn: Callable[[Any], tuple[object, object]]
) -> tuple[pd.Series, pd.Series]:
    """`map_unique` for a `fn` giving a pair (a value and its error): each half as a column,
    split once per distinct value rather than once per row."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    firsts, seconds = np.empty(len(uniques), dtype=object), np.empty(len(uniques), dtype=object)
    for i, (first, second) in enumerate(fn(u) for u in uniques):
        firsts[i], seconds[i] = first, second
    index = values.index
    return (
        pd.Series(firsts[codes], index=index, dtype=object),
        pd.Series(seconds[codes], index=index, dtype=object),
    )


def _from_serial(number: float) -> dt.date:
    if not math.isfinite(number) or not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        raise Unreadable("not_a_date")
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def error_value(value: object) -> bool:
    return isinstance(value, str) and bool(_ERROR_VALUE_RE.fullmatch(value.strip()))


def _in_range(day: dt.date) -> dt.date:
    if not YEARS[0] <= day.year <= YEARS[1]:
        raise Unreadable("date_out_of_range", first=YEARS[0], last=YEARS[1])
    return day


@lru_cache(maxsize=65536)
def parse_date(value: object) -> dt.date | None:
    """None for a blank cell; a date for any accepted form; Unreadable otherwise."""
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return _in_range(value.date())
    if isinstance(value, dt.date):
        return _in_range(value)
    if isinstance(value, bool):
        raise Unreadable("not_a_date")
    if isinstance(value, (int, float)):
        return _in_range(_from_serial(value))
    if error_value(value):
        raise Unreadable("excel_error")
    match = _DATE_RE.fullmatch(str(value).strip())
    if not match:
        raise Unreadable("not_a_date_form")
    year, *parts = match.groups()
    month, day = [int(p) for p in parts if p is not None]
    try:
        return _in_range(dt.date(int(year), month, day))
    except Unreadable:
        raise
    except ValueError:
        raise Unreadable("no_such_date") from None


def _finite(number: float) -> float:
    """inf, 1e400 and NaN typed into a number cell are not numbers anyone meant."""
    if not math.isfinite(number):
        raise Unreadable("not_finite")
    return number


_UNIT_DAYS = {
    "": 1,
    "天": 1,
    "日": 1,
    "d": 1,
    "day": 1,
    "days": 1,
    "周": 7,
    "星期": 7,
    "w": 7,
    "wk": 7,
    "week": 7,
    "weeks": 7,
    "个月": 30,
    "月": 30,
    "m": 30,
    "mo": 30,
    "month": 30,
    "months": 30,
    "年": 365,
    "y": 365,
    "yr": 365,
    "year": 365,
    "years": 365,
}
_NUM = r"(\d+(?:\.\d+)?)"
_CYCLE_RE = re.compile(
    rf"(?P<op>[<>≤≥]=?|不超过|以内|超过|大于|小于)?\s*{_NUM}\s*"
    rf"(?:(?:-|~|～|至|到|—|–)\s*{_NUM})?\s*(?P<unit>[^\d\s]*?)\s*(?P<post>以内|以上|内)?"
)


@lru_cache(maxsize=4096)
def parse_cycle(value: object) -> float | None:
    """Days, taking a range's upper bound; ">N" is just over N. None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _finite(float(value))
    text = simplified(str(value).strip()).casefold().replace("半年", "6个月")  # 2個月 too
    match = _CYCLE_RE.fullmatch(text)
    unit = match and match.group("unit").rstrip(".")
    if not match or unit not in _UNIT_DAYS:
        raise Unreadable("not_a_cycle")
    upper = _finite(float(match.group(3) or match.group(2)) * _UNIT_DAYS[unit])
    more_than = match.group("op") in (">", "超过", "大于") or match.group("post") == "以上"
    return upper + 1 if more_than else upper


_PERIOD_DAYS = {
    "日": 1,
    "天": 1,
    "周": 7,
    "星期": 7,
    "月": 30,
    "个月": 30,
    "季度": 90,
    "季": 90,
    "年": 365,
}
_FREQUENCY_RE = re.compile(
    rf"每\s*(?:{_NUM}\s*(?:(?:-|~|～|至|到)\s*{_NUM})?)?\s*(?P<unit>个月|季度|星期|日|天|周|月|季|年)"
    r"\s*(?:(?P<times>\d+)\s*次)?"
)


@lru_cache(maxsize=1024)
def parse_frequency(value: object) -> float | None:
    """A follow-up interval in days, as the playbook writes it: 每日1次 -> 1, 每2-3天1次 -> 3
    (the range's upper bound), 每周1次 -> 7, 每月1次 -> 30, 每季度1次 -> 90, 每周2次 -> 3;
    or a plain number of days / a cycle ("3", "2周")."""
    if isinstance(value, str):
        match = _FREQUENCY_RE.fullmatch(simplified(value.strip()))  # 每週1次 too
        if match:
            span = float(match.group(2) or match.group(1) or 1) * _PERIOD_DAYS[match.group("unit")]
            return max(1.0, math.floor(span / int(match.group("times") or 1)))
    return parse_cycle(value)


_AMOUNT_UNITS = {
    "": 1,
    "元": 1,
    "k": 1e3,
    "千": 1e3,
    "w": 1e4,
    "万": 1e4,
    "万元": 1e4,
    "m": 1e6,
    "百万": 1e6,
    "亿": 1e8,
    "亿元": 1e8,
}
_AMOUNT_RE = re.compile(r"[¥￥$€]?\s*(-?[\d,]*\.?\d+)\s*([^\d\s]*)")


@lru_cache(maxsize=65536)
def parse_amount(value: object) -> float | None:
    """Money as people write it: 1200000, "1,200,000", "¥120万", "120w", "1.2M"."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _finite(float(value))
    match = _AMOUNT_RE.fullmatch(simplified(str(value).strip()).casefold())  # 120萬 too
    if not match or match.group(2) not in _AMOUNT_UNITS:
        raise Unreadable("not_an_amount")
    return _finite(float(match.group(1).replace(",", "")) * _AMOUNT_UNITS[match.group(2)])


def parse_deal_amount(value: object) -> float | None:
    """A deal's expected amount (预计金额): an amount, never below zero; a negative one
    would pull the weighted forecast down without anyone noticing."""
    amount = parse_amount(value)
    if amount is not None and amount < 0:
        raise Unreadable("negative_amount")
    return amount


@lru_cache(maxsize=65536)
def parse_percent(value: object) -> float | None:
    """A rate as a fraction: "30%", 0.3 (a cell formatted as %) and 30 are all 0.3."""
    if is_blank(value):
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = _finite(float(value))
    else:
        text = str(value).strip().replace("％", "%")
        try:
            number = float(text.removesuffix("%").strip()) / (100 if text.endswith("%") else 1)
        except ValueError:
            raise Unreadable("not_a_percent") from None
        if text.endswith("%"):
            return _finite(number)
        number = _finite(number)
    return number / 100 if abs(number) > 1 else number


@lru_cache(maxsize=4096)
def parse_count(value: object) -> int | None:
    """A whole number of things (product lines): 2, 2.0 or "2"."""
    if is_blank(value):
        return None
    try:
        number = float(str(value).strip()) if not isinstance(value, (int, float)) else value
    except ValueError:
        number = None
    if (
        isinstance(value, bool)
        or number is None
        or not math.isfinite(number)
        or number < 0
        or number != int(number)
    ):
        raise Unreadable("not_a_count")
    return int(number)
