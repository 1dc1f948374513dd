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
    type_in,
)
from openpyxl.utils import get_column_letter

from sheetsync.errors import ConflictError  # noqa: E402

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

    def meanwhile(self, monkeypatch, customer_id, header, value):
        """A person sorts the rows by 客户名称 and types `value` under `header` for a
        customer, and saves the file, once the next sync has read it, before it writes."""
        from sheetsync.backends.xlsx import XlsxBackend

        write = XlsxBackend.write

        def late(backend, changes):
            monkeypatch.setattr(XlsxBackend, "write", write)
            self.sort_and_type(customer_id, header, value)
            return write(backend, changes)

        monkeypatch.setattr(XlsxBackend, "write", late)

    def sort_and_type(self, customer_id, header, value):
        book = openpyxl.load_workbook(self.path)
        sheet = book["客户跟进"]
        rows = sorted(
            ([c.value for c in row] for row in sheet.iter_rows(min_row=2)),
            key=lambda r: str(r[1]),
            reverse=True,
        )
        titles = [c.value for c in sheet[1]]
        for r, row in enumerate(rows, start=2):
            if row[0] == customer_id:
                row[titles.index(header)] = value
            for c, v in enumerate(row, start=1):
                sheet.cell(r, c).value = v
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

    def meanwhile(self, monkeypatch, customer_id, header, value):
        """A person types `value` under `header` for a customer after the next sync's first
        read, and sorts the rows by 客户名称 as its write is on its way."""
        self.api.before("values:batchGet", lambda book: self.type(customer_id, header, value), 1)
        self.api.before(":batchUpdate", lambda book: self.sort())

    def sort(self):
        sheet = self.api.books[KEY].by_title("客户跟进")
        area = {"sheetId": sheet.sheet_id, "startRowIndex": 1}
        sort = {"range": area, "sortSpecs": [{"dimensionIndex": 1, "sortOrder": "DESCENDING"}]}
        self.api.batch_update(self.api.books[KEY], {"requests": [{"sortRange": sort}]})

    def type(self, customer_id, header, value):
        sheet = self.api.books[KEY].by_title("客户跟进")
        grid = sheet.grid()
        row = next(r for r, cells in enumerate(grid) if cells and cells[0] == customer_id)
        sheet.set(row, grid[0].index(header), {"v": value})


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

    def meanwhile(self, monkeypatch, customer_id, header, value):
        """A person types `value` under `header` for a customer after the next sync's first
        read, and sorts the rows by 客户名称 as its write is on its way."""
        self.api.before("values_batch_get", lambda book: self.type(customer_id, header, value), 1)
        self.api.before("values_batch_update", lambda book: self.sort())

    def sort(self):
        self.api.person_sort(FEISHU_TOKEN, "客户跟进", 2, desc=True)

    def type(self, customer_id, header, value):
        grid = feishu_values(self.api, "客户跟进")
        row = next(r for r, cells in enumerate(grid, 1) if cells and cells[0] == customer_id)
        self.set("客户跟进", row, grid[0].index(header) + 1, value)


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


MOVING = [
    customer(
        f"R{i:02d}",
        customer=f"客户{(i * 7) % 20:02d}",
        intent=("低", "中", "高")[i % 3],
        budget=("未定", "初步确认", "明确")[(i // 3) % 3],
        last_contact=TODAY - dt.timedelta(days=1 + 2 * i),
    )
    for i in range(20)
]


def test_a_sort_and_a_typed_grade_during_a_sync_misplace_nothing_and_lose_nothing(
    book, tmp_path, monkeypatch
):
    """Google writes around them (every value on its customer's row, the typed grade kept);
    a file saved meanwhile is not written at all, and said so. Either way the next run has
    every customer's values right and takes the typed grade as typed (issue 26, item 1)."""
    book.make(MOVING)
    book.sync()
    days = (TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2))
    book.meanwhile(monkeypatch, "R03", "客户等级", "A")
    try:
        book.sync(days[0])
    except ConflictError as exc:  # the file: nothing written, the person's save stands
        assert isinstance(book, XlsxBook) and "什么也没写" in str(exc)
    book.sync(days[1])
    reference = make_workbook(tmp_path / "reference.xlsx", MOVING)
    sync(reference)
    type_in(reference, "R03", grade="A")  # as typed between two runs: a grade override
    sync(reference, days[1])
    assert book.results() == results(reference)
