"""Reading a workbook: each distinct text or date is held once (the memory of a 100 k-row
workbook), and every cell still arrives as the kind people typed it, so the checks read a
mixed column exactly as before: dates as dates, as text and as serial numbers; amounts as
numbers and as text like "120万". Real .xlsx files in tmp_path."""

import datetime as dt
import logging
import re
import tempfile
import threading
import zipfile

import openpyxl
import pytest
from conftest import customer, make_workbook, results, sync
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from python_calamine import CalamineError, CalamineWorkbook

from sheetsync.backends import xlsx_read
from sheetsync.backends.xlsx import XlsxBackend
from sheetsync.config import load_settings
from sheetsync.errors import BackendError
from sheetsync.pipeline import check

NOV_3 = dt.date(2026, 11, 3)
# 上次跟进日期 and 年合作金额 as people type them, one row each, the last two unreadable.
LAST_CONTACT = [NOV_3, dt.datetime(2026, 11, 3, 9, 30), "2026/11/3", "2026年11月3日", 46329, "明天"]
AMOUNT = [1200000, "120万", "¥1,200,000", "1.2M", 1200000.5, "很多"]


def _mixed(tmp_path):
    customers = [
        customer(f"K{i}", last_contact=day, annual_amount=amount)
        for i, (day, amount) in enumerate(zip(LAST_CONTACT, AMOUNT, strict=True), start=1)
    ]
    return make_workbook(tmp_path / "b.xlsx", customers)


def test_every_cell_reads_as_calamine_gives_it_kind_and_value(tmp_path):
    path = _mixed(tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["团队"]
    sheet["D9"] = True  # a boolean, a number equal to it, text after a gap: none merged
    sheet["E9"] = 1
    sheet["F9"] = 1.0
    sheet["H12"] = "张伟"
    book.save(path)
    grids = XlsxBackend(path).read()
    calamine = CalamineWorkbook.from_path(str(path))
    for title in calamine.sheet_names:
        expected = calamine.get_sheet_by_name(title).to_python(skip_empty_area=False)
        assert grids[title] == expected
        assert [[type(v) for v in row] for row in grids[title]] == [
            [type(v) for v in row] for row in expected
        ]
    true, one, one_again = grids["团队"][8][3:6]
    assert true is True and type(one) is not bool and type(one_again) is float


def test_a_mixed_column_is_checked_as_people_typed_it(tmp_path):
    path = _mixed(tmp_path)
    checked = check(XlsxBackend(path), load_settings(environ={}, workbook=str(path)))
    rows = checked.rows.set_index("customer_id")
    days = [d.date() if d == d else None for d in rows["last_contact"]]
    assert days == [NOV_3] * 5 + [None]  # date, datetime, two texts, serial 46329; "明天" not
    amounts = [a if a == a else None for a in rows["annual_amount"]]
    assert amounts == [1_200_000, 1_200_000, 1_200_000, 1_200_000, 1_200_000.5, None]
    assert list(rows["has_error"]) == [False] * 5 + [True]
    messages = list(checked.problems["message"])
    assert (
        len(messages) == 2 and '"明天"不是日期' in messages[0] and '"很多"不是金额' in messages[1]
    )


def test_the_same_text_in_many_cells_is_held_once(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer(f"K{i}") for i in range(1, 30)])
    grid = XlsxBackend(path).read()["客户跟进"]
    owners = {id(row[14]) for row in grid[1:]}
    assert {row[14] for row in grid[1:]} == {"张伟"} and len(owners) == 1


@pytest.mark.parametrize("big_part", [0, 1 << 40])  # the largest tab in a thread, or not
def test_the_largest_tab_read_beside_the_others_reads_the_same(tmp_path, monkeypatch, big_part):
    monkeypatch.setattr(xlsx_read, "BIG_PART", big_part)
    path = _mixed(tmp_path)
    grids = XlsxBackend(path).read()
    calamine = CalamineWorkbook.from_path(str(path))
    assert list(grids) == calamine.sheet_names  # in tab order
    for title in calamine.sheet_names:
        assert grids[title] == calamine.get_sheet_by_name(title).to_python(skip_empty_area=False)


