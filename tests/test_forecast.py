"""The weighted forecast (预计金额 x the stage's 成功率) by month and by owner against last
month's, as a manager reads it in 汇总 after a sync of a real .xlsx workbook."""

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from conftest import (
    KEY,
    TODAY,
    customer,
    gsheets_settings,
    make_spreadsheet,
    make_workbook,
    results,
    sheet_rows,
    sheet_values,
    summary_section,
    sync,
)

from sheetsync.errors import ConfigError
from sheetsync.rules.forecast import NO_DATE, PAST, month_of

D = dt.date
BY_MONTH = "加权预测(按预计成交月份)"
BY_OWNER = "加权预测(按负责人对比上月)"


def deal(cid, stage, amount, close, owner="张伟", **more):
    return customer(
        cid, stage=stage, expected_amount=amount, expected_close=close, owner=owner, **more
    )


DEALS = [  # today 2026-11-18; the playbook's rates: 合同签署 80, 商务谈判 60, 方案展示 45,
    # 需求确认 35, 初步接触 25, 线索获取 20 %
    deal("F1", "商务谈判", 1_000_000, D(2026, 11, 30)),  # last day of November: 600,000
    deal("F2", "合同签署", 50_000, D(2026, 12, 1)),  # first of December: 40,000
    deal("F3", "线索获取", 200_000, TODAY, owner="李娜"),  # today: November, 40,000
    deal("F4", "方案展示", 100_000, TODAY - dt.timedelta(days=1), owner="李娜"),  # past: 45,000
    deal("F5", "需求确认", 100_000, None, owner="王强"),  # no date: 35,000
    deal("F6", "需求确认", None, D(2026, 12, 5)),  # no amount: not forecast
    deal("F7", "成交维护", 1_000_000, D(2026, 12, 5)),  # won: closed
    deal("F8", "输单", 1_000_000, D(2026, 12, 5), lost_reason="价格"),  # lost: closed
    deal("F9", "培育池", 1_000_000, D(2026, 12, 5)),  # nurture: no rate
    deal("F10", "初步接触", "12万", "2026年12月31日"),  # December: 30,000
    deal("F11", "初步接触", "很多", D(2026, 12, 5)),  # unreadable amount: not forecast
    deal("F12", "初步接触", 10_000, "下个月", owner="王强"),  # unreadable date: no date, 2,500
]


@pytest.mark.parametrize(
    "close, bucket",
    [
        (D(2026, 11, 18), "2026-11"),  # today
        (D(2026, 11, 30), "2026-11"),  # the last day of the month
        (D(2026, 12, 1), "2026-12"),
        (D(2026, 12, 31), "2026-12"),
        (D(2027, 1, 1), "2027-01"),
        (D(2026, 11, 17), PAST),  # yesterday: the deal did not close when expected
        (D(2026, 11, 1), PAST),  # earlier this month
        (None, NO_DATE),
    ],
)
def test_each_close_date_falls_in_its_month(close, bucket):
    dates = pd.Series(pd.to_datetime([close]))
    assert month_of(dates, TODAY).tolist() == [bucket]


