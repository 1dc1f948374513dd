"""Late records: contacts typed into the sheet more than one workday after they happened.

The relationship checklist asks for the record to be updated within 24 hours of each
contact. The sync cannot see when a cell was typed, but 跟进历史 records the day it first saw
each contact (记录日期) beside the contact's own date (跟进日期): a contact whose 上次跟进日期
is more than one workday (`WorkCalendar`: weekends and holidays are no days) older than that
day was recorded late. A Friday call first seen on Monday is not late; a Thursday one is.

Counted per owner (the owner the history recorded), over the last 30 days of records, as data
hygiene in the summary; never a row error: the contact is real, only its record was late.
Not counted: the seed (the rows of a sheet's first sync, which found contacts typed long
before the sync existed), and a note refined later for the same 跟进日期 (one contact, first
seen when it was first typed).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from sheetsync.rules.history import CONTACTS
from sheetsync.rules.workdays import WorkCalendar
from sheetsync.workbook.changes import share_of
from sheetsync.workbook.schema import summary_words
from sheetsync.workbook.tables import Section

WINDOW_DAYS = 30  # records of the last 30 days, as the summary's on-time rate
ALLOWED_WORKDAYS = 1  # the checklist's "within 24 hours", on the working calendar


def recorded_contacts(history: pd.DataFrame) -> pd.DataFrame:
    """Each contact once (customer, 跟进日期), as first recorded, the seed left out."""
    told = history[history["kind"].isin(CONTACTS)]
    told = told[told["date"].notna() & told["recorded"].notna()]
    seeded = history["recorded"].min()
    told = told[~((told["kind"] == "first") & (told["recorded"] == seeded))]
    first: pd.DataFrame = told.drop_duplicates(["customer_id", "date"], keep="first")
    return first


def late_by_owner(
    history: pd.DataFrame | None, owners: list[str], calendar: WorkCalendar, today: dt.date
) -> pd.DataFrame:
    """Per owner with a contact recorded in the window: recorded, late, the most workdays
    late (0 when none was). `owners`: the team's, listed first."""
    columns = ["owner", "recorded", "late", "most"]
    if history is None or history.empty:
        return pd.DataFrame(columns=columns)
    told = recorded_contacts(history)
    told = told[told["recorded"] > pd.Timestamp(today) - pd.Timedelta(days=WINDOW_DAYS)]
    if told.empty:
        return pd.DataFrame(columns=columns)
    delay = calendar.workdays_between(told["date"], told["recorded"])
    told = told.assign(delay=delay, late=delay > ALLOWED_WORKDAYS)
    groups = told.groupby("owner", sort=False)
    found = pd.DataFrame(
        {
            "recorded": groups.size(),
            "late": groups["late"].sum().astype(int),
            "most": groups["delay"].max().clip(lower=0).fillna(0).astype(int),
        }
    )
    order = list(dict.fromkeys([*owners, *sorted(found.index)]))
    found = found.reindex([o for o in order if o in found.index])
    return found.rename_axis("owner").reset_index()


def late_section(found: pd.DataFrame, locale: str) -> Section:
    """The summary's section; none until some contact was recorded late."""
    if found.empty or not found["late"].any():
        return []
    words = summary_words(locale)
    columns = (found["owner"], found["recorded"], found["late"], found["most"])
    rows = [
        [
            owner or words["blank"],
            int(recorded),
            int(late),
            share_of(late, recorded),
            int(most) if late else "—",
        ]
        for owner, recorded, late, most in zip(*columns, strict=True)
    ]
    keys = ["owner", "recorded_30d", "late_count", "late_share", "late_most"]
    return [[words["late_records"]], [words[k] for k in keys], *rows]
