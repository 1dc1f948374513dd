"""The streaming writer: a first sync, new columns, new tabs and charts never take the openpyxl
round trip; untouched parts are copied as their compressed bytes; a long sheet streams in
chunks and reads back as the openpyxl path writes it. Real files, some saved by LibreOffice."""

import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile

import openpyxl
import pandas as pd
import pytest
from conftest import TODAY, customer, make_workbook, results, sync
from lxml import etree
from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook
from test_xlsx_patch import _changeset, _values

from sheetsync.backends import xlsx, xlsx_package, xlsx_rows
from sheetsync.backends.xlsx import XlsxBackend, rewrite_with_openpyxl
from sheetsync.backends.xlsx_package import Package, PatchUnsupported, chart_keys, copy_raw
from sheetsync.backends.xlsx_patch import patch_workbook
from sheetsync.ops.bench import generate
from sheetsync.workbook.changes import CellChange, Changeset, Chart, Heading, Share
from sheetsync.workbook.schema import SYNC_COLUMNS

CHARTS = ["客户等级分布", "销售漏斗(进入客户数)", "各负责人逾期数"]


@pytest.fixture
def no_openpyxl(monkeypatch):
    def refuse(*args):
        raise AssertionError("the whole-workbook openpyxl round trip was taken")

    monkeypatch.setattr(xlsx, "rewrite_with_openpyxl", refuse)


def soffice(path, folder, to="xlsx"):
    """`path` opened and saved again by LibreOffice (its own profile: tests run in parallel).
    Skips the test where LibreOffice is not installed (a CI machine with only pip)."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    profile = folder / "lo-profile"
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", to]
        + ["--outdir", str(folder), str(path)],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return folder / f"{path.stem}.{to}"


def _raw(path_or_zip, name: str) -> tuple[int, int, bytes]:
    """A member's CRC, size and compressed bytes, as stored."""
    package = zipfile.ZipFile(path_or_zip)
    info = package.getinfo(name)
    package.fp.seek(info.header_offset + 26)
    lengths = package.fp.read(4)
    skip = int.from_bytes(lengths[:2], "little") + int.from_bytes(lengths[2:], "little")
    package.fp.seek(skip, 1)
    return info.CRC, info.file_size, package.fp.read(info.compress_size)


def test_a_workbook_without_the_sync_columns_gets_them_without_openpyxl(tmp_path, no_openpyxl):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2")])
    book = openpyxl.load_workbook(path)
    sheet = book["客户跟进"]
    ours = {t.text("zh") for t in SYNC_COLUMNS}
    for cell in sheet[1]:
        if cell.value in ours:  # as a workbook people made themselves: no sync columns
            for row in sheet.iter_rows(min_col=cell.column, max_col=cell.column):
                row[0].value = None
    book.save(path)
    sync(path)
    assert {r["status"] for r in results(path).values()} == {"待跟进"}
    sheet = openpyxl.load_workbook(path)["客户跟进"]
    header = {c.value: c.column for c in sheet[1] if c.value}
    assert ours <= set(header)
    status = get_column_letter(header["状态"])
    assert sheet.column_dimensions[status].width >= 10  # sized, not Excel's default
    sync(path, TODAY + dt.timedelta(days=1))  # the next day: the patcher again
    assert {r["status"] for r in results(path).values()} == {"待跟进"}


