"""Far cells (issue 28, item 1): a value typed at XFD1048576, or any cell far from its tab's
table, costs what it holds. The tab is read without it (the old reader made a dense grid
from A1 and aborted asking for 512 GB), the sync does what it does without it, the cell
stays in the file as typed, and each tab holding one is named in one line.
And date1904 (item 8): a workbook counting dates from 1904 is written on the fast path."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from conftest import TODAY, customer, make_workbook, results, sync
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from sheetsync.backends import xlsx
from sheetsync.backends.xlsx_far import body_end, free_rows
from sheetsync.backends.xlsx_read import read_grids
from sheetsync.workbook.schema import FOLLOWUPS

ROOT = Path(__file__).resolve().parent.parent
FAR = ("XFD1048576", "XFD2", "A1048576")  # the sheet's last cell, far right, far below


def _type_far_cells(path: Path, refs=FAR) -> dict[tuple[str, str], str]:
    """A value typed at each of `refs` in every tab (团队 included); what was typed where."""
    book = openpyxl.load_workbook(path)
    typed = {}
    for sheet in book.worksheets:
        for ref in refs:
            sheet[ref] = typed[sheet.title, ref] = f"远处 {sheet.title} {ref}"
    book.save(path)
    return typed


def _run(path: Path, today: dt.date) -> subprocess.CompletedProcess:
    """The CLI's sync in a process of its own: the old reader aborted the process."""
    command = [sys.executable, "run.py", "sync", "--workbook", str(path), "--no-email"]
    command += ["--today", today.isoformat()]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _rows(path: Path, title: str, rows: int = 60, columns: int = 60) -> list[tuple]:
    """The top-left of a tab (openpyxl's iter_rows would walk to XFD1048576)."""
    sheet = openpyxl.load_workbook(path)[title]
    return list(sheet.iter_rows(max_row=rows, max_col=columns, values_only=True))


def _row_numbers(path: Path) -> list[int]:
    with zipfile.ZipFile(path) as package:
        return [
            int(n)
            for name in package.namelist()
            if name.startswith("xl/worksheets/sheet")
            for n in re.findall(rb'<row r="(\d+)"', package.read(name))
        ]


@pytest.mark.slow  # four CLI syncs, each a process of its own
def test_far_cells_in_every_tab_sync_as_without_them_and_stay_as_typed(tmp_path):
    plain = make_workbook(tmp_path / "plain.xlsx", [customer(f"K{i}") for i in range(1, 6)])
    sync(plain)  # every tab made: the summary, the logs, the sync's memory
    far = tmp_path / "far.xlsx"
    shutil.copy(plain, far)
    typed = _type_far_cells(far)
    assert "团队" in {title for title, _ in typed}
    day = TODAY + dt.timedelta(days=1)
    for _ in range(2):  # a second run reads what the first wrote
        done = _run(far, day)
        assert done.returncode == 0, done.stderr[-2000:]
        assert _run(plain, day).returncode == 0
    # Nothing people typed is lost: every far cell as it was typed, in every tab
    book = openpyxl.load_workbook(far)
    assert {(t, ref): book[t][ref].value for t, ref in typed} == typed
    # The sync did what it does without them: the follow-up tab and the logs alike
    for title in ("客户跟进", "任务记录", "跟进历史", "阶段记录", "团队", "分级标准"):
        assert _rows(far, title) == _rows(plain, title), title
    # No log row appended past the sheet's last row (after the far one): every row fits
    assert max(_row_numbers(far)) == 1048576
    # Each tab holding them is named in one line, with its cells
    lines = [line for line in done.stdout.splitlines() if "不在任何表头下" in line]
    assert {re.search(r'工作表"([^"]+)"', line).group(1) for line in lines} == set(book.sheetnames)
    assert all(line.endswith("XFD2、A1048576、XFD1048576") for line in lines)


