"""The fast write (rows edited as bytes, or through lxml) and the openpyxl round trip must
give the same workbook for any value the sync writes: random text with control characters,
U+FFFE, half surrogate pairs, spaces at either end and text past Excel's limit, numbers
(inf and nan included), dates, booleans and blanks, into existing cells, new columns and
appended rows; read back as the sync reads (calamine)."""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass

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
    # Up to 1e300: within 1e-15 of the largest float, openpyxl's 16 digits round past it and
    # read back as inf (the fast path keeps the value), a limit of openpyxl, not ours.
    st.floats(min_value=-1e300, max_value=1e300),
    st.sampled_from([math.inf, -math.inf, math.nan]),  # written blank
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


class Close(float):
    """A float equal to another within 1e-15 of its size: openpyxl writes 16 significant
    digits (`%.16g`), the fast path the exact value (`repr`). Rounding both to 15 digits
    would not do: two values either side of a rounding edge round apart."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, float) and math.isclose(self, other, rel_tol=1e-15)

    __hash__ = float.__hash__


@dataclass(frozen=True)
class Instant:
    """A date and time equal to another within a millisecond: Excel keeps it as a fraction
    of a day, which the two writers round apart below that (3015-01-01 00:00:00.325489 reads
    back as .325 from one and .326 from the other)."""

    value: dt.datetime

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Instant) and abs(self.value - other.value) <= dt.timedelta(
            milliseconds=1
        )

    def __hash__(self) -> int:
        return hash(self.value.replace(microsecond=0))


def _seen(value: object) -> object:
    if type(value) is float:
        return Close(value)
    return Instant(value) if type(value) is dt.datetime else value


def _read(data: bytes) -> dict[str, list[list]]:
    """The tabs as the sync reads them, each value with its kind (a float compared as
    `Close`)."""
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    return {
        title: _trimmed(
            [
                [(type(v).__name__, _seen(v)) for v in row]
                for row in book.get_sheet_by_name(title).to_python(skip_empty_area=False)
            ]
        )
        for title in book.sheet_names
    }


def _trimmed(rows: list[list]) -> list[list]:
    """Without the blanks at the end of each row and the blank rows at the end: a cell holding
    "" (a value of control characters only, cleaned) and no cell read the same to the sync."""
    blank = ("str", "")
    rows = [row[: max((i + 1 for i, v in enumerate(row) if v != blank), default=0)] for row in rows]
    while rows and not rows[-1]:
        rows = rows[:-1]
    return rows


@settings(print_blob=False)  # no database, no deadline: the profiles' (conftest.py)
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
