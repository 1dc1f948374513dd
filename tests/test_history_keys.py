"""跟进历史 keyed by the contact (customer, date, what was recorded), not by where its last row
sits or what it says now: people annotate, edit, delete, sort and type rows into the tab, and
none of it is a new contact or a handover (issue 25). Real .xlsx workbooks through several
syncs."""

import datetime as dt

import openpyxl
from conftest import TODAY, customer, make_workbook, sheet_rows, sync, type_in

DAY = dt.timedelta(days=1)
HISTORY = "跟进历史"


def _rows(path) -> list[dict]:
    """The history tab as dicts by header (whatever people renamed), blanks as None."""
    grid = sheet_rows(path, HISTORY)
    header = [str(h) for h in grid[0]]
    return [dict(zip(header, row, strict=False)) for row in grid[1:] if any(row)]


def _two_contacts(tmp_path, **first):
    """H1 contacted two days ago, then yesterday: two history rows, the second the latest."""
    path = make_workbook(
        tmp_path / "b.xlsx",
        [customer("H1", last_contact=TODAY - 2 * DAY, summary="首次电话", **first)],
    )
    sync(path, TODAY - 2 * DAY)
    type_in(path, "H1", last_contact=TODAY - DAY, summary="发了报价单", feedback="考虑中")
    sync(path, TODAY - DAY)
    assert [r["跟进内容摘要"] for r in _rows(path)] == ["首次电话", "发了报价单"]
    return path


def _edit_history(path, edit, title: str = HISTORY) -> None:
    book = openpyxl.load_workbook(path)
    edit(book[title])
    book.save(path)


def _column(tab, header: str) -> int:
    return next(c.column for c in tab[1] if c.value == header)


def _latest_cell(header: str, value):
    def edit(tab):
        tab.cell(tab.max_row, _column(tab, header)).value = value

    return edit


def test_a_manager_annotating_the_latest_contact_adds_nothing(tmp_path):
    path = _two_contacts(tmp_path)
    _edit_history(path, _latest_cell("跟进内容摘要", "发了报价单(经理已阅)"))
    sync(path)
    sync(path, TODAY + DAY)
    rows = _rows(path)
    assert [r["跟进内容摘要"] for r in rows] == ["首次电话", "发了报价单(经理已阅)"]


def test_editing_the_latest_feedback_in_the_history_adds_nothing(tmp_path):
    path = _two_contacts(tmp_path)
    _edit_history(path, _latest_cell("客户反馈", "考虑中,下周答复"))
    sync(path)
    assert len(_rows(path)) == 2


def test_a_deleted_latest_row_is_not_recorded_again(tmp_path):
    path = _two_contacts(tmp_path)
    _edit_history(path, lambda tab: tab.delete_rows(tab.max_row))
    sync(path)
    assert [r["跟进内容摘要"] for r in _rows(path)] == ["首次电话"]


def test_a_blanked_recorded_date_adds_nothing(tmp_path):
    path = _two_contacts(tmp_path)
    _edit_history(path, _latest_cell("记录日期", None))
    sync(path)
    assert len(_rows(path)) == 2


def test_a_row_typed_in_by_hand_is_no_new_contact_and_the_sheet_contact_not_recorded_twice(
    tmp_path,
):
    """Someone types in a call the sheet never held (dated earlier, recorded today), and the
    contact on the sheet once more by hand: neither makes the sync append anything."""
    path = _two_contacts(tmp_path)

    def typed(tab):
        col = {c.value: c.column for c in tab[1]}
        for values in (
            {"跟进日期": TODAY - 5 * DAY, "跟进内容摘要": "展会上交换名片", "记录日期": TODAY},
            {"跟进日期": TODAY - DAY, "跟进内容摘要": "发了报价单", "客户反馈": "考虑中"},
        ):
            row = tab.max_row + 1
            tab.cell(row, col["客户编号"]).value = "H1"
            tab.cell(row, col["负责人"]).value = "张伟"
            for header, value in values.items():
                tab.cell(row, col[header]).value = value

    _edit_history(path, typed)
    sync(path)
    rows = _rows(path)
    assert len(rows) == 4 and not any(r["记录类型"] == "交接" for r in rows)
    type_in(path, "H1", last_contact=TODAY, summary="上门拜访")  # a real contact still counts
    sync(path, TODAY + DAY)
    assert [r["跟进内容摘要"] for r in _rows(path)][-1] == "上门拜访" and len(_rows(path)) == 5


def test_the_same_contact_typed_back_after_an_edit_is_not_recorded_twice(tmp_path):
    """The note changed and changed back: both versions are in the tab, so the second time
    it is the contact the tab already holds."""
    path = _two_contacts(tmp_path)
    type_in(path, "H1", summary="发了报价单和样品")
    sync(path)
    type_in(path, "H1", summary="发了报价单")
    sync(path)
    assert [r["跟进内容摘要"] for r in _rows(path)] == [
        "首次电话",
        "发了报价单",
        "发了报价单和样品",
    ]