def test_a_tab_calamine_cannot_read_in_its_thread_says_the_file_is_unreadable(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(xlsx_read, "BIG_PART", 0)
    path = _mixed(tmp_path)

    class Book:  # calamine, failing on the tab it parses in the reading thread
        def __init__(self, book):
            self.book, self.sheet_names = book, book.sheet_names

        @classmethod
        def from_path(cls, path):
            return cls(CalamineWorkbook.from_path(path))

        def get_sheet_by_name(self, name):
            if threading.current_thread() is not threading.main_thread():
                raise CalamineError("XML error: unexpected end of file")
            return self.book.get_sheet_by_name(name)

    monkeypatch.setattr(xlsx_read, "CalamineWorkbook", Book)
    with pytest.raises(BackendError, match="not a readable .xlsx workbook .*unexpected end"):
        XlsxBackend(path).read()


def _as_calamine_reads(path, grids):
    """Every tab as calamine reads it whole: values, kinds and tab order."""
    calamine = CalamineWorkbook.from_path(str(path))
    assert list(grids) == calamine.sheet_names
    for title in calamine.sheet_names:
        expected = calamine.get_sheet_by_name(title).to_python(skip_empty_area=False)
        assert grids[title] == expected, title
        kinds = [[type(v) for v in row] for row in expected]
        assert [[type(v) for v in row] for row in grids[title]] == kinds, title


@pytest.mark.parametrize("piece", [1, 700, 5000])  # a slice a row, a few rows, or all
def test_a_tab_read_a_slice_at_a_time_reads_as_calamine_reads_it_whole(
    tmp_path, monkeypatch, piece
):
    """The largest tab of a big workbook is read in slices of rows (a package of its own
    beside): the same cells, kinds and places as calamine gives reading it whole, with rows
    and columns left empty, shared strings, dates and a row after a gap."""
    monkeypatch.setattr(xlsx_read, "BIG_PART", 0)
    monkeypatch.setattr(xlsx_read, "SLICED_PART", 0)
    monkeypatch.setattr(xlsx_read, "PIECE", piece)
    path = _mixed(tmp_path)
    book = openpyxl.load_workbook(path)
    sheet = book["客户跟进"]
    sheet["AZ40"] = "far right, far down"  # a gap of rows, and a wider tab
    sheet["C60"] = dt.datetime(2026, 11, 3, 9, 30)
    sheet.insert_cols(1)  # column A left empty
    book.save(path)
    cut = []
    real_cut = xlsx_read._cut
    monkeypatch.setattr(xlsx_read, "_cut", lambda *a: cut.append(real_cut(*a)) or cut[-1])
    whole = _whole_reads(monkeypatch)
    _as_calamine_reads(path, XlsxBackend(path).read())
    assert cut and cut[0] >= (2 if piece < 5000 else 1)  # it was cut
    assert "客户跟进" not in whole  # and assembled from its slices, not read again whole


def _whole_reads(monkeypatch) -> list[str]:
    """The tabs read whole from here on (`xlsx_read.read_grid`), by name."""
    whole: list[str] = []
    real = xlsx_read.read_grid
    monkeypatch.setattr(
        xlsx_read, "read_grid", lambda sheet, pool: whole.append(sheet.name) or real(sheet, pool)
    )
    return whole


def test_a_slice_calamine_cannot_read_is_an_error_not_a_second_read(tmp_path, monkeypatch):
    """A slice that does not read is said, naming the tab and the slice; the tab is not read
    again whole, which would hide a fault of the slices behind a run twice as large."""
    monkeypatch.setattr(xlsx_read, "BIG_PART", 0)
    monkeypatch.setattr(xlsx_read, "SLICED_PART", 0)
    monkeypatch.setattr(xlsx_read, "PIECE", 300)
    path = _mixed(tmp_path)
    real = xlsx_read._calamine

    class SecondSliceBroken:
        def __init__(self, book):
            self.book, self.sheet_names = book, book.sheet_names

        def get_sheet_by_name(self, name):
            if name == "s1":
                raise CalamineError("a cell out of its row")
            return self.book.get_sheet_by_name(name)

    monkeypatch.setattr(xlsx_read, "_calamine", lambda source: SecondSliceBroken(real(source)))
    whole = _whole_reads(monkeypatch)
    with pytest.raises(BackendError, match=r"tab 客户跟进 .*slice 2: a cell out of its row"):
        XlsxBackend(path).read()
    assert "客户跟进" not in whole


class _Slice:
    """What `_Grid.place` reads of a parsed slice: its first and last cell, and its cells
    from the first (as calamine's `to_python(skip_empty_area=True)` gives them)."""

    def __init__(self, top: int, left: int, rows: list[list]) -> None:
        self.start, self.rows = (top, left), rows
        self.end = (top + len(rows) - 1, left + max(map(len, rows)) - 1) if rows else None

    def to_python(self, skip_empty_area: bool = True) -> list[list]:
        assert skip_empty_area
        return [list(row) for row in self.rows]


def test_slices_are_placed_at_their_own_rows_and_widened_to_the_widest():
    """Each slice's rows land at their row numbers (rows between slices empty), every row
    as wide as the widest slice, texts held once across slices; a slice above the rows
    placed already is refused (the tab is then read whole)."""
    pool: dict = {}
    grid = xlsx_read._Grid(pool)
    grid.place(_Slice(0, 0, [["编号", "客户"], ["K1", "甲"]]))
    grid.place(_Slice(2, 0, []))  # a slice of empty rows: nothing placed
    grid.place(_Slice(4, 1, [["乙", 3.0, "甲"]]))  # after a gap of two rows, from column B
    grid.place(_Slice(5, 0, [["K9"]]))
    assert grid.finish() == [
        ["编号", "客户", "", ""],
        ["K1", "甲", "", ""],
        [""] * 4,
        [""] * 4,
        ["", "乙", 3.0, "甲"],
        ["K9", "", "", ""],
    ]
    assert grid.rows[1][1] is grid.rows[4][3]  # one 甲
    with pytest.raises(xlsx_read._Uncut, match="out of order"):
        grid.place(_Slice(3, 0, [["late"]]))


def test_a_1904_workbook_read_a_slice_at_a_time_keeps_its_dates(tmp_path, monkeypatch):
    """The package of slices keeps the workbook's date system: 46329 is a date in 1904."""
    monkeypatch.setattr(xlsx_read, "BIG_PART", 0)
    monkeypatch.setattr(xlsx_read, "SLICED_PART", 0)
    monkeypatch.setattr(xlsx_read, "PIECE", 700)
    path = _mixed(tmp_path)
    book = openpyxl.load_workbook(path)
    book.epoch = CALENDAR_MAC_1904
    book.save(path)
    grids = XlsxBackend(path).read()
    _as_calamine_reads(path, grids)
    assert any(isinstance(v, dt.date) for row in grids["客户跟进"][1:] for v in row)


@pytest.mark.parametrize(
    "odd", ["<!-- a note -->", '<row r="1"><c r="H1" t="inlineStr"><is><t>late</t></is></c></row>']
)
def test_rows_that_cannot_be_cut_safely_are_read_whole(tmp_path, monkeypatch, odd):
    """A comment among the rows (it could hide a row's end), or a row out of order at the
    end: the tab is read whole, as calamine reads it."""
    monkeypatch.setattr(xlsx_read, "BIG_PART", 0)
    monkeypatch.setattr(xlsx_read, "SLICED_PART", 0)
    monkeypatch.setattr(xlsx_read, "PIECE", 300)
    path = _mixed(tmp_path)
    end = b"</sheetData>"
    _rewrite_part(
        path, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(end, odd.encode() + end)
    )
    whole = _whole_reads(monkeypatch)
    grids = XlsxBackend(path).read()
    _as_calamine_reads(path, grids)
    assert "客户跟进" in whole


def test_a_large_tab_is_read_whole_without_room_for_its_slices(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_read, "BIG_PART", 0)
    monkeypatch.setattr(xlsx_read, "SLICED_PART", 0)
    path = _mixed(tmp_path)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no such folder"))
    _as_calamine_reads(path, XlsxBackend(path).read())


def _rewrite_part(path, name, change):
    with zipfile.ZipFile(path) as source:
        parts = {i: source.read(i.filename) for i in source.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts.items():
            out.writestr(info, change(data) if info.filename == name else data)


SPREADSHEET = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _package_with_shared_strings() -> dict[str, bytes]:
    """A workbook as Excel saves one: texts in the shared strings, dates as numbers with a
    date format in the styles, both found through the workbook's relationships."""
    rel = '<Relationship Id="rId{}" Type="' + OFFICE_REL + '/{}" Target="{}"/>'
    rels = "".join(
        rel.format(i, kind, target)
        for i, (kind, target) in enumerate(
            [("worksheet", "worksheets/sheet1.xml"), ("styles", "styles.xml")]
            + [("sharedStrings", "sharedStrings.xml")],
            start=1,
        )
    )
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="s"><v>{i % 3}</v></c><c r="B{i}" s="1"><v>{46000 + i}</v>'
        f'</c><c r="C{i}"><v>{i}.5</v></c></row>'
        for i in range(1, 41)
    )
    top = (
        '<Relationship Id="rId1" Type="'
        + OFFICE_REL
        + '/officeDocument" Target="xl/workbook.xml"/>'
    )
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    types = "http://schemas.openxmlformats.org/package/2006/content-types"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{types}"><Default Extension="xml" '
        'ContentType="application/xml"/><Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}">{top}</Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{SPREADSHEET}" xmlns:r="{OFFICE_REL}"><sheets>'
        '<sheet name="客户跟进" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}">{rels}</Relationships>',
        "xl/styles.xml": f'<styleSheet xmlns="{SPREADSHEET}"><numFmts count="1"><numFmt '
        'numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts><fonts count="1"><font/></fonts>'
        '<fills count="1"><fill/></fills><borders count="1"><border/></borders><cellStyleXfs '
        'count="1"><xf/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" '
        'applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{SPREADSHEET}"><si><t>甲</t></si><si><t>乙</t>'
        "</si><si><t>丙</t></si></sst>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{SPREADSHEET}"><sheetData>{rows}'
        "</sheetData></worksheet>",
    }
    return {name: text.encode() for name, text in parts.items()}


