"""健康度, new leads and days overdue on the working calendar: weekends, Chinese holidays and
their make-up workdays (调休), on real .xlsx workbooks through the sync.

2026 as the `holidays` package has it: National Day is off Thu 1 Oct to Wed 7 Oct (Thu 8 Oct
is the first workday after it) and Sat 10 Oct and Sun 20 Sep are 调休 workdays.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest
from conftest import customer, make_workbook, results, summary_section, sync
from smtp_server import parts

from sheetsync.rules.workdays import WorkCalendar

D = dt.date
A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}  # A: daily, 逾期升级 1 day
TEAM = [
    ["陈静", "chen.jing@example.com", "", "经理"],
    ["张伟", "zhang.wei@example.com", "陈静", "销售"],
]


# --- the workday count, against a table checked by hand on a 2026 calendar ---------------
@pytest.mark.parametrize(
    "start, end, workdays",
    [
        (D(2026, 11, 20), D(2026, 11, 20), 0),  # the same day
        (D(2026, 11, 20), D(2026, 11, 21), 0),  # Fri -> Sat
        (D(2026, 11, 20), D(2026, 11, 22), 0),  # Fri -> Sun
        (D(2026, 11, 20), D(2026, 11, 23), 1),  # Fri -> Mon
        (D(2026, 11, 19), D(2026, 11, 22), 1),  # Thu -> Sun: Friday
        (D(2026, 11, 11), D(2026, 11, 18), 5),  # Wed -> Wed
        (D(2026, 9, 30), D(2026, 10, 8), 1),  # over National Day: Thu 8 Oct only
        (D(2026, 9, 30), D(2026, 10, 7), 0),  # still inside it
        (D(2026, 10, 9), D(2026, 10, 10), 1),  # Sat 10 Oct is a 调休 workday
        (D(2026, 9, 30), D(2026, 10, 12), 4),  # 8, 9, 10 (调休) and 12 Oct
        (D(2026, 9, 19), D(2026, 9, 20), 1),  # Sun 20 Sep is a 调休 workday
        (D(2026, 9, 17), D(2026, 9, 20), 2),  # Fri 18, Sun 20 (Sat 19 is off)
        (D(2026, 12, 30), D(2027, 1, 4), 2),  # Thu 31 Dec, Mon 4 Jan (1 Jan is off)
        (D(2026, 11, 23), D(2026, 11, 20), -1),  # backwards: minus Fri -> Mon
        (D(2026, 10, 8), D(2026, 9, 30), -1),
    ],
)
def test_workdays_between_counts_the_working_days_after_start_up_to_end(start, end, workdays):
    calendar = WorkCalendar()
    got = calendar.workdays_between(pd.Series(pd.to_datetime([start])), end)
    assert got.tolist() == [workdays]
    both = calendar.workdays_between(pd.Series([start]), pd.Series([end]))  # end per row too
    assert both.tolist() == [workdays]


def test_workdays_between_without_chinese_holidays_counts_weekdays_and_keeps_blanks():
    starts = pd.Series(pd.to_datetime([D(2026, 9, 30), D(2026, 10, 9), None]), index=[7, 8, 9])
    got = WorkCalendar(chinese_holidays=False).workdays_between(starts, D(2026, 10, 12))
    assert got.index.tolist() == [7, 8, 9]
    assert got.iloc[:2].tolist() == [8, 1] and np.isnan(got.iloc[2])  # 1-2, 5-9, 12 Oct; Mon


def test_workdays_between_agrees_with_counting_day_by_day_over_two_years():
    calendar = WorkCalendar()
    rng = np.random.default_rng(7)
    base = pd.Timestamp(D(2026, 1, 1))
    starts = base + pd.to_timedelta(rng.integers(0, 700, 300), unit="D")
    ends = base + pd.to_timedelta(rng.integers(0, 700, 300), unit="D")
    got = calendar.workdays_between(pd.Series(starts), pd.Series(ends)).tolist()

    def by_hand(a: dt.date, b: dt.date) -> int:
        lo, hi = min(a, b), max(a, b)
        days = (lo + dt.timedelta(n) for n in range(1, (hi - lo).days + 1))
        return (1 if b >= a else -1) * sum(calendar.is_workday(d) for d in days)

    assert got == [by_hand(a.date(), b.date()) for a, b in zip(starts, ends, strict=True)]


# --- 健康度 ----------------------------------------------------------------------------
def health_on(path, day: dt.date) -> dict[str, str]:
    sync(path, day)
    return {k: v["health"] for k, v in results(path).items()}


def test_an_a_customer_called_on_friday_is_healthy_on_monday(tmp_path):
    """Due Monday (daily, the weekend rolled over): not late on Monday, nor on Tuesday (1
    workday late, A escalates after 1); 预警 on Wednesday, 2 workdays late."""
    rows = [customer("FRI", last_contact=D(2026, 11, 20), **A)]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    assert health_on(path, D(2026, 11, 23)) == {"FRI": "健康"}
    assert results(path)["FRI"]["next_date"] == D(2026, 11, 23)
    assert health_on(path, D(2026, 11, 24)) == {"FRI": "健康"}
    assert health_on(path, D(2026, 11, 25)) == {"FRI": "预警"}


def test_an_agreed_date_still_ahead_is_healthy_however_long_ago_the_last_contact(tmp_path):
    rows = [
        customer("AGREED", last_contact=D(2026, 10, 28), agreed_date=D(2026, 11, 25)),
        customer("LATE", last_contact=D(2026, 10, 28)),  # B: due 2 Nov, long past
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    assert health_on(path, D(2026, 11, 18)) == {"AGREED": "健康", "LATE": "预警"}


def test_due_the_day_before_national_day_is_not_a_warning_on_the_first_day_after_it(tmp_path):
    """Due Wed 30 Sep (A, called the day before): on Thu 8 Oct one workday late, as allowed;
    two on Fri 9 Oct: 预警. A B customer due the first day after the holiday is fine too."""
    rows = [
        customer("EVE", last_contact=D(2026, 9, 29), **A),
        customer("AFTER", last_contact=D(2026, 9, 30)),  # B: 3 Oct, a holiday, -> 8 Oct
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    assert health_on(path, D(2026, 10, 8)) == {"EVE": "健康", "AFTER": "健康"}
    assert results(path)["AFTER"]["next_date"] == D(2026, 10, 8)
    assert health_on(path, D(2026, 10, 9)) == {"EVE": "预警", "AFTER": "健康"}


def test_a_make_up_saturday_counts_as_a_workday_late(tmp_path):
    """B (3 workdays allowed), due Thu 8 Oct: Fri 9, Sat 10 (调休), Mon 12 are 3 workdays
    late, still allowed; Tue 13 is the fourth."""
    rows = [customer("B1", last_contact=D(2026, 9, 30))]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    assert health_on(path, D(2026, 10, 12)) == {"B1": "健康"}
    assert health_on(path, D(2026, 10, 13)) == {"B1": "预警"}


def value_rule_row(path, setting: str):
    """The 价值分级 tab and the row of its health block whose first cell is `setting`."""
    book = openpyxl.load_workbook(path)
    tab = book["价值分级"]
    row = next(r for r in range(1, tab.max_row + 1) if tab.cell(r, 1).value == setting)
    return book, tab, row


NEW_ROW = "预警:逾期超过工作日数(空=逾期升级天数)"


def test_the_allowed_workdays_late_are_set_in_the_value_rules_tab(tmp_path):
    rows = [
        customer("FOUR", last_contact=D(2026, 11, 9)),  # B: due Thu 12 Nov, 4 workdays late
        customer("SIX", last_contact=D(2026, 11, 5)),  # due Mon 9 Nov: 7 workdays late
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    assert health_on(path, D(2026, 11, 18)) == {"FOUR": "预警", "SIX": "预警"}  # B: 3
    book, tab, row = value_rule_row(path, NEW_ROW)
    assert tab.cell(row, 2).value is None  # blank by default: the grade's 逾期升级 days
    tab.cell(row, 2).value = 5
    book.save(path)
    assert health_on(path, D(2026, 11, 18)) == {"FOUR": "健康", "SIX": "预警"}


def test_a_tab_with_the_old_calendar_days_row_keeps_working_and_is_told(tmp_path):
    """A 价值分级 tab made before: its "times the interval" row is ignored (lateness counts
    workdays past the next date, the grade's 逾期升级 days allowed) and the log says so."""
    rows = [customer("FRI", last_contact=D(2026, 11, 20), **A)]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    book, tab, row = value_rule_row(path, NEW_ROW)
    tab.cell(row, 1).value, tab.cell(row, 2).value = "预警:未联系超过跟进间隔的倍数", 2
    book.save(path)
    report = sync(path, D(2026, 11, 23))
    assert results(path)["FRI"]["health"] == "健康"  # 3 days, "2 x 1 day" would be 预警
    note = next(n for n in report.notes if "预警:未联系超过跟进间隔的倍数" in n)
    assert "已不再使用" in note and NEW_ROW in note


OLD_EN = "Warning: days without contact, times the interval"


def english_tab_with_old_rows(tmp_path, count: int):
    """An English workbook whose 价值分级 tab still has `count` rows of the retired setting,
    in place of the new one, synced on a Monday."""
    rows = [customer("FRI", last_contact=D(2026, 11, 20), **A)]
    path = make_workbook(tmp_path / "b.xlsx", rows, locale="en")
    book = openpyxl.load_workbook(path)
    tab = book["Value rules"]
    first = next(
        r
        for r in range(1, tab.max_row + 1)
        if str(tab.cell(r, 1).value).startswith("Warning: overdue by more than")
    )
    if count > 1:
        tab.insert_rows(first + 1, count - 1)
    for row in range(first, first + count):
        tab.cell(row, 1).value, tab.cell(row, 2).value = OLD_EN, 2
    book.save(path)
    return path, sync(path, D(2026, 11, 23))


def test_an_english_tab_with_the_old_row_keeps_working(tmp_path):
    path, report = english_tab_with_old_rows(tmp_path, 1)
    assert results(path, "en")["FRI"]["health"] == "Healthy"
    assert any("is no longer used" in n for n in report.notes)


def test_an_english_tab_with_two_old_rows_names_them_in_english(tmp_path):
    """Both old rows named, joined as English joins names (no Chinese 、)."""
    _, report = english_tab_with_old_rows(tmp_path, 2)
    note = next(n for n in report.notes if "is no longer used" in n)
    assert f'"{OLD_EN}, {OLD_EN}"' in note and "、" not in note


# --- new leads ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "seen, due, status",
    [
        (D(2026, 10, 17), D(2026, 10, 19), "待跟进"),  # a Saturday: Monday
        (D(2026, 10, 10), D(2026, 10, 10), "今日跟进"),  # a 调休 Saturday: that day
        (D(2026, 10, 3), D(2026, 10, 8), "待跟进"),  # National Day: the first day after it
        (D(2026, 10, 16), D(2026, 10, 16), "今日跟进"),  # a Friday: that day
    ],
)
def test_a_new_lead_is_first_due_on_the_first_workday_from_the_day_it_was_seen(
    tmp_path, seen, due, status
):
    path = make_workbook(tmp_path / "b.xlsx", [customer("NEW", last_contact=None)])
    sync(path, seen)
    got = results(path)["NEW"]
    assert (got["next_date"], got["status"]) == (due, status)
    sync(path, due)  # and it stays due that day, however the next days fall
    assert (results(path)["NEW"]["next_date"], results(path)["NEW"]["status"]) == (due, "今日跟进")


