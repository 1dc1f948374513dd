"""What a run will write: only sync-owned cells whose value changed, plus the sync-only tabs.

A change names its customer id and header as well as its position, so a backend whose rows
can move while we compute (Google Sheets) can re-find the row by id at write time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sheetsync.workbook.parsing import is_blank, is_missing, parse_date
from sheetsync.workbook.schema import RETIRED_HEADERS, SYNC_COLUMNS, normalise_header
from sheetsync.workbook.tables import ROW, Sheet, column_letter


@dataclass(frozen=True, slots=True)
class CellChange:
    tab: str
    row: int  # 1-based, as read
    column: int  # 1-based
    customer_id: str
    header: str
    old: object
    new: object


class Heading(str):
    """Text shown bold: a title in a tab the sync writes (汇总). Compares as plain text."""


class Share(float):
    """A fraction shown as a percentage (0.225 -> 22.5%): still a number people can sort."""

    def __str__(self) -> str:
        return f"{self:.1%}"


class Amount(float):
    """Money in 万元 (yuan / 10 000), shown with two decimals and thousands separators under a
    "(万元)" header: a number people can still sort and sum, never 60000000 in a cell."""

    def __str__(self) -> str:
        return f"{self:,.2f}"


def in_wan(yuan: float) -> Amount:
    """An amount in yuan as 万元."""
    return Amount(round(yuan / 10_000, 4))


# Where the wide characters start (CJK Radicals Supplement, U+2E80): from here up, 汉字, kana,
# hangul and full-width forms take two character widths in a spreadsheet cell.
WIDE_FROM = 0x2E80


def text_units(value: object) -> int:
    """How many character widths a value takes in a cell: a 汉字 (or any wide character)
    two, dates as yyyy-mm-dd, numbers as shown."""
    if value is None or value == "":
        return 0
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return sum(2 if ord(ch) > WIDE_FROM else 1 for ch in text)


@dataclass(frozen=True)
class Table:
    """A table of a tab the sync lays out (汇总): a title row, a header row and data rows,
    `width` columns from A; `right`: the 1-based columns that hold numbers (aligned right,
    header included)."""

    title_row: int  # 1-based
    last_row: int
    width: int
    right: frozenset[int] = frozenset()

    @property
    def header_row(self) -> int:
        return self.title_row + 1


@dataclass
class SheetLayout:
    """How a tab reads on screen and on paper: what a backend sets besides the cells.
    Every field is optional; a backend sets what is given and leaves the rest as it is."""

    tables: list[Table] = field(default_factory=list)  # bordered, header filled
    widths: dict[int, float] = field(default_factory=dict)  # 1-based column -> characters
    keep_widths: bool = False  # a column people gave a width keeps it (their own tab)
    freeze: tuple[int, int] | None = None  # rows, columns kept in view
    autofilter: tuple[int, int, int] | None = None  # header row, last row, last column
    landscape: bool = False  # print across, as wide as the page (fit to width)
    title_rows: int = 0  # rows repeated at the top of each printed page
    breaks: list[int] = field(default_factory=list)  # a new printed page after these rows

    def filter_ref(self) -> str:
        """The filter's range as A1 text ("A1:AL41")."""
        assert self.autofilter is not None, "filter_ref() of a layout with no filter"
        header, last_row, last_column = self.autofilter
        return f"A{header}:{column_letter(last_column)}{max(last_row, header)}"


def share_of(part: float, whole: float) -> Share | str:
    """part / whole as a percentage; "—" when there is no whole (nothing to rate yet) or the
    figures are no numbers: a summary never shows 0.0% for a window with no data."""
    share = part / whole if whole else math.nan
    return Share(round(share, 6)) if math.isfinite(share) else "—"


@dataclass(frozen=True)
class Chart:
    """A chart drawn from cells of its own tab; ranges are (column, first row, last row),
    1-based. Backends draw it natively and redraw only when the set of charts differs."""

    kind: str  # pie | bar (horizontal) | column | line
    title: str
    categories: tuple[int, int, int]
    values: tuple[int, int, int]
    anchor: tuple[int, int]  # row, column of the top-left corner

    def key(self) -> tuple[object, ...]:
        """What identifies it, whoever moved or resized it."""
        return (self.kind, self.title, self.categories, self.values)


@dataclass(frozen=True)
class LogNote:
    """Where the run's sync-log row holds its notes: a backend adds what it finds while
    writing (Google: people's edits kept, values put back on their customers' rows)."""

    tab: str
    index: int  # the row's place in Changeset.append[tab]
    column: int  # 1-based, in the tab
    text: str  # the notes as planned
    locale: str


@dataclass
class Changeset:
    cells: list[CellChange] = field(default_factory=list)
    new_headers: list[CellChange] = field(default_factory=list)
    # Rows of cells of any kind (Any, not object: a header, list[str], is a row like the rest).
    replace: dict[str, list[list[Any]]] = field(default_factory=dict)  # tab title -> all rows
    append: dict[str, list[list[Any]]] = field(default_factory=dict)  # tab title -> rows to add
    charts: dict[str, list[Chart]] = field(default_factory=dict)  # tab title -> its charts
    hidden: set[str] = field(default_factory=set)  # tabs created hidden (the sync's memory)
    # Header cells renamed (`adopt`): written only where the header still reads `old`.
    renames: list[CellChange] = field(default_factory=list)
    layout: dict[str, SheetLayout] = field(default_factory=dict)  # tab title -> its layout
    log_note: LogNote | None = None  # the sync-log row's notes cell, for the write's findings

    def add_rows(self, sheet: Sheet, rows: Sequence[Sequence[object]]) -> None:
        """Rows (in the schema's column order) appended to an append-only tab under the
        headers the tab has, wherever people moved them or put a column of their own between:
        placed by position, a row would land under the wrong headers, read back as nothing
        the sync wrote, and be appended again on every run. A column people deleted is left
        out."""
        if rows:
            self.append.setdefault(sheet.title, []).extend(under_headers(sheet, rows))