def _without_rel(kind):
    def edit(parts):
        rels = parts["xl/_rels/workbook.xml.rels"]
        parts["xl/_rels/workbook.xml.rels"] = re.sub(
            rb'<Relationship [^>]*Type="[^"]*/' + kind + rb'"[^>]*/>', b"", rels
        )
        return parts

    return edit


def _moved(old, new, target):
    def edit(parts):
        parts[new] = parts.pop(old)
        rels = parts["xl/_rels/workbook.xml.rels"]
        parts["xl/_rels/workbook.xml.rels"] = rels.replace(target, new.removeprefix("xl/").encode())
        return parts

    return edit


@pytest.mark.parametrize(
    "edit",
    [
        lambda parts: parts,
        _without_rel(b"sharedStrings"),
        _without_rel(b"styles"),
        _moved("xl/sharedStrings.xml", "xl/strings/ss.xml", b"sharedStrings.xml"),
        _moved("xl/styles.xml", "xl/st/styles2.xml", b"styles.xml"),
    ],
)
def test_slices_find_the_styles_and_shared_strings_where_calamine_does(tmp_path, monkeypatch, edit):
    """calamine reads the styles and the shared strings at their usual paths, whatever the
    relationships say: the slices' package holds what it would read, so dates stay dates
    and texts texts, and a workbook calamine cannot read whole is not read in slices."""
    monkeypatch.setattr(xlsx_read, "BIG_PART", 0)
    monkeypatch.setattr(xlsx_read, "SLICED_PART", 0)
    monkeypatch.setattr(xlsx_read, "PIECE", 700)
    path = tmp_path / "excel.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in edit(_package_with_shared_strings()).items():
            out.writestr(name, data)
    try:
        CalamineWorkbook.from_path(str(path)).get_sheet_by_name("客户跟进").to_python()
    except CalamineError as unreadable:
        unreadable_slice = xlsx_read.SliceUnreadable  # said as a slice, with calamine's reason
        with pytest.raises((CalamineError, unreadable_slice), match=re.escape(str(unreadable))):
            xlsx_read.read_grids(path)
        return
    _as_calamine_reads(path, xlsx_read.read_grids(path))


