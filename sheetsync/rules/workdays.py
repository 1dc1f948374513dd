"""Moving a follow-up date forward to a working day.

Chinese public holidays and their make-up workdays (调休) come from the maintained `holidays`
package, which computes any year (a date next January never raises, unlike a fixed table).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays
import pandas as pd

from sheetsync.workbook.parsing import map_unique


class WorkCalendar:
    """Weekends off; with `chinese_holidays`, also China's holidays, with 调休 Saturdays on."""

    def __init__(self, chinese_holidays: bool = True) -> None:
        self._cn = holidays.country_holidays("CN") if chinese_holidays else None
        self.next_workday = lru_cache(maxsize=8192)(self._next_workday)

    def is_workday(self, day: dt.date) -> bool:
        if self._cn is None:
            return day.weekday() < 5
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
