"""Applying a changeset to an .xlsx package by streaming only the worksheet parts it touches.

Loading a whole workbook into openpyxl's object model and saving it again costs ~10 µs a cell
and re-encodes everything people made; parsing a changed sheet whole with lxml costs GBs at
100 k rows. Here each changed sheet is streamed row by row (`xlsx_rows`), new tabs and
charts are added as parts of their own (`xlsx_package`, `xlsx_charts`), and every other part
of the zip is copied as its compressed bytes, so a daily sync costs what it changes.
Anything this does not handle raises PatchUnsupported and the caller falls back to openpyxl
(`xlsx.write_changes`: the one place that chooses, and says which path ran).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import IO, BinaryIO

from sheetsync.backends.xlsx_cells import Styles
from sheetsync.backends.xlsx_charts import draw_charts
from sheetsync.backends.xlsx_far import free_rows
from sheetsync.backends.xlsx_layout import name_ranges, styled_rows
from sheetsync.backends.xlsx_package import (
    Package,
    PatchUnsupported,
    Stream,
    add_sheet,
    check_zipfile,
)
from sheetsync.backends.xlsx_rows import RowsRead, SheetEdits, splice, used_rows
from sheetsync.workbook.changes import Changeset
from sheetsync.workbook.template import header_width

ROW_EDITS, CELL_PATH, OPENPYXL = "row edits", "cell path", "openpyxl"  # the three writers


@dataclass(frozen=True)
class WritePath:
    """Which of the three writers made the file, and why (logged, returned by the backend's
    write, printed by the benchmark). `kind`: ROW_EDITS (every changed row edited as bytes,
    the fast path), CELL_PATH (some rows parsed and edited with lxml: `reason` says the first
    tab and row, `rows` how many), OPENPYXL (the whole workbook through openpyxl: `reason` is
    the PatchUnsupported that sent it there)."""

    kind: str
    reason: str = ""
    rows: int = 0  # rows that took the cell path

    def __str__(self) -> str:
        counted = f" ({self.rows} row{'s' if self.rows != 1 else ''})" if self.rows else ""
        return f"{self.kind}{counted}: {self.reason}" if self.reason else self.kind


class _Route:
    """The rows that took the cell path while the parts were streamed: how many, and the
    first one's tab and reason."""

    def __init__(self) -> None:
        self.rows, self.first = 0, ""

    def told(self, title: str) -> Callable[[str], None]:
        def cell_path(reason: str) -> None:
            self.rows += 1
            self.first = self.first or f"tab {title}: {reason}"

        return cell_path

    def path(self) -> WritePath:
        if not self.rows:
            return WritePath(ROW_EDITS)
        return WritePath(CELL_PATH, self.first, self.rows)


def patch_workbook(
    data: bytes, changes: Changeset, old: dict[str, RowsRead] | None = None
) -> bytes:
    """The package with `changes` applied, or PatchUnsupported. `old`: the tabs' rows as
    read (`xlsx_rows.rows_read`), so a replaced tab's unchanged rows are left as they are."""
    out = io.BytesIO()
    patch_into(data, changes, out, old)
    return out.getvalue()


def patch_into(
    data: bytes | BinaryIO,
    changes: Changeset,
    out: BinaryIO,
    old: dict[str, RowsRead] | None = None,
    folder: str | None = None,
) -> WritePath:
    """`patch_workbook`, written into `out` as it is made (nothing is written to `out`
    before every reason for PatchUnsupported known up front has been checked). `data`: the
    package's bytes, or a file open on it (read as the parts are copied, never held whole).
    `folder`: where the write may put temporary files (the workbook's). Returns which path
    the rows took: ROW_EDITS, or CELL_PATH and why."""
    check_zipfile()  # the raw copy's zipfile internals, before the package is opened
    package = Package(data)
    styles = Styles(package)  # and the date system dates are written in
    edits = plan_edits(changes, old)
    if set(changes.append) & (set(changes.replace) | {c.tab for c in changes.cells}):
        raise PatchUnsupported("rows appended to a tab also rewritten")
    parts = package.sheet_parts()
    for title in dict.fromkeys(t for t in [*edits, *changes.charts] if t not in parts):  # once
        parts[title] = add_sheet(package, title, hidden=title in changes.hidden)
    for title, charts in changes.charts.items():
        rel_id = draw_charts(package, parts[title], title, charts)
        if rel_id is not None:
            edits.setdefault(title, SheetEdits()).drawing = rel_id
    for title, rows in changes.append.items():
        with package.open(parts[title]) as raw:
            numbers = free_rows(used_rows(raw), len(rows))
        edits[title].rows.update(zip(numbers, rows, strict=True))
    for title, layout in changes.layout.items():
        name_ranges(package, title, layout)
    package.drop_calc_chain()
    route = _Route()
    streams: dict[str, Stream] = {
        parts[t]: partial(_splice, e, styles, route.told(t))
        for t, e in edits.items()
        if e.changes()
    }
    package.write_to(out, streams, folder)
    return route.path()


def _splice(
    edits: SheetEdits,
    styles: Styles,
    cell_path: Callable[[str], None],
    source: IO[bytes],
    write: Callable[[bytes], object],
) -> None:
    splice(source, edits, styles, write, cell_path)


def plan_edits(changes: Changeset, old: dict[str, RowsRead] | None) -> dict[str, SheetEdits]:
    """Each touched tab's edits, in the order a changeset applies: header cells and cells,
    then whole tabs (their rows win), then appended rows (placed once the tab is read)."""
    edits: dict[str, SheetEdits] = {}
    for change in changes.new_headers:
        tab = edits.setdefault(change.tab, SheetEdits())
        tab.widths[change.column] = header_width(str(change.new))
    for change in itertools.chain(changes.new_headers, changes.cells):  # 1 M cells: no copy
        edits.setdefault(change.tab, SheetEdits()).set(change.row, change.column, change.new)
    for title, rows in changes.replace.items():
        layout = changes.layout.get(title)
        if layout is not None and layout.tables:  # every row restyled, not only the new
            was = (old or {}).get(title)
            height = None if was is None else len(was.rows)  # far cells below it are kept
            tab = edits.setdefault(title, SheetEdits())
            tab.replace(styled_rows(rows, layout), None, height)
            if was is not None:
                tab.keep_far(was.far, was.width)
        else:
            edits.setdefault(title, SheetEdits()).replace(rows, (old or {}).get(title))
    for title, layout in changes.layout.items():
        edits.setdefault(title, SheetEdits()).layout = layout
    for title in changes.append:
        edits.setdefault(title, SheetEdits())
    return edits
