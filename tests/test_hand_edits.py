"""Hand edits of sync-owned cells are noticed and honoured, never silently reverted: on a
local .xlsx and on a Google spreadsheet alike."""

import datetime as dt

import openpyxl
import pytest
from conftest import KEY, TODAY, customer
from test_both_backends import FeishuBook, SheetsBook, XlsxBook

D = dt.date
DAY1, DAY2, DAY3 = TODAY, TODAY + dt.timedelta(days=1), TODAY + dt.timedelta(days=2)


@pytest.fixture(params=["xlsx", "gsheets", "feishu"])
def book(request, tmp_path):
    kinds = {"xlsx": XlsxBook, "gsheets": SheetsBook, "feishu": FeishuBook}
    return kinds[request.param](tmp_path, request)


def type_into(book, header: str, customer_id: str, value) -> None:
    """A person typing into the follow-up tab, found by header and id as they would."""
    grid = book.grid("客户跟进")
    column = grid[0].index(header) + 1
    row = next(i for i, r in enumerate(grid, 1) if r and r[0] == customer_id)
    book.set("客户跟进", row, column, value)


def test_a_date_typed_into_next_followup_is_the_agreed_date_until_the_contact(book):
    book.make([customer("K1", last_contact=D(2026, 11, 17)), customer("K2")])
    book.sync(DAY1)
    assert book.results()["K1"]["next_date"] == D(2026, 11, 20)  # B: every 3 days
    type_into(book, "下次跟进日期", "K1", D(2026, 12, 1))
    book.sync(DAY2)
    assert book.results()["K1"]["next_date"] == D(2026, 12, 1)
    assert book.results()["K1"]["status"] == "待跟进"
    book.sync(DAY3)  # still in force the day after: the sync remembers it
    assert book.results()["K1"]["next_date"] == D(2026, 12, 1)
    assert book.results()["K2"]["next_date"] == D(2026, 11, 20)  # the others untouched
    type_into(book, "上次跟进日期", "K1", D(2026, 12, 1))  # the contact happened
    book.sync(D(2026, 12, 1))
    # the agreed date is over; B's plan goes on (issue 24): that contact completed the
    # earliest due step (发送资料, due 11-20), and the weekly call, owed since 11-24, is next:
    # from the day after the contact, not overdue at once
    got = book.results()["K1"]
    assert got["next_date"] == D(2026, 12, 2) and "电话沟通需求变化" in got["task"]


def test_a_grade_typed_into_the_grade_column_overrides_until_cleared(book):
    book.make([customer("K1", last_contact=D(2026, 11, 17))])
    book.sync(DAY1)
    assert book.results()["K1"]["grade"] == "B"
    type_into(book, "客户等级", "K1", "A")
    book.sync(DAY2)
    got = book.results()["K1"]
    assert got["grade"] == "A" and got["next_date"] == D(2026, 11, 18)  # A: every day
    book.sync(DAY3)
    assert book.results()["K1"]["grade"] == "A"
    type_into(book, "客户等级", "K1", None)
    book.sync(DAY3)
    assert book.results()["K1"]["grade"] == "B"


def test_a_typed_status_is_kept_for_the_run_and_the_check_says_where_to_type(book):
    book.make([customer("K1", last_contact=D(2026, 11, 10))])
    book.sync(DAY1)
    assert book.results()["K1"]["status"] == "已逾期"
    type_into(book, "状态", "K1", "已完成")
    book.sync(DAY2)
    got = book.results()["K1"]
    assert got["status"] == "已完成"
    assert "状态是同步写的列" in got["check"] and "上次跟进日期" in got["check"]
    book.sync(DAY3)  # said once, then the sync's value again
    assert book.results()["K1"]["status"] == "已逾期"


def test_text_typed_into_the_check_column_is_quoted_not_lost(book):
    book.make([customer("K1")])
    book.sync(DAY1)
    type_into(book, "校验提示", "K1", "客户说下周再联系")
    book.sync(DAY2)
    assert "客户说下周再联系" in book.results()["K1"]["check"]


def test_an_unchanged_sheet_is_not_taken_for_an_edit(book):
    book.make([customer("K1", last_contact=D(2026, 11, 10)), customer("K2", owner=None)])
    book.sync(DAY1)
    book.sync(DAY2)
    got = book.results()
    assert got["K1"]["status"] == "已逾期" and "同步写的列" not in (got["K1"]["check"] or "")
    assert got["K2"]["status"] == "资料不全" and "同步写的列" not in got["K2"]["check"]


def test_the_memory_tab_is_hidden(book, tmp_path):
    book.make([customer("K1")])
    book.sync(DAY1)
    if isinstance(book, XlsxBook):
        assert openpyxl.load_workbook(book.path)["同步快照"].sheet_state == "hidden"
    else:
        assert book.api.books[getattr(book, "key", KEY)].by_title("同步快照").hidden