def test_weighted_forecast_by_month_with_every_boundary(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", DEALS)
    sync(path)
    rows = {r[0]: r[1:4] for r in summary_section(path, BY_MONTH)}
    assert list(rows) == ["预计日期已过", "2026-11", "2026-12", "未填预计日期", "合计"]
    assert rows["预计日期已过"] == (1, 10, 4.5)  # 万元
    assert rows["2026-11"] == (2, 120, 64)  # F1 + F3
    assert rows["2026-12"] == (2, 17, 7)  # F2 + F10
    assert rows["未填预计日期"] == (2, 11, 3.75)  # F5 + F12
    assert rows["合计"] == (7, 158, 79.25)


def test_bad_amounts_and_dates_are_named_in_the_check_column(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", DEALS)
    report = sync(path)
    got = results(path)
    assert got["F11"]["check"].startswith('预计金额: "很多"') and "已忽略" in got["F11"]["check"]
    assert got["F12"]["check"].startswith('预计成交日期: "下个月"')
    assert got["F1"]["check"] is None and report.invalid == 0  # warnings, not 资料不全
    assert got["F11"]["status"] == "待跟进"  # still scheduled


def test_a_rate_edited_in_the_rules_tab_changes_the_forecast(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", DEALS[:1])  # F1: 商务谈判, 1,000,000
    book = openpyxl.load_workbook(path)
    sheet = book["价值分级"]
    title = next(r for r in sheet.iter_rows() if r[0].value == "阶段成功率")[0].row
    assert [c.value for c in sheet[title + 1]][:2] == ["阶段", "成功率"]
    rates = {sheet.cell(r, 1).value: sheet.cell(r, 2) for r in range(title + 2, title + 8)}
    assert {k: c.value for k, c in rates.items()} == {
        "线索获取": "20%",
        "初步接触": "25%",
        "需求确认": "35%",
        "方案展示": "45%",
        "商务谈判": "60%",
        "合同签署": "80%",
    }
    rates["商务谈判"].value = "50%"
    book.save(path)
    sync(path)
    assert summary_section(path, BY_MONTH)[0][1:4] == (1, 100, 50)


def test_a_rate_over_100_percent_stops_the_run_with_the_cell_named(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", DEALS[:1])
    book = openpyxl.load_workbook(path)
    sheet = book["价值分级"]
    row = next(r for r in sheet.iter_rows() if r[0].value == "阶段成功率")[0].row + 2
    sheet.cell(row, 2).value = "120%"
    book.save(path)
    with pytest.raises(ConfigError, match=rf"row {row}, 成功率.*120%.*at most 100%"):
        sync(path)


def write_log(path, rows):
    """A 预测记录 tab as earlier syncs would have left it."""
    book = openpyxl.load_workbook(path)
    sheet = book.create_sheet("预测记录")
    sheet.append(["月份", "负责人", "加权金额", "记录日期"])
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_each_owner_against_last_month_from_the_forecast_log(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", DEALS)
    write_log(
        path,
        [
            ["2026-09", "王强", 999_999, D(2026, 9, 1)],  # two months ago: not compared
            ["2026-10", "合计", 600_000, D(2026, 10, 2)],
            ["2026-10", "张伟", 500_000, D(2026, 10, 2)],
            ["2026-10", "李娜", 100_000, D(2026, 10, 2)],
        ],
    )
    sync(path)
    rows = {r[0]: r[1:7] for r in summary_section(path, BY_OWNER)}
    assert list(rows) == ["张伟", "李娜", "王强", "合计"]  # the team's order; 陈静 has none
    deals, expected, weighted, last, change = rows["张伟"][:5]
    assert (deals, expected, weighted, last) == (3, 117, 67, 50)  # 万元
    assert change == pytest.approx(0.34)  # 670,000 against 500,000
    assert rows["李娜"][:4] == (2, 30, 8.5, 10)
    assert rows["李娜"][4] == pytest.approx(-0.15)
    assert rows["王强"][:5] == (2, 11, 3.75, 0, "—")  # listed nothing last month
    assert rows["合计"][:4] == (7, 158, 79.25, 60)
    assert rows["合计"][4] == pytest.approx(192_500 / 600_000, abs=1e-6)  # kept to 6 places

    log = sheet_rows(path, "预测记录")
    november = {r[1]: r[2] for r in log if r[0] == "2026-11"}
    assert november == {"合计": 792_500, "张伟": 670_000, "李娜": 85_000, "王强": 37_500}
    assert {r[3].date() for r in log if r[0] == "2026-11"} == {TODAY}


def test_last_month_is_the_last_sync_of_last_month_not_its_first(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", DEALS[:2])  # 张伟: 600,000 + 40,000
    sync(path, TODAY)  # the tab is created by the first sync
    assert sheet_rows(path, "预测记录")[1:] == [
        ("2026-11", "合计", 640_000, dt.datetime(2026, 11, 18)),
        ("2026-11", "张伟", 640_000, dt.datetime(2026, 11, 18)),
    ]
    rows = {r[0]: r[1:7] for r in summary_section(path, BY_OWNER)}
    assert rows["张伟"][3:5] == ("—", "—")  # no sync recorded October

    book = openpyxl.load_workbook(path)  # the deal shrinks later in November
    sheet = book["客户跟进"]
    column = [c.value for c in sheet[1]].index("预计金额") + 1
    sheet.cell(2, column).value = 500_000
    book.save(path)
    sync(path, TODAY + dt.timedelta(days=5))
    sync(path, TODAY + dt.timedelta(days=6))  # nothing moved: nothing recorded
    log = sheet_rows(path, "预测记录")
    assert [r[:3] for r in log[3:]] == [("2026-11", "合计", 340_000), ("2026-11", "张伟", 340_000)]

    sync(path, D(2026, 12, 1))  # F1 closes 30 November: past; F2 today
    log = sheet_rows(path, "预测记录")
    assert [r[:3] for r in log[5:]] == [("2026-12", "合计", 340_000), ("2026-12", "张伟", 340_000)]
    rows = {r[0]: r[1:7] for r in summary_section(path, BY_OWNER)}
    # against what November's last sync saw (340,000), not its first (640,000)
    assert rows["张伟"][2:4] == (34, 34)  # 万元
    assert rows["张伟"][4] == 0


def test_forecast_in_english(tmp_path):
    rows = [deal("E1", "Negotiation", 100_000, D(2026, 12, 15), owner="Wei")]
    path = make_workbook(tmp_path / "b.xlsx", rows, locale="en", team=[["Wei", "", "", ""]])
    sync(path)
    by_month = summary_section(path, "Weighted forecast (by expected close month)", "Summary")
    assert by_month == [("2026-12", 1, 10, 6, *by_month[0][4:])] + by_month[1:]
    assert by_month[-1][:4] == ("Total", 1, 10, 6)
    assert sheet_rows(path, "Forecast log")[0] == (
        "Month",
        "Owner",
        "Weighted (CNY)",
        "Recorded on",
    )


def test_the_forecast_log_on_google_sheets(sheets_api, service_account):
    """Created by the first sync, appended by the first of the next month, never rewritten:
    the month stays text, not a date Sheets guessed."""
    make_spreadsheet(sheets_api, service_account, DEALS[:2])
    settings = {"workbook": KEY}
    settings |= gsheets_settings(sheets_api, service_account)
    for day in (TODAY, TODAY + dt.timedelta(days=2), D(2026, 12, 1)):
        sync(Path("unused.xlsx"), day, **settings)
    log = sheet_values(sheets_api, "预测记录")
    assert [r[:3] for r in log[1:]] == [
        ["2026-11", "合计", 640_000],
        ["2026-11", "张伟", 640_000],
        ["2026-12", "合计", 640_000],
        ["2026-12", "张伟", 640_000],
    ]
    rows = {r[0]: r[1:7] for r in _summary(sheet_values(sheets_api, "汇总"), BY_OWNER)}
    assert rows["张伟"][3] == 64  # 万元


def _summary(grid, title):
    start = next(i for i, r in enumerate(grid) if r and r[0] == title)
    found = []
    for row in grid[start + 2 :]:
        if not any(v not in (None, "") for v in row):
            break
        found.append(row)
    return found


def test_a_rules_tab_from_before_the_forecast_gets_its_blocks_added_once(tmp_path):
    """An older 价值分级 without 阶段成功率 / 培育池策略: the defaults are added at its end, where
    a manager sees and edits them, and said in the sync log; nothing typed there is moved."""
    path = make_workbook(tmp_path / "b.xlsx", DEALS[:1])  # F1: 商务谈判, 1,000,000
    book = openpyxl.load_workbook(path)
    sheet = book["价值分级"]
    start = next(r for r in sheet.iter_rows() if r[0].value == "阶段成功率")[0].row
    sheet.delete_rows(start - 1, sheet.max_row)  # the blank row above and both new blocks
    before = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    book.save(path)

    report = sync(path)
    assert any(n.startswith("价值分级里没有阶段成功率、培育池策略") for n in report.notes)
    rows = sheet_rows(path, "价值分级")
    assert rows[: len(before)] == before
    titles = [r[0] for r in rows[len(before) :] if r and r[0] and len(r) and r[1] is None]
    assert titles[:2] == ["阶段成功率", "培育池策略"]
    sync(path)  # there now: not added again
    assert len(sheet_rows(path, "价值分级")) == len(rows)

    book = openpyxl.load_workbook(path)  # and a manager's edit of the added rate counts
    sheet = book["价值分级"]
    title = next(r for r in sheet.iter_rows() if r[0].value == "阶段成功率")[0].row
    row = next(r for r in range(title, title + 9) if sheet.cell(r, 1).value == "商务谈判")
    sheet.cell(row, 2).value = "50%"
    book.save(path)
    sync(path)
    assert summary_section(path, BY_MONTH)[0][1:4] == (1, 100, 50)