def test_a_sorted_history_with_its_recorded_date_renamed_is_left_alone_and_said_so(tmp_path):
    """The issue's run: a handover in the tab, then the tab sorted newest first and 记录日期
    renamed. The sync appended a duplicate and a false 交接 and said "ok"; now it leaves the
    tab as people have it, says why in the sync log, and the rest of the sync goes on."""
    path = _two_contacts(tmp_path)
    type_in(path, "H1", owner="李娜")
    sync(path)  # 交接:张伟→李娜
    assert [r["记录类型"] for r in _rows(path)] == ["首次记录", "跟进", "交接"]

    def sort_and_rename(tab):
        rows = [[c.value for c in r] for r in tab.iter_rows(min_row=2)]
        for i, row in enumerate(reversed(rows), start=2):
            for j, value in enumerate(row, start=1):
                tab.cell(i, j).value = value
        tab.cell(1, _column(tab, "记录日期")).value = "录入日期"

    _edit_history(path, sort_and_rename)
    before = sheet_rows(path, HISTORY)
    report = sync(path, TODAY + DAY)
    assert sheet_rows(path, HISTORY) == before  # no duplicate, no false handover
    note = next(n for n in report.notes if "跟进历史" in n)
    assert "记录日期" in note and "本次同步没有读取、也没有追加" in note
    log = sheet_rows(path, "同步日志")[-1]
    assert any(isinstance(v, str) and "记录日期" in v for v in log)
    assert openpyxl.load_workbook(path)["客户跟进"].cell(2, 1).value == "H1"  # the rest ran

    type_in(path, "H1", last_contact=TODAY + DAY, summary="电话确认合同条款")
    sync(path, TODAY + DAY)  # still renamed: still nothing appended, the contact kept waiting
    assert sheet_rows(path, HISTORY) == before
    _edit_history(
        path, lambda tab: setattr(tab.cell(1, _column(tab, "录入日期")), "value", "记录日期")
    )
    sync(path, TODAY + 2 * DAY)
    sync(path, TODAY + 2 * DAY)
    rows = _rows(path)
    assert len(rows) == 4 and rows[-1]["跟进内容摘要"] == "电话确认合同条款"
    assert [r["记录类型"] for r in rows].count("交接") == 1


def test_a_deleted_kind_column_makes_no_duplicates(tmp_path):
    path = _two_contacts(tmp_path)
    type_in(path, "H1", owner="李娜")
    sync(path)
    _edit_history(path, lambda tab: tab.delete_cols(_column(tab, "记录类型")))
    before = sheet_rows(path, HISTORY)
    for day in range(3):
        report = sync(path, TODAY + day * DAY)
    assert sheet_rows(path, HISTORY) == before
    assert any("记录类型" in n for n in report.notes)


def test_a_history_without_its_id_header_no_longer_stops_the_whole_sync(tmp_path):
    path = _two_contacts(tmp_path)
    _edit_history(path, lambda tab: setattr(tab.cell(1, _column(tab, "客户编号")), "value", "编号"))
    before = sheet_rows(path, HISTORY)
    report = sync(path)
    assert any("跟进历史" in n and "本次同步没有读取" in n for n in report.notes)
    assert sheet_rows(path, HISTORY) == before
    assert openpyxl.load_workbook(path)["客户跟进"]  # synced: the follow-up tab was written


def test_a_history_note_speaks_english_in_an_english_workbook(tmp_path):
    path = make_workbook(
        tmp_path / "e.xlsx",
        [customer("H1", summary="Called", owner="Zhang Wei", stage="Needs confirmed")],
        locale="en",
        team=[["Zhang Wei", "zw@example.com", "", "Sales"]],
    )
    sync(path, TODAY - DAY)
    _edit_history(path, lambda tab: tab.delete_cols(_column(tab, "Kind")), "History")
    report = sync(path)
    note = next(n for n in report.notes if "History" in n)
    assert note.startswith('"History" has no column Kind') and "neither read nor added" in note


def test_reassigning_a_lead_never_contacted_leaves_a_handover_row(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("N1", last_contact=None, stage="线索获取")])
    sync(path, TODAY - DAY)
    assert _rows(path) == []  # no contact: nothing to seed
    type_in(path, "N1", owner="李娜")
    sync(path)
    sync(path)
    (row,) = _rows(path)
    assert (row["客户编号"], row["记录类型"], row["跟进内容摘要"]) == (
        "N1",
        "交接",
        "交接:张伟→李娜",
    )
    assert row["负责人"] == "李娜" and row["记录日期"].date() == TODAY
    type_in(path, "N1", last_contact=TODAY, summary="第一次电话")
    sync(path, TODAY + DAY)
    assert [r["记录类型"] for r in _rows(path)] == ["交接", "首次记录"]


def test_a_contact_without_a_date_is_recorded_once(tmp_path):
    path = make_workbook(
        tmp_path / "b.xlsx", [customer("U1", last_contact=None, summary="留言待回电")]
    )
    for day in range(3):
        sync(path, TODAY + day * DAY)
    assert [r["跟进内容摘要"] for r in _rows(path)] == ["留言待回电"]
