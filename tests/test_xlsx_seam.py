"""The .xlsx write's one seam: which of its three writers made the file (rows edited as
bytes, rows edited through lxml, the whole workbook through openpyxl), and why, is returned
by the write and logged, so a slow or surprising save can be traced to the path it took."""

import io
import logging
import re
import zipfile

import openpyxl

from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.backends.xlsx_patch import CELL_PATH, OPENPYXL, ROW_EDITS, WritePath
from sheetsync.workbook.changes import CellChange, Changeset, Heading


def _workbook(path, rows=(("编号", "客户"), ("K1", "甲"), ("K2", "乙"))):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "客户"
    for row in rows:
        sheet.append(list(row))
    book.save(path)
    return path


def _write(path, *cells: tuple[int, int, object]) -> WritePath:
    changes = Changeset(cells=[CellChange("客户", r, c, "K", "h", None, v) for r, c, v in cells])
    with XlsxBackend(path, for_write=True) as backend:
        backend.read()
        taken = backend.write(changes)
        assert backend.last_write == taken
    return taken


def _values(path):
    return [list(r) for r in openpyxl.load_workbook(path)["客户"].iter_rows(values_only=True)]


def test_a_plain_edit_takes_the_row_edits_and_says_so(tmp_path, caplog):
    path = _workbook(tmp_path / "b.xlsx")
    logger = logging.getLogger("sheetsync.xlsx")  # heard here whether or not the command
    logger.addHandler(caplog.handler)  # line's log set-up stopped "sheetsync" propagating
    try:
        with caplog.at_level(logging.DEBUG, logger="sheetsync.xlsx"):
            taken = _write(path, (2, 2, "甲公司"), (3, 3, "新列"))
    finally:
        logger.removeHandler(caplog.handler)
    assert taken == WritePath(ROW_EDITS) and str(taken) == "row edits"
    assert _values(path) == [["编号", "客户", None], ["K1", "甲公司", None], ["K2", "乙", "新列"]]
    logged = list({id(r): r for r in caplog.records if hasattr(r, "write_path")}.values())
    assert [r.write_path for r in logged] == [taken]
    assert logged[0].levelno == logging.DEBUG and "row edits" in logged[0].getMessage()


def test_a_heading_takes_the_cell_path_naming_the_tab_and_row(tmp_path):
    path = _workbook(tmp_path / "b.xlsx")
    taken = _write(path, (2, 2, "甲公司"), (3, 1, Heading("标题")))
    assert taken.kind == CELL_PATH and taken.rows == 1
    assert str(taken).startswith("cell path (1 row): tab 客户: row 3 holds a value only the cell")
    book = openpyxl.load_workbook(path)
    assert book["客户"]["A3"].value == "标题" and book["客户"]["A3"].font.b


def test_an_odd_row_takes_the_cell_path_for_that_row(tmp_path):
    path = _workbook(tmp_path / "b.xlsx")
    _rewrite_sheet(path, lambda xml: xml.replace(b'<row r="3"', b'<row xmlns:x="urn:x" r="3"'))
    taken = _write(path, (2, 2, "甲公司"), (3, 2, "乙公司"))
    assert taken.kind == CELL_PATH and taken.rows == 1
    assert "tab 客户: row 3 is not plain cells" in taken.reason
    assert _values(path)[1:] == [["K1", "甲公司"], ["K2", "乙公司"]]


def test_a_package_the_patcher_cannot_handle_goes_through_openpyxl_and_says_why(tmp_path):
    path = _workbook(tmp_path / "b.xlsx")
    _rewrite_sheet(path, lambda xml: re.sub(rb'(<row[^>]*?) r="\d+"', rb"\1", xml))
    taken = _write(path, (2, 2, "甲公司"))
    assert taken == WritePath(OPENPYXL, "rows without numbers")
    assert str(taken) == "openpyxl: rows without numbers"
    assert _values(path)[1] == ["K1", "甲公司"]


def _rewrite_sheet(path, change):
    """The workbook with its first sheet part's XML changed by `change` (as another program
    might have written it)."""
    source, out = zipfile.ZipFile(path), io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            copy.writestr(info, data)
    path.write_bytes(out.getvalue())