def test_a_far_cell_costs_what_it_holds(tmp_path):
    """A value at XFD2 made every row of a 500-customer tab 16 384 cells wide: 65 MB of
    Python lists (and 260 MB in calamine) for one cell. Read now in a bounded memory."""
    path = make_workbook(tmp_path / "b.xlsx", [customer(f"K{i}") for i in range(500)])
    _type_far_cells(path, ("XFD2", "ZZ3"))
    tracemalloc.start()
    try:
        grids = read_grids(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20  # ~3 MB read this way; the dense grid took 65 MB
    follow = grids[FOLLOWUPS.title("zh")]
    assert len(follow) == 501 and max(map(len, follow)) < 60
    assert sorted(follow.far) == [(2, 16384, "远处 客户跟进 XFD2"), (3, 702, "远处 客户跟进 ZZ3")]


def test_a_value_under_no_header_is_named_in_the_sheets_language(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")], locale="en")
    book = openpyxl.load_workbook(path)
    sheet = book[FOLLOWUPS.title("en")]
    width = sheet.max_column
    sheet.cell(2, width + 3).value = "a note with no header"
    book.save(path)
    report = sync(path)
    named = [n for n in report.notes if "under no header" in n]
    assert len(named) == 1 and named[0].endswith(f"{openpyxl.utils.get_column_letter(width + 3)}2")
    assert openpyxl.load_workbook(path)[FOLLOWUPS.title("en")].cell(2, width + 3).value == (
        "a note with no header"
    )


def test_the_body_of_a_tab_and_where_rows_are_appended():
    assert body_end([1, 2, 3, 1048576], 1000) == 3
    assert body_end(list(range(1, 10001)), 1000) == 10000  # a table, however long
    assert body_end([1, 2, 900], 1000) == 900  # a gap people leave is still the table
    assert free_rows([1, 2, 3, 1048576], 2) == [4, 5]
    assert free_rows([1, 5000], 5000) == [*range(2, 5000), 5001, 5002]  # over no typed cell


def _mac_workbook(path: Path, **values) -> Path:
    """A workbook from Excel for Mac: dates counted from 1904."""
    make_workbook(path, [customer("K1", **values), customer("K2")])
    book = openpyxl.load_workbook(path)
    book.epoch = CALENDAR_MAC_1904
    book.save(path)
    with zipfile.ZipFile(path) as package:
        assert b'date1904="1"' in package.read("xl/workbook.xml")
    return path


def test_a_1904_workbook_syncs_on_the_fast_path_with_its_dates_as_typed(tmp_path, monkeypatch):
    typed = dt.date(2026, 11, 10)
    mac = _mac_workbook(tmp_path / "mac.xlsx", last_contact=typed, birthday=dt.date(1980, 2, 29))
    windows = make_workbook(
        tmp_path / "pc.xlsx",
        [customer("K1", last_contact=typed, birthday=dt.date(1980, 2, 29)), customer("K2")],
    )
    rewrites = []
    real = xlsx.rewrite_with_openpyxl
    monkeypatch.setattr(xlsx, "rewrite_with_openpyxl", lambda *a: rewrites.append(a) or real(*a))
    for day in (TODAY, TODAY + dt.timedelta(days=1)):
        sync(mac, day)
        sync(windows, day)
    assert not rewrites  # neither went through openpyxl's round trip
    # The sync's dates are the same dates in either system (openpyxl reads by the epoch)
    assert results(mac) == results(windows)
    dates = [v for r in results(mac).values() for k, v in r.items() if isinstance(v, dt.date)]
    assert dates and all(dt.date(2026, 1, 1) < d < dt.date(2028, 1, 1) for d in dates)
    # People's dates read as typed, and were not rewritten
    sheet = openpyxl.load_workbook(mac)[FOLLOWUPS.title("zh")]
    header = {c.value: c.column for c in sheet[1]}
    row = next(r for r in range(2, 4) if sheet.cell(r, 1).value == "K1")
    assert sheet.cell(row, header["上次跟进日期"]).value.date() == typed
    assert sheet.cell(row, header["生日/纪念日"]).value.date() == dt.date(1980, 2, 29)
    # And the calamine read of the next run sees them so too
    grid = read_grids(mac)[FOLLOWUPS.title("zh")]
    assert grid[row - 1][header["下次跟进日期"] - 1] == results(mac)["K1"]["next_date"]


def test_far_cells_cut_across_the_pieces_a_part_is_read_in(tmp_path, monkeypatch):
    """A long tab is scanned and cut a piece at a time: a far cell whose end falls in the
    next piece is still read, and the rest of the tab is the same as read whole."""
    from sheetsync.backends import xlsx_far

    path = make_workbook(tmp_path / "b.xlsx", [customer(f"K{i}") for i in range(40)])
    _type_far_cells(path, ("XFD2", "AAA30", "B1048576"))
    whole = read_grids(path)
    monkeypatch.setattr(xlsx_far, "PIECE", 97)  # a few tags at a time
    pieces = read_grids(path)
    for title, grid in whole.items():
        assert pieces[title] == grid and pieces[title].far == grid.far, title
    assert len(whole[FOLLOWUPS.title("zh")].far) == 3


def test_the_openpyxl_path_keeps_far_cells_too(tmp_path, monkeypatch):
    """A package the patcher cannot handle is rewritten through openpyxl: it too keeps every
    far cell, in the tabs it rewrites whole (汇总, 任务记录, 同步快照) as in the others, and
    appends no log row past the sheet's last."""
    from sheetsync.backends.xlsx_package import PatchUnsupported

    path = make_workbook(tmp_path / "b.xlsx", [customer(f"K{i}") for i in range(5)])
    sync(path)
    typed = _type_far_cells(path)

    def unsupported(*args, **kwargs):
        raise PatchUnsupported("as a package the patcher does not handle")

    monkeypatch.setattr(xlsx, "patch_into", unsupported)
    sync(path, TODAY + dt.timedelta(days=1))
    book = openpyxl.load_workbook(path)
    assert {(t, ref): book[t][ref].value for t, ref in typed} == typed
    assert max(_row_numbers(path)) == 1048576
