"""跟进历史: one row per contact the sync sees, none on a re-run; read by the digest and the
health rule. Real workbooks through the real sync, on both backends where it writes."""

import datetime as dt
import email
import email.policy

import pytest
from conftest import (
    PEOPLE_KEYS,
    TODAY,
    customer,
    make_workbook,
    results,
    sheet_rows,
    sync,
    type_in,
)
from test_both_backends import SheetsBook, XlsxBook

from sheetsync.workbook.schema import HISTORY

D = dt.date
COLUMN = {k: PEOPLE_KEYS.index(k) + 1 for k in PEOPLE_KEYS}  # follow-up column numbers
HEADER = [c.zh for c in HISTORY.columns]


@pytest.fixture(params=["xlsx", "gsheets"])
def book(request, tmp_path):
    return {"xlsx": XlsxBook, "gsheets": SheetsBook}[request.param](tmp_path, request)


def _history(book) -> list[dict]:
    """The 跟进历史 tab as dicts by header, dates as dates (Google's serials converted)."""
    grid = book.grid("跟进历史")
    header = [str(h) for h in grid[0]]
    rows = []
    for row in grid[1:]:
        values = dict(zip(header, [*row, *[None] * (len(header) - len(row))], strict=True))
        for key in ("跟进日期", "记录日期"):
            value = values[key]
            if isinstance(value, (int, float)):
                value = D(1899, 12, 30) + dt.timedelta(days=int(value))
            values[key] = value.date() if isinstance(value, dt.datetime) else value
        rows.append({k: (None if v == "" else v) for k, v in values.items()})
    return rows


def test_a_contact_appends_one_history_row_and_a_rerun_none(book):
    book.make(
        [
            customer("H1", last_contact=D(2026, 11, 10), summary="电话沟通需求", method="电话"),
            customer("H2", last_contact=None),  # never contacted: nothing to seed
        ]
    )
    book.sync()
    first = _history(book)
    assert book.grid("跟进历史")[0][: len(HEADER)] == HEADER
    assert [(r["客户编号"], r["跟进日期"], r["记录类型"]) for r in first] == [
        ("H1", D(2026, 11, 10), "首次记录")
    ]
    assert first[0]["跟进内容摘要"] == "电话沟通需求" and first[0]["负责人"] == "张伟"
    assert first[0]["上级"] == "陈静" and first[0]["记录日期"] == TODAY

    book.sync()  # nothing new on the sheet: nothing new in the history
    assert _history(book) == first

    book.set("客户跟进", 2, COLUMN["last_contact"], TODAY)
    book.set("客户跟进", 2, COLUMN["summary"], "上门拜访,客户要报价")
    book.set("客户跟进", 2, COLUMN["method"], "拜访")
    book.sync()
    book.sync()  # and again: still one new row
    rows = _history(book)
    assert len(rows) == 2 and rows[0] == first[0]
    new = rows[1]
    assert (new["客户编号"], new["跟进日期"], new["跟进方式"], new["记录类型"]) == (
        "H1",
        TODAY,
        "拜访",
        "跟进",
    )
    assert new["跟进内容摘要"] == "上门拜访,客户要报价" and new["销售阶段"] == "需求确认"
    assert new["客户等级"] == "B"


def test_changed_feedback_without_a_new_date_is_a_new_contact(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("H1", feedback="考虑中")])
    sync(path)
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb["客户跟进"].cell(2, COLUMN["feedback"]).value = "预算批了"
    wb.save(path)
    sync(path)
    rows = sheet_rows(path, "跟进历史")[1:]
    assert [r[6] for r in rows] == ["考虑中", "预算批了"]  # 客户反馈
    assert rows[0][0] == rows[1][0]  # the same 跟进日期: the feedback changed, not the date


A = {"budget": "明确", "intent": "高", "decision_cycle": "20天"}  # A: followed up daily


def _digest(tmp_path):
    """The one digest the run put in the outbox, as a parsed message."""
    (eml,) = [p for p in (tmp_path / "outbox").glob("*.eml") if "digest" in p.name]
    return email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)


def _first_call(tmp_path, days_ago: int):
    """H1, an A customer (followed up daily) first called `days_ago` days ago, synced then."""
    day = TODAY - dt.timedelta(days=days_ago)
    path = make_workbook(
        tmp_path / "b.xlsx", [customer("H1", last_contact=day, summary="首次电话,介绍产品", **A)]
    )
    sync(path, day)
    return path


def _todays_digest(tmp_path, path):
    """Today's run, mailing: H1 is due today (daily), so 张伟's digest lists it."""
    sync(path, TODAY, email=True)
    return _digest(tmp_path)


