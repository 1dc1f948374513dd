"""The fast write (rows edited as bytes, or through lxml) and the openpyxl round trip must
give the same workbook for any value the sync writes: random text with control characters,
U+FFFE, half surrogate pairs, spaces at either end and text past Excel's limit, numbers
(inf and nan included), dates, booleans and blanks, into existing cells, new columns and
appended rows; read back as the sync reads (calamine)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from sheetsync.backends.xlsx import rewrite_with_openpyxl
from sheetsync.backends.xlsx_patch import patch_workbook
from sheetsync.workbook.changes import CellChange, Changeset

TAB = "客户"
ODD = ["\x00", "\x01", "\x1b", "\x7f", "\t", "\n", "\r", "\ufffe", "\uffff", "\ud800", " ", "&"]
TEXT = st.one_of(
    st.text(st.one_of(st.characters(), st.sampled_from(ODD)), max_size=30),
    st.sampled_from(["&<>", "]]>", "_x001B_", "=SUM(A1)", "'0012"]),
    st.text(max_size=10).map(lambda s: f"  {s} "),  # spaces at either end
    st.integers(min_value=32_700, max_value=33_000).map(lambda n: "长" * n),  # past the limit
    st.integers(min_value=16_300, max_value=16_500).map(lambda n: "😀" * n),  # two units each
)
VALUE = st.one_of(
    TEXT,
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(),  # inf and nan: written blank
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(9999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(9999, 12, 31)),
    st.booleans(),
    st.sampled_from([None, ""]),
)


def _base() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = TAB
    for row in (["编号", "客户", "金额"], ["K1", "甲", 3], ["K2", " 乙 ", dt.date(2026, 1, 2)]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


BASE = _base()


def _read(data: bytes) -> dict[str, list[list]]:
    """The tabs as the sync reads them, each value with its kind. A float to 15 significant
    digits: openpyxl writes 16 of them (`%.16g`), the fast path the exact value (`repr`)."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {
        title: [
            [(type(v).__name__, float(f"{v:.15g}") if type(v) is float else v) for v in row]
            for row in book.get_sheet_by_name(title).to_python(skip_empty_area=False)
        ]
        for title in book.sheet_names
    }


@settings(max_examples=30, database=None, deadline=None, print_blob=False)
@given(
    cells=st.lists(VALUE, min_size=1, max_size=6),
    appended=st.lists(st.lists(VALUE, min_size=1, max_size=4), max_size=2),
)
def test_the_fast_write_gives_what_the_openpyxl_round_trip_gives(cells, appended):
    places = [(2, 2), (2, 3), (2, 4), (3, 6), (1, 5), (3, 1)]  # existing cells, new columns
    changes = Changeset(
        cells=[
            CellChange(TAB, row, column, "K", "h", None, value)
            for (row, column), value in zip(places, cells, strict=False)
        ],
        append={"记录": appended} if appended else {},  # a new tab, rows appended
    )
    fast, slow = patch_workbook(BASE, changes), rewrite_with_openpyxl(BASE, changes)
    assert _read(fast) == _read(slow)
