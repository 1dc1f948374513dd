"""The summary tab's charts: drawn natively on both backends, refreshed and never duplicated."""

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
from conftest import (
    TODAY,
    customer,
    gsheets_settings,
    make_spreadsheet,
    make_workbook,
    sheet_rows,
    sync,
)

from sheetsync.backends.xlsx_package import Package, chart_keys

CUSTOMERS = [
    customer("K1", grade_override="A", last_contact=TODAY - dt.timedelta(days=9)),
    customer("K2", owner="李娜", last_contact=TODAY - dt.timedelta(days=9)),
    customer("K3", stage="成交维护"),
]
TITLES = ["客户等级分布", "销售漏斗(进入客户数)", "各负责人逾期数"]


def _keys(path: Path) -> list[tuple]:
    package = Package(path.read_bytes())
    return chart_keys(package, package.sheet_parts()["汇总"])


def _chart_parts(path: Path) -> dict[str, bytes]:
    package = zipfile.ZipFile(path)
    return {n: package.read(n) for n in package.namelist() if "chart" in n or "drawing" in n}


def _row_of(rows: list[tuple], first: str) -> int:
    return next(i for i, r in enumerate(rows, 1) if r and r[0] == first)


def test_xlsx_charts_are_drawn_once_and_read_the_summary_cells(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    sync(path)
    first = _chart_parts(path)
    sync(path)  # the same day: the trend has one day yet, no line to draw
    assert _chart_parts(path) == first  # the second run patched cells, charts untouched
    assert len(openpyxl.load_workbook(path)["汇总"]._charts) == 3
    keys = {k[1]: k for k in _keys(path)}
    assert sorted(keys) == sorted(TITLES)
    rows = sheet_rows(path, "汇总")
    grades = _row_of(rows, "A")
    assert keys["客户等级分布"][0] == "pie"
    assert keys["客户等级分布"][2:] == ((1, grades, grades + 2), (2, grades, grades + 2))
    funnel = _row_of(rows, "线索获取")
    assert keys["销售漏斗(进入客户数)"][0] == "bar"
    assert keys["销售漏斗(进入客户数)"][3] == (3, funnel, funnel + 6)  # 进入客户数, seven stages
    # the team's first rep heads the by-owner table (the manager 陈静 owns no customers);
    # the chart leaves out the team's total row
    owners = _row_of(rows, "按负责人") + 2
    overdue = keys["各负责人逾期数"]
    assert overdue[0] == "column" and overdue[3] == (4, owners, owners + 2)
    assert [rows[r - 1][3] for r in range(owners, owners + 4)] == [1, 1, 0, 2]


def test_xlsx_charts_follow_the_tables_and_come_back_when_deleted(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", CUSTOMERS)
    sync(path)
    book = openpyxl.load_workbook(path)
    book["客户跟进"]["O4"] = "赵六"  # an owner from outside the team: one more row
    del book["汇总"]._charts[2]  # and a person deleted a chart
    book.save(path)
    sync(path)
    assert len(openpyxl.load_workbook(path)["汇总"]._charts) == 3
    overdue = next(k for k in _keys(path) if k[1] == "各负责人逾期数")
    assert overdue[3][2] - overdue[3][1] == 3  # four owners now (赵六 left the team)


def test_google_charts_are_added_once_and_redrawn_only_when_the_tables_move(
    sheets_api, service_account
):
    key = make_spreadsheet(sheets_api, service_account, CUSTOMERS)
    settings = gsheets_settings(sheets_api, service_account)
    for _ in (0, 1):
        sync(Path("unused.xlsx"), TODAY, workbook=key, **settings)
    summary = sheets_api.books[key].by_title("汇总")
    assert sorted(c["spec"]["title"] for c in summary.charts) == sorted(TITLES)
    sent = [
        r
        for _, body, _ in sheets_api.exchanges
        if isinstance(body, dict)
        for r in body.get("requests", [])
    ]
    assert sum("addChart" in r for r in sent) == 3 and not any(
        "deleteEmbeddedObject" in r for r in sent
    )
    pie = next(c for c in summary.charts if "pieChart" in c["spec"])["spec"]["pieChart"]
    grid = summary.grid()
    grades = next(i for i, r in enumerate(grid) if r and r[0] == "A")
    assert pie["domain"]["sourceRange"]["sources"][0]["startRowIndex"] == grades
    assert pie["series"]["sourceRange"]["sources"][0]["startColumnIndex"] == 1

    sheets_api.books[key].by_title("客户跟进").cells[(3, 14)] = {"v": "赵六"}
    sync(Path("unused.xlsx"), TODAY, workbook=key, **settings)
    summary = sheets_api.books[key].by_title("汇总")
    assert len(summary.charts) == 3  # redrawn, not added beside the old ones
    column = next(c for c in summary.charts if c["spec"]["title"] == "各负责人逾期数")
    source = column["spec"]["basicChart"]["series"][0]["series"]["sourceRange"]["sources"][0]
    assert source["endRowIndex"] - source["startRowIndex"] == 4  # 赵六 (left) too, no total