def test_the_digest_card_shows_the_last_time_and_the_time_before(tmp_path):
    day = dt.timedelta(days=1)
    path = _first_call(tmp_path, 2)
    type_in(path, "H1", last_contact=TODAY - day, summary="发了报价单")
    sync(path, TODAY - day)
    message = _todays_digest(tmp_path, path)
    text = message.get_body(("plain",)).get_content()
    assert "上次跟进:2026-11-17  发了报价单;再上次:2026-11-16  首次电话,介绍产品" in text
    html = message.get_body(("html",)).get_content()
    assert "再上次:<span" in html and "2026-11-16</span> 首次电话,介绍产品" in html


def test_a_customer_with_one_contact_has_no_time_before(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("H1", summary="首次电话", **A)])
    sync(path, TODAY, email=True)
    assert "再上次" not in _digest(tmp_path).get_body(("plain",)).get_content()
    assert "再上次" not in _digest(tmp_path).get_body(("html",)).get_content()


def test_three_unanswered_contacts_in_the_history_make_a_warning(tmp_path):
    """Three calls nobody answered, on three days: the history holds each of them."""
    day = dt.timedelta(days=1)
    path = make_workbook(
        tmp_path / "b.xlsx", [customer("H1", last_contact=TODAY - 3 * day, summary="电话未接通")]
    )
    sync(path, TODAY - 3 * day)
    type_in(path, "H1", last_contact=TODAY - 2 * day, summary="下午再打,未接")
    sync(path, TODAY - 2 * day)
    assert results(path)["H1"]["health"] == "健康"  # two in a row: not yet
    type_in(path, "H1", last_contact=TODAY - day, summary="微信留言未回复")
    sync(path, TODAY - day)
    assert results(path)["H1"]["health"] == "预警"
    type_in(path, "H1", last_contact=TODAY, summary="终于接通,约了下周见面")
    sync(path, TODAY)
    assert results(path)["H1"]["health"] == "健康"


def test_a_note_refined_twice_on_the_same_date_is_one_unanswered_contact(tmp_path):
    """One call on 11-16 nobody answered, its note refined twice: three history rows (the
    summary changed), one contact, so no "no response three times in a row"."""
    path = make_workbook(
        tmp_path / "b.xlsx", [customer("H1", last_contact=D(2026, 11, 16), summary="电话未接通")]
    )
    sync(path)
    type_in(path, "H1", summary="电话未接通,已发短信")
    sync(path)
    type_in(path, "H1", summary="电话未接通,已发短信和微信")
    sync(path)
    rows = sheet_rows(path, "跟进历史")[1:]
    assert [(r[0].date(), r[5]) for r in rows] == [
        (D(2026, 11, 16), "电话未接通"),
        (D(2026, 11, 16), "电话未接通,已发短信"),
        (D(2026, 11, 16), "电话未接通,已发短信和微信"),
    ]
    assert results(path)["H1"]["health"] == "健康"


def test_the_time_before_is_the_contact_before_not_an_earlier_note_of_the_same_one(tmp_path):
    day = dt.timedelta(days=1)
    path = _first_call(tmp_path, 3)
    type_in(path, "H1", last_contact=TODAY - 2 * day, summary="电话未接通")
    sync(path, TODAY - 2 * day)
    type_in(path, "H1", summary="电话未接通,已发短信")  # the same call, its note refined
    sync(path, TODAY - 2 * day)
    message = _todays_digest(tmp_path, path)
    text = message.get_body(("plain",)).get_content()
    assert "上次跟进:2026-11-16  电话未接通,已发短信;再上次:2026-11-15  首次电话,介绍产品" in text


def test_a_history_sorted_newest_first_by_people_still_knows_the_last_contact(tmp_path):
    import openpyxl

    day = dt.timedelta(days=1)
    path = make_workbook(tmp_path / "b.xlsx", [customer("H1", last_contact=TODAY - 2 * day)])
    sync(path, TODAY - 2 * day)
    type_in(path, "H1", last_contact=TODAY - day, summary="第二次")
    sync(path, TODAY - day)
    wb = openpyxl.load_workbook(path)
    tab = wb["跟进历史"]
    rows = [[c.value for c in r] for r in tab.iter_rows(min_row=2)]
    for i, row in enumerate(reversed(rows), start=2):  # a person sorts it newest first
        for j, value in enumerate(row, start=1):
            tab.cell(i, j).value = value
    wb.save(path)
    sync(path, TODAY)
    assert len(sheet_rows(path, "跟进历史")) == 3  # header and the two contacts: nothing new
