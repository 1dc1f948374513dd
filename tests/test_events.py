"""Occasions that earn their own task: renewals (合同到期日) and care (生日/纪念日)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl

from tests.conftest import TODAY, customer, make_workbook, results, sheet_rows, sync

DAY = dt.timedelta(days=1)


def tasks(path: Path) -> list[dict]:
    rows = sheet_rows(path, "任务记录")
    header = rows[0]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def record_contact(path: Path, customer_id: str, day: dt.date) -> None:
    """What a rep does after the call: a new 上次跟进日期 in the row."""
    wb = openpyxl.load_workbook(path)
    ws = wb["客户跟进"]
    headers = [c.value for c in ws[1]]
    col = headers.index("上次跟进日期") + 1
    for row in ws.iter_rows(min_row=2):
        if row[headers.index("客户编号")].value == customer_id:
            ws.cell(row=row[0].row, column=col, value=day)
    wb.save(path)


def on(value: object) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def test_contract_ending_in_20_days_opens_a_renewal_task_due_today(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", contract_end=TODAY + 20 * DAY)])
    sync(path, TODAY)
    (task,) = [t for t in tasks(path) if t["客户编号"] == "A1"]
    assert task["任务类型"] == "续约跟进"
    assert on(task["到期日期"]) == TODAY
    assert task["任务状态"] == "待办"
    row = results(path)["A1"]
    assert on(row["next_date"]) == TODAY
    assert "续约跟进" in row["task"] and (TODAY + 20 * DAY).isoformat() in row["task"]


def test_renewal_due_date_moves_to_a_workday(tmp_path):
    saturday = dt.date(2026, 11, 21)
    path = make_workbook(
        tmp_path / "b.xlsx",
        [customer("A1", contract_end=saturday + 20 * DAY, last_contact=saturday - DAY)],
    )
    sync(path, saturday)
    (task,) = tasks(path)
    assert task["任务类型"] == "续约跟进"
    assert on(task["到期日期"]) == dt.date(2026, 11, 23)  # Monday


def test_renewal_is_done_by_a_contact_and_never_duplicated(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", contract_end=TODAY + 20 * DAY)])
    sync(path, TODAY)
    sync(path, TODAY)  # a re-run the same day
    sync(path, TODAY + DAY)  # and the next day, nobody called: still the same task, overdue
    renewals = [t for t in tasks(path) if t["任务类型"] == "续约跟进"]
    assert len(renewals) == 1 and on(renewals[0]["到期日期"]) == TODAY
    assert results(path)["A1"]["status"] == "已逾期"
    record_contact(path, "A1", TODAY + 2 * DAY)
    sync(path, TODAY + 2 * DAY)
    sync(path, TODAY + 3 * DAY)
    renewals = [t for t in tasks(path) if t["任务类型"] == "续约跟进"]
    assert [r["任务状态"] for r in renewals] == ["已完成"]
    assert "续约跟进" not in results(path)["A1"]["task"]  # back to the regular follow-up


def test_birthday_within_a_week_opens_a_care_task_with_a_greeting(tmp_path):
    sunday = dt.date(2026, 11, 22)
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", birthday="11月22日")])
    sync(path, TODAY)
    sync(path, TODAY)
    (care,) = [t for t in tasks(path) if t["任务类型"] == "客户关怀"]
    assert on(care["到期日期"]) == dt.date(2026, 11, 20)  # the Friday before the Sunday
    row = results(path)["A1"]
    assert "建议问候" in row["task"] and sunday.isoformat() in row["task"]
    record_contact(path, "A1", dt.date(2026, 11, 20))
    sync(path, dt.date(2026, 11, 20))
    (care,) = [t for t in tasks(path) if t["任务类型"] == "客户关怀"]
    assert care["任务状态"] == "已完成"
    assert "建议问候" not in results(path)["A1"]["task"]


def test_birthday_further_than_a_week_opens_no_care_task(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("A1", birthday="12月20日")])
    sync(path, TODAY)
    assert {t["任务类型"] for t in tasks(path)} == {"常规跟进"}
