import datetime as dt
import os

import openpyxl
import pytest
from conftest import TODAY, customer, make_workbook, results, sheet_rows, summary_section, sync

from sheetsync.backends import xlsx, xlsx_read
from sheetsync.backends.xlsx import XlsxBackend, lock_path
from sheetsync.config import load_settings
from sheetsync.errors import BackendError, ConflictError, LockedError, WorkbookError
from sheetsync.pipeline import sync as pipeline_sync
from sheetsync.workbook.schema import PEOPLE_COLUMNS, STATUSES

MIXED = [
    customer("K1", last_contact=dt.date(2026, 11, 1)),
    customer("K2", last_contact="2026年11月17日", notes="备注 with =SUM(A1)"),
    customer("K3", last_contact="not a date"),
    customer("K4", paused_until="是", budget=None),
    customer("K5", last_contact=None, customer='=HYPERLINK("http://x","点我")'),
]


def people_cells(path):
    """Every cell of the people's columns, value and number format, by row."""
    ws = openpyxl.load_workbook(path)["客户跟进"]
    headers = [c.value for c in ws[1]]
    people = {c.zh for c in PEOPLE_COLUMNS}
    return [
        [(c.value, c.number_format) for c, h in zip(row, headers, strict=True) if h in people]
        for row in ws.iter_rows(min_row=1)
    ]


