"""The append-only tabs (跟进历史, 阶段记录, 预测记录, 同步日志) are people's to read, sort
and annotate: a column someone adds or moves there must not shift what the sync appends."""

import datetime as dt

import openpyxl
from conftest import PEOPLE_KEYS, TODAY, customer, make_workbook, sheet_rows, sync

D = dt.date
COLUMN = {k: PEOPLE_KEYS.index(k) + 1 for k in PEOPLE_KEYS}


def _by_header(path, title):
    rows = sheet_rows(path, title)
    header = [h for h in rows[0]]
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def _insert_note_column(path, title):
    """A 备注 column in front of the tab, as someone annotating it would add."""
    book = openpyxl.load_workbook(path)
    sheet = book[title]
    sheet.insert_cols(1)
    sheet.cell(1, 1).value = "备注"
    sheet.cell(2, 1).value = "张伟说下周再打"
    book.save(path)


def test_a_contact_lands_under_its_headers_when_people_added_a_column_to_the_history(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("H1", last_contact=D(2026, 11, 10))])
    sync(path)
    _insert_note_column(path, "跟进历史")
    book = openpyxl.load_workbook(path)
    book["客户跟进"].cell(2, COLUMN["summary"]).value = "上门拜访,客户要报价"
    book.save(path)

    sync(path)
    sync(path)  # the same day again: the contact is known, nothing appended twice
    rows = _by_header(path, "跟进历史")
    assert len(rows) == 2
    assert rows[0]["备注"] == "张伟说下周再打"  # what the person typed stays where it was
    new = rows[1]
    assert new["备注"] is None and new["客户编号"] == "H1"
    assert new["跟进日期"].date() == D(2026, 11, 10)
    assert new["跟进内容摘要"] == "上门拜访,客户要报价" and new["记录类型"] == "跟进"


def test_stage_and_sync_log_rows_land_under_their_headers_after_a_column_was_added(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("S1", stage="初步接触")])
    sync(path)
    for title in ("阶段记录", "同步日志"):
        _insert_note_column(path, title)
    book = openpyxl.load_workbook(path)
    book["客户跟进"].cell(2, COLUMN["stage"]).value = "需求确认"
    book.save(path)

    sync(path, TODAY + dt.timedelta(days=1))
    stages = _by_header(path, "阶段记录")
    assert [(r["客户编号"], r["销售阶段"]) for r in stages][-1] == ("S1", "需求确认")
    assert stages[-1]["备注"] is None
    runs = _by_header(path, "同步日志")
    assert runs[-1]["备注"] is None and runs[-1]["读取行数"] == 1
    assert runs[-1]["同步日期"].date() == TODAY + dt.timedelta(days=1)


def test_tabs_the_sync_creates_are_laid_out_like_init_lays_out_its_own(tmp_path):
    """跟进历史 and 预测记录 appear with the first sync: header frozen, a filter people can
    use on every row to come, and widths that show a date (not ###) and a summary."""
    rows = [customer("H1", last_contact=D(2026, 11, 10), expected_amount=100_000)]
    path = make_workbook(tmp_path / "b.xlsx", rows)
    sync(path)
    book = openpyxl.load_workbook(path)
    for title in ("跟进历史", "预测记录"):
        sheet = book[title]
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref.startswith("A1:") and sheet.auto_filter.ref.endswith("1048576")
        assert sheet.column_dimensions["A"].width >= 11  # 跟进日期 / 月份: a date fits
    history = book["跟进历史"]
    header = [c.value for c in history[1]]
    summary = header.index("跟进内容摘要") + 1
    assert history.column_dimensions[openpyxl.utils.get_column_letter(summary)].width >= 30