def test_a_new_lead_seen_on_saturday_turns_overdue_from_tuesday(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("NEW", last_contact=None)])
    sync(path, D(2026, 11, 21))
    sync(path, D(2026, 11, 22))
    assert results(path)["NEW"]["status"] == "待跟进"
    sync(path, D(2026, 11, 24))
    assert results(path)["NEW"]["next_date"] == D(2026, 11, 23)
    assert results(path)["NEW"]["status"] == "已逾期"


# --- days overdue in the summary, the digest and the escalation ---------------------------
def longest_overdue(path) -> dict[str, int]:
    return {r[0]: r[3] for r in summary_section(path, "逾期最久的客户")}


def test_sundays_summary_counts_days_overdue_in_workdays(tmp_path):
    rows = [
        customer("WED", last_contact=D(2026, 11, 17), **A),  # due Wed 18: Thu, Fri late
        customer("MON", last_contact=D(2026, 11, 13), **A),  # due Mon 16: Tue-Fri late
    ]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path, D(2026, 11, 22))  # a Sunday
    assert longest_overdue(path) == {"MON": 4, "WED": 2}


def test_summary_after_national_day_does_not_count_the_holiday(tmp_path):
    rows = [customer("EVE", last_contact=D(2026, 9, 29), **A)]  # due Wed 30 Sep
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path, D(2026, 10, 10))  # the 调休 Saturday: 8, 9 and 10 Oct
    assert longest_overdue(path) == {"EVE": 3}