def under_headers(sheet: Sheet, rows: Sequence[Sequence[object]]) -> list[list[object]]:
    """Each schema-ordered row spread to the tab's own columns (`sheet.columns`)."""
    where = [sheet.columns.get(c.key) for c in sheet.tab.columns]
    width = max([w for w in where if w], default=0)
    placed = []
    for row in rows:
        out: list[object] = [None] * width
        for column, value in zip(where, row, strict=False):
            if column:
                out[column - 1] = value
        placed.append(out)
    return placed


def comparable(value: object, as_date: bool) -> object:
    """A cell as the sync compares it: blanks alike, numbers as floats, dates as dates."""
    if is_blank(value):
        return None
    if as_date:
        try:
            return parse_date(value)
        except (ValueError, TypeError):
            return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value if isinstance(value, str) else str(value)


def _new_value(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if is_missing(value):
        return None
    return value if value != "" else None


DATE_KEYS = ("next_date", "stage_since")


def retired(sheet: Sheet, key: str) -> bool:
    """The column is there under a header an older version wrote (阶段天数): its cells hold
    something else than today's values, and its header is renamed on the next sync."""
    old = {normalise_header(h) for h in RETIRED_HEADERS.get(key, ())}
    return key in sheet.headers and normalise_header(sheet.headers[key]) in old


def plan_cells(sheet: Sheet, computed: pd.DataFrame, ids: pd.Series) -> Changeset:
    """Cell changes for the sync-owned columns; missing columns are added after the last, and
    a retired header is renamed (only if it still reads as it was read)."""
    changes = Changeset()
    next_free = max(sheet.width, sheet.used_width) + 1  # never over people's headerless data
    rows, id_values = sheet.frame[ROW].tolist(), ids.to_numpy(dtype=object)
    for term in SYNC_COLUMNS:
        column = sheet.columns.get(term.key)
        header = sheet.headers.get(term.key) or term.text(sheet.locale)
        if column is None:
            column, next_free = next_free, next_free + 1
            changes.new_headers.append(
                CellChange(sheet.title, sheet.header_row, column, "", header, None, header)
            )
        elif retired(sheet, term.key):
            old, header = header, term.text(sheet.locale)
            changes.renames.append(
                CellChange(sheet.title, sheet.header_row, column, "", old, old, header)
            )
        as_date = term.key in DATE_KEYS
        current = sheet.frame[term.key].to_numpy(dtype=object)
        new = by_value(computed[term.key], _new_value)

        def compared(value: object, as_date: bool = as_date) -> object:
            return comparable(value, as_date)

        differs = by_value(current, compared) != by_value(new, compared)
        for i in np.flatnonzero(differs).tolist():
            changes.cells.append(
                CellChange(
                    sheet.title, int(rows[i]), column, id_values[i], header, current[i], new[i]
                )
            )
    return changes


NA_KINDS = {type(None), type(pd.NaT)}  # blanks: every function here treats them alike
ONE_KIND = {float, int, bool, dt.date, dt.datetime, pd.Timestamp}


def by_value(values: pd.Series | np.ndarray, fn: Callable[[object], object]) -> np.ndarray:
    """`fn` of each value, called once per distinct value (a column of 100 k rows holds a few
    thousand), as an object array. Distinct means distinct to `fn`: values that compare equal
    across kinds (1 == 1.0 == True, "x" == Heading("x"), a date and a Timestamp) are never
    merged, so a column mixing such kinds is mapped one value at a time."""
    if isinstance(values, pd.Series) and values.dtype.kind == "M":
        day_codes, days = pd.factorize(values, use_na_sentinel=False)
        return _take([fn(u) for u in days.astype(object)], day_codes)
    array = np.asarray(values, dtype=object)
    kinds = set(map(type, array)) - NA_KINDS
    if not (len(kinds - {str}) <= 1 and kinds - {str} <= ONE_KIND):
        return _take([fn(v) for v in array], np.arange(len(array)))
    codes, uniques = pd.factorize(array)  # blanks apart: None, NaN and NaT stay themselves
    mapped = _take([fn(u) for u in uniques], np.maximum(codes, 0))
    blank = np.flatnonzero(codes < 0)
    if len(blank):
        once: dict[type, object] = {}
        mapped[blank] = [
            once[type(v)] if type(v) in once else once.setdefault(type(v), fn(v))
            for v in array[blank]
        ]
    return mapped


def _take(results: list[object], codes: np.ndarray) -> np.ndarray:
    mapped = np.empty(max(len(results), 1), dtype=object)
    mapped[: len(results)] = results
    taken: np.ndarray = mapped[codes]  # numpy's stubs type fancy indexing as Any
    return taken


def describe(change: CellChange) -> str:
    """`客户跟进 C-001 状态: "" -> "已逾期"` for dry runs."""
    where = change.customer_id or f"{column_letter(change.column)}{change.row}"
    return f"{change.tab} {where} {change.header}: {_shown(change.old)} -> {_shown(change.new)}"


def _shown(value: object) -> str:
    if is_blank(value):
        return '""'
    if isinstance(value, dt.datetime):
        value = value.date()
    return f'"{value}"'
