"""Working days: moving a follow-up date forward to one, and counting them (days overdue).

Chinese public holidays and their make-up workdays (调休) come from the maintained `holidays`
package, which computes any year (a date next January never raises, unlike a fixed table).
"""

from __future__ import annotations

import datetime as dt
from calendar import SATURDAY
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

from sheetsync.workbook.parsing import map_unique


class WorkCalendar:
    """Weekends off; with `chinese_holidays`, also China's holidays, with 调休 Saturdays on."""

    def __init__(self, chinese_holidays: bool = True) -> None:
        self._cn = holidays.country_holidays("CN") if chinese_holidays else None
        self.next_workday = lru_cache(maxsize=8192)(self._next_workday)
        self._years: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def is_workday(self, day: dt.date) -> bool:
        if self._cn is None:
            return day.weekday() < SATURDAY  # Monday is 0: Saturday and Sunday are off
        return self._cn.is_working_day(day)

    def _next_workday(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return day

    def roll_forward(self, dates: pd.Series) -> pd.Series:
        """Each date, or the first working day after it; NaT stays NaT."""

        def roll(ts: pd.Timestamp) -> pd.Timestamp:
            return pd.Timestamp(self.next_workday(ts.date())) if pd.notna(ts) else pd.NaT

        return map_unique(dates, roll).astype(dates.dtype)

    def workdays_between(self, start: pd.Series, end: dt.date | pd.Series) -> pd.Series:
        """How many working days lie after each `start` up to and including `end`: a task due
        Friday is 1 workday late on Monday and 0 on Saturday and Sunday; due the day before
        National Day, 1 on the first workday after it. Negative when `end` is before `start`
        (minus the count from `end` to `start`); NaN where a date is missing.

        Whole columns at once (numpy's business-day count, with the holidays on weekdays and
        the 调休 weekend workdays of the years concerned listed once): a day-by-day loop per
        customer cost seconds at 100 k customers."""
        begin = pd.to_datetime(start).to_numpy(dtype="datetime64[D]")
        if isinstance(end, pd.Series):
            stop = pd.to_datetime(end).to_numpy(dtype="datetime64[D]")
        else:
            stop = np.full(len(begin), np.datetime64(pd.Timestamp(end).date(), "D"))
        known = ~(np.isnat(begin) | np.isnat(stop))
        counts = np.full(len(begin), np.nan)
        if known.any():
            first, last = begin[known], stop[known]
            sign = np.where(last < first, -1, 1)
            # (start, end] is numpy's [start + 1, end + 1), counted from the earlier date
            lo, hi = np.minimum(first, last) + 1, np.maximum(first, last) + 1
            off, extra = self._exceptions(_year(lo.min()), _year(hi.max()))
            found = np.busday_count(lo, hi, weekmask="1111100", holidays=off)
            found += np.searchsorted(extra, hi) - np.searchsorted(extra, lo)
            counts[known] = sign * found
        return pd.Series(counts, index=start.index)

    def days_overdue(self, due: pd.Series, today: dt.date) -> pd.Series:
        """Days overdue as the digest, the escalation, the summary and 健康度 count them:
        the workdays past a due date before `today` (`workdays_between`); 0 for one due
        today and, for one ahead, minus the calendar days until it (a date, not a debt)."""
        calendar_days = (pd.Timestamp(today) - pd.to_datetime(due)).dt.days
        late = self.workdays_between(due, today)
        return late.where(calendar_days > 0, calendar_days)

    def _exceptions(self, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
        """Weekdays off and weekend days worked (调休) in the years `first`..`last`."""
        parts = [self._year_exceptions(y) for y in range(first, last + 1)]
        off = np.concatenate([p[0] for p in parts])
        return off, np.concatenate([p[1] for p in parts])

    def _year_exceptions(self, year: int) -> tuple[np.ndarray, np.ndarray]:
        if year not in self._years:
            days = pd.date_range(f"{year}-01-01", f"{year}-12-31").date
            weekend = [d.weekday() >= SATURDAY for d in days]
            worked = [self.is_workday(d) for d in days]
            off = [d for d, w, on in zip(days, weekend, worked, strict=True) if not w and not on]
            extra = [d for d, w, on in zip(days, weekend, worked, strict=True) if w and on]
            self._years[year] = (
                np.array(off, dtype="datetime64[D]"),
                np.array(extra, dtype="datetime64[D]"),
            )
        return self._years[year]


def _year(day: np.datetime64) -> int:
    return int(day.astype("datetime64[Y]").astype(int)) + 1970