def test_a_make_up_sundays_digest_counts_days_overdue_in_workdays(tmp_path, smtp):
    """Sun 20 Sep 2026 is a workday (调休): its digest says a task due Thu 17 Sep is 2 days
    overdue (Fri 18, Sun 20; Sat 19 is off), not 3."""
    rows = [customer("Z1", customer="张伟的老客户", last_contact=D(2026, 9, 16), **A)]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    sync(path, D(2026, 9, 20), email=True, environ=smtp.env())
    (digest,) = smtp.inbox.to("zhang.wei@example.com")
    assert "已逾期 2 天" in parts(digest)["text/plain"]
    (escalation,) = smtp.inbox.to("chen.jing@example.com")
    assert "已逾期 2 天" in parts(escalation)["text/plain"]


def test_a_task_due_friday_is_escalated_on_monday_not_over_the_weekend(tmp_path, smtp):
    """A escalates after 1 day overdue: a task due Friday reaches the manager on Monday."""
    rows = [customer("Z1", customer="张伟的老客户", last_contact=D(2026, 11, 19), **A)]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    for day in (D(2026, 11, 20), D(2026, 11, 21), D(2026, 11, 22)):
        sync(path, day, email=True, environ=smtp.env())
    assert smtp.inbox.to("chen.jing@example.com") == []
    sync(path, D(2026, 11, 23), email=True, environ=smtp.env())
    (escalation,) = smtp.inbox.to("chen.jing@example.com")
    assert "张伟的老客户" in parts(escalation)["text/plain"]
    assert "已逾期 1 天" in parts(escalation)["text/plain"]


def test_a_task_due_friday_is_still_listed_overdue_in_a_weekend_digest(tmp_path, smtp):
    """No workday has passed by Sunday, yet the task is past its date: a team that gets its
    digests on weekends (`weekend_reminders`) sees it as overdue (1 day), not as due today."""
    rows = [customer("Z1", customer="张伟的老客户", last_contact=D(2026, 11, 19), **A)]
    path = make_workbook(tmp_path / "b.xlsx", rows, team=TEAM)
    sync(path, D(2026, 11, 22), email=True, environ=smtp.env(), weekend_reminders=True)
    (digest,) = smtp.inbox.to("zhang.wei@example.com")
    text = parts(digest)["text/plain"]
    assert "【已逾期】(1)" in text and "已逾期 1 天" in text and "今日跟进】" not in text