def test_people_cells_are_unchanged_by_a_sync(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    before = people_cells(path)
    sync(path)
    assert people_cells(path) == before


def test_bad_rows_are_flagged_and_keep_what_people_typed(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    sync(path)
    got = results(path)
    assert got["K3"]["status"] == "资料不全"
    assert got["K3"]["check"].startswith('上次跟进日期: "not a date"不是日期')
    assert sheet_rows(path, "客户跟进")[3][10] == "not a date"
    assert got["K4"]["status"] == "暂缓" and "预算情况: 为空" in got["K4"]["check"]
    assert got["K1"]["check"] is None and got["K1"]["status"] == "已逾期"


def test_second_run_on_unchanged_data_writes_no_cells(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    assert sync(path).cells > 0
    first = sheet_rows(path, "客户跟进")
    assert sync(path).cells == 0
    assert sheet_rows(path, "客户跟进") == first
    assert len(sheet_rows(path, "同步日志")) == 3  # header + one row per run


def test_rows_sorted_and_inserted_by_a_person_still_get_their_own_values(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    sync(path)
    expected = results(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["客户跟进"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    ws.delete_rows(2, ws.max_row)
    new = customer("K0", last_contact=TODAY)
    headers = [c.value for c in ws[1]]
    for row in [[new.get(c.key) for c in PEOPLE_COLUMNS]] + sorted(
        rows, key=lambda r: r[0], reverse=True
    ):
        ws.append(row + [None] * (len(headers) - len(row)))  # the new row has no computed values
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # as Excel keeps it: text, not a formula
    wb.save(path)
    sync(path)
    got = results(path)
    assert {k: got[k] for k in expected} == expected
    assert got["K0"]["status"] == "待跟进" and got["K0"]["grade"] == "B"


def test_file_saved_by_someone_else_during_the_sync_is_not_overwritten(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)

    class SomeoneSavesMeanwhile(XlsxBackend):
        def read(self):
            grids = super().read()
            wb = openpyxl.load_workbook(path)
            wb["客户跟进"]["B2"] = "改过的名字"
            wb.save(path)
            return grids

    saved = path.read_bytes()
    conflict = pytest.raises(ConflictError, match="在同步期间被别人改过.*什么也没写")
    with SomeoneSavesMeanwhile(path, for_write=True) as backend, conflict:
        pipeline_sync(backend, load_settings(environ={}), TODAY, dt.datetime(2026, 11, 18, 9))
    assert path.read_bytes() != saved  # their save stands ...
    assert results(path)["K1"]["status"] is None  # ... and none of ours landed
    assert not list(tmp_path.glob(".*.tmp"))


def _save_by_rename(path, cells: dict[str, dict[str, str]]) -> None:
    """As Excel saves: a new file renamed over the old one."""
    wb = openpyxl.load_workbook(path)
    for tab, values in cells.items():
        for ref, value in values.items():
            wb[tab][ref] = value
    wb.save(path.with_name("saving.xlsx"))
    os.replace(path.with_name("saving.xlsx"), path)


def test_a_save_landing_while_the_workbook_is_being_read_is_read_not_overwritten(
    tmp_path, monkeypatch
):
    """calamine opens the file twice (the largest tab on a thread of its own) and reads it
    lazily: a save between the opens gave tabs from two versions, and mail computed from
    them. The read notices the file moved and reads it again: every tab from the saved
    version, their edit kept, the sync's own cells written."""
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    monkeypatch.setattr(xlsx_read, "BIG_PART", 0)  # the follow-up tab on a second workbook
    sheet_parts, saves = xlsx_read._sheet_parts, []

    def saved_between_the_opens(where):
        if not saves:
            _save_by_rename(path, {"客户跟进": {"B2": "改过的名字"}, "团队": {"A2": "新同事"}})
            saves.append(where)
        return sheet_parts(where)

    monkeypatch.setattr(xlsx_read, "_sheet_parts", saved_between_the_opens)
    with XlsxBackend(path, for_write=True) as backend:
        grids = backend.read()
        assert grids["客户跟进"][1][1] == "改过的名字" and grids["团队"][1][0] == "新同事"
        pipeline_sync(backend, load_settings(environ={}), TODAY, dt.datetime(2026, 11, 18, 9))
    assert openpyxl.load_workbook(path)["客户跟进"]["B2"].value == "改过的名字"
    assert results(path)["K1"]["status"]  # ours landed too


def test_a_workbook_saved_again_at_every_read_is_left_alone(tmp_path, monkeypatch):
    """Saved again each time it is read (a tool rewriting it in place): after three reads
    the sync gives up with nothing sent or written, and says to run it again."""
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    read_grids = xlsx.read_grids

    def saved_first(where):
        wb = openpyxl.load_workbook(path)
        wb["客户跟进"]["B2"] = f"改过的名字 {dt.datetime.now()}"
        wb.save(path)
        return read_grids(where)

    monkeypatch.setattr(xlsx, "read_grids", saved_first)
    kept_changing = pytest.raises(ConflictError, match="kept changing while it was read")
    with XlsxBackend(path, for_write=True) as backend, kept_changing:
        pipeline_sync(backend, load_settings(environ={}), TODAY, dt.datetime(2026, 11, 18, 9))
    assert openpyxl.load_workbook(path)["客户跟进"]["B2"].value.startswith("改过的名字")
    assert results(path)["K1"]["status"] is None  # none of ours landed


def test_an_xlsx_workbook_named_xls_is_read_for_what_it_is(tmp_path):
    """calamine picks its reader by the file's name; the content decides here."""
    path = make_workbook(tmp_path / "b.xlsx", MIXED).rename(tmp_path / "客户表.xls")
    sync(path)
    written = tmp_path / "as-xlsx.xlsx"  # openpyxl, which checks, goes by the name too
    written.write_bytes(path.read_bytes())
    assert results(written)["K1"]["status"]


def test_dry_run_lists_changes_and_writes_nothing(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    before = path.read_bytes()
    report = sync(path, dry_run=True)
    assert path.read_bytes() == before
    assert '客户跟进 K1 状态: "" -> "已逾期"' in report.changes
    assert "同步日志:追加1行" in report.changes


def test_a_second_sync_waits_for_no_one_it_refuses(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    from filelock import FileLock

    with FileLock(lock_path(path)), pytest.raises(LockedError, match="another sync is running"):
        sync(path)


def test_english_workbook_gives_the_same_results(tmp_path):
    zh = make_workbook(tmp_path / "zh.xlsx", MIXED)
    en = make_workbook(tmp_path / "en.xlsx", MIXED, locale="en")
    sync(zh), sync(en)
    to_zh = {t.en: t.zh for t in STATUSES}
    got_zh, got_en = results(zh), results(en, "en")
    for cid in got_zh:
        assert got_en[cid]["grade"] == got_zh[cid]["grade"]
        assert got_en[cid]["next_date"] == got_zh[cid]["next_date"]
        assert to_zh[got_en[cid]["status"]] == got_zh[cid]["status"]
    assert got_en["K3"]["check"].startswith('Last contact: "not a date"')
    assert [r[0] for r in sheet_rows(en, "Summary")[:3]] == [
        "Follow-up summary",
        None,
        "Results by period",
    ]


def test_formula_looking_text_stays_text(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    sync(path)
    sync(path, today=TODAY + dt.timedelta(days=3))  # K5, a new lead nobody called, is overdue
    ws = openpyxl.load_workbook(path)["汇总"]
    cells = [c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("http://x","点我")']
    assert cells and all(c.data_type == "s" for c in cells)


def test_missing_sync_columns_are_created_and_headers_found_anywhere(tmp_path):
    path = tmp_path / "own.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户跟进"
    ws.append(["我们的客户跟进表"])  # a title row above the header
    ws.append(["负责人", " 客户名称 ", "CUSTOMER ID", "上次跟进日期", "自己的列"])
    ws.append(["张伟", "甲公司", "K1", "2026/11/17", "keep me"])
    grading = wb.create_sheet("Grading")
    grading.append(["Grade", "Interval (days)"])
    grading.append(["A", 2])
    wb.save(path)
    report = sync(path)
    rows = sheet_rows(path, "客户跟进")
    assert rows[1][5:] == (
        "客户等级",
        "客户分类",
        "健康度",
        "阶段开始日期",
        "下次跟进日期",
        "跟进任务",
        "状态",
        "校验提示",
    )
    assert rows[2][4:6] == ("keep me", "A")
    assert rows[2][9:11] == (dt.datetime(2026, 11, 19), "2026-11-19 甲公司")
    assert any("团队表里没有负责人" in n for n in report.notes)  # said in the sheet's language


def test_missing_followup_tab_is_a_clear_error(tmp_path):
    path = tmp_path / "x.xlsx"
    openpyxl.Workbook().save(path)
    with pytest.raises(WorkbookError, match='no tab "客户跟进 / Follow-ups"'):
        sync(path)


def test_duplicated_header_is_refused(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    wb = openpyxl.load_workbook(path)
    wb["客户跟进"]["U1"] = "Owner"  # 备注 renamed into a second owner column
    wb.save(path)
    before = path.read_bytes()
    with pytest.raises(WorkbookError, match=r'表头"负责人"\(O1\)和"Owner"\(U1\)是同一列'):
        sync(path)
    assert path.read_bytes() == before


def test_task_is_done_when_a_contact_is_recorded_and_counted_in_the_summary(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1", last_contact=dt.date(2026, 11, 13))])
    sync(path, dt.date(2026, 11, 14))  # task due Mon 11-16, known before it was due
    wb = openpyxl.load_workbook(path)
    wb["客户跟进"]["K2"] = TODAY  # the rep called today
    wb.save(path)
    sync(path)
    log = sheet_rows(path, "任务记录")
    assert [(r[0], r[1].date(), r[4]) for r in log[1:]] == [
        ("K1", dt.date(2026, 11, 16), "已完成"),
        ("K1", dt.date(2026, 11, 20), "待办"),  # B's weekly call, a week from 11-13 (issue 24)
    ]
    owner_rows = {r[0]: r for r in summary_section(path, "按负责人")}
    assert owner_rows["张伟"][4] == 1  # done in the last 7 days
    assert owner_rows["张伟"][5] == 0.0  # done two days late: a 0 % on-time rate
    book = openpyxl.load_workbook(path)["汇总"]
    title = next(r for r in range(1, book.max_row + 1) if book.cell(r, 1).value == "按负责人")
    cell = next(
        book.cell(r, 6) for r in range(title, book.max_row) if book.cell(r, 1).value == "张伟"
    )
    assert cell.value == 0.0 and cell.number_format == "0.0%"  # a percentage, kept a number


def test_a_moved_due_date_cancels_the_old_task(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    sync(path)
    wb = openpyxl.load_workbook(path)
    wb["客户跟进"]["P2"] = "2026-12-01"  # agreed a later date, no contact yet
    wb.save(path)
    sync(path)
    states = [(r[1].date(), r[4]) for r in sheet_rows(path, "任务记录")[1:]]
    assert states == [(dt.date(2026, 11, 20), "已取消"), (dt.date(2026, 12, 1), "待办")]


def test_a_new_lead_nobody_calls_becomes_overdue(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("NEW", last_contact=None)])
    sync(path)
    assert results(path)["NEW"]["status"] == "今日跟进"
    sync(path, today=TODAY + dt.timedelta(days=2))
    assert (results(path)["NEW"]["next_date"], results(path)["NEW"]["status"]) == (TODAY, "已逾期")


def test_old_closed_tasks_are_pruned_but_open_ones_kept(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2", last_contact=None)])
    sync(path)  # K1 due 11-20; K2, a new lead, due today
    wb = openpyxl.load_workbook(path)
    wb["客户跟进"]["K2"] = dt.date(2026, 11, 19)  # K1's task is done on time
    wb.save(path)
    sync(path, TODAY + dt.timedelta(days=2))
    assert len(sheet_rows(path, "任务记录")) == 4  # header, K1 done, K1 next, K2 open
    sync(path, TODAY + dt.timedelta(days=120))
    kept = sorted((r[0], r[4]) for r in sheet_rows(path, "任务记录")[1:])
    assert kept == [("K1", "待办"), ("K2", "待办")]  # the done task is gone; open ones stay


def test_a_failed_save_is_a_clear_error_and_changes_nothing(tmp_path, monkeypatch):
    path = make_workbook(tmp_path / "b.xlsx", MIXED)
    before = path.read_bytes()

    def locked(src, dst):
        raise PermissionError(13, "Permission denied")  # as on Windows while Excel has it open

    monkeypatch.setattr("sheetsync.backends.xlsx.os.replace", locked)
    with pytest.raises(
        BackendError,
        match=r"cannot save .*b.xlsx: Permission denied \(is it open in Excel\?\); nothing was changed",
    ):
        sync(path)
    assert path.read_bytes() == before and not list(tmp_path.glob(".*.tmp"))


def test_new_sync_columns_go_after_data_people_keep_without_a_header(tmp_path):
    path = tmp_path / "own.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "客户跟进"
    ws.append(["客户编号", "客户名称", "负责人", "上次跟进日期"])
    ws.append(["K1", "甲公司", "张伟", "2026/11/17", None, "no header, still mine"])
    grading = wb.create_sheet("分级标准")
    grading.append(["等级", "跟进间隔(天)"])
    grading.append(["A", 2])
    wb.save(path)
    sync(path)
    rows = sheet_rows(path, "客户跟进")
    assert rows[1][5] == "no header, still mine"
    assert rows[0][6] == "客户等级" and rows[1][6] == "A"