def test_a_new_hidden_tab_is_added_as_a_part_of_its_own(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    rows = [["编号", "日期", "份额"], ["K1", dt.date(2026, 11, 18), 3.5], ["=1+1", None, True]]
    changes = Changeset(replace={"备忘": rows}, hidden={"备忘"})
    data = path.read_bytes()
    patched = patch_workbook(data, changes)
    book = openpyxl.load_workbook(io.BytesIO(patched))
    assert book.sheetnames[-1] == "备忘" and book["备忘"].sheet_state == "hidden"
    assert _values(patched) == _values(rewrite_with_openpyxl(data, changes))
    grid = CalamineWorkbook.from_filelike(io.BytesIO(patched)).get_sheet_by_name("备忘")
    assert grid.to_python()[2][0] == "=1+1"  # text, never a formula


@pytest.mark.slow  # starts LibreOffice
def test_first_sync_grafts_charts_that_libreoffice_and_openpyxl_open(tmp_path, no_openpyxl):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2", owner="李娜")])
    sync(path)
    assert len(openpyxl.load_workbook(path)["汇总"]._charts) == 3
    saved = soffice(path, tmp_path / "lo")
    package = Package(saved.read_bytes())
    assert sorted(k[1] for k in chart_keys(package, package.sheet_parts()["汇总"])) == sorted(
        CHARTS
    )


def test_charts_replaced_leave_no_orphan_parts(tmp_path, no_openpyxl):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    sync(path)
    one = Chart("pie", "只有一个", (1, 5, 7), (2, 5, 7), (2, 6))
    patched = patch_workbook(path.read_bytes(), Changeset(charts={"汇总": [one]}))
    package = Package(patched)
    assert chart_keys(package, package.sheet_parts()["汇总"]) == [one.key()]
    names = package.zip.namelist()
    drawn = [n for n in names if n.startswith(("xl/charts/", "xl/drawings/")) and "_rels" not in n]
    assert sorted(drawn) == ["xl/charts/chart1.xml", "xl/drawings/drawing1.xml"]
    types = package.zip.read("[Content_Types].xml").decode()
    assert "chart2.xml" not in types and "chart3.xml" not in types
    assert len(openpyxl.load_workbook(io.BytesIO(patched))["汇总"]._charts) == 1


@pytest.mark.slow  # starts LibreOffice
def test_a_libreoffice_workbook_with_shared_strings_is_patched(tmp_path, no_openpyxl):
    made = make_workbook(tmp_path / "made.xlsx", [customer("K1"), customer("K2")])
    path = soffice(made, tmp_path / "lo")  # shared strings, data descriptors, its own styles
    assert "xl/sharedStrings.xml" in zipfile.ZipFile(path).namelist()
    sync(path)
    sync(path, TODAY + dt.timedelta(days=1))
    synced = {k: r for k, r in results(path).items() if k}  # LibreOffice keeps empty rows
    assert set(synced) == {"K1", "K2"} and {r["status"] for r in synced.values()} == {"待跟进"}
    before = zipfile.ZipFile(path)
    assert _raw(path, "xl/sharedStrings.xml")[2]  # copied, and still readable
    again = soffice(path, tmp_path / "lo2")  # LibreOffice opens what we wrote
    assert len(openpyxl.load_workbook(again)["汇总"]._charts) == 4  # the trend: two days
    assert before.testzip() is None


def test_untouched_parts_are_copied_as_their_compressed_bytes(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    sync(path)
    before = path.read_bytes()
    sync(path)  # the same day: no trend point, so no chart, is added
    touched = {"xl/worksheets/sheet1.xml", "xl/styles.xml"}
    for name in zipfile.ZipFile(io.BytesIO(before)).namelist():
        if name not in touched and "sheet" not in name:
            assert _raw(io.BytesIO(before), name) == _raw(path, name), name


def _odd_zip() -> bytes:
    """Members as other writers leave them: a data descriptor after the data (written to a
    stream zipfile cannot seek), a zip64 extra, a stored member, a non-ASCII name."""

    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.data += b
            return len(b)

    stream = Unseekable()
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("described.xml", b"<a>" + b"x" * 5000 + b"</a>")
        with z.open("zip64.xml", "w", force_zip64=True) as member:
            member.write(b"<b/>" * 1000)
        z.writestr("stored.bin", b"\x00\x01" * 50, compress_type=zipfile.ZIP_STORED)
        z.writestr("xl/媒体.xml", "<c>汉字</c>".encode())
    return bytes(stream.data)


def test_raw_copy_keeps_every_member_byte_for_byte(tmp_path):
    original = _odd_zip()
    source = zipfile.ZipFile(io.BytesIO(original))
    assert any(i.flag_bits & 0x08 for i in source.infolist())  # data descriptors present
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as copy:
        for info in source.infolist():
            copy_raw(source, info, copy)
    copied = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert copied.testzip() is None
    for info in source.infolist():
        assert copied.read(info.filename) == source.read(info.filename)
        assert _raw(io.BytesIO(out.getvalue()), info.filename) == _raw(
            io.BytesIO(original), info.filename
        )


@pytest.mark.slow  # 3,000 rows through 997-byte chunks, and the openpyxl path to compare
def test_a_long_sheet_streamed_in_small_chunks_reads_as_the_openpyxl_path(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx_rows, "CHUNK", 997)  # rows cut across every chunk boundary
    monkeypatch.setattr(xlsx_rows, "BATCH", 7)
    monkeypatch.setattr(xlsx_rows, "FLUSH", 1000)
    path = tmp_path / "long.xlsx"
    generate(path, 3000)
    data, changes = path.read_bytes(), _changeset(path)
    changes.charts = {}
    assert len(changes.cells) > 3000
    assert _values(patch_workbook(data, changes)) == _values(rewrite_with_openpyxl(data, changes))


@pytest.mark.parametrize("codec", ["zlib-ng", "zlib"])
def test_sheets_inflated_and_deflated_by_either_codec_read_the_same(tmp_path, monkeypatch, codec):
    """zlib-ng inflates and deflates the sheets a write streams (faster, same format); where
    it is not installed, zipfile's zlib does. Either way every reader gets the same cells."""
    if codec == "zlib":
        monkeypatch.setattr(xlsx_package, "zlib_ng", None)
    elif xlsx_package.zlib_ng is None:
        pytest.skip("zlib-ng is not installed here")
    path = tmp_path / "b.xlsx"
    generate(path, 300)
    data, changes = path.read_bytes(), _changeset(path)
    patched = patch_workbook(data, changes)
    assert zipfile.ZipFile(io.BytesIO(patched)).testzip() is None  # every CRC checks out
    assert _values(patched) == _values(rewrite_with_openpyxl(data, changes))


def _with_prefix(path) -> None:
    """The follow-up tab's XML with every element as `x:name` (as some writers do)."""
    with zipfile.ZipFile(path) as old:
        parts = {info: old.read(info) for info in old.infolist()}
    sheet = next(i for i in parts if i.filename == "xl/worksheets/sheet1.xml")
    text = parts[sheet].decode()
    text = re.sub(r"<(/?)(?![?!])", r"<\1x:", text).replace("xmlns=", "xmlns:x=")
    parts[sheet] = text.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in parts.items():
            new.writestr(info, data)


def test_a_sheet_with_prefixed_element_names_is_patched(tmp_path, no_openpyxl):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2")])
    _with_prefix(path)
    assert b"<x:row" in zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    sync(path)
    assert {r["status"] for r in results(path).values()} == {"待跟进"}
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"<row" not in sheet and b"<c " not in sheet  # new cells took the sheet's prefix


NEW_ROW_VALUES = [
    "张伟",
    " 前后有空格 ",
    "a & b < c > d\r\ne\tf",
    '=HYPERLINK("x")',  # text, never a formula
    "长" * 40_000,  # cut at Excel's limit
    "bell\x07gone",
    3,
    2.5,
    -0.0,
    1e300,
    float("nan"),
    True,
    False,
    dt.date(2026, 11, 18),
    dt.datetime(2026, 11, 18, 9, 30),
    None,
]


@pytest.mark.parametrize("prefix", [b"", b"x:"])
def test_a_row_written_as_bytes_is_what_lxml_writes(tmp_path, prefix):
    """New rows are written as bytes (the first sync's millions of cells); each holds exactly
    what the element path (set_cell, serialised by lxml) gives the same values."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    package = Package(path.read_bytes())
    ns = f'xmlns{":x" if prefix else ""}="{xlsx_rows.MAIN}"'.encode()
    part = xlsx_rows.SheetPart(
        io.BytesIO(b"<%sworksheet %s><%ssheetData/></%sworksheet>" % (prefix, ns, prefix, prefix))
    )
    assert part.plain
    styles = xlsx_rows.Styles(package)  # the date format added once, as in a run
    for number, values in enumerate(
        [dict(enumerate(NEW_ROW_VALUES, start=1)), {3: None}, {}, {28: "AB"}], start=5
    ):
        by_bytes = xlsx_rows.new_row(prefix, number, values, styles)
        root = part.fragment(b'<%srow r="%d"/>' % (prefix, number))
        xlsx_rows._set_cells(root[0], number, values, styles)
        by_lxml = xlsx_rows.serialise(root) if len(root[0]) else b""
        assert by_bytes == by_lxml


def test_a_value_only_lxml_writes_keeps_its_row_on_the_element_path(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    styles = xlsx_rows.Styles(Package(path.read_bytes()))
    for odd in (Heading("标题"), Share(0.25), pd.Timestamp("2026-11-18")):
        assert xlsx_rows.new_row(b"", 2, {1: "a", 2: odd}, styles) is None
    # what XML cannot hold is dropped on both paths alike (fit_text), not a reason to leave
    made = xlsx_rows.new_row(b"", 2, {1: "lone \ud800 surrogate \ufffe"}, styles)
    assert b"<t>lone  surrogate </t>" in made.replace(b' xml:space="preserve"', b"")


def _canonical(xml: bytes, part) -> list[bytes]:
    root = part.fragment(xml)
    return [etree.tostring(row, method="c14n") for row in root]


@pytest.mark.parametrize("prefix", [False, True])
def test_a_row_edited_as_bytes_reads_as_the_element_path_leaves_it(tmp_path, prefix):
    """Changed cells of existing rows are set in the row's bytes: every row of a synced sheet,
    given values of every plain kind in existing and new columns (before, between and after
    its cells), comes out as set_cell and lxml leave it, once both are parsed."""
    path = tmp_path / "b.xlsx"
    generate(path, 40)
    sync(path)
    if prefix:
        _with_prefix(path)
    package = Package(path.read_bytes())
    styles = xlsx_rows.Styles(package)
    with package.open("xl/worksheets/sheet1.xml") as raw:
        part = xlsx_rows.SheetPart(raw)
        rows = list(part.rows())
    edit = xlsx_rows.RowBytes(part.prefix)
    plain = [v for v in NEW_ROW_VALUES if not isinstance(v, str) or len(v) < 100]
    edited = 0
    for i, (number, data) in enumerate(rows):
        columns = [1 + (i * 7 + k * 13) % 45 for k in range(1 + i % 5)]  # up to AS: new ones too
        values = {c: plain[(i + k) % len(plain)] for k, c in enumerate(columns)}
        by_bytes = edit.edit(data, values, styles)
        root = part.fragment(data)
        xlsx_rows._set_cells(root[0], number, values, styles)
        assert by_bytes is not None
        assert _canonical(by_bytes, part) == _canonical(xlsx_rows.serialise(root), part)
        edited += 1
    assert edited == len(rows) > 40


def test_an_unusual_row_is_left_to_the_element_path(tmp_path):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    styles = xlsx_rows.Styles(Package(path.read_bytes()))
    edit = xlsx_rows.RowBytes(b"")
    for row in (
        b'<row r="2"><c r="A2"><v>1</v></c> <c r="B2"><v>2</v></c></row>',  # text between cells
        b'<row r="2"><c><v>1</v></c></row>',  # a cell without its reference
        b'<row r="2"><!-- note --><c r="A2"><v>1</v></c></row>',
        b'<row r="2"><c r="B2"><v>1</v></c><c r="A2"><v>2</v></c></row>',  # out of order
        # a cell without its reference, and text that looks like one in the next cell
        b'<row r="2"><c><v>1</v></c><c r="C2" t="inlineStr"><is><t> r="B2"</t></is></c></row>',
        b'<row r="2"><c r="A2"><v>1</v></c><c r="A2"><v>2</v></c></row>',  # a cell twice
    ):
        assert edit.edit(row, {1: "x"}, styles) is None
    assert edit.edit(b'<row r="2"><c r="A2"/></row>', {1: Heading("x")}, styles) is None


def test_a_tab_replaced_by_the_rows_it_has_is_copied_as_its_compressed_bytes(tmp_path):
    """A day on which nothing in the task log changes leaves its part as it was, unread."""
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1"), customer("K2")])
    sync(path)
    data = path.read_bytes()
    log = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("任务记录").to_python()
    part = Package(data).sheet_parts()["任务记录"]
    old = xlsx_rows.rows_read(XlsxBackend(path).read())
    same = patch_workbook(data, Changeset(replace={"任务记录": log}), old)
    assert _raw(io.BytesIO(same), part) == _raw(io.BytesIO(data), part)
    changed = patch_workbook(data, Changeset(replace={"任务记录": log[:-1]}), old)
    assert _raw(io.BytesIO(changed), part) != _raw(io.BytesIO(data), part)


@pytest.mark.parametrize(
    "row",
    [
        b'<row r="2" spans="1:3"><c r="A2" s="0" cm="1" t="s"><v>0</v></c><c r="C2" s="0"/></row>',
        b"<row r='2'><c r='A2' vm='1' s='0'><f>1+1</f><v>2</v></c></row>",
        b'<row r="2"/>',
    ],
)
def test_a_cell_with_other_attributes_keeps_them_when_edited_as_bytes(tmp_path, row):
    path = make_workbook(tmp_path / "b.xlsx", [customer("K1")])
    styles = xlsx_rows.Styles(Package(path.read_bytes()))
    part = xlsx_rows.SheetPart(
        io.BytesIO(b'<worksheet xmlns="%s"><sheetData/></worksheet>' % (xlsx_rows.MAIN.encode()))
    )
    for values in (
        {1: dt.date(2026, 11, 18)},
        {1: "文本", 2: True},
        {1: None, 3: 2.5},
        {4: "after the last", 6: dt.date(2026, 11, 18)},  # new columns: the cells appended
    ):
        by_bytes = xlsx_rows.RowBytes(b"").edit(row, values, styles)
        root = part.fragment(row)
        xlsx_rows._set_cells(root[0], 2, values, styles)
        assert _canonical(by_bytes, part) == _canonical(xlsx_rows.serialise(root), part)


def test_a_replaced_row_is_rewritten_exactly_when_it_reads_back_differently():
    """The quick comparison of a replaced tab's rows agrees with the read-back keys on rows
    mixing every kind a cell holds (1 == 1.0 == True, "x" and Heading("x"), blanks as "",
    None or NaN, rows longer or shorter than the old one)."""
    kinds = [None, "", " ", "a", Heading("a"), 1, 1.0, True, False, 0, Share(1.0), float("nan")]
    kinds += [dt.date(2024, 1, 1), dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, 5), "1"]
    rows = [[kinds[(i * 7 + k * 3) % len(kinds)] for k in range(i % 4)] for i in range(300)]
    for new in rows:
        padded = [("" if v is None else v) for v in new]
        for old in [*rows[::7], [], padded, [*padded, "", ""]]:
            assert xlsx_rows._reads_as(new, old) == (
                xlsx_rows.row_key(new) == xlsx_rows.row_key(old)
            )


def test_a_row_kept_as_its_hash_is_never_left_when_it_changed():
    """The write keeps a replaced tab's rows of text, dates and blanks as their hashes: a
    row written as it was read (blanks as None, "" or NaN, shorter or with blanks past the
    end) is left as it is, and any other is rewritten, even one that would read back the
    same another way. A row holding a number is kept whole: -1 and -2 hash alike."""
    day = dt.date(2024, 1, 1)
    was = [["K1", day, "", "待办", ""], ["K2", "", "", "", ""], ["K3", -1.0, "x", "", ""]]
    old = xlsx_rows.RowsRead.of(was)
    assert isinstance(old.rows[0], int) and old.rows[2] is was[2]
    for same in (["K1", day, None, "待办"], ["K1", day, float("nan"), "待办", "", None, ""]):
        assert old.reads_as(1, same)
    assert old.reads_as(2, ["K2"]) and old.reads_as(3, ["K3", -1, "x"])
    for changed in (
        ["K1", day, "", "已完成"],
        ["K1", dt.datetime(2024, 1, 1), "", "待办"],  # reads the same, but kept as a hash
        ["K1", day, "", "待办", "", "more"],
        ["K1", day],
        [],
    ):
        assert not old.reads_as(1, changed)
    assert not old.reads_as(3, ["K3", -2.0, "x"])
    assert old.reads_as(4, [None, ""]) and not old.reads_as(4, ["K4"])  # past the old end
    kinds = ["", None, "a", "b", day, dt.date(2024, 1, 2), float("nan"), 1.0, -1, -2, True]
    rows = [[kinds[(i * 5 + k * 3) % len(kinds)] for k in range(i % 5)] for i in range(400)]
    read = [[("" if v is None or v != v else v) for v in r] + [""] * (5 - len(r)) for r in rows]
    old = xlsx_rows.RowsRead.of(read)
    for new in rows:
        for number, row in enumerate(read, start=1):
            if old.reads_as(number, new):
                assert xlsx_rows.row_key(new) == xlsx_rows.row_key(row)
        assert old.reads_as(rows.index(new) + 1, new)


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_rows_are_found_whole_across_chunks_and_odd_ones_still_refused(monkeypatch, chunk):
    monkeypatch.setattr(xlsx_rows, "CHUNK", chunk)
    ns = f'xmlns="{xlsx_rows.MAIN}"'.encode()
    rows = [
        b'<row r="1" spans="1:2"><c r="A1"><v>1</v></c></row>',
        b"<row r='3'/>",
        b'<row\n r="4"><c r="B4" t="inlineStr"><is><t>x &lt;/row&gt; y</t></is></c></row>',
        b'<row ht="20" r="10" customHeight="1"/>',
    ]
    body = b"\n  ".join(rows)
    part = b"<worksheet %s><sheetData>%s\n</sheetData><tail/></worksheet>" % (ns, body)
    found = xlsx_rows.SheetPart(io.BytesIO(part))
    assert list(found.rows()) == list(zip([1, 3, 4, 10], rows, strict=True))
    assert b"".join(found.tail()) == b"</sheetData><tail/></worksheet>"
    for odd, reason in (
        (rows[0] + b'<row r="2"><!-- </row> --></row>', "comments"),
        (rows[1] + rows[0], "out of order"),
        (rows[0] + b'<row><c r="A2"/></row>', "without numbers"),
        (rows[0] + b"<x/>" + rows[1], "other than rows"),
    ):
        part = b"<worksheet %s><sheetData>%s</sheetData></worksheet>" % (ns, odd)
        with pytest.raises(PatchUnsupported, match=reason):
            list(xlsx_rows.SheetPart(io.BytesIO(part)).rows())


def _rows_xml(data: bytes, part: str = "xl/worksheets/sheet1.xml") -> dict[int, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        found = xlsx_rows.SheetPart(io.BytesIO(z.read(part)))
        return dict(found.rows())


@pytest.mark.slow  # a 2,000-row tab patched and read back whole, per variant
@pytest.mark.parametrize("quotes", ["double", "single"])
@pytest.mark.parametrize("chunk", [997, 1 << 20])
def test_a_few_rows_edited_in_a_long_tab_leave_every_other_row_as_it_was(
    tmp_path, monkeypatch, chunk, quotes
):
    """The daily case: a few rows of thousands change. Rows between them are copied in runs
    (found by the next edited row's tag, `<row r="N"`); a sheet whose rows are written
    otherwise (r='N') is read one row at a time. Either way the edited rows read as the
    openpyxl path writes them, a row added past the end is placed, and every other row is
    byte for byte what it was."""
    monkeypatch.setattr(xlsx_rows, "CHUNK", chunk)
    path = tmp_path / "long.xlsx"
    generate(path, 2000)
    if quotes == "single":
        _edit_part(path, lambda x: re.sub(rb'<row r="(\d+)"', rb"<row r='\1'", x))
    data = path.read_bytes()
    tab = FOLLOWUPS_TAB
    edited = {7: "早上回电", 1200: "已报价", 2001: "新客户"}  # 2001: the tab's last row
    changes = Changeset(
        cells=[CellChange(tab, row, 2, "", "客户名称", "", text) for row, text in edited.items()]
        + [CellChange(tab, 2005, 1, "KH-NEW", "客户编号", None, "KH-NEW")]  # past the end
    )
    patched = patch_workbook(data, changes)
    assert _values(patched) == _values(rewrite_with_openpyxl(data, changes))
    before, after = _rows_xml(data), _rows_xml(patched)
    assert set(after) == set(before) | {2005}
    assert [n for n in before if before[n] != after[n]] == sorted(edited)


FOLLOWUPS_TAB = "客户跟进"


def _edit_part(path, edit, part="xl/worksheets/sheet1.xml") -> None:
    with zipfile.ZipFile(path) as old:
        parts = {info: old.read(info) for info in old.infolist()}
    sheet = next(i for i in parts if i.filename == part)
    parts[sheet] = edit(parts[sheet])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in parts.items():
            new.writestr(info, data)


@pytest.mark.parametrize("edited", [[3, 5], [6], [2]])
def test_rows_out_of_order_among_untouched_rows_are_still_refused(tmp_path, edited):
    """Rows 1, 2, 5, 3, 4, 6 (a file some tool wrote out of order): copying the untouched rows
    in runs must not hide that. The patch is refused, so the write takes the openpyxl path,
    rather than writing a row twice or out of order."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "T"
    for r in range(1, 7):
        sheet.cell(r, 1, f"a{r}")
        sheet.cell(r, 2, f"b{r}")
    path = tmp_path / "odd.xlsx"
    book.save(path)

    def swap(xml: bytes) -> bytes:
        rows = re.findall(rb"<row .*?</row>", xml)
        body = b"".join(rows[i] for i in (0, 1, 4, 2, 3, 5))
        return re.sub(rb"<sheetData>.*</sheetData>", b"<sheetData>" + body + b"</sheetData>", xml)

    _edit_part(path, swap)
    changes = Changeset(cells=[CellChange("T", r, 2, "", "b", f"b{r}", "new") for r in edited])
    with pytest.raises(PatchUnsupported, match="out of order"):
        patch_workbook(path.read_bytes(), changes)


@pytest.mark.parametrize(
    "block",
    [pytest.param(7, marks=pytest.mark.slow), 1000, 1 << 20],  # slow: 7-byte deflates
)
def test_a_part_deflated_in_blocks_on_two_threads_reads_back_whole(tmp_path, monkeypatch, block):
    """A changed part is deflated a block at a time, each primed with the 32 kB before it:
    one deflate stream all the same, which zipfile inflates and checks (CRC, size)."""
    import concurrent.futures
    import random

    monkeypatch.setattr(xlsx_package.DeflatedPart, "BLOCK", block)
    rows = [b'<row r="%d"><c r="A%d"><v>%d</v></c></row>' % (i, i, i * 7) for i in range(20_000)]
    noise = random.Random(5).randbytes(40_000)  # something that does not compress
    pieces = [*rows[:10_000], noise, b"", *rows[10_000:]]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        part = xlsx_package.DeflatedPart(pool)
        with part as write:
            for piece in pieces:
                write(piece)
    path = tmp_path / "p.zip"
    with zipfile.ZipFile(path, "w") as out:
        part.copy_into(out, xlsx_package._fresh_info("xl/worksheets/sheet1.xml"))
    part.close()
    with zipfile.ZipFile(path) as back:
        assert back.testzip() is None
        assert back.read("xl/worksheets/sheet1.xml") == b"".join(pieces)