def _typed_as_date(path, customer_id: str, number: float, date_format: bool = True) -> None:
    """`number` typed into the customer's 上次跟进日期, in a cell formatted as a date (Excel
    keeps what was typed, however far it is from any date)."""
    book = openpyxl.load_workbook(path)
    sheet = book["客户跟进"]
    header = {c.value: c.column for c in sheet[1]}
    row = next(r for r in range(2, sheet.max_row + 1) if sheet.cell(r, 1).value == customer_id)
    cell = sheet.cell(row, header["上次跟进日期"])
    cell.value = number
    cell.number_format = "yyyy-mm-dd" if date_format else "General"
    book.save(path)


@pytest.mark.parametrize(
    "sliced, formula",
    [(False, ""), (True, ""), (False, "<f>-10^15</f>"), (False, '<f t="shared" si="0"/>')],
    ids=["whole", "in slices", "a formula's result", "a shared formula's result"],
)
def test_a_number_no_date_can_be_in_a_date_cell_reads_as_that_number(
    tmp_path, monkeypatch, sliced, formula
):
    """-1E+15 in a date-formatted cell (typed, or a formula's saved result) makes calamine
    panic (a Rust panic, which no `except Exception` catches): every tab reads as it would
    with that cell unformatted, each other date still a date."""
    if sliced:
        monkeypatch.setattr(xlsx_read, "BIG_PART", 0)
        monkeypatch.setattr(xlsx_read, "SLICED_PART", 0)
        monkeypatch.setattr(xlsx_read, "PIECE", 700)
    (tmp_path / "typed").mkdir(), (tmp_path / "plain").mkdir()
    typed, plain = _mixed(tmp_path / "typed"), _mixed(tmp_path / "plain")
    _typed_as_date(typed, "K2", -1e15)
    _typed_as_date(plain, "K2", -1e15, date_format=False)
    if formula:  # the cell as Excel saves a formula: the formula, then its last result
        cell = re.compile(rb'(<c r="K3"[^>]*>)(<v>)')
        _rewrite_part(
            typed,
            "xl/worksheets/sheet1.xml",
            lambda x: cell.sub(rb"\1" + formula.encode() + rb"\2", x),
        )
        assert formula.encode() in zipfile.ZipFile(typed).read("xl/worksheets/sheet1.xml")
    with pytest.raises(BaseException, match="out of bounds"):  # what calamine itself does
        CalamineWorkbook.from_path(str(typed)).get_sheet_by_name("客户跟进").to_python()
    grids = xlsx_read.read_grids(typed)
    expected = xlsx_read.read_grids(plain)
    assert grids == expected
    kinds = {t: [[type(v) for v in row] for row in rows] for t, rows in expected.items()}
    assert {t: [[type(v) for v in row] for row in rows] for t, rows in grids.items()} == kinds
    last_contacts = [row[10] for row in grids["客户跟进"][1:]]
    assert (
        last_contacts[1] == -1e15
        and last_contacts[0] == NOV_3
        and type(last_contacts[0]) is dt.date
    )


class _Said(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_a_sync_with_such_a_number_tells_its_row_and_goes_on(tmp_path, monkeypatch):
    """The run does not end on that cell: its row is told (上次跟进日期 is no date), every
    other row is scheduled, and the log says what the panic Rust printed was."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2")])
    _typed_as_date(path, "K2", -1e15)
    said, logger = _Said(), logging.getLogger("sheetsync.xlsx")  # wherever the run's log goes
    monkeypatch.setattr(logger, "level", logging.DEBUG)
    logger.addHandler(said)
    try:
        report = sync(path)
    finally:
        logger.removeHandler(said)
    (said_in_log,) = [line for line in said.lines if "no date can be" in line]
    assert "the panic above" in said_in_log and "校验提示" in said_in_log
    rows = results(path)
    assert rows["K1"]["next_date"] is not None and not rows["K1"]["check"]
    said = rows["K2"]["check"]
    assert said.startswith("上次跟进日期") and "-1000000000000000" in said and "不是日期" in said
    assert report.invalid == 1
