"""The core behaviours, run on every backend: a local .xlsx file, a Google spreadsheet (the
real gspread client against the local API fake) and a Feishu sheet (the app client against
the local open-platform fake). Same rules, same results."""

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from conftest import (
    FEISHU_TOKEN,
    KEY,
    TEAM,
    TODAY,
    customer,
    feishu_results,
    feishu_settings,
    feishu_values,
    gsheets_settings,
    make_feishu_sheet,
    make_spreadsheet,
    make_workbook,
    results,
    sheet_results,
    sync,
)
from openpyxl.utils import get_column_letter

A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}
D = dt.date


class XlsxBook:
    def __init__(self, tmp_path, request):
        self.path = tmp_path / "b.xlsx"

    def make(self, customers, locale="zh", team=TEAM):
        make_workbook(self.path, customers, locale=locale, team=team)

    def sync(self, today=TODAY, **kwargs):
        return sync(self.path, today, **kwargs)

    def results(self, locale="zh"):
        return results(self.path, locale)

    def grid(self, title):
        return [
            [c for c in row]
            for row in openpyxl.load_workbook(self.path)[title].iter_rows(values_only=True)
        ]

    def set(self, title, row, column, value):
        book = openpyxl.load_workbook(self.path)
        book[title].cell(row, column).value = value
        book.save(self.path)


class SheetsBook:
    def __init__(self, tmp_path, request):
        self.api = request.getfixturevalue("sheets_api")
        self.account = request.getfixturevalue("service_account")

    def make(self, customers, locale="zh", team=TEAM):
        make_spreadsheet(self.api, self.account, customers, locale=locale, team=team)

    def sync(self, today=TODAY, **kwargs):
        return sync(
            Path("unused.xlsx"),
            today,
            workbook=KEY,
            **gsheets_settings(self.api, self.account),
            **kwargs,
        )

    def results(self, locale="zh"):
        return sheet_results(self.api, locale)

    def grid(self, title):
        return self.api.books[KEY].by_title(title).grid()

    def set(self, title, row, column, value):
        """As a person typing: a date becomes a serial number shown as a date."""
        cell = {"v": value}
        if isinstance(value, dt.date):
            cell = {"v": float((value - dt.date(1899, 12, 30)).days), "date": True}
        self.api.books[KEY].by_title(title).cells[(row - 1, column - 1)] = cell


class FeishuBook:
    key = FEISHU_TOKEN

    def __init__(self, tmp_path, request):
        self.api = request.getfixturevalue("feishu_api")

    def make(self, customers, locale="zh", team=TEAM):
        make_feishu_sheet(self.api, customers, locale=locale, team=team)

    def sync(self, today=TODAY, **kwargs):
        url = f"https://example.feishu.cn/sheets/{FEISHU_TOKEN}?sheet=abc"
        return sync(Path("unused.xlsx"), today, workbook=url, **feishu_settings(self.api), **kwargs)

    def results(self, locale="zh"):
        return feishu_results(self.api, locale)

    def grid(self, title):
        return feishu_values(self.api, title)

    def set(self, title, row, column, value):
        """As a person typing: a date becomes a serial number shown as a date."""
        a1 = f"{get_column_letter(column)}{row}"
        self.api.person_type(FEISHU_TOKEN, title, a1, value)


@pytest.fixture(params=["xlsx", "gsheets", "feishu"])
def book(request, tmp_path):
    kinds = {"xlsx": XlsxBook, "gsheets": SheetsBook, "feishu": FeishuBook}
    return kinds[request.param](tmp_path, request)


GRADES = [
    customer("C30", decision_cycle="30天", **{k: v for k, v in A.items() if k != "decision_cycle"}),
    customer("C31", decision_cycle="31", budget="明确", intent="高"),
    customer("C90", decision_cycle="90"),
    customer("C91", decision_cycle="91天"),
    customer("LOW", budget="未定", intent="高", decision_cycle="10"),
    customer("OVR", budget="未定", intent="低", grade_override="A"),
]


def test_grades_at_every_boundary(book):
    book.make(GRADES)
    book.sync()
    got = {k: v["grade"] for k, v in book.results().items()}
    assert got == {"C30": "A", "C31": "B", "C90": "B", "C91": "C", "LOW": "C", "OVR": "A"}


STATUSES = [
    customer("OVERDUE", last_contact=D(2026, 11, 10)),
    customer("TODAY", last_contact=D(2026, 11, 15)),
    customer("LATER", last_contact=D(2026, 11, 17)),
    customer("FOREVER", paused_until="是"),
    customer("PAUSED", paused_until=D(2026, 12, 1)),
    customer("ENDED", paused_until=D(2026, 11, 1), last_contact=D(2026, 11, 10)),
    customer("BAD", last_contact="2026-11-31"),
    customer("NOOWNER", owner=None),
]


def test_status_for_each_case(book):
    book.make(STATUSES)
    book.sync()
    got = {k: v["status"] for k, v in book.results().items()}
    assert got == {
        "OVERDUE": "已逾期",
        "TODAY": "今日跟进",
        "LATER": "待跟进",
        "FOREVER": "暂缓",
        "PAUSED": "暂缓",
        "ENDED": "已逾期",
        "BAD": "资料不全",
        "NOOWNER": "资料不全",
    }
    assert book.results()["BAD"]["check"].startswith(
        '上次跟进日期: "2026-11-31"不是日期(没有这一天'
    )


def test_next_date_over_weekends_and_holidays(book):
    book.make(
        [
            customer("WKND", last_contact=D(2026, 11, 20), **A),
            customer("HOLI", last_contact=D(2026, 9, 29)),
            customer("MAKEUP", last_contact=D(2026, 10, 9), **A),
        ]
    )
    book.sync(D(2026, 9, 1))
    got = {k: v["next_date"] for k, v in book.results().items()}
    assert got == {"WKND": D(2026, 11, 23), "HOLI": D(2026, 10, 8), "MAKEUP": D(2026, 10, 10)}


def test_second_run_writes_nothing_and_people_cells_are_kept(book):
    book.make(STATUSES)

    def people(grid):
        return [[None if v == "" else v for v in (list(row) + [None] * 21)[:21]] for row in grid]

    before = people(book.grid("客户跟进"))
    assert book.sync().cells > 0
    assert book.sync().cells == 0
    assert people(book.grid("客户跟进")) == before


def test_english_headers_give_the_same_results(book):
    book.make(STATUSES, locale="en")
    book.sync()
    got = {k: v["status"] for k, v in book.results("en").items()}
    assert got["OVERDUE"] == "Overdue" and got["FOREVER"] == "Paused" and got["BAD"] == "Incomplete"


def test_a_manager_editing_the_grading_tab_changes_the_next_run(book):
    book.make([customer("K1", budget="明确", intent="高", decision_cycle="45")])
    book.sync()
    assert book.results()["K1"]["grade"] == "B"
    book.set("分级标准", 2, 4, 60)  # A now allows a 60-day decision cycle
    book.sync()
    assert book.results()["K1"]["grade"] == "A"


def test_a_contact_recorded_closes_the_task(book):
    book.make([customer("K1", last_contact=D(2026, 11, 13))])
    book.sync()
    book.set("客户跟进", 2, 11, TODAY)  # 上次跟进日期: the rep called today
    book.sync()
    states = sorted(str(r[4]) for r in book.grid("任务记录")[1:])
    assert states == ["已完成", "待办"]
